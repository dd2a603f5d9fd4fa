import { describe, expect, it } from 'vitest';
import { createDrillJobHandlers, DRILL_JOB_KINDS } from '../../../src/adapters/drill/builtins.js';
import { DrillRuntime } from '../../../src/adapters/drill/runtime.js';
import { runImageScan } from '../../../src/images/scan.js';
import { messageText } from '../../support/fakes.js';
import { jobContext } from './recovery-support.js';
import { RecordingSink, T0, clockAt } from './support.js';

function runtime() {
  const sink = new RecordingSink();
  const clock = clockAt();
  const rt = new DrillRuntime({ clock, sink });
  return { rt, sink, clock, jobs: createDrillJobHandlers(rt) };
}

describe('drill commands (job handlers over a DrillRuntime)', () => {
  it('registers exactly the job kinds commands/drill*.yaml run', () => {
    expect(Object.keys(runtime().jobs).sort()).toEqual(Object.values(DRILL_JOB_KINDS).sort());
  });

  it('lists the scenarios, marked DRILL', async () => {
    const message = await runtime().jobs['drill-list']!({}, jobContext());
    expect(message.drill).toBe(true);
    expect(messageText(message)).toContain('ecr-lifecycle-expiry — ECR lifecycle rule expires the image a running service pins');
  });

  it('refuses status and advance with a sentence while no drill runs, and the ports see an empty account', async () => {
    const { rt, jobs } = runtime();
    await expect(jobs['drill-status']!({}, jobContext())).rejects.toMatchObject({ code: 'COMMAND_NOT_AVAILABLE', userMessage: expect.stringContaining('drill start <scenario>') });
    await expect(jobs.drill!({ duration: '1h' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_NOT_AVAILABLE' });
    expect((await rt.ports.ecsReader.listClusters()).items).toEqual([]);
  });

  it('starts a scenario, runs it to detection, and answers with what happened and what to do', async () => {
    const { rt, sink, jobs, clock } = runtime();
    const ctx = jobContext();
    const message = await jobs.drill!({ scenario: 'ecr-lifecycle-expiry' }, ctx);
    expect(ctx.progressed[0]?.drill).toBe(true);
    expect(message).toMatchObject({ drill: true, tone: 'warning', summary: 'Drill ecr-lifecycle-expiry: the incident has been detected' });
    expect(messageText(message)).toContain('45 s after the first failure');
    expect(messageText(message)).toContain('check images prod/api');
    expect(clock.now()).toBeGreaterThan(T0);
    expect(sink.alerts.some((a) => a.class === 'image-pull-failed')).toBe(true);
    // The ports the app was built with now read the drill's account.
    const report = await runImageScan(rt.scanDeps);
    expect(report.totals).toMatchObject({ services: 2, missing: 1 });
  });

  it('sends a running drill\'s alerts to a sink attached later (an app rebuilt on the same runtime)', async () => {
    const { rt, sink } = runtime();
    await rt.start('arm-builds-exhaust-retention');
    const before = sink.alerts.length;
    const later = new RecordingSink();
    rt.attachSink(later);
    await rt.advance(2 * 3600_000);
    expect(sink.alerts).toHaveLength(before);
    expect(later.alerts.some((a) => a.class === 'queue-backlog')).toBe(true);
  });

  it('moves simulated time, reports status, and refuses a fix the scenario does not have', async () => {
    const { jobs, clock } = runtime();
    await jobs.drill!({ scenario: 'ecs-footguns' }, jobContext());
    const before = clock.now();
    const advanced = await jobs.drill!({ duration: '2h' }, jobContext());
    expect(clock.now() - before).toBe(2 * 3_600_000);
    expect(advanced.summary).toMatch(/^Drill: moved 2 h on, to 2026-01-01 /);
    const status = await jobs['drill-status']!({}, jobContext());
    expect(status).toMatchObject({ drill: true, tone: 'warning' });
    expect(messageText(status)).toContain('✗ log group /ecs/orders-api exists');
    await expect(jobs.drill!({ remedy: 'nope' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID', userMessage: expect.stringContaining('secret-on-execution-role, log-group, grace-period, auto-scaling') });
    const fixed = await jobs.drill!({ remedy: 'log-group' }, jobContext());
    expect(fixed).toMatchObject({ drill: true, summary: 'Drill: applied log-group' });
    expect(messageText(await jobs['drill-status']!({}, jobContext()))).toContain('✓ log group /ecs/orders-api exists');
  });

  it('refuses to start a drill before it is connected to intake, and starts once it is', async () => {
    const sink = new RecordingSink();
    const rt = new DrillRuntime({ clock: clockAt() });
    await expect(rt.start('ecs-footguns')).rejects.toMatchObject({ code: 'COMMAND_NOT_AVAILABLE' });
    rt.attachSink(sink);
    await rt.start('ecs-footguns');
    expect(sink.alerts.length).toBeGreaterThan(0);
  });

  it('refuses an unknown scenario and a silly duration', async () => {
    const { jobs } = runtime();
    await expect(jobs.drill!({ scenario: 'nope' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID', userMessage: expect.stringContaining('alert-storm') });
    await jobs.drill!({ scenario: 'ghcr-multiarch-children' }, jobContext());
    await expect(jobs.drill!({ duration: '30d' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID' });
    await expect(jobs.drill!({ duration: '1h', scenario: 'alert-storm' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID' });
  });

  it('sleeps by moving simulated time (RecoveryDeps.sleep), with or without a drill', async () => {
    const { rt, clock } = runtime();
    await rt.sleep(15_000);
    expect(clock.now()).toBe(T0 + 15_000);
    await rt.start('ecs-footguns', { untilDetected: false });
    await rt.sleep(60_000);
    expect(clock.now()).toBe(T0 + 75_000);
    const aborted = new AbortController();
    aborted.abort();
    await expect(rt.sleep(1000, aborted.signal)).rejects.toThrow();
  });

  it('lets simulated time flow with real time while the ticker runs', async () => {
    const { rt, clock } = runtime();
    await rt.start('ecs-footguns', { untilDetected: false });
    const rtFast = rt as unknown as { options: { speed?: number } };
    rtFast.options.speed = 60;
    rt.startTicker();
    await new Promise((resolve) => setTimeout(resolve, 1_150));
    rt.stopTicker();
    expect(clock.now()).toBe(T0 + 60_000);
  });
});
