import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { RECOVERY_IAM_ACTIONS } from '../../../src/adapters/aws/recovery-iam.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { createRecoveryJobs } from '../../../src/recovery/index.js';
import { mocks, mutations, REGISTRY, sentActions, TestJob, text, totalMutations, World, WorkerKilled } from './world.js';

const IAM = new Set(RECOVERY_IAM_ACTIONS.map((a) => a.action));
const KEY = '123456789012:us-east-1:prod/hooks-worker';
const SETTINGS = { scale: { queues: { 'hooks-queue': { perTaskRatePerMinute: 65, drainMinutes: 30, maxTasks: 8, scaleBackBelow: 50, timeoutMinutes: 60, pollSeconds: 60 } } } };

afterEach(() => {
  expect(sentActions().filter((a) => !IAM.has(a))).toEqual([]);
});

/** The incident: hooks-worker at 1 task, 7,770 messages waiting; an auto scaling target min 1 max 3. */
function hooksWorker(w: World, opts: { target?: boolean; imageGone?: boolean } = {}) {
  const image = w.push('hooks-worker', { tag: 'main', platforms: ['linux/amd64'] });
  w.addService({ cluster: 'prod', name: 'hooks-worker', desired: 1, containers: [{ name: 'worker', image: `${REGISTRY}/hooks-worker:main`, digest: image.digest }] });
  if (opts.imageGone) w.delete('hooks-worker', image.digest);
  if (opts.target !== false) w.targets.set('service/prod/hooks-worker', { min: 1, max: 3 });
  w.addQueue('hooks-queue', [7770, 5200, 2600, 900, 20], [24, 60, 60, 40, 0]);
}

const desiredCounts = () => mocks.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.desiredCount);
const capacities = () => mocks.scaling.commandCalls(RegisterScalableTargetCommand).map((c) => [c.args[0].input.MinCapacity, c.args[0].input.MaxCapacity]);

