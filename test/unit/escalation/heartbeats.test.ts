import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createHeartbeatsJobHandler } from '../../../src/escalation/builtins.js';
import { HeartbeatMonitor } from '../../../src/escalation/heartbeats.js';
import { MemoryHeartbeatStore } from '../../../src/escalation/memory-stores.js';
import type { Alert } from '../../../src/intake/alert.js';
import { alertmanager } from '../incidents/alerts.js';
import { escalationHarness, MINUTE, settingsWith } from './support.js';

const settings = settingsWith({
  policies: [{ id: 'blind', match: { classes: ['monitoring-blind'] }, steps: [{ waitMinutes: 0, notify: [{ oncall: 'primary' }] }, { waitMinutes: 10, notify: [{ pagerduty: 'main' }] }] }],
  heartbeats: [
    { id: 'watchdog', name: 'Alertmanager Watchdog', match: { source: ['alertmanager'], name: 'Watchdog' }, intervalMinutes: 40, owner: 'platform team (#platform)' },
    { id: 'schedule', name: 'EventBridge schedule', match: { source: ['eventbridge'], name: 'Scheduled Event' }, intervalMinutes: 120 },
  ],
});

function setup() {
  const h = escalationHarness({ settings });
  const ingested: Alert[] = [];
  const sink = {
    async accept(alerts: readonly Alert[]) {
      for (const a of alerts) {
        ingested.push(a);
        await h.alert(a);
      }
    },
  };
  const store = new MemoryHeartbeatStore();
  const monitor = new HeartbeatMonitor({ heartbeats: settings.heartbeats, store, sink, clock: h.clock, logger: silentLogger, metrics: h.metrics });
  /** Moves time in `stepMs` steps, running the heartbeat check and due timers at each. */
  const run = async (ms: number, stepMs: number, m = monitor) => {
    const until = h.clock.now() + ms;
    while (h.clock.now() < until) {
      h.clock.advance(stepMs);
      await m.check();
      await h.timers.runDue(h.clock, h.handle);
    }
  };
  return { h, sink, store, monitor, ingested, run };
}

describe('heartbeats', () => {
  it('opens a monitoring-blind incident when a source goes silent, escalates it like any other, and resolves it when the source is back', async () => {
    const { h, monitor, ingested, run } = setup();
    await monitor.start(h.timers);
    expect([...h.timers.repeating.keys()]).toEqual(['heartbeat-check']);
    const watchdog = alertmanager('Watchdog', 'firing');
    // The Watchdog is a heartbeat, not an incident: the intake sink drops it after recording it.
    expect(await monitor.filterAlerts([watchdog, alertmanager('HighLatency', 'firing')])).toEqual([expect.objectContaining({ name: 'HighLatency' })]);

    await run(39 * MINUTE, 3 * MINUTE);
    expect(ingested).toEqual([]);
    await run(3 * MINUTE, 3 * MINUTE); // minute 42: silent longer than 40 min
    expect(ingested).toHaveLength(1);
    const blind = (await h.store.list({ state: 'active' })).find((i) => i.class === 'monitoring-blind')!;
    expect(blind).toMatchObject({ title: 'No heartbeat from Alertmanager Watchdog', severity: 'high', state: 'open' });
    expect(blind.summary).toBe('no alerts from Alertmanager Watchdog for 42 min — you may be flying blind (expected at least every 40 min; owner: platform team (#platform))');
    // It escalates like any other incident.
    expect(h.chat.dms.map((d) => d.userId)).toEqual(['U03CY']);
    expect(h.metrics.value('lifeboat_heartbeat_silent', { heartbeat: 'watchdog' })).toBe(1);
    expect(h.metrics.value('lifeboat_heartbeat_age_seconds', { heartbeat: 'watchdog' })).toBe(42 * 60);

    await run(6 * MINUTE, 3 * MINUTE);
    expect(ingested).toHaveLength(1); // one incident per silence, not one per check

    await monitor.recordHeartbeat({ ...watchdog, deliveryId: 'am:again' });
    const after = await h.store.get(blind.id);
    expect(after?.incident).toMatchObject({ state: 'resolved', resolution: 'all-alerts-resolved' });
    expect(ingested.at(-1)).toMatchObject({ status: 'resolved', summary: 'Alertmanager Watchdog is reporting again after 48 min of silence' });
    expect((await h.state.get(blind.id))?.mode).toBe('stopped');
    await run(9 * MINUTE, 3 * MINUTE);
    expect(h.pd.pages).toEqual([]);
  });

  it('counts silence from registration for a source never heard from, and two processes open one incident', async () => {
    const { h, sink, store, monitor, ingested, run } = setup();
    await monitor.start(h.timers);
    const other = new HeartbeatMonitor({ heartbeats: settings.heartbeats, store, sink, clock: h.clock, logger: silentLogger });
    await run(119 * MINUTE, MINUTE);
    // The Watchdog was never heard from either: blind since minute 41, counted from registration.
    expect(ingested.map((a) => a.summary)).toEqual(['no alerts from Alertmanager Watchdog for 41 min — you may be flying blind (expected at least every 40 min; never heard from since Lifeboat started watching it; owner: platform team (#platform))']);
    h.clock.advance(2 * MINUTE);
    await Promise.all([monitor.check(), other.check()]);
    // Both may hand the alert over; it has one delivery id (the silence's start), so it is stored once.
    const blind = ingested.filter((a) => a.labels?.heartbeat === 'schedule');
    expect(new Set(blind.map((a) => a.deliveryId)).size).toBe(1);
    expect(blind[0]!.summary).toBe('no alerts from EventBridge schedule for 2 h 1 min — you may be flying blind (expected at least every 2 h; never heard from since Lifeboat started watching it)');
    expect((await h.store.list({ state: 'active' })).filter((i) => i.title === 'No heartbeat from EventBridge schedule')).toHaveLength(1);
  });

  it('reports every source for the heartbeats command, with the outputs the monitoring-blind runbook reads', async () => {
    const { h, monitor, run } = setup();
    await monitor.start(h.timers);
    await monitor.recordHeartbeat(alertmanager('Watchdog', 'firing'));
    await run(50 * MINUTE, 10 * MINUTE);
    const handler = createHeartbeatsJobHandler(monitor, h.clock);
    const result = await handler({}, {} as never);
    expect(result.summary).toBe('1 of 2 alert sources are silent: Alertmanager Watchdog (silent 50 min)');
    expect(result.outputs).toEqual({ healthy: false, silent: 'Alertmanager Watchdog (silent 50 min)', owners: 'Alertmanager Watchdog: platform team (#platform)' });
    expect(result.blocks).toContainEqual({ type: 'list', items: [
      '✗ Alertmanager Watchdog (watchdog): last 50 min ago, expected every 40 min — owner platform team (#platform)',
      '✓ EventBridge schedule (schedule): never heard from, expected every 2 h',
    ] });
  });
});
