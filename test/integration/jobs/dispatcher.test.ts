import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { createRedisClient } from '../../../src/adapters/redis/redis-connection.js';
import { textMessage } from '../../../src/core/message.js';
import { silentLogger } from '../../../src/core/logger.js';
import { BullJobDispatcher } from '../../../src/jobs/dispatcher.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';
import { tcpProxy } from './fixtures/tcp-proxy.js';
import { gate, jobRequest, jobSystem, waitFor, type JobSystem } from './fixtures/harness.js';

let system: JobSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

describe('BullJobDispatcher', () => {
  it('attaches a second request for the same command and target to the running job', async () => {
    system = await jobSystem();
    const release = gate();
    let runs = 0;
    await system.startWorker({
      redeploy: async () => {
        runs += 1;
        await release.promise;
        return textMessage('Redeployed.');
      },
    });

    const first = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    expect(first).toMatchObject({ attached: false, state: 'waiting' });
    expect(first.jobId).toMatch(/^redeploy\.prod\/api#/);

    await waitFor(() => runs === 1, 5000, 'the job to start');
    const second = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    expect(second).toEqual({ jobId: first.jobId, attached: true, state: 'active' });

    // Another target is another job.
    const other = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/web'));
    expect(other.attached).toBe(false);

    release.open();
    await waitFor(async () => (await system!.dispatcher.jobCounts()).completed === 2, 5000, 'both jobs to complete');
    expect(runs).toBe(2);
  });

  it('attaches while the job is still waiting for a worker', async () => {
    system = await jobSystem();
    const first = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));
    const second = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));
    expect(second).toEqual({ jobId: first.jobId, attached: true, state: 'waiting' });
    expect(await system.dispatcher.jobCounts()).toMatchObject({ waiting: 1, active: 0 });
  });

  it('starts a new run once the previous one has finished', async () => {
    system = await jobSystem();
    await system.startWorker({ redeploy: () => Promise.resolve(textMessage('Redeployed.')) });
    const first = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    expect(await system.dispatcher.waitUntilFinished(first.jobId, { timeoutMs: 5000, pollMs: 20 })).toBe('completed');
    expect(system.surface.posts.map((p) => p.message.summary)).toEqual(['Redeployed.']);

    const second = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    expect(second.attached).toBe(false);
    expect(second.jobId).not.toBe(first.jobId);
    expect(await system.dispatcher.waitUntilFinished(second.jobId, { timeoutMs: 5000, pollMs: 20 })).toBe('completed');
    expect(await system.dispatcher.waitUntilFinished('redeploy.prod/api#never')).toBe('gone');
  });

  it('releases a dedup key left behind by a job that no longer exists', async () => {
    system = await jobSystem();
    const admin = testRedis();
    await admin.set(`${system.prefix}:lifeboat-jobs:de:rebuild:api`, 'rebuild.api#gone');
    admin.disconnect();
    const job = await system.dispatcher.enqueue(jobRequest('rebuild', 'api'));
    expect(job.attached).toBe(false);
    expect(job.jobId).not.toBe('rebuild.api#gone');
  });

  it('stores only what a job needs: no user groups, no secrets', async () => {
    system = await jobSystem();
    const { jobId } = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker', { count: 4 }));
    const raw = await system.producer.hget(`${system.prefix}:lifeboat-jobs:${jobId}`, 'data');
    expect(JSON.parse(raw!)).toEqual({
      kind: 'scale',
      data: { target: 'prod/worker', count: 4 },
      replyTo: { surface: 'console', channel: 'ops', threadTs: expect.any(String) },
      requester: { userId: 'U1', userName: 'ana' },
      commandText: 'scale prod/worker',
    });
  });

  it('refuses within 3 s with REDIS_UNAVAILABLE when Redis is down, instead of hanging', async () => {
    const port = await freePort();
    const producer = createRedisClient(`redis://127.0.0.1:${port}`, { role: 'producer', logger: silentLogger });
    const dispatcher = new BullJobDispatcher({ connection: producer, logger: silentLogger, prefix: 'lbtest:down' });
    try {
      const calls: Promise<unknown>[] = [
        dispatcher.enqueue(jobRequest('redeploy', 'prod/api')),
        dispatcher.cancel('redeploy.prod/api#x', { userId: 'U1' }),
        dispatcher.jobCounts(),
      ];
      const started = Date.now();
      const errors = await Promise.all(calls.map((call) => call.then(() => undefined, (err: unknown) => [err, Date.now() - started] as const)));
      for (const [error, tookMs] of errors.map((e) => e ?? [undefined, 0])) {
        expect(tookMs).toBeLessThan(3000);
        expect(error).toMatchObject({ code: 'REDIS_UNAVAILABLE', userMessage: expect.stringMatching(/cannot reach Redis.*try again/i) });
      }
    } finally {
      await dispatcher.close().catch(() => undefined);
      producer.disconnect();
    }
  });

  it('never queues a refused request later, once Redis is back', async () => {
    const proxy = await tcpProxy(testRedisUrl());
    const prefix = testPrefix('jobs');
    proxy.cut();
    // Created while Redis is unreachable: BullMQ would hold an add until it connects.
    const producer = createRedisClient(proxy.url, { role: 'producer', logger: silentLogger });
    const dispatcher = new BullJobDispatcher({ connection: producer, logger: silentLogger, prefix });
    try {
      await expect(dispatcher.enqueue(jobRequest('scale', 'a'))).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      proxy.restore();
      await waitFor(() => producer.status === 'ready', 5000, 'the producer to reconnect');
      await new Promise((r) => setTimeout(r, 200));
      expect(await dispatcher.jobCounts()).toMatchObject({ waiting: 0 });

      // And it keeps working across a later outage.
      expect((await dispatcher.enqueue(jobRequest('scale', 'b'))).attached).toBe(false);
      proxy.cut();
      await expect(dispatcher.enqueue(jobRequest('scale', 'c'))).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      proxy.restore();
      await waitFor(() => producer.status === 'ready', 5000, 'the producer to reconnect');
      await new Promise((r) => setTimeout(r, 200));
      expect(await dispatcher.jobCounts()).toMatchObject({ waiting: 1 });
    } finally {
      await dispatcher.close();
      producer.disconnect();
      await proxy.close();
    }
  });
});
