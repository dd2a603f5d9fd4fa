/**
 * One suite, two IncidentStores: the Redis adapter and the in-memory fake the unit tests use.
 * If they ever disagree, the unit tests are testing a fiction.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import type { IncidentStore } from '../../../src/incidents/ports.js';
import type { Alert } from '../../../src/intake/alert.js';
import { defaultTriageSettings } from '../../../src/triage/settings.js';
import { testRedis } from '../../support/redis.js';
import { alarm, stoppedTask, steadyState, taskStartImpaired } from '../../unit/incidents/alerts.js';
import { DAY, MINUTE, sequentialIds } from '../../unit/incidents/harness.js';
import { MemoryIncidentStore } from '../../unit/incidents/memory-incident-store.js';
import { redisIngest } from './support.js';

const redis = testRedis();
afterAll(() => redis.disconnect());

type Step = { advance: number } | { alert: Alert } | { act: 'ack' | 'resolve' | 'reopen' | 'mitigate'; on: number };

/** A day in the life of one service, with a stale incident at the end. */
function scenario(): Step[] {
  const pull = stoppedTask('api');
  return [
    { alert: alarm('api-latency', 'ALARM', { service: 'api' }) },
    { alert: pull },
    { alert: pull },
    { advance: 2 * MINUTE },
    { alert: stoppedTask('api') },
    { alert: taskStartImpaired('api') },
    { act: 'ack', on: 0 },
    { act: 'ack', on: 0 },
    { alert: steadyState('api') },
    { alert: alarm('api-latency', 'OK', { service: 'api' }) },
    { act: 'resolve', on: 0 },
    { advance: 10 * MINUTE },
    { alert: alarm('api-latency', 'ALARM', { service: 'api' }) },
    { act: 'mitigate', on: 0 },
    { advance: 2 * DAY },
    { alert: stoppedTask('api') },
    { act: 'reopen', on: 0 },
    { alert: alarm('other-thing', 'OK') },
  ];
}

async function run(makeStore: (clock: ManualClock) => IncidentStore): Promise<unknown[]> {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 30));
  const store = makeStore(clock);
  const ingest = createIngest({ store, settings: defaultTriageSettings, clock, newId: sequentialIds() });
  const ids: string[] = [];
  const trace: unknown[] = [];
  for (const step of scenario()) {
    if ('advance' in step) {
      clock.advance(step.advance);
    } else if ('alert' in step) {
      const o = await ingest(step.alert);
      if (o.incident && !ids.includes(o.incident.id)) ids.push(o.incident.id);
      trace.push([o.kind, o.notify, o.escalation, o.incident?.id, o.incident?.state, o.incident?.version, o.incident?.counts, o.previous?.state]);
    } else {
      const r = await store.transition(ids[step.on]!, { type: step.act }, { id: 'UANA', name: 'ana' });
      trace.push(r.ok ? ['ok', r.incident.state, r.incident.version, r.entry.text] : ['refused', r.refusal.code]);
    }
  }
  for (const id of ids) {
    const d = await store.get(id);
    trace.push([d?.incident.state, d?.incident.version, d?.alerts.map((a) => [a.name, a.status, a.received]), d?.timeline.map((e) => e.kind)]);
  }
  trace.push((await store.list({ state: 'all' })).map((i) => [i.id, i.state]));
  return trace;
}

describe('IncidentStore contract', () => {
  it('the Redis store and the memory fake tell the same story', async () => {
    const memory = await run((clock) => new MemoryIncidentStore(clock));
    const real = await run((clock) => redisIngest(redis, clock).store);
    expect(real).toEqual(memory);
    // And the story is the intended one.
    expect(memory.slice(0, 8)).toEqual([
      ['opened', 'new-card', 'start', 'inc-test22', 'open', 1, { alerts: 1, firing: 1, received: 1, duplicates: 0, stateChanges: 0 }, undefined],
      ['attached', 'update-card', 'keep', 'inc-test22', 'open', 2, { alerts: 2, firing: 2, received: 2, duplicates: 0, stateChanges: 0 }, undefined],
      ['duplicate-delivery', 'none', 'keep', 'inc-test22', 'open', 2, { alerts: 2, firing: 2, received: 2, duplicates: 0, stateChanges: 0 }, undefined],
      ['duplicate', 'none', 'keep', 'inc-test22', 'open', 3, { alerts: 2, firing: 2, received: 3, duplicates: 1, stateChanges: 0 }, undefined],
      ['attached', 'update-card', 'keep', 'inc-test22', 'open', 4, { alerts: 3, firing: 3, received: 4, duplicates: 1, stateChanges: 0 }, undefined],
      ['ok', 'acknowledged', 5, 'Acknowledged by ana.'],
      ['refused', 'already-acknowledged'],
      ['resolved-alert', 'update-card', 'keep', 'inc-test22', 'acknowledged', 6, { alerts: 3, firing: 1, received: 5, duplicates: 1, stateChanges: 2 }, undefined],
    ]);
    expect((memory[8] as unknown[]).slice(0, 5)).toEqual(['auto-resolved', 'update-card', 'stop', 'inc-test22', 'resolved']);
    expect(memory[9]).toEqual(['refused', 'already-resolved']);
    expect((memory[10] as unknown[]).slice(0, 5)).toEqual(['reopened', 'renotify', 'restart', 'inc-test22', 'open']);
    expect(memory[12]).toEqual(['stale-linked', 'renotify', 'restart', 'inc-test23', 'open', 1, { alerts: 2, firing: 2, received: 1, duplicates: 0, stateChanges: 0 }, 'resolved']);
    expect(memory[13]).toEqual(['refused', 'superseded']);
    expect((memory[14] as unknown[]).slice(0, 4)).toEqual(['ignored', 'none', 'keep', undefined]);
  });
});
