import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { RecoveryCalls, renderCalls } from '../../../src/recovery/calls.js';
import { cancelledByUser, shuttingDown } from '../../../src/recovery/deps.js';
import { idempotencyToken } from '../../../src/recovery/rebuild.js';
import { DEFAULT_RECOVERY_SETTINGS, queueScaling, recoverySettingsSchema } from '../../../src/recovery/settings.js';
import { looksLikeCommit, parseRebuildTarget, parseServiceTarget } from '../../../src/recovery/targets.js';

describe('recovery settings', () => {
  it('has a default for everything but the per-queue rate and ceiling', () => {
    expect(DEFAULT_RECOVERY_SETTINGS.rebuild).toMatchObject({ projectTagKey: 'lifeboat:repository', env: { tag: 'IMAGE_TAG', repository: 'IMAGE_REPO_NAME', platforms: 'PLATFORMS' }, defaultPlatforms: ['linux/amd64'] });
    expect(DEFAULT_RECOVERY_SETTINGS.redeploy).toEqual({ pollSeconds: 15, timeoutMinutes: 30 });
    expect(queueScaling(DEFAULT_RECOVERY_SETTINGS, 'q')).toEqual({ ok: false, missing: ['perTaskRatePerMinute', 'maxTasks'] });
  });

  it('overlays queue settings on defaults on built-in values', () => {
    const s = recoverySettingsSchema.parse({ scale: { defaults: { maxTasks: 10, drainMinutes: 20 }, queues: { 'hooks-queue': { perTaskRatePerMinute: 65, drainMinutes: 30 } } } });
    expect(queueScaling(s, 'hooks-queue')).toEqual({ ok: true, value: { perTaskRatePerMinute: 65, drainMinutes: 30, maxTasks: 10, scaleBackBelow: 1, timeoutMinutes: 180, pollSeconds: 60 } });
  });

  it('rejects bad values with the path', () => {
    const r = recoverySettingsSchema.safeParse({ rebuild: { projects: { web: { project: 'w', platforms: ['amd64'] } } }, scale: { queues: { 'bad name': {} } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['rebuild.projects.web.platforms.0', 'scale.queues.bad name']));
  });
});

describe('targets', () => {
  it('tells a service from an image', () => {
    expect(parseRebuildTarget('prod/api')).toEqual({ kind: 'service', target: { cluster: 'prod', service: 'api' } });
    expect(parseRebuildTarget('team/hooks-worker:main')).toEqual({ kind: 'image', target: { repository: 'team/hooks-worker', tag: 'main' } });
    expect(() => parseServiceTarget('api', 'redeploy')).toThrow('redeploy: expected cluster/service, got "api".');
    expect(looksLikeCommit('3f9c2ab')).toBe(true);
    expect(looksLikeCommit('v1.4.2')).toBe(false);
  });

  it('derives a stable idempotency token from the job id', () => {
    expect(idempotencyToken('rebuild.target=prod/api#1')).toBe(idempotencyToken('rebuild.target=prod/api#1'));
    expect(idempotencyToken('rebuild.target=prod/api#1')).not.toBe(idempotencyToken('rebuild.target=prod/api#2'));
    expect(idempotencyToken('x')).toMatch(/^lifeboat-[0-9a-f]{40}$/);
  });
});

describe('RecoveryCalls', () => {
  const clock = new ManualClock(0);
  const sleep = (ms: number) => {
    clock.advance(ms);
    return Promise.resolve();
  };
  const failing = (errors: LifeboatError[]) => {
    let n = 0;
    return () => {
      const err = errors[n++];
      return err ? Promise.reject(err) : Promise.resolve('ok');
    };
  };

  it('retries a throttled mutation', async () => {
    const calls = new RecoveryCalls(clock, sleep, undefined, () => 0.5);
    await expect(calls.mutate('ecs:UpdateService', failing([new LifeboatError('AWS_THROTTLED', 'slow down')]))).resolves.toBe('ok');
  });

  it('does not repeat a mutation whose outcome is unknown (5xx): the job retries and checks first', async () => {
    const calls = new RecoveryCalls(clock, sleep, undefined, () => 0.5);
    const fn = failing([new LifeboatError('AWS_ERROR', 'ECS failed to answer')]);
    await expect(calls.mutate('ecs:UpdateService', fn)).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
    expect(calls.stats()['ecs:UpdateService']).toEqual({ calls: 1, retries: 0, failures: 1 });
  });

  it('retries reads on any retryable failure', async () => {
    const calls = new RecoveryCalls(clock, sleep, undefined, () => 0.5);
    await expect(calls.read('ecs:DescribeServices', failing([new LifeboatError('AWS_ERROR', 'x'), new LifeboatError('AWS_THROTTLED', 'y')]))).resolves.toBe('ok');
  });

  it('renders planned calls one a line, mutations marked', () => {
    expect(renderCalls([{ action: 'ecs:UpdateService', input: { cluster: 'prod' }, mutating: true }, { action: 'ecs:DescribeServices', input: {}, mutating: false, when: 'every 15 s' }])).toBe(
      '✎ ecs:UpdateService {"cluster":"prod"}\n· ecs:DescribeServices {}  (every 15 s)',
    );
  });
});

describe('cancel or shutdown', () => {
  it('tells a person cancelling from a worker shutting down', () => {
    const cancel = new AbortController();
    cancel.abort(new LifeboatError('JOB_CANCELLED', 'The job was cancelled.'));
    const shutdown = new AbortController();
    shutdown.abort(new LifeboatError('JOB_CANCELLED', 'restarting', { retryable: true }));
    expect([cancelledByUser(cancel.signal), shuttingDown(cancel.signal)]).toEqual([true, false]);
    expect([cancelledByUser(shutdown.signal), shuttingDown(shutdown.signal)]).toEqual([false, true]);
    expect(cancelledByUser(new AbortController().signal)).toBe(false);
  });
});
