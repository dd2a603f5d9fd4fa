import type { AlertSource, AlertStatus, AlertTarget, IncidentClass, PullFailureClass, Severity } from '../intake/alert.js';

/**
 * Where an incident is in its life. `reopened` is not a state of its own: reopening puts a
 * resolved incident back to `open` and counts it in {@link Incident.reopenCount}.
 */
export type IncidentState = 'open' | 'acknowledged' | 'mitigated' | 'resolved';

export const INCIDENT_STATES: readonly IncidentState[] = ['open', 'acknowledged', 'mitigated', 'resolved'];

/** Why an incident is resolved. */
export type Resolution =
  /** A person resolved it. */
  | 'manual'
  /** Every alert it had resolved at the source (triage `autoResolve`). */
  | 'all-alerts-resolved'
  /** The stale-incident rule moved its work to a newer, linked incident ({@link Incident.supersededBy}). */
  | 'superseded';

export interface IncidentCounts {
  /** Distinct alerts (fingerprints) that joined the incident. */
  alerts: number;
  /** Of those, how many are firing now. */
  firing: number;
  /** Alert deliveries accepted (duplicate deliveries of one delivery id are not counted). */
  received: number;
  /** Deliveries of an already-firing alert inside the dedup window: counted, nothing else. */
  duplicates: number;
  /** firing ↔ resolved changes of its alerts (what flap detection counts). */
  stateChanges: number;
}

/**
 * One incident: the alerts of one group key (a service, a queue, an alarm), a state people move
 * along, and who did what. The per-alert records and the timeline are stored beside it and read
 * with {@link IncidentDetails}; the incident itself stays small and constant-size however many
 * alerts join, so updating it costs the same for the first alert and the ten-thousandth.
 */
export interface Incident {
  /** Short and typeable: `inc-` and six lowercase letters/digits (`inc-7f3a2c`). */
  id: string;
  /** Incremented by the store on every change; compare-and-set token and ETag. */
  version: number;
  groupKey: string;
  /** The most specific class of its alerts (see `triage/classify.ts`); selects runbooks. */
  class: IncidentClass;
  /** The most specific pull failure of its `image-pull-failed` alerts. */
  pullFailure?: PullFailureClass;
  /** The highest severity of its alerts. */
  severity: Severity;
  state: IncidentState;
  /** Built from the target and class (`prod/api: image pull failed`), else the first alert's name. */
  title: string;
  /** Untrusted text from the alert that set the class; renderers escape it. */
  summary: string;
  /** What the alerts are about, merged: a field once known is kept. */
  target: AlertTarget;
  counts: IncidentCounts;
  /** True while {@link flappingUntil} is in the future (as of when the incident was read). */
  flapping: boolean;
  /** Until when the incident counts as flapping: one flap window after its last flap. */
  flappingUntil?: number;
  createdAt: number;
  /** When it last became open: creation or the latest reopen. The stale rule's `openHours` counts from here. */
  openedAt: number;
  /** Any change, alert arrivals included. */
  updatedAt: number;
  /**
   * The last time a person or a job did something (creation, ack, snooze, a timeline note, a job
   * run). Alert arrivals do not count: an acknowledged incident that only receives alerts is idle,
   * which is exactly what the stale-incident rule looks for.
   */
  lastActivityAt: number;
  lastAlertAt: number;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  mitigatedBy?: string;
  mitigatedAt?: number;
  resolvedBy?: string;
  resolvedAt?: number;
  resolution?: Resolution;
  /** Notifications and the stale rule are held until then. */
  snoozedUntil?: number;
  /** The stale incident this one continues (set by the stale-incident rule). */
  linkedIncidentId?: string;
  /** The newer incident that continues this one (set by the stale-incident rule). */
  supersededBy?: string;
  /** The most alerts a sender said it left out (Alertmanager `truncatedAlerts`). */
  truncatedAlerts: number;
  reopenCount: number;
  /** Timeline entries dropped because the timeline reached its cap (oldest first). */
  timelineDropped: number;
}

/**
 * What an incident remembers about one of its alerts (one fingerprint). Stored compactly — the
 * sender's full payload is not kept — so an open alert costs well under 1 KB of Redis.
 */
export interface IncidentAlert {
  fingerprint: string;
  status: AlertStatus;
  source: AlertSource;
  name: string;
  /** Untrusted; clipped to {@link ALERT_SUMMARY_MAX} characters. */
  summary: string;
  severity: Severity;
  class: IncidentClass;
  pullFailure?: PullFailureClass;
  firstSeenAt: number;
  lastSeenAt: number;
  /** When its status last changed (or it first fired). */
  lastChangeAt: number;
  /** Deliveries accepted for it, duplicates included. */
  received: number;
  /** Times of its latest firing ↔ resolved changes, oldest first, at most `flap.changes` of them. */
  changes: number[];
}

export const ALERT_NAME_MAX = 120;
export const ALERT_SUMMARY_MAX = 160;
export const TIMELINE_TEXT_MAX = 300;

export type TimelineKind =
  /** The incident was created. */
  | 'opened'
  /** An alert joined, fired again or is still firing. */
  | 'alert'
  /** One or more of its alerts resolved at the source. */
  | 'alert-resolved'
  /** A state change: ack, mitigate, resolve, reopen, snooze. */
  | 'state'
  | 'flapping'
  /** This incident continues a stale one. */
  | 'linked'
  /** A newer incident continues this one. */
  | 'superseded'
  /** Something a person wrote. */
  | 'note'
  /** A job ran for this incident (check images, redeploy …). */
  | 'job';

/** One line of an incident's append-only history. `text` may contain alert text: plain, untrusted. */
export interface TimelineEntry {
  at: number;
  kind: TimelineKind;
  text: string;
  /** Who did it: a person's name or id. Absent: Lifeboat decided it itself. */
  by?: string;
  fingerprint?: string;
}

/** A person (or Lifeboat itself) acting on an incident. */
export interface Actor {
  id: string;
  name?: string;
}

/** How an actor is shown and recorded: the name when known, else the id. */
export function actorLabel(actor: Actor): string {
  return actor.name ?? actor.id;
}

/** The actor for what Lifeboat decides by itself (auto-resolve, stale rule, reopen by alert). */
export const LIFEBOAT: Actor = { id: 'lifeboat', name: 'lifeboat' };

/** An incident with its alerts and (the newest part of) its timeline. */
export interface IncidentDetails {
  incident: Incident;
  alerts: IncidentAlert[];
  /** Oldest first. */
  timeline: TimelineEntry[];
}

/** Active = not resolved: the states in which an incident takes new alerts. */
export function isActive(incident: Pick<Incident, 'state'>): boolean {
  return incident.state !== 'resolved';
}

/** Clips untrusted text to `max` characters, marking the cut so a reader knows there was more. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
