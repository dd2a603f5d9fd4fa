import { MINUTE_MS, type TriageSettings } from './settings.js';

/** Accepted alerts per clock minute, as counted by the store across processes. */
export interface MinuteCounts {
  thisMinute: number;
  lastMinute: number;
}

/**
 * Alerts per minute over the last 60 s, estimated from two fixed clock-minute buckets (the
 * sliding-window approximation rate limiters use): the previous minute weighted by how much of
 * it still lies inside the window. Two counters instead of a log of timestamps keep it O(1).
 */
export function alertsPerMinute(counts: MinuteCounts, now: number): number {
  const elapsed = (now % MINUTE_MS) / MINUTE_MS;
  return Math.round(counts.thisMinute + counts.lastMinute * (1 - elapsed));
}

/**
 * Storm mode: more alerts than people can read one by one. The notifier then switches to one
 * summary card that updates, instead of a card per incident.
 */
export function isStorm(rate: number, storm: TriageSettings['storm']): boolean {
  return rate > storm.alertsPerMinute;
}

/** The clock minute a time falls in: the bucket the store counts it under. */
export function minuteOf(now: number): number {
  return Math.floor(now / MINUTE_MS);
}
