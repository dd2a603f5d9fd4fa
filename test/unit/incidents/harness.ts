import { ManualClock } from '../../../src/core/clock.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import { triageSettingsSchema, type TriageSettings } from '../../../src/triage/settings.js';
import { MemoryIncidentStore } from './memory-incident-store.js';

const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

/** Deterministic incident ids in the real format: inc-test22, inc-test23, … */
export function sequentialIds(): () => string {
  let n = 0;
  return () => {
    const id = `inc-test${ALPHABET[Math.floor(n / ALPHABET.length) % ALPHABET.length]}${ALPHABET[n % ALPHABET.length]}`;
    n += 1;
    return id;
  };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Triage settings from a partial `triage:` section, defaults for the rest. */
export function settingsWith(input: Record<string, unknown> = {}): TriageSettings {
  return triageSettingsSchema.parse(input);
}

/** Ingest over the in-memory store with a fake clock starting at 2026-03-02 09:00:30 UTC. */
export function harness(settings: TriageSettings = settingsWith()) {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 30));
  const store = new MemoryIncidentStore(clock);
  const ingest = createIngest({ store, settings, clock, newId: sequentialIds() });
  return { clock, store, ingest, settings };
}
