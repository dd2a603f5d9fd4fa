import { LIFEBOAT, type IncidentAlert } from '../incidents/model.js';
import type { AlertPlan, IncidentWrite } from '../incidents/ports.js';
import { copy, entry, flappingEntry } from './drafts.js';
import { fingerprintsOf } from './fingerprints.js';
import { flappingUntil, isAlertFlapping, isFlappingAt } from './flapping.js';
import type { TriageDecision } from './outcome.js';
import { seenResolved } from './records.js';
import type { TriageInput } from './triage-input.js';

/**
 * A resolved alert: resolves its own fingerprint and those it names in `resolvesFingerprints`,
 * and resolves the incident itself when its last firing alert is over (`autoResolve`).
 */
export function resolveAlerts(input: TriageInput): AlertPlan<TriageDecision> {
  const { alert, snapshot, settings, now } = input;
  const current = snapshot.current;
  if (!current) return ignore('no incident for this group');
  const ending = fingerprintsOf(alert)
    .map((fp) => snapshot.alerts.get(fp))
    .filter((r): r is IncidentAlert => r?.status === 'firing');
  if (ending.length === 0) return ignore('nothing firing to resolve');

  const incident = copy(current);
  incident.counts.received += 1;
  incident.counts.firing = Math.max(0, incident.counts.firing - ending.length);
  incident.counts.stateChanges += ending.length;
  incident.updatedAt = now;
  incident.lastAlertAt = now;
  const records = ending.map((r) => seenResolved(r, now, r.fingerprint === alert.fingerprint, settings.flap));
  const names = [...new Set(records.map((r) => r.name))].join(', ');
  const timeline = [entry(now, 'alert-resolved', `Resolved at the source: ${names}${ending.length > 1 ? ` (${ending.length} alerts, by ${alert.name})` : ''}.`)];

  const flapper = records.find((r) => isAlertFlapping(r.changes, now, settings.flap));
  let startedFlapping = false;
  if (flapper) {
    startedFlapping = !isFlappingAt(current.flappingUntil, now);
    incident.flappingUntil = flappingUntil(now, settings.flap);
    if (startedFlapping) timeline.push(flappingEntry(now, flapper, settings));
  }
  incident.flapping = isFlappingAt(incident.flappingUntil, now);

  const write: IncidentWrite = { incident, isNew: false, alerts: records, timeline };
  if (current.state !== 'resolved' && incident.counts.firing === 0 && settings.autoResolve) {
    incident.state = 'resolved';
    incident.resolution = 'all-alerts-resolved';
    incident.resolvedAt = now;
    incident.resolvedBy = LIFEBOAT.name;
    delete incident.snoozedUntil;
    timeline.push(entry(now, 'state', `Resolved by itself: all ${incident.counts.alerts} of its alerts resolved.`));
    return { writes: [write], result: { kind: 'auto-resolved', notify: 'update-card', escalation: incident.flapping ? 'keep' : 'stop', incidentId: incident.id } };
  }
  const quiet = current.state === 'resolved' || (incident.flapping && !startedFlapping);
  return { writes: [write], result: { kind: 'resolved-alert', notify: quiet ? 'none' : 'update-card', escalation: 'keep', incidentId: incident.id } };
}

export function ignore(reason: string): AlertPlan<TriageDecision> {
  return { writes: [], result: { kind: 'ignored', notify: 'none', escalation: 'keep', reason } };
}
