/**
 * The crash-resume guarantees on the real durable stores: job checkpoints in the worker's Redis
 * hash (`RedisJobState`) and scale records in `RedisScaleRecordStore`. A "worker" dies right after
 * recording the scale-up; a new worker — new Redis connection, new store objects — resumes the job
 * without repeating it, and the record it finds is the original.
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisScaleRecordStore } from '../../../src/adapters/redis/redis-scale-record-store.js';
import type { JobContext } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import { RedisJobState } from '../../../src/jobs/job-state.js';
import { createRecoveryJobs } from '../../../src/recovery/index.js';
import { testPrefix, testRedis } from '../../support/redis.js';
import { mocks, REGISTRY, World, WorkerKilled } from './world.js';

const clients = [testRedis(), testRedis()];
afterAll(() => clients.forEach((c) => c.disconnect()));

function worker(redis: (typeof clients)[number], stateKey: string, jobId: string, crashAfter?: string): JobContext {
  const state = new RedisJobState(redis, stateKey, 3_600_000);
  return {
    jobId,
    signal: new AbortController().signal,
    progress: () => Promise.resolve(),
    checkpoint: {
      get: (key) => state.checkpoints.get(key),
      set: async (key, value) => {
        await state.checkpoints.set(key, value);
        if (key === crashAfter) throw new WorkerKilled(key);
      },
    },
    log: silentLogger,
  };
}

describe('recovery resumes from Redis', () => {
  it('scale: a new worker resumes after the first one died right after the scale-up, and never repeats it', async () => {
    const w = new World();
    const image = w.push('hooks-worker', { tag: 'main', platforms: ['linux/amd64'] });
    w.addService({ cluster: 'prod', name: 'hooks-worker', desired: 1, containers: [{ name: 'worker', image: `${REGISTRY}/hooks-worker:main`, digest: image.digest }] });
    w.addQueue('hooks-queue', [7770, 3000, 0]);
    const prefix = testPrefix('recovery');
    const settings = { scale: { queues: { 'hooks-queue': { perTaskRatePerMinute: 65, drainMinutes: 30, maxTasks: 8 } } } };
    const jobId = 'scale.service=prod/hooks-worker#redis';
    const depsOn = (redis: (typeof clients)[number]) => ({ ...w.deps(settings), scaleRecords: new RedisScaleRecordStore(redis, { key: `${prefix}:scale-records` }) });
    const [first, second] = clients as [(typeof clients)[number], (typeof clients)[number]];

    await expect(createRecoveryJobs(depsOn(first)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, worker(first, `${prefix}:state`, jobId, 'scale.up'))).rejects.toBeInstanceOf(WorkerKilled);
    // Between the crash and the resume the service is scaled up — and on record, for `status` to show.
    expect(await new RedisScaleRecordStore(second, { key: `${prefix}:scale-records` }).list()).toMatchObject([{ original: { desiredCount: 1 }, scaledTo: 4, jobId }]);

    const result = await createRecoveryJobs(depsOn(second)).scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, worker(second, `${prefix}:state`, jobId));
    expect(result.outputs).toMatchObject({ drained: true, count: 1, scaledUp: false });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.desiredCount)).toEqual([4, 1]);
    expect(await second.hlen(`${prefix}:scale-records`)).toBe(0);
  });
});
