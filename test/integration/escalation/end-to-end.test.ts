/**
 * Escalation wired as the composition root wires it, on real Redis and BullMQ: the intake sink
 * (heartbeats filtered, ingest, escalation), incident commands' onChange, the timer worker running
 * the engine, heartbeats and synthetic checks, and the metrics collector.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEscalationStore } from '../../../src/adapters/redis/redis-escalation-store.js';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { createRedisClient } from '../../../src/adapters/redis/redis-connection.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import { createTimerHandler, ESCALATION_METRIC_DECLARATIONS, EscalationEngine, escalationMetricsCollector, escalationSettingsSchema, HeartbeatMonitor, SyntheticChecks } from '../../../src/escalation/index.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import type { Alert } from '../../../src/intake/alert.js';
import type { AlertSink } from '../../../src/intake/sink.js';
import { queueLagSeconds, TIMER_QUEUE } from '../../../src/jobs/timers.js';
import { defaultTriageSettings } from '../../../src/triage/settings.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';
import { until } from '../../support/wait.js';
import { alertmanager, stoppedTask } from '../../unit/incidents/alerts.js';
import { FakePager, RecordingChat } from '../../unit/escalation/support.js';
import { ManualClock } from '../../../src/core/clock.js';
import { dropKeys, timerProcess } from './support.js';

let admin: Redis;
const prefix = testPrefix('esc-e2e');
beforeAll(() => {
  admin = testRedis();
});
afterAll(async () => {
  await dropKeys(admin, prefix);
  admin.disconnect();
});

describe('escalation end to end on Redis and BullMQ', () => {
  it('pages on time, stops on ack, opens and resolves a monitoring-blind incident, and reports metrics', { timeout: 30_000 }, async () => {
    const settings = escalationSettingsSchema.parse({
      policies: [{ id: 'all', steps: [{ waitMinutes: 0.02, notify: [{ users: ['U01ANA'] }] }, { waitMinutes: 0.03, notify: [{ pagerduty: 'main' }] }] }],
      pagerduty: { main: { routingKeyEnv: 'PD' } },
      heartbeats: [{ id: 'watchdog', name: 'Alertmanager Watchdog', match: { source: ['alertmanager'], name: 'Watchdog' }, intervalMinutes: 0.03 }],
      heartbeatCheckSeconds: 5,
    });
    const redis = createRedisClient(testRedisUrl(), { role: 'producer', logger: silentLogger });
    const incidents = new RedisIncidentStore(redis, { clock: systemClock, prefix: `${prefix}:inc`, retention: defaultTriageSettings.retention });
    const store = new RedisEscalationStore(redis, { prefix: `${prefix}:esc` });
    const chat = new RecordingChat(new ManualClock());
    const pd = new FakePager('pagerduty:main', 'PagerDuty main', new ManualClock());
    const metrics = new MetricsRegistry();
    const ingest = createIngest({ store: incidents, settings: defaultTriageSettings, clock: systemClock });
    const consumers: Parameters<typeof createTimerHandler>[0][number][] = [];
    const timers = await timerProcess(`${prefix}:bull`, (t) => createTimerHandler(consumers, silentLogger)(t));
    const engine = new EscalationEngine({ settings, incidents, state: store, claims: store, timers: timers.scheduler, chat, pagers: { [pd.key]: pd }, clock: systemClock, logger: silentLogger, metrics });
    // The intake sink: heartbeats recorded and dropped, the rest ingested, escalation told.
    const holder: { heartbeats?: HeartbeatMonitor } = {};
    const sink: AlertSink = {
      async accept(alerts: readonly Alert[]) {
        const rest = holder.heartbeats ? await holder.heartbeats.filterAlerts(alerts) : alerts;
        for (const alert of rest) await engine.onIngest(await ingest(alert));
      },
    };
    const heartbeats = new HeartbeatMonitor({ heartbeats: settings.heartbeats, store, sink, clock: systemClock, logger: silentLogger, metrics, checkEveryMs: 1000 });
    holder.heartbeats = heartbeats;
    const synthetics = new SyntheticChecks({ checks: settings.synthetics, store, sink, fetch: (u, i) => fetch(u, i), clock: systemClock, logger: silentLogger, metrics });
    consumers.push(engine, heartbeats, synthetics);
    for (const m of ESCALATION_METRIC_DECLARATIONS) metrics.declare(m.name, m.type, m.help);
    metrics.onCollect(escalationMetricsCollector({ metrics, incidents, clock: systemClock, heartbeats, queueLag: async () => ({ [TIMER_QUEUE]: await timers.scheduler.lagSeconds(), 'lifeboat-jobs': await queueLagSeconds(redis, { prefix, queueName: 'lifeboat-jobs' }) }) }));
    try {
      await engine.start();
      await heartbeats.start(timers.scheduler);
      await synthetics.start(timers.scheduler);
      expect((await timers.scheduler.repeatingIds()).sort()).toEqual(['escalation-sweep', 'heartbeat-check']);
      await sink.accept([alertmanager('Watchdog', 'firing')]);

      // An incident: step 1 (a DM) after 1.2 s.
      const opened = Date.now();
      await sink.accept([stoppedTask('api')]);
      const [incident] = await incidents.list({ state: 'active' });
      await until(() => chat.dms.length > 0, 'the first page');
      expect(Date.now() - opened).toBeGreaterThanOrEqual(1100);
      expect(chat.dms.map((d) => d.userId)).toEqual(['U01ANA']);

      // Acknowledged before step 2 (1.8 s later): PagerDuty is never paged.
      const acked = await incidents.transition(incident!.id, { type: 'ack' }, { id: 'U01ANA', name: 'ana' });
      expect(acked.ok).toBe(true);
      if (acked.ok) await engine.onTransition(acked.incident);
      expect((await store.get(incident!.id))?.mode).toBe('paused');

      // The Watchdog goes quiet: silent after 1.8 s → a monitoring-blind incident, escalated like any other.
      await until(async () => (await incidents.list({ state: 'active' })).some((i) => i.class === 'monitoring-blind'), 'the monitoring-blind incident', 15_000);
      const blind = (await incidents.list({ state: 'active' })).find((i) => i.class === 'monitoring-blind')!;
      expect(blind.summary).toMatch(/^no alerts from Alertmanager Watchdog for \d+ s — you may be flying blind/);
      await until(() => chat.dms.length >= 2, 'the blind incident paged');
      expect(pd.pages).toEqual([]);

      const text = await metrics.render();
      expect(text).toMatch(/lifeboat_heartbeat_silent\{heartbeat="watchdog"\} 1/);
      expect(text).toMatch(/lifeboat_oldest_unacknowledged_incident_age_seconds \d+/);
      expect(text).toMatch(/lifeboat_queue_lag_seconds\{queue="lifeboat-timers"\} [\d.]+/);

      // The Watchdog is back: the blind incident resolves by itself and its escalation stops.
      await sink.accept([alertmanager('Watchdog', 'firing')]);
      expect((await incidents.get(blind.id))?.incident.state).toBe('resolved');
      expect((await store.get(blind.id))?.mode).toBe('stopped');
    } finally {
      await timers.scheduler.cancelRepeating('escalation-sweep');
      await timers.scheduler.cancelRepeating('heartbeat-check');
      await timers.close();
      redis.disconnect();
    }
  });
});
