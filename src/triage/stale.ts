import type { Incident } from '../incidents/model.js';
import { formatDuration } from '../incidents/state-machine.js';
import { HOUR_MS, MINUTE_MS, type TriageSettings } from './settings.js';

/** Why an incident is stale, as a phrase for timelines and cards. */
export interface Staleness {
  rule: 'acked-idle' | 'open-too-long';
  /** e.g. "acknowledged by ana 3 h ago with no activity since". */
  reason: string;
}

/**
 * The stale-incident rule: an incident that is acknowledged (or mitigated) with no activity
 * for `ackedIdleMinutes`, or open for `openHours`, must not swallow a new firing alert —
 * that is how one old unresolved alert keeps a new failure from ever paging anybody. A snooze
 * holds the rule until it ends: someone asked for quiet until then.
 *
 * Activity is what people and jobs do (see `Incident.lastActivityAt`), never alert arrivals.
 */
export function staleness(incident: Incident, now: number, stale: TriageSettings['stale']): Staleness | undefined {
  if (incident.state === 'resolved') return undefined;
  const snoozedUntil = incident.snoozedUntil ?? 0;
  if (snoozedUntil > now) return undefined;

  const openFor = now - incident.openedAt;
  if (openFor >= stale.openHours * HOUR_MS) {
    return { rule: 'open-too-long', reason: `open for ${formatDuration(openFor)} (more than ${stale.openHours} h)` };
  }
  if (incident.state === 'acknowledged' || incident.state === 'mitigated') {
    const quietSince = Math.max(incident.lastActivityAt, snoozedUntil);
    const idle = now - quietSince;
    if (idle >= stale.ackedIdleMinutes * MINUTE_MS) {
      const who = incident.state === 'mitigated' ? `mitigated${incident.mitigatedBy ? ` by ${incident.mitigatedBy}` : ''}` : `acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}`;
      return { rule: 'acked-idle', reason: `${who}, with no activity for ${formatDuration(idle)}` };
    }
  }
  return undefined;
}
