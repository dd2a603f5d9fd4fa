/**
 * The durability promise: 1,000 incidents with pending escalation timers survive a restart of
 * every Lifeboat process (all state is in Redis), and each step fires exactly once afterwards —
 * with two processes sharing the work.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEscalationStore } from '../../../src/adapters/redis/redis-escalation-store.js';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { createRedisClient } from '../../../src/adapters/redis/redis-connection.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import type { EscalationChat } from '../../../src/escalation/ports.js';
import { escalationSettingsSchema } from '../../../src/escalation/settings.js';
import { createTimerHandler } from '../../../src/escalation/timer-handler.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import type { Incident } from '../../../src/incidents/model.js';
import { BullTimerScheduler } from '../../../src/jobs/timers.js';
import { defaultTriageSettings } from '../../../src/triage/settings.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';
import { until } from '../../support/wait.js';
import { stoppedTask } from '../../unit/incidents/alerts.js';
import { dropKeys, timerProcess, type TimerProcess } from './support.js';

const INCIDENTS = 1000;
const FIRST_STEP_WAIT_MS = 12_000;

const settings = escalationSettingsSchema.parse({
  policies: [{
    id: 'prod',
    match: { services: ['prod/*'] },
    steps: [
      { waitMinutes: FIRST_STEP_WAIT_MS / 60_000, notify: [{ users: ['U01ANA'] }] },
      { waitMinutes: 60, notify: [{ users: ['U02BO'] }] },
    ],
  }],
});

/** The outside world: every DM and thread post, from whichever process sent it. */
class World implements EscalationChat {
  readonly dms: { incidentId: string; userId: string; at: number }[] = [];
  readonly thread: { incidentId: string; text: string }[] = [];
  toIncident(incident: Incident, message: Message): Promise<void> {
    this.thread.push({ incidentId: incident.id, text: message.summary });
    return Promise.resolve();
  }
  toUser(userId: string, message: Message): Promise<void> {
    const incidentId = /inc-[a-z0-9]{6}/.exec(message.summary)?.[0] ?? '?';
    this.dms.push({ incidentId, userId, at: Date.now() });
    return Promise.resolve();
  }
}

interface LifeboatProcess {
  engine: EscalationEngine;
  incidents: RedisIncidentStore;
  timers: TimerProcess;
  close(): Promise<void>;
}

/** One Lifeboat process: its own Redis connections, stores, engine, timer scheduler and worker. */
async function lifeboatProcess(prefix: string, world: World, fired: { id: string; lateMs: number }[]): Promise<LifeboatProcess> {
  const redis = createRedisClient(testRedisUrl(), { role: 'producer', logger: silentLogger, commandTimeoutMs: 20_000 });
  const incidents = new RedisIncidentStore(redis, { clock: systemClock, prefix: `${prefix}:inc`, retention: defaultTriageSettings.retention });
  const escalation = new RedisEscalationStore(redis, { prefix: `${prefix}:esc` });
  const holder: { engine?: EscalationEngine } = {};
  const timers = await timerProcess(`${prefix}:bull`, (t) => {
    if (!holder.engine) throw new Error('not started');
    return createTimerHandler([holder.engine], silentLogger)(t);
  }, { onFired: (t) => fired.push({ id: t.id, lateMs: t.firedAt - t.dueAt }) });
  const engine = new EscalationEngine({ settings, incidents, state: escalation, claims: escalation, timers: timers.scheduler, chat: world, clock: systemClock, logger: silentLogger });
  holder.engine = engine;
  return {
    engine,
    incidents,
    timers,
    async close() {
      await timers.close();
      redis.disconnect();
    },
  };
}

let admin: Redis;
const prefix = testPrefix('esc-restart');

beforeAll(() => {
  admin = testRedis();
});
afterAll(async () => {
  await dropKeys(admin, prefix);
  admin.disconnect();
});

describe('escalation timers across a restart of every process', () => {
  it(`keeps ${INCIDENTS} pending timers through a restart and fires each step once`, { timeout: 120_000 }, async () => {
    const world = new World();
    const fired: { id: string; lateMs: number }[] = [];

    // Before: two processes open 1,000 incidents between them; every chain's first step waits 12 s.
    const before = [await lifeboatProcess(prefix, world, fired), await lifeboatProcess(prefix, world, fired)];
    const ingests = before.map((p) => createIngest({ store: p.incidents, settings: defaultTriageSettings, clock: systemClock }));
    const started = Date.now();
    const ids: string[] = [];
    for (let batch = 0; batch < INCIDENTS; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, async (_, j) => {
        const i = batch + j;
        const which = i % 2;
        const outcome = await ingests[which]!(stoppedTask(`svc-${i}`));
        ids.push(outcome.incident!.id);
        await before[which]!.engine.onIngest(outcome);
      }));
    }
    const openedIn = Date.now() - started;
    expect(openedIn).toBeLessThan(FIRST_STEP_WAIT_MS - 2000);
    expect(new Set(ids).size).toBe(INCIDENTS);
    expect(await before[0]!.timers.scheduler.counts()).toMatchObject({ delayed: INCIDENTS });
    expect(world.dms).toEqual([]);

    // Every process stops: connections closed, workers gone. Only Redis remains.
    for (const p of before) await p.close();
    const probe = new BullTimerScheduler({ connection: admin, logger: silentLogger, prefix: `${prefix}:bull` });
    expect(await probe.counts()).toMatchObject({ delayed: INCIDENTS, active: 0 });
    await probe.close();

    // After: two fresh processes; the timers come due and each step fires exactly once.
    const after = [await lifeboatProcess(prefix, world, fired), await lifeboatProcess(prefix, world, fired)];
    try {
      await until(() => world.dms.length >= INCIDENTS, `${INCIDENTS} first-step pages`, 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
      expect(world.dms).toHaveLength(INCIDENTS);
      const perIncident = new Map<string, number>();
      for (const d of world.dms) perIncident.set(d.incidentId, (perIncident.get(d.incidentId) ?? 0) + 1);
      expect([...perIncident.keys()].sort()).toEqual([...ids].sort());
      expect([...perIncident.values()].every((n) => n === 1)).toBe(true);
      expect(world.dms.every((d) => d.userId === 'U01ANA')).toBe(true);
      expect(world.thread).toHaveLength(INCIDENTS);

      // Each chain moved on to step 2 exactly once, with its timer pending for later.
      const sample = ids.slice(0, 20);
      for (const id of sample) {
        const details = await after[0]!.incidents.get(id, { timelineLimit: 20 });
        expect(details?.timeline.filter((e) => e.text.startsWith('Escalation step 1 of 2'))).toHaveLength(1);
      }
      const state = new RedisEscalationStore(admin, { prefix: `${prefix}:esc` });
      for (const id of sample) expect(await state.get(id)).toMatchObject({ generation: 1, mode: 'running', nextStep: 1, lastStep: 0 });
      expect(await after[0]!.timers.scheduler.counts()).toMatchObject({ delayed: INCIDENTS });
      const firstSteps = fired.filter((f) => f.id.endsWith(':0:1'));
      expect(new Set(firstSteps.map((f) => f.id)).size).toBe(INCIDENTS);
      const late = firstSteps.map((f) => f.lateMs).sort((a, b) => a - b);
      console.log(`restart: ${INCIDENTS} incidents opened in ${openedIn} ms; first steps fired after the restart, lateness p50 ${late[Math.floor(late.length / 2)]} ms, max ${late.at(-1)} ms`);
    } finally {
      for (const p of after) await p.close();
    }
  });
});
