import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEscalationStore } from '../../../src/adapters/redis/redis-escalation-store.js';
import type { EscalationState, FiredTimer } from '../../../src/escalation/ports.js';
import { BullTimerScheduler, queueLagSeconds, timerJobId } from '../../../src/jobs/timers.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { testPrefix, testRedis } from '../../support/redis.js';
import { until } from '../../support/wait.js';
import { dropKeys, timerProcess, type TimerProcess } from './support.js';

let redis: Redis;
const open: TimerProcess[] = [];
const prefixes: string[] = [];

beforeAll(() => {
  redis = testRedis();
});
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
  for (const p of prefixes.splice(0)) await dropKeys(redis, p);
});
afterAll(() => redis.disconnect());

async function start(prefix: string, handler?: (t: FiredTimer) => Promise<void>) {
  const p = await timerProcess(prefix, handler);
  open.push(p);
  return p;
}

function fresh(name: string): string {
  const p = testPrefix(name);
  prefixes.push(p);
  return p;
}

describe('BullTimerScheduler + TimerWorker', () => {
  it('fires a timer at its due time, once, with its payload — even when scheduled twice by two processes', async () => {
    const prefix = fresh('timers');
    const fired: FiredTimer[] = [];
    const a = await start(prefix, (t) => { fired.push(t); return Promise.resolve(); });
    const b = await start(prefix, (t) => { fired.push(t); return Promise.resolve(); });
    const dueAt = Date.now() + 600;
    await Promise.all([
      a.scheduler.schedule('esc:inc-abc234:0:1', dueAt, { kind: 'escalation-step', incidentId: 'inc-abc234', step: 0, generation: 1 }),
      b.scheduler.schedule('esc:inc-abc234:0:1', dueAt, { kind: 'escalation-step', incidentId: 'inc-abc234', step: 0, generation: 1 }),
      a.scheduler.schedule('esc:inc-abc234:0:1', dueAt, { kind: 'escalation-step', incidentId: 'inc-abc234', step: 0, generation: 1 }),
    ]);
    expect(await a.scheduler.counts()).toMatchObject({ delayed: 1 });
    await until(() => fired.length > 0, 'the timer');
    await new Promise((r) => setTimeout(r, 300));
    expect(fired).toHaveLength(1);
    const [t] = fired;
    expect(t).toMatchObject({ id: 'esc:inc-abc234:0:1', dueAt, attempt: 1, payload: { kind: 'escalation-step', incidentId: 'inc-abc234', step: 0, generation: 1 } });
    expect(t!.firedAt - dueAt).toBeGreaterThanOrEqual(0);
    expect(t!.firedAt - dueAt).toBeLessThan(500);
    expect(timerJobId('esc:inc-abc234:0:1')).toBe('esc.inc-abc234.0.1');
  });

  it('fires the one-shot timers due on a simulated clock that runs ahead of real time (drills), and only those', async () => {
    const prefix = fresh('timers');
    const fired: string[] = [];
    const p = await start(prefix, (t) => {
      fired.push(t.id);
      return Promise.resolve();
    });
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 9, 14));
    const drillTimers = new BullTimerScheduler({ connection: p.producer, logger: silentLogger, prefix, clock });
    try {
      // Due in 5 and 30 simulated minutes: BullMQ alone would wait that long in real time.
      await drillTimers.schedule('esc:inc-sim:0:1', clock.now() + 5 * 60_000, { kind: 'escalation-step', incidentId: 'inc-sim', step: 0, generation: 1 });
      await drillTimers.schedule('esc:inc-sim:1:1', clock.now() + 30 * 60_000, { kind: 'escalation-step', incidentId: 'inc-sim', step: 1, generation: 1 });
      await drillTimers.scheduleRepeating('sweep', 60_000, { kind: 'escalation-sweep' });
      expect(await drillTimers.promoteDue(clock.now())).toBe(0);
      clock.advance(10 * 60_000); // `drill advance 10m`
      expect(await drillTimers.promoteDue(clock.now())).toBe(1);
      await until(() => fired.includes('esc:inc-sim:0:1'), 'the due timer');
      await new Promise((r) => setTimeout(r, 200));
      // (A repeating timer runs once when it is set up, then on real time: promoteDue leaves it alone.)
      expect(fired.filter((id) => id !== 'sweep')).toEqual(['esc:inc-sim:0:1']);
      expect(await drillTimers.counts()).toMatchObject({ delayed: 2 }); // step 1, and the repeating sweep's next run
    } finally {
      await drillTimers.cancelRepeating('sweep');
      await drillTimers.close();
    }
  });

  it('cancels a pending timer; a fired id can be scheduled again', async () => {
    const prefix = fresh('timers');
    const fired: string[] = [];
    const p = await start(prefix, (t) => { fired.push(t.id); return Promise.resolve(); });
    await p.scheduler.schedule('a', Date.now() + 60_000, { kind: 'x' });
    expect(await p.scheduler.cancel('a')).toBe(true);
    expect(await p.scheduler.cancel('a')).toBe(false);
    await p.scheduler.schedule('b', Date.now(), { kind: 'x' });
    await until(() => fired.includes('b'), 'b');
    await p.scheduler.schedule('b', Date.now(), { kind: 'x' });
    await until(() => fired.filter((id) => id === 'b').length === 2, 'b again');
    expect(fired).toEqual(['b', 'b']);
  });

  it('retries a timer whose handler throws', async () => {
    const prefix = fresh('timers');
    const attempts: number[] = [];
    const p = await start(prefix, (t) => {
      attempts.push(t.attempt);
      return t.attempt < 3 ? Promise.reject(new Error('Redis blinked')) : Promise.resolve();
    });
    await p.scheduler.schedule('flaky', Date.now(), { kind: 'x' });
    await until(() => attempts.length === 3, 'three attempts');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('runs a repeating timer once per interval across two processes that both register it', async () => {
    const prefix = fresh('timers');
    const fired: number[] = [];
    const handler = () => { fired.push(Date.now()); return Promise.resolve(); };
    const a = await start(prefix, handler);
    const b = await start(prefix, handler);
    await a.scheduler.scheduleRepeating('heartbeat-check', 1000, { kind: 'heartbeat-check' });
    await b.scheduler.scheduleRepeating('heartbeat-check', 1000, { kind: 'heartbeat-check' });
    expect(await a.scheduler.repeatingIds()).toEqual(['heartbeat-check']);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 3500));
    const elapsed = Date.now() - started;
    // One per second for both processes together (never two per tick).
    expect(fired.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 1000) - 1);
    expect(fired.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    const gaps = fired.slice(1).map((t, i) => t - fired[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(700);
    await a.scheduler.cancelRepeating('heartbeat-check');
    expect(await b.scheduler.repeatingIds()).toEqual([]);
  });

  it('reports queue lag: a due timer nobody runs', async () => {
    const prefix = fresh('timers');
    const p = await start(prefix); // a scheduler only: no worker runs
    expect(await p.scheduler.lagSeconds()).toBe(0);
    await p.scheduler.schedule('soon', Date.now() + 200, { kind: 'x' });
    await p.scheduler.schedule('later', Date.now() + 60_000, { kind: 'x' });
    expect(await p.scheduler.lagSeconds()).toBe(0);
    await new Promise((r) => setTimeout(r, 1200));
    // Due a second ago and still not started: that is the lag an alert should watch.
    const lag = await queueLagSeconds(redis, { prefix }, Date.now());
    expect(lag).toBeGreaterThan(0.9);
    expect(lag).toBeLessThan(2);
  });
});

