import type { Alert } from '../intake/alert.js';
import { ALERT_NAME_MAX, ALERT_SUMMARY_MAX, clipText, type IncidentAlert } from '../incidents/model.js';
import { isMoreSpecific, maxSeverity, morePreciseFailure } from './classify.js';
import { recordChange } from './flapping.js';
import type { TriageSettings } from './settings.js';

/** The record of an alert the incident has not seen before. */
export function newAlertRecord(alert: Alert, now: number): IncidentAlert {
  const record: IncidentAlert = {
    fingerprint: alert.fingerprint,
    status: 'firing',
    source: alert.source,
    name: clipText(alert.name, ALERT_NAME_MAX),
    summary: clipText(alert.summary, ALERT_SUMMARY_MAX),
    severity: alert.severity,
    class: alert.class,
    firstSeenAt: now,
    lastSeenAt: now,
    lastChangeAt: now,
    received: 1,
    changes: [],
  };
  if (alert.pullFailure) record.pullFailure = alert.pullFailure;
  return record;
}

/**
 * The record after a firing delivery of the same alert: the newest wording (a stopped task's
 * summary names the newest task) and the worst severity and most specific class seen so far.
 */
export function seenFiring(record: IncidentAlert, alert: Alert, now: number, flap: TriageSettings['flap']): IncidentAlert {
  const next: IncidentAlert = {
    ...record,
    name: clipText(alert.name, ALERT_NAME_MAX),
    summary: clipText(alert.summary, ALERT_SUMMARY_MAX),
    severity: maxSeverity(record.severity, alert.severity),
    class: isMoreSpecific(alert.class, record.class) ? alert.class : record.class,
    lastSeenAt: now,
    received: record.received + 1,
  };
  const failure = morePreciseFailure(record.pullFailure, alert.pullFailure);
  if (failure) next.pullFailure = failure;
  if (record.status === 'resolved') {
    next.status = 'firing';
    next.lastChangeAt = now;
    next.changes = recordChange(record.changes, now, flap);
  }
  return next;
}

/** The record after its alert resolved at the source (directly, or via `resolvesFingerprints`). */
export function seenResolved(record: IncidentAlert, now: number, ownDelivery: boolean, flap: TriageSettings['flap']): IncidentAlert {
  return {
    ...record,
    status: 'resolved',
    lastSeenAt: ownDelivery ? now : record.lastSeenAt,
    received: ownDelivery ? record.received + 1 : record.received,
    lastChangeAt: now,
    changes: recordChange(record.changes, now, flap),
  };
}
