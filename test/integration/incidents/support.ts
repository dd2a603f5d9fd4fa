import type { Redis } from 'ioredis';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import type { Clock } from '../../../src/core/clock.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import { defaultTriageSettings, type TriageSettings } from '../../../src/triage/settings.js';
import { testPrefix } from '../../support/redis.js';
import { sequentialIds } from '../../unit/incidents/harness.js';

/** A Redis incident store under a fresh prefix, with ingest on top. */
export function redisIngest(redis: Redis, clock: Clock, options: { settings?: TriageSettings; prefix?: string; deterministicIds?: boolean } = {}) {
  const settings = options.settings ?? defaultTriageSettings;
  const store = new RedisIncidentStore(redis, { clock, prefix: options.prefix ?? testPrefix('inc'), retention: settings.retention });
  const ingest = createIngest({ store, settings, clock, ...(options.deterministicIds ? { newId: sequentialIds() } : {}) });
  return { store, ingest, settings };
}

/** Every key under a store's base prefix. */
export async function keysUnder(redis: Redis, base: string): Promise<string[]> {
  const keys: string[] = [];
  const pattern = `${base.replace(/[[\]{}*?\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** Bytes Redis uses for these keys (`MEMORY USAGE … SAMPLES 0` = exact for aggregates). */
export async function memoryOf(redis: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((sum, [err, value]) => (err ? sum : sum + Number(value ?? 0)), 0);
}

/**
 * Counts the commands a client sends, i.e. its round trips (this store sends no pipelines on the
 * ingest path). Wraps the one client instance the test owns; no module is patched.
 */
export function countCommands(redis: Redis): { readonly count: number; readonly names: string[]; reset(): void } {
  const names: string[] = [];
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<typeof original>[0], stream?: Parameters<typeof original>[1]) => {
    names.push(command.name);
    return original(command, stream);
  });
  return {
    get count() {
      return names.length;
    },
    names,
    reset() {
      names.length = 0;
    },
  };
}
