import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { Alert } from '../../../src/intake/alert.js';
import type { IngestOutcome } from '../../../src/triage/outcome.js';
import { defaultTriageSettings, triageSettingsSchema } from '../../../src/triage/settings.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';
import { alarm, stoppedTask, steadyState, taskStartImpaired } from '../../unit/incidents/alerts.js';
import { countCommands, keysUnder, memoryOf, redisIngest } from './support.js';

const redis = testRedis();
const second = testRedis();
afterAll(() => {
  redis.disconnect();
  second.disconnect();
});

const SERVICES = ['api', 'web', 'worker', 'billing', 'search'];

/** 100 alerts per service: mostly stopped tasks, plus the start-impaired event and a CloudWatch alarm. */
function fiveHundredAlerts(): Alert[] {
  const alerts: Alert[] = [];
  for (let i = 0; i < 100; i++) {
    for (const service of SERVICES) {
      if (i === 10) alerts.push(taskStartImpaired(service));
      else if (i === 20) alerts.push(alarm(`${service}-running-tasks-low`, 'ALARM', { service }));
      else alerts.push(stoppedTask(service));
    }
  }
  return alerts;
}

function kinds(outcomes: readonly IngestOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}

describe('RedisIncidentStore', () => {
  it('stores the same payload delivered three times once', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    const alert = stoppedTask('api');
    const outcomes = await Promise.all([ingest(alert), ingest(alert), ingest(alert)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['duplicate-delivery', 'duplicate-delivery', 'opened']);
    const open = await store.listOpen();
    expect(open).toHaveLength(1);
    expect(open[0]?.counts).toMatchObject({ received: 1, duplicates: 0 });
    const deliveryTtl = await redis.pttl((await keysUnder(redis, store.keyBase)).find((k) => k.includes('}:d:'))!);
    expect(deliveryTtl).toBeGreaterThan(23 * 3_600_000);
    expect(deliveryTtl).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('turns 500 alerts across 5 services into 5 incidents, one per service', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    const outcomes = await Promise.all(fiveHundredAlerts().map((a) => ingest(a)));
    expect(kinds(outcomes).opened).toBe(5);
    const open = await store.listOpen(50);
    expect(open.map((i) => i.target.service).sort()).toEqual([...SERVICES].sort());
    for (const incident of open) {
      expect(incident).toMatchObject({ class: 'image-pull-failed', counts: { received: 100, alerts: 3, firing: 3 } });
    }
  });

  it('makes one incident per group, and exactly one "opened", when two processes ingest the same alerts concurrently', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix('inc');
    const a = redisIngest(redis, clock, { prefix });
    const b = redisIngest(second, clock, { prefix });
    const alerts = fiveHundredAlerts();
    // Every alert reaches both replicas (as SNS to two subscribers or a retried delivery would), interleaved.
    const outcomes = await Promise.all(alerts.flatMap((alert, n) => (n % 2 ? [a.ingest(alert), b.ingest(alert)] : [b.ingest(alert), a.ingest(alert)])));
    const byKind = kinds(outcomes);
    expect(byKind.opened).toBe(5);
    expect(byKind['duplicate-delivery']).toBe(500);
    const open = await a.store.listOpen(50);
    expect(open).toHaveLength(5);
    for (const incident of open) expect(incident.counts.received).toBe(100);
    const openedPerGroup = new Map<string, number>();
    for (const o of outcomes) if (o.kind === 'opened') openedPerGroup.set(o.incident!.groupKey, (openedPerGroup.get(o.incident!.groupKey) ?? 0) + 1);
    expect([...openedPerGroup.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  it('opens one incident when two processes receive two different alerts of a new group at the same moment', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix('inc');
    const a = redisIngest(redis, clock, { prefix });
    const b = redisIngest(second, clock, { prefix });
    for (let round = 0; round < 20; round++) {
      const service = `svc-${round}`;
      const [x, y] = await Promise.all([a.ingest(stoppedTask(service)), b.ingest(taskStartImpaired(service))]);
      expect([x.kind, y.kind].sort()).toEqual(['attached', 'opened']);
      expect(x.incident?.id).toBe(y.incident?.id);
    }
    expect(await a.store.listOpen(100)).toHaveLength(20);
  });

  it('decides on fresh state when another process changed the group since this one last saw it', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix('inc');
    const a = redisIngest(redis, clock, { prefix });
    const b = redisIngest(second, clock, { prefix });
    const opened = await a.ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    await b.ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    // a still remembers the alarm firing; the store must notice and reopen, not count a duplicate.
    const again = await a.ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    expect(again).toMatchObject({ kind: 'reopened', incident: { id: opened.incident?.id, counts: { firing: 1, stateChanges: 2 } } });
  });

  it('serialises racing ack and resolve into one consistent history', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix('inc');
    const a = redisIngest(redis, clock, { prefix });
    const b = redisIngest(second, clock, { prefix });
    for (let round = 0; round < 25; round++) {
      const opened = await a.ingest(stoppedTask(`race-${round}`));
      const id = opened.incident!.id;
      const [ack, resolve] = await Promise.all([a.store.transition(id, { type: 'ack' }, { id: 'U1', name: 'ana' }), b.store.transition(id, { type: 'resolve' }, { id: 'U2', name: 'bo' })]);
      const details = await a.store.get(id);
      expect(resolve.ok).toBe(true);
      expect(details?.incident.state).toBe('resolved');
      const states = details!.timeline.filter((e) => e.kind === 'state').map((e) => e.text.split(' by ')[0]);
      if (ack.ok) {
        expect(states).toEqual(['Acknowledged', 'Resolved']);
        expect(details?.incident).toMatchObject({ version: 3, acknowledgedBy: 'ana', resolvedBy: 'bo' });
      } else {
        expect(ack.refusal).toEqual({ code: 'already-resolved', message: `${id} is already resolved by bo. Use reopen if it is not over.` });
        expect(states).toEqual(['Resolved']);
        expect(details?.incident.version).toBe(2);
      }
    }
  });

  it('keeps an open alert under 1 KB of Redis memory, deliveries, timeline and indexes included', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    // Worst case: every alert a distinct condition (its own record and timeline entry), all firing.
    const alerts = Array.from({ length: 500 }, (_, n) => alarm(`${SERVICES[n % 5]}-alarm-${n}`, 'ALARM', { service: SERVICES[n % 5]! }));
    await Promise.all(alerts.map((a) => ingest(a)));
    const keys = (await keysUnder(redis, store.keyBase)).filter((k) => !k.includes('}:rate:'));
    const perAlert = (await memoryOf(redis, keys)) / alerts.length;
    expect(perAlert).toBeLessThanOrEqual(1024);

    // The common case: a stopped-task storm (one condition, many deliveries) costs a delivery id each.
    const storm = redisIngest(redis, clock);
    await Promise.all(Array.from({ length: 500 }, (_, n) => storm.ingest(stoppedTask(SERVICES[n % 5]!))));
    const stormKeys = (await keysUnder(redis, storm.store.keyBase)).filter((k) => !k.includes('}:rate:'));
    expect((await memoryOf(redis, stormKeys)) / 500).toBeLessThan(256);
  });

  it('needs one round trip per alert once it knows the group, two when another process changed it', async () => {
    const clock = new ManualClock(Date.now());
    const client = new Redis(testRedisUrl());
    const prefix = testPrefix('inc');
    const { ingest } = redisIngest(client, clock, { prefix });
    await ingest(stoppedTask('warmup')); // loads the script (EVALSHA → NOSCRIPT → EVAL) once per Redis
    const counter = countCommands(client);
    // New groups and known groups alike: one EVALSHA each.
    for (let n = 0; n < 100; n++) await ingest(n % 10 === 0 ? taskStartImpaired(`svc-${n % 5}`) : stoppedTask(`svc-${n % 5}`));
    expect(counter.count).toBe(100);
    expect(new Set(counter.names)).toEqual(new Set(['evalsha']));

    const other = redisIngest(second, clock, { prefix });
    await other.ingest(alarm('svc-1-latency', 'ALARM', { service: 'svc-1' }));
    counter.reset();
    expect(await ingest(stoppedTask('svc-1'))).toMatchObject({ kind: 'duplicate', incident: { counts: { alerts: 2 } } });
    expect(counter.count).toBe(2);
    client.disconnect();
  });

  it('expires a resolved incident and its group pointer after the retention, and keeps active ones', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock, { settings: triageSettingsSchema.parse({ retention: { resolvedDays: 2 } }) });
    const open = await ingest(stoppedTask('keep'));
    const gone = await ingest(stoppedTask('fixed'));
    await ingest(steadyState('fixed'));
    const base = store.keyBase;
    expect(await redis.pttl(`${base}i:${open.incident!.id}`)).toBe(-1);
    for (const key of [`${base}i:${gone.incident!.id}`, `${base}a:${gone.incident!.id}`, `${base}t:${gone.incident!.id}`, `${base}g:${gone.incident!.groupKey}`]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(2 * 86_400_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(2 * 86_400_000);
    }
    // Reopening makes it permanent again.
    const reopened = await store.transition(gone.incident!.id, { type: 'reopen' }, { id: 'U1' });
    expect(reopened.ok).toBe(true);
    expect(await redis.pttl(`${base}i:${gone.incident!.id}`)).toBe(-1);
    expect(await redis.pttl(`${base}g:${gone.incident!.groupKey}`)).toBe(-1);
  });

  it('puts every key under one Redis Cluster hash tag', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix('inc');
    const { ingest, store } = redisIngest(redis, clock, { prefix });
    const out = await ingest(stoppedTask('api'));
    await store.transition(out.incident!.id, { type: 'ack' }, { id: 'U1' });
    const keys = await keysUnder(redis, store.keyBase);
    expect(store.keyBase).toBe(`{${prefix}}:`);
    expect(keys.length).toBeGreaterThanOrEqual(7);
    for (const key of keys) expect(key.startsWith(`{${prefix}}:`)).toBe(true);
    expect(new RedisIncidentStore(redis, { clock, prefix: '{lifeboat}:inc', retention: defaultTriageSettings.retention }).keyBase).toBe('{lifeboat}:inc:');
  });

  it('caps the timeline and counts what it dropped', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock, { settings: triageSettingsSchema.parse({ retention: { timelineEntries: 10 } }) });
    let id = '';
    for (let n = 0; n < 30; n++) id = (await ingest(alarm(`api-alarm-${n}`, 'ALARM', { service: 'api' }))).incident!.id;
    const details = await store.get(id, { timelineLimit: 100 });
    expect(details?.timeline).toHaveLength(10);
    expect(details?.timeline.at(-1)?.text).toContain('api-alarm-29');
    expect(details?.incident.timelineDropped).toBe(20);
    expect(details?.alerts).toHaveLength(30);
  });

  it('appends job entries as activity, and lists by state', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    const a = await ingest(stoppedTask('api'));
    const b = await ingest(stoppedTask('web'));
    clock.advance(60_000);
    const after = await store.appendTimeline(a.incident!.id, { kind: 'job', text: 'check images prod/api: 1 of 3 images missing', by: 'ana' });
    expect(after).toMatchObject({ version: 2, lastActivityAt: clock.now() });
    expect(await store.appendTimeline('inc-zzzzzz', { kind: 'note', text: 'x' })).toBeUndefined();
    await store.transition(b.incident!.id, { type: 'resolve' }, { id: 'U1' });
    expect((await store.list({ state: 'active' })).map((i) => i.id)).toEqual([a.incident!.id]);
    expect((await store.list({ state: 'resolved' })).map((i) => i.id)).toEqual([b.incident!.id]);
    expect((await store.list({ state: 'all' })).map((i) => i.id).sort()).toEqual([a.incident!.id, b.incident!.id].sort());
    expect((await store.get(a.incident!.id))?.timeline.at(-1)).toMatchObject({ kind: 'job', by: 'ana' });
  });

  it('prunes index entries of incidents that expired', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    const out = await ingest(stoppedTask('api'));
    await redis.del(`${store.keyBase}i:${out.incident!.id}`);
    expect(await store.list({ state: 'all' })).toEqual([]);
    expect(await redis.zcard(`${store.keyBase}all`)).toBe(0);
  });

  it('drops expired incidents from the index as later writes happen, so it does not grow forever', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest, store } = redisIngest(redis, clock);
    const gone = await ingest(stoppedTask('old'));
    await ingest(steadyState('old'));
    expect(await redis.zscore(`${store.keyBase}all`, gone.incident!.id)).not.toBeNull();
    clock.advance(15 * 86_400_000);
    await ingest(stoppedTask('new'));
    expect(await redis.zscore(`${store.keyBase}all`, gone.incident!.id)).toBeNull();
    expect(await redis.zcard(`${store.keyBase}expiring`)).toBe(0);
  });

  it('works again after Redis forgets its scripts', async () => {
    const clock = new ManualClock(Date.now());
    const { ingest } = redisIngest(redis, clock);
    await ingest(stoppedTask('api'));
    await redis.script('FLUSH');
    expect(await ingest(taskStartImpaired('api'))).toMatchObject({ kind: 'attached' });
  });

  it('refuses a client with a keyPrefix, whose keys the scripts could not see', () => {
    const prefixed = new Redis(testRedisUrl(), { keyPrefix: 'x:', lazyConnect: true });
    expect(() => new RedisIncidentStore(prefixed, { clock: new ManualClock(), retention: defaultTriageSettings.retention })).toThrow(/without keyPrefix/);
    prefixed.disconnect();
  });
});
