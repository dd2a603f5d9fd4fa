import type { AlertSource, AlertStatus, AlertTarget, IncidentClass, PullFailureClass, Severity } from '../intake/alert.js';
import type { Incident, IncidentAlert, IncidentCounts, IncidentDetails, IncidentState, Resolution, TimelineEntry, TimelineKind } from './model.js';

/**
 * The JSON of `GET /api/incidents` and `GET /api/incidents/:id`, for dashboards and scripts.
 * A stable contract, separate from the stored shape: times are ISO 8601 strings, every key is
 * always present (`null` when unknown), and text is as the sender wrote it — it is data, not markup.
 */
export interface IncidentJson {
  id: string;
  version: number;
  state: IncidentState;
  class: IncidentClass;
  pullFailure: PullFailureClass | null;
  severity: Severity;
  title: string;
  summary: string;
  groupKey: string;
  target: AlertTarget;
  counts: IncidentCounts;
  flapping: boolean;
  flappingUntil: string | null;
  createdAt: string;
  openedAt: string;
  updatedAt: string;
  lastActivityAt: string;
  lastAlertAt: string;
  acknowledged: { by: string | null; at: string } | null;
  mitigated: { by: string | null; at: string } | null;
  resolved: { by: string | null; at: string; resolution: Resolution | null } | null;
  snoozedUntil: string | null;
  linkedIncidentId: string | null;
  supersededBy: string | null;
  truncatedAlerts: number;
  reopenCount: number;
  url: string;
}

export interface IncidentAlertJson {
  fingerprint: string;
  status: AlertStatus;
  source: AlertSource;
  name: string;
  summary: string;
  severity: Severity;
  class: IncidentClass;
  pullFailure: PullFailureClass | null;
  firstSeenAt: string;
  lastSeenAt: string;
  lastChangeAt: string;
  received: number;
}

export interface TimelineEntryJson {
  at: string;
  kind: TimelineKind;
  text: string;
  by: string | null;
}

export interface IncidentDetailsJson extends IncidentJson {
  alerts: IncidentAlertJson[];
  /** Oldest first; the newest entries only (see `timelineDropped`). */
  timeline: TimelineEntryJson[];
  timelineDropped: number;
}

export interface IncidentListJson {
  incidents: IncidentJson[];
  count: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));

export function incidentToJson(incident: Incident): IncidentJson {
  return {
    id: incident.id,
    version: incident.version,
    state: incident.state,
    class: incident.class,
    pullFailure: incident.pullFailure ?? null,
    severity: incident.severity,
    title: incident.title,
    summary: incident.summary,
    groupKey: incident.groupKey,
    target: { ...incident.target },
    counts: { ...incident.counts },
    flapping: incident.flapping,
    flappingUntil: isoOrNull(incident.flappingUntil),
    createdAt: iso(incident.createdAt),
    openedAt: iso(incident.openedAt),
    updatedAt: iso(incident.updatedAt),
    lastActivityAt: iso(incident.lastActivityAt),
    lastAlertAt: iso(incident.lastAlertAt),
    acknowledged: incident.acknowledgedAt === undefined ? null : { by: incident.acknowledgedBy ?? null, at: iso(incident.acknowledgedAt) },
    mitigated: incident.mitigatedAt === undefined ? null : { by: incident.mitigatedBy ?? null, at: iso(incident.mitigatedAt) },
    resolved: incident.state !== 'resolved' || incident.resolvedAt === undefined ? null : { by: incident.resolvedBy ?? null, at: iso(incident.resolvedAt), resolution: incident.resolution ?? null },
    snoozedUntil: isoOrNull(incident.snoozedUntil),
    linkedIncidentId: incident.linkedIncidentId ?? null,
    supersededBy: incident.supersededBy ?? null,
    truncatedAlerts: incident.truncatedAlerts,
    reopenCount: incident.reopenCount,
    url: `/api/incidents/${incident.id}`,
  };
}

export function incidentAlertToJson(alert: IncidentAlert): IncidentAlertJson {
  return {
    fingerprint: alert.fingerprint,
    status: alert.status,
    source: alert.source,
    name: alert.name,
    summary: alert.summary,
    severity: alert.severity,
    class: alert.class,
    pullFailure: alert.pullFailure ?? null,
    firstSeenAt: iso(alert.firstSeenAt),
    lastSeenAt: iso(alert.lastSeenAt),
    lastChangeAt: iso(alert.lastChangeAt),
    received: alert.received,
  };
}

export function timelineEntryToJson(entry: TimelineEntry): TimelineEntryJson {
  return { at: iso(entry.at), kind: entry.kind, text: entry.text, by: entry.by ?? null };
}

/** `GET /api/incidents/:id`. */
export function incidentDetailsToJson(details: IncidentDetails): IncidentDetailsJson {
  return {
    ...incidentToJson(details.incident),
    alerts: details.alerts.map(incidentAlertToJson),
    timeline: details.timeline.map(timelineEntryToJson),
    timelineDropped: details.incident.timelineDropped,
  };
}

/** `GET /api/incidents`. */
export function incidentListToJson(incidents: readonly Incident[]): IncidentListJson {
  return { incidents: incidents.map(incidentToJson), count: incidents.length };
}