describe('scale … for <queue>', () => {
  it('scales for the backlog with the arithmetic shown, raises the auto scaling minimum, watches it drain and returns to the original', async () => {
    const w = new World();
    hooksWorker(w);
    const job = new TestJob('scale.service=prod/hooks-worker#1');

    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context());

    const plan = text(job.progress[0]!);
    expect(plan).toContain('7,770 messages ÷ (65 msgs/min × 30 min = 1,950 per task) = 3.98 → 4; clamp(4, current 1, max 8) = 4 tasks');
    expect(plan).toContain('Oldest message: 15 min 12 s');
    expect(plan).toContain('Auto scaling: min 1, max 3');
    // Up: minimum raised (and maximum, to fit), then the count; back: the original capacity and count.
    expect(capacities()).toEqual([
      [4, 4],
      [1, 3],
    ]);
    expect(desiredCounts()).toEqual([4, 1]);
    expect(mocks.scaling.commandCalls(RegisterScalableTargetCommand)[0]?.args[0].input).toEqual({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod/hooks-worker',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 4,
      MaxCapacity: 4,
    });
    const draining = job.progress.filter((m) => m.summary.startsWith('Scaling prod/hooks-worker: backlog'));
    expect(text(draining[draining.length - 1]!)).toMatch(/Tasks: 4\/4 running[\s\S]*█▆▃▂ {2}7,770 → 900/);
    expect(result.tone).toBe('success');
    expect(result.summary).toBe('hooks-queue drained; prod/hooks-worker back to 1 task');
    expect(result.outputs).toEqual({ drained: true, backlog: 20, scaledUp: false, count: 1, originalCount: 1 });
    expect(text(result)).toContain('Scaled: 1 → 4 → 1 tasks');
    expect(text(result)).toContain('Auto scaling target restored to min 1, max 3.');
    expect(await w.records.list()).toEqual([]);
  });

  it('records the original before the first change: a crash right after leaves a record and no change', async () => {
    const w = new World();
    hooksWorker(w);
    const job = new TestJob('scale#rec');
    job.crashAfter = 'scale.recorded';
    await expect(createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context())).rejects.toBeInstanceOf(WorkerKilled);
    expect(totalMutations()).toBe(0);
    expect(await w.records.get(KEY)).toMatchObject({ original: { desiredCount: 1, scalableTarget: { minCapacity: 1, maxCapacity: 3 } }, scaledTo: 4, reason: 'queue', queue: 'hooks-queue', jobId: 'scale#rec' });
  });

  it('resumes after a worker is killed right after the scale-up: the scale-up is not repeated', async () => {
    const w = new World();
    hooksWorker(w);
    const job = new TestJob('scale#crash');
    job.crashAfter = 'scale.up';
    const handler = createRecoveryJobs(w.deps(SETTINGS)).scale;
    await expect(handler({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context())).rejects.toBeInstanceOf(WorkerKilled);
    expect(desiredCounts()).toEqual([4]);
    const result = await handler({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context());
    expect(result.tone).toBe('success');
    expect(desiredCounts()).toEqual([4, 1]);
    expect(capacities()).toEqual([
      [4, 4],
      [1, 3],
    ]);
  });

  it('shows the plan and the calls on --dry-run, and changes nothing', async () => {
    const w = new World();
    hooksWorker(w);
    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue', dryRun: true }, new TestJob('dry#1').context());
    expect(totalMutations()).toBe(0);
    expect(await w.records.list()).toEqual([]);
    expect(text(result)).toContain('clamp(4, current 1, max 8) = 4 tasks');
    expect(text(result)).toContain('✎ application-autoscaling:RegisterScalableTarget {"ServiceNamespace":"ecs","ResourceId":"service/prod/hooks-worker","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":4,"MaxCapacity":4}');
    expect(text(result)).toContain('✎ ecs:UpdateService {"cluster":"prod","service":"hooks-worker","desiredCount":4}');
    expect(text(result)).toContain('✎ ecs:UpdateService {"cluster":"prod","service":"hooks-worker","desiredCount":1}  (when fewer than 50 messages are left, after 60 min, or on cancel)');
  });

  it('refuses to scale out a service whose pinned image is gone, and offers the image-unavailable runbook', async () => {
    const w = new World();
    hooksWorker(w, { imageGone: true });
    const job = new TestJob('img#1');
    await expect(createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringMatching(/cannot start tasks: pinned digest sha256:\S+ is gone from repo hooks-worker\. Scaling to 4 tasks would launch tasks that all fail to pull\. Start the image-unavailable runbook for prod\/hooks-worker \(or run `rebuild hooks-worker:main` first\), then scale\./),
    });
    expect(totalMutations()).toBe(0);
    expect(await w.records.list()).toEqual([]);
  });

  it('returns to the original on timeout, and says the backlog did not drain', async () => {
    const w = new World();
    hooksWorker(w, { target: false });
    w.addQueue('hooks-queue', [7770, 7000, 6900]);
    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, new TestJob('to#1').context());
    expect(result.tone).toBe('warning');
    expect(text(result)).toContain('Outcome: timed out after 1 h 00 min');
    expect(text(result)).toContain('hooks-queue still holds 6,900 messages');
    expect(result.outputs).toMatchObject({ drained: false, backlog: 6900, scaledUp: false });
    expect(desiredCounts()).toEqual([4, 1]);
    expect(mutations().RegisterScalableTarget).toBe(0);
  });

  it('returns to the original when cancelled mid-way', async () => {
    const w = new World();
    hooksWorker(w);
    const job = new TestJob('cancel#1');
    let polls = 0;
    job.onProgress = (m, j) => {
      if (m.summary.startsWith('Scaling prod/hooks-worker: backlog') && ++polls === 2) j.controller.abort(new LifeboatError('JOB_CANCELLED', 'The job was cancelled.'));
    };
    await expect(createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context())).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    expect(desiredCounts()).toEqual([4, 1]);
    expect(capacities()).toEqual([
      [4, 4],
      [1, 3],
    ]);
    expect(await w.records.list()).toEqual([]);
  });

  it('leaves the service scaled and recorded when the worker shuts down (the job resumes)', async () => {
    const w = new World();
    hooksWorker(w);
    const job = new TestJob('shutdown#1');
    job.onProgress = (m, j) => {
      if (m.summary.startsWith('Scaling prod/hooks-worker: backlog')) j.controller.abort(new LifeboatError('JOB_CANCELLED', 'Lifeboat is restarting.', { retryable: true }));
    };
    await expect(createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, job.context())).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    expect(desiredCounts()).toEqual([4]);
    expect(await w.records.get(KEY)).toMatchObject({ scaledTo: 4, restoreBy: expect.any(Number) });
  });

  it('does nothing when the current tasks drain the backlog in time', async () => {
    const w = new World();
    hooksWorker(w);
    w.addQueue('hooks-queue', [1200]);
    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, new TestJob('n#1').context());
    expect(result.summary).toContain('no change — 1 task already drain hooks-queue within 30 min');
    expect(totalMutations()).toBe(0);
  });

  it('still scales when the oldest-message age cannot be read, and says so', async () => {
    const w = new World();
    hooksWorker(w);
    w.oldestAge = 'denied';
    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue', dryRun: true }, new TestJob('age#1').context());
    expect(text(result)).toContain('Oldest message: unknown');
    expect(text(result)).toContain('Oldest message age unavailable: Lifeboat is not allowed cloudwatch:GetMetricData');
  });

  it('names a queue that does not exist', async () => {
    const w = new World();
    hooksWorker(w);
    const settings = { scale: { defaults: { perTaskRatePerMinute: 65, maxTasks: 8 } } };
    await expect(createRecoveryJobs(w.deps(settings)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queu' }, new TestJob('q#1').context())).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'Queue hooks-queu in account 123456789012 us-east-1 does not exist.',
    });
  });

  it('says which settings a queue lacks', async () => {
    const w = new World();
    hooksWorker(w);
    await expect(createRecoveryJobs(w.deps()).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, new TestJob('s#1').context())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      userMessage: 'No scaling settings for queue hooks-queue: set perTaskRatePerMinute, maxTasks under recovery.scale.queues.hooks-queue (or recovery.scale.defaults) in lifeboat.yaml.',
    });
  });
});

