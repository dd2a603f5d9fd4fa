import { MINUTE_MS, type TriageSettings } from './settings.js';

/**
 * Records one firing ↔ resolved change in an alert's change list, keeping only the newest
 * `flap.changes` (all flap detection needs), so a record stays small however often it flaps.
 */
export function recordChange(changes: readonly number[], now: number, flap: TriageSettings['flap']): number[] {
  return [...changes, now].slice(-flap.changes);
}

/** An alert flaps when its last `flap.changes` changes all fell within `flap.windowMinutes`. */
export function isAlertFlapping(changes: readonly number[], now: number, flap: TriageSettings['flap']): boolean {
  const oldest = changes.length >= flap.changes ? changes[changes.length - flap.changes] : undefined;
  return oldest !== undefined && now - oldest <= flap.windowMinutes * MINUTE_MS;
}

/** Until when an incident counts as flapping after one of its alerts flapped at `now`. */
export function flappingUntil(now: number, flap: TriageSettings['flap']): number {
  return now + flap.windowMinutes * MINUTE_MS;
}

/** Whether an incident with this `flappingUntil` is flapping at `now`. */
export function isFlappingAt(until: number | undefined, now: number): boolean {
  return until !== undefined && until > now;
}
