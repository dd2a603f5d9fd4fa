import { LIFEBOAT, type Incident } from '../incidents/model.js';
import type { AlertPlan, IncidentWrite } from '../incidents/ports.js';
import { incidentTitle, isMoreSpecific, maxSeverity, mergeTarget, morePreciseFailure } from './classify.js';
import { copy, describe, entry, freshIncident } from './drafts.js';
import type { TriageDecision } from './outcome.js';
import { newAlertRecord, seenFiring } from './records.js';
import type { Staleness } from './stale.js';
import type { TriageInput } from './triage-input.js';

/**
 * The stale-incident rule, as a linked new incident: the stale one is resolved as superseded
 * and its firing alerts move to the new one, so the group still has one active incident, the
 * new card lands at the bottom of the channel and escalation starts from the beginning.
 * docs/incidents.md explains why this beats reopening the stale incident in place.
 */
export function continueStaleIncident(input: TriageInput, stale: Incident, why: Staleness): AlertPlan<TriageDecision> {
  const { alert, snapshot, settings, now } = input;
  const known = snapshot.alerts.get(alert.fingerprint);
  const alreadyFiring = known?.status === 'firing';
  const record = known ? seenFiring(known, alert, now, settings.flap) : newAlertRecord(alert, now);

  const next = freshIncident(input);
  next.linkedIncidentId = stale.id;
  next.severity = maxSeverity(stale.severity, alert.severity);
  next.target = mergeTarget(stale.target, alert.target);
  next.truncatedAlerts = Math.max(stale.truncatedAlerts, alert.truncatedAlerts ?? 0);
  if (!isMoreSpecific(alert.class, stale.class) && alert.class !== stale.class) {
    next.class = stale.class;
    next.summary = stale.summary;
  }
  const failure = morePreciseFailure(stale.pullFailure, alert.pullFailure);
  if (failure) next.pullFailure = failure;
  next.title = incidentTitle(next.target, next.class, next.pullFailure, stale.title);
  const carried = stale.counts.firing - (alreadyFiring ? 1 : 0);
  next.counts = { alerts: carried + 1, firing: carried + 1, received: 1, duplicates: 0, stateChanges: 0 };

  const superseded = copy(stale);
  superseded.state = 'resolved';
  superseded.resolution = 'superseded';
  superseded.supersededBy = next.id;
  superseded.resolvedAt = now;
  superseded.resolvedBy = LIFEBOAT.name;
  superseded.updatedAt = now;
  delete superseded.snoozedUntil;

  const writes: IncidentWrite[] = [
    {
      incident: superseded,
      isNew: false,
      alerts: [],
      timeline: [entry(now, 'superseded', `Continued by ${next.id}: ${alert.name} fired while this incident was ${why.reason}. A new alert is never just counted on a stale incident.`)],
    },
    {
      incident: next,
      isNew: true,
      alerts: [record],
      carryFiringAlertsFrom: stale.id,
      timeline: [
        entry(now, 'linked', `Continues ${stale.id}, which was ${why.reason}${carried > 0 ? `; its ${carried} other firing alert${carried === 1 ? '' : 's'} moved here` : ''}.`),
        entry(now, 'opened', `Opened from ${alert.source}: ${describe(alert)}`),
      ],
    },
  ];
  return {
    writes,
    pointer: next.id,
    result: { kind: 'stale-linked', notify: 'renotify', escalation: 'restart', incidentId: next.id, previousId: stale.id, reason: why.reason },
  };
}