describe('scale … to N / back', () => {
  it('scales to a fixed count, remembers the original, and `back` restores it', async () => {
    const w = new World();
    hooksWorker(w);
    const jobs = createRecoveryJobs(w.deps(SETTINGS));
    const up = await jobs.scale({ service: 'prod/hooks-worker', count: 5 }, new TestJob('to#5').context());
    expect(up.summary).toBe('prod/hooks-worker scaled to 5 tasks');
    expect(up.outputs).toEqual({ drained: false, scaledUp: true, count: 5, originalCount: 1 });
    expect(text(up)).toContain('`scale prod/hooks-worker back` returns to 1 task');
    expect(await w.records.get(KEY)).toMatchObject({ reason: 'fixed', scaledTo: 5, original: { desiredCount: 1 } });

    const dry = await jobs.scale({ service: 'prod/hooks-worker', dryRun: true }, new TestJob('back#dry').context());
    expect(text(dry)).toContain('✎ ecs:UpdateService {"cluster":"prod","service":"hooks-worker","desiredCount":1}');
    const before = totalMutations();
    expect(before).toBe(2);

    const back = await jobs.scale({ service: 'prod/hooks-worker' }, new TestJob('back#1').context());
    expect(back.summary).toBe('prod/hooks-worker is back to 1 task (auto scaling min 1, max 3).');
    expect(back.outputs).toMatchObject({ scaledUp: false, count: 1, originalCount: 1 });
    expect(desiredCounts()).toEqual([5, 1]);
    expect(capacities()).toEqual([
      [5, 5],
      [1, 3],
    ]);
    expect(await w.records.list()).toEqual([]);
  });

  it('keeps the first original when scaled twice', async () => {
    const w = new World();
    hooksWorker(w);
    const jobs = createRecoveryJobs(w.deps(SETTINGS));
    await jobs.scale({ service: 'prod/hooks-worker', count: 3 }, new TestJob('to#3').context());
    await jobs.scale({ service: 'prod/hooks-worker', count: 6 }, new TestJob('to#6').context());
    expect(await w.records.get(KEY)).toMatchObject({ scaledTo: 6, jobId: 'to#6', original: { desiredCount: 1, scalableTarget: { minCapacity: 1, maxCapacity: 3 } } });
    await jobs.scale({ service: 'prod/hooks-worker' }, new TestJob('back#2').context());
    expect(desiredCounts()).toEqual([3, 6, 1]);
  });

  it('has nothing to do on `back` without a record', async () => {
    const w = new World();
    hooksWorker(w);
    const result = await createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker' }, new TestJob('back#3').context());
    expect(result.summary).toContain('Lifeboat has no record of scaling prod/hooks-worker');
    expect(totalMutations()).toBe(0);
  });

  it('refuses a count above recovery.scale.maxTasks', async () => {
    const w = new World();
    hooksWorker(w);
    await expect(createRecoveryJobs(w.deps(SETTINGS)).scale({ service: 'prod/hooks-worker', count: 400 }, new TestJob('to#400').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining('400 tasks is more than recovery.scale.maxTasks (50)'),
    });
    expect(totalMutations()).toBe(0);
  });
});
