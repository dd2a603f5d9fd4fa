import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Alert } from '../../../src/intake/alert.js';
import type { IntakeResult } from '../../../src/intake/result.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/intake');

/** The raw text of a fixture (what a route would receive). */
export function fixtureText(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

/** A fixture parsed as JSON; tests edit fixtures freely, hence `any` by default. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export function fixture<T = any>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}

/** Every JSON fixture in a topic folder. */
export function fixtureFiles(topic: string): string[] {
  return readdirSync(join(FIXTURES, topic))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${topic}/${f}`)
    .sort();
}

/** Asserts a successful result and returns its alerts. */
export function alertsOf(result: IntakeResult): Alert[] {
  if (!result.ok) throw new Error(`expected alerts, got ${result.error.code}: ${result.error.reason}`);
  return result.alerts;
}

/** Asserts exactly one alert. */
export function onlyAlert(result: IntakeResult): Alert {
  const list = alertsOf(result);
  expect(list).toHaveLength(1);
  return list[0]!;
}

/** Asserts an ignored result and returns its reason. */
export function ignoredReason(result: IntakeResult): string {
  if (!result.ok) throw new Error(`expected ignored, got ${result.error.code}: ${result.error.reason}`);
  expect(result.alerts).toEqual([]);
  expect(result.ignored).toBeTypeOf('string');
  return result.ignored!;
}

/** Asserts a refusal and returns it. */
export function refusal(result: IntakeResult): { code: string; status: number; reason: string } {
  if (result.ok) throw new Error(`expected a refusal, got ${result.alerts.length} alert(s) / ignored: ${result.ignored ?? '-'}`);
  return { code: result.error.code, status: result.error.status, reason: result.error.reason };
}
