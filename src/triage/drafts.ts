import type { Alert } from '../intake/alert.js';
import { ALERT_SUMMARY_MAX, clipText, TIMELINE_TEXT_MAX, type Incident, type IncidentAlert, type TimelineEntry } from '../incidents/model.js';
import { incidentTitle, isMoreSpecific, maxSeverity, mergeTarget, morePreciseFailure } from './classify.js';
import type { TriageSettings } from './settings.js';
import type { TriageInput } from './triage-input.js';

// The pieces triage decisions are built from: new incidents, copies, folded-in alerts, timeline entries.

/** A new open incident made from the input's alert (one alert, firing). */
export function freshIncident(input: TriageInput): Incident {
  const { alert, groupKey, now } = input;
  const incident: Incident = {
    id: input.newId(),
    version: 0,
    groupKey,
    class: alert.class,
    severity: alert.severity,
    state: 'open',
    title: incidentTitle(alert.target, alert.class, alert.pullFailure, alert.name),
    summary: clipText(alert.summary, ALERT_SUMMARY_MAX),
    target: { ...alert.target },
    counts: { alerts: 1, firing: 1, received: 1, duplicates: 0, stateChanges: 0 },
    flapping: false,
    createdAt: now,
    openedAt: now,
    updatedAt: now,
    lastActivityAt: now,
    lastAlertAt: now,
    truncatedAlerts: alert.truncatedAlerts ?? 0,
    reopenCount: 0,
    timelineDropped: 0,
  };
  if (alert.pullFailure) incident.pullFailure = alert.pullFailure;
  return incident;
}

/** Folds an alert into the incident's class, severity, title, summary and target. */
export function absorb(incident: Incident, alert: Alert): void {
  incident.severity = maxSeverity(incident.severity, alert.severity);
  incident.target = mergeTarget(incident.target, alert.target);
  incident.truncatedAlerts = Math.max(incident.truncatedAlerts, alert.truncatedAlerts ?? 0);
  let retitle = false;
  if (isMoreSpecific(alert.class, incident.class)) {
    incident.class = alert.class;
    incident.summary = clipText(alert.summary, ALERT_SUMMARY_MAX);
    retitle = true;
  }
  const failure = morePreciseFailure(incident.pullFailure, alert.pullFailure);
  if (failure !== incident.pullFailure && failure) {
    incident.pullFailure = failure;
    retitle = true;
  }
  // Only a class change retitles: the class only ever gets more specific, so the title cannot flip back.
  if (retitle) incident.title = incidentTitle(incident.target, incident.class, incident.pullFailure, incident.title);
}

export function flappingEntry(now: number, record: IncidentAlert, settings: TriageSettings): TimelineEntry {
  return entry(now, 'flapping', `Flapping: ${record.name} changed between firing and resolved ${settings.flap.changes} times within ${settings.flap.windowMinutes} min. Notifications are held while it flaps; counts keep updating.`);
}

/**
 * A Lifeboat-made timeline entry. No `by` (absent means Lifeboat) and no fingerprint: an alert
 * arrival is the one entry every new alert adds, so it is kept short to stay inside the memory
 * budget per open alert. The full alert is in the incident's alert records.
 */
export function entry(at: number, kind: TimelineEntry['kind'], text: string): TimelineEntry {
  return { at, kind, text: clipText(text, kind === 'alert' || kind === 'opened' ? ALERT_ENTRY_MAX : TIMELINE_TEXT_MAX) };
}

/** Alert arrival entries are clipped harder than the rest (see {@link entry}). */
const ALERT_ENTRY_MAX = 160;

export function describe(alert: Alert): string {
  return alert.summary && alert.summary !== alert.name ? `${alert.name} — ${alert.summary}` : alert.name;
}

export function copy(incident: Incident): Incident {
  return { ...incident, counts: { ...incident.counts }, target: { ...incident.target } };
}
