import type { Incident, IncidentAlert, TimelineEntry } from '../incidents/model.js';
import type { AlertPlan } from '../incidents/ports.js';
import { clearForReopen, formatDuration } from '../incidents/state-machine.js';
import { absorb, copy, describe, entry, flappingEntry, freshIncident } from './drafts.js';
import { flappingUntil, isAlertFlapping, isFlappingAt } from './flapping.js';
import type { TriageDecision } from './outcome.js';
import { newAlertRecord, seenFiring } from './records.js';
import { resolveAlerts } from './resolve.js';
import { MINUTE_MS } from './settings.js';
import { staleness } from './stale.js';
import { continueStaleIncident } from './stale-link.js';
import type { TriageInput } from './triage-input.js';

export type { TriageInput } from './triage-input.js';

/**
 * Decides what one alert does to its group, as a plan for the store: open, attach, count as a
 * duplicate, resolve, reopen, or — the stale-incident rule — continue a stale incident in a new
 * linked one. Pure: the same snapshot and alert always give the same plan (bar the new id).
 */
export function triageAlert(input: TriageInput): AlertPlan<TriageDecision> {
  const plan = decide(input);
  if (plan.result.incidentId) plan.incidentId = plan.result.incidentId;
  return plan;
}

function decide(input: TriageInput): AlertPlan<TriageDecision> {
  const { alert, snapshot, settings, now } = input;
  if (alert.status === 'resolved') return resolveAlerts(input);
  const current = snapshot.current;
  if (!current) return openIncident(input);
  if (current.state === 'resolved') {
    const sinceResolved = current.resolvedAt === undefined ? Infinity : now - current.resolvedAt;
    const reopenable = current.resolution !== 'superseded' && sinceResolved <= settings.reopenWindowMinutes * MINUTE_MS;
    return reopenable ? reopenIncident(input, current, sinceResolved) : openIncident(input);
  }
  const stale = staleness(current, now, settings.stale);
  if (stale) return continueStaleIncident(input, current, stale);
  return attachFiring(input, current);
}

function openIncident(input: TriageInput): AlertPlan<TriageDecision> {
  const { alert, now } = input;
  const incident = freshIncident(input);
  return {
    writes: [{ incident, isNew: true, alerts: [newAlertRecord(alert, now)], timeline: [entry(now, 'opened', `Opened from ${alert.source}: ${describe(alert)}`)] }],
    pointer: incident.id,
    result: { kind: 'opened', notify: 'new-card', escalation: 'start', incidentId: incident.id },
  };
}

interface FiringChange {
  incident: Incident;
  record: IncidentAlert;
  timeline: TimelineEntry[];
  /** What happened to the alert's record. */
  change: 'new' | 'duplicate' | 'still-firing' | 'fired-again';
  startedFlapping: boolean;
}

/** Applies a firing alert to a copy of an incident: counts, record, class, severity, flapping. */
function applyFiring(input: TriageInput, base: Incident): FiringChange {
  const { alert, snapshot, settings, now } = input;
  const incident = copy(base);
  incident.counts.received += 1;
  incident.updatedAt = now;
  incident.lastAlertAt = now;
  absorb(incident, alert);

  const known = snapshot.alerts.get(alert.fingerprint);
  const timeline: TimelineEntry[] = [];
  let change: FiringChange['change'];
  let record: IncidentAlert;
  if (!known) {
    change = 'new';
    record = newAlertRecord(alert, now);
    incident.counts.alerts += 1;
    incident.counts.firing += 1;
    timeline.push(entry(now, 'alert', `New alert: ${describe(alert)}`));
  } else {
    record = seenFiring(known, alert, now, settings.flap);
    if (known.status === 'resolved') {
      change = 'fired-again';
      incident.counts.firing += 1;
      incident.counts.stateChanges += 1;
      timeline.push(entry(now, 'alert', `Fired again: ${describe(alert)}`));
    } else if (now - known.lastSeenAt < settings.dedupWindowMinutes * MINUTE_MS) {
      change = 'duplicate';
      incident.counts.duplicates += 1;
    } else {
      change = 'still-firing';
      timeline.push(entry(now, 'alert', `Still firing (${record.received}× so far): ${describe(alert)}`));
    }
  }

  let startedFlapping = false;
  if (change === 'fired-again' && isAlertFlapping(record.changes, now, settings.flap)) {
    startedFlapping = !isFlappingAt(base.flappingUntil, now);
    incident.flappingUntil = flappingUntil(now, settings.flap);
    if (startedFlapping) timeline.push(flappingEntry(now, record, settings));
  }
  incident.flapping = isFlappingAt(incident.flappingUntil, now);
  return { incident, record, timeline, change, startedFlapping };
}

function attachFiring(input: TriageInput, current: Incident): AlertPlan<TriageDecision> {
  const applied = applyFiring(input, current);
  const { incident, change } = applied;
  let notify: TriageDecision['notify'] = 'update-card';
  if (change === 'duplicate') notify = 'none';
  // Flapping holds notifications about alerts going back and forth; the start of it is shown once.
  else if (change === 'fired-again' && incident.flapping && !applied.startedFlapping) notify = 'none';
  return {
    writes: [{ incident, isNew: false, alerts: [applied.record], timeline: applied.timeline }],
    result: { kind: change === 'duplicate' ? 'duplicate' : 'attached', notify, escalation: 'keep', incidentId: incident.id },
  };
}

function reopenIncident(input: TriageInput, current: Incident, sinceResolvedMs: number): AlertPlan<TriageDecision> {
  const { alert, now } = input;
  const applied = applyFiring(input, current);
  const { incident } = applied;
  clearForReopen(incident, now);
  incident.lastActivityAt = now;
  const reopened = entry(now, 'state', `Reopened: ${alert.name} fired ${formatDuration(sinceResolvedMs)} after the incident was resolved.`);
  return {
    writes: [{ incident, isNew: false, alerts: [applied.record], timeline: [reopened, ...applied.timeline] }],
    result: {
      kind: 'reopened',
      // While it flaps (this change included), reopening is part of the flapping: show it on the card, ping nobody.
      notify: incident.flapping ? 'update-card' : 'renotify',
      // Restarting escalation on every flap would reset its timer forever: a flapping incident keeps the one it has.
      escalation: incident.flapping ? 'keep' : 'restart',
      incidentId: incident.id,
      reason: `fired again ${formatDuration(sinceResolvedMs)} after it was resolved`,
    },
  };
}