describe('RedisEscalationStore', () => {
  it('writes chain state compare-and-set and claims a step once (SET NX with a lease)', async () => {
    const prefix = fresh('esc');
    const store = new RedisEscalationStore(redis, { prefix });
    const s: EscalationState = { incidentId: 'inc-abc234', version: 0, generation: 1, mode: 'running', nextStep: 0, startedAt: 1, updatedAt: 1, paged: [] };
    const first = await store.compareAndSet(s, 0);
    expect(first?.version).toBe(1);
    expect(await store.compareAndSet(s, 0)).toBeUndefined();
    expect(await store.compareAndSet({ ...s, nextStep: 1 }, 1)).toMatchObject({ version: 2, nextStep: 1 });
    expect(await store.get('inc-abc234')).toMatchObject({ version: 2, nextStep: 1, generation: 1 });

    const key = 'escalated:inc-abc234:0:1';
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((o) => store.claim(key, o, 10_000)));
    expect([...results].sort()).toEqual(['busy', 'busy', 'busy', 'claimed']);
    const winner = ['a', 'b', 'c', 'd'][results.indexOf('claimed')] ?? 'a';
    await store.complete(key, 'someone-else', 60_000);
    expect(await store.claim(key, 'e', 10_000)).toBe('busy');
    await store.complete(key, winner, 60_000);
    expect(await store.claim(key, 'e', 10_000)).toBe('done');
    expect(await redis.get(`${prefix}:${key}`)).toBe('done');
    // A lease that runs out (its holder crashed) can be taken over.
    expect(await store.claim('escalated:inc-abc234:1:1', 'x', 50)).toBe('claimed');
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.claim('escalated:inc-abc234:1:1', 'y', 10_000)).toBe('claimed');
  });

  it('keeps heartbeats and synthetic streaks', async () => {
    const prefix = fresh('esc');
    const store = new RedisEscalationStore(redis, { prefix });
    expect(await store.record('wd', 100)).toBeUndefined();
    expect(await store.record('wd', 90)).toBe(100);
    expect(await store.record('wd', 200)).toBe(100);
    expect(await store.lastSeen(['wd', 'none'])).toEqual(new Map([['wd', 200]]));
    expect(await store.registered('wd', 5)).toBe(5);
    expect(await store.registered('wd', 6)).toBe(5);
    expect(await store.markBlind('wd', 200)).toBe(true);
    expect(await store.markBlind('wd', 300)).toBe(false);
    expect(await store.blindSince(['wd'])).toEqual(new Map([['wd', 200]]));
    expect(await store.clearBlind('wd')).toBe(200);
    expect(await store.clearBlind('wd')).toBeUndefined();

    expect(await store.recordFailure('api', 1000, 'HTTP 503')).toEqual({ failures: 1, since: 1000 });
    expect(await store.recordFailure('api', 2000, 'HTTP 503')).toEqual({ failures: 2, since: 1000 });
    expect(await store.markOpened('api', 1000)).toBe(true);
    expect((await store.status(['api'])).get('api')).toEqual({ failures: 2, since: 1000, lastAt: 2000, lastDetail: 'HTTP 503', openedFor: 1000 });
    expect(await store.recordSuccess('api', 3000)).toEqual({ openedFor: 1000 });
    expect((await store.status(['api'])).get('api')).toEqual({ failures: 0, lastAt: 3000, lastDetail: 'ok' });
  });
});
