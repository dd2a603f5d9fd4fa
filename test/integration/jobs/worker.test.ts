import { afterEach, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/logger.js';
import { textMessage, type Message } from '../../../src/core/message.js';
import { messageText } from '../../support/fakes.js';
import { gate, jobRequest, jobSystem, untilAborted, waitFor, type JobSystem } from './fixtures/harness.js';

let system: JobSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

/** The posts that are results (not the progress message, which is post #1 when progress was reported). */
function resultPosts(s: JobSystem): Message[] {
  return s.surface.posts.map((p) => p.message).filter((m) => !m.blocks.some((b) => b.type === 'actions'));
}

function recordingLogger(): Logger & { errors: unknown[] } {
  const errors: unknown[] = [];
  const logger: Logger & { errors: unknown[] } = {
    errors,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (obj) => {
      errors.push(obj);
    },
    child: () => logger,
  };
  return logger;
}

describe('JobWorker', () => {
  it('posts the result into the thread the command came from', async () => {
    system = await jobSystem();
    await system.startWorker({ 'check-images': () => Promise.resolve(textMessage('All 12 images are present.', 'success')) });
    const request = jobRequest('check-images', 'prod');
    await system.dispatcher.enqueue(request);
    await waitFor(() => system!.surface.posts.length === 1, 5000, 'the result');
    expect(system.surface.posts[0]).toMatchObject({ to: request.replyTo, message: { summary: 'All 12 images are present.' } });
    expect(system.surface.updates).toEqual([]);
  });

  it('runs a background job (no replyTo) to completion and posts nothing anywhere', async () => {
    system = await jobSystem();
    let ran = false;
    await system.startWorker({
      'check-images': async (_data, ctx) => {
        await ctx.progress(textMessage('checking…'));
        ran = true;
        return textMessage('0 missing', 'success');
      },
    });
    const { replyTo: _dropped, ...background } = jobRequest('check-images', 'prod');
    const job = await system.dispatcher.enqueue(background);
    expect(await system.dispatcher.waitUntilFinished(job.jobId, { pollMs: 50 })).toBe('completed');
    expect(ran).toBe(true);
    expect(system.surface.posts).toEqual([]);
    expect(system.surface.updates).toEqual([]);
  });

  it('coalesces 200 quick progress reports into a handful of updates of one message, ending on the last', async () => {
    system = await jobSystem();
    await system.startWorker(
      {
        scale: async (_data, ctx) => {
          for (let i = 1; i <= 200; i++) {
            await ctx.progress(textMessage(`Step ${i} of 200`));
            if (i % 20 === 0) await new Promise((r) => setTimeout(r, 30));
          }
          return textMessage('Scaled.');
        },
      },
      { progressIntervalMs: 200 },
    );
    const { jobId } = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));
    await waitFor(() => resultPosts(system!).length === 1, 5000, 'the result');

    const { posts, updates } = system.surface;
    expect(posts).toHaveLength(2); // the progress message, then the result
    const progress = posts[0]!;
    expect(messageText(progress.message)).toContain('Step 1 of 200');
    expect(progress.message.blocks).toContainEqual({ type: 'actions', actions: [{ id: 'cancel-job', label: 'Cancel', value: jobId, style: 'danger' }] });
    expect(updates.length).toBeLessThanOrEqual(6);
    expect(updates.every((u) => u.ref.ts === progress.ts)).toBe(true);
    // The final update keeps the last reported state and drops the Cancel button.
    const final = updates.at(-1)!.message;
    expect(messageText(final)).toContain('Step 200 of 200');
    expect(messageText(final)).toContain('finished');
    expect(final.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('cancels a running job: the handler sees its signal aborted and the thread says cancelled', async () => {
    system = await jobSystem();
    let sawAbort: unknown;
    await system.startWorker({
      redeploy: async (_data, ctx) => {
        await ctx.progress(textMessage('Waiting for the new deployment…'));
        await untilAborted(ctx.signal);
        sawAbort = ctx.signal.reason;
        ctx.signal.throwIfAborted();
        return textMessage('not reached');
      },
    });
    const { jobId } = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    await waitFor(() => system!.surface.posts.length === 1, 5000, 'the progress message');

    expect(await system.dispatcher.cancel(jobId, { userId: 'U2', userName: 'bo' })).toBe('cancelled');
    await waitFor(() => resultPosts(system!).length === 1, 5000, 'the result');

    expect(sawAbort).toMatchObject({ code: 'JOB_CANCELLED' });
    expect(resultPosts(system)[0]).toMatchObject({ summary: 'Cancelled: redeploy prod/api', tone: 'warning' });
    expect(messageText(resultPosts(system)[0])).toContain('requested by bo');
    expect(messageText(system.surface.updates.at(-1)?.message)).toContain('cancelled');
    await waitFor(async () => (await system!.dispatcher.jobCounts()).failed === 1, 5000, 'the job to be marked failed');
    expect(await system.dispatcher.cancel(jobId, { userId: 'U2' })).toBe('not-running');
    expect(await system.dispatcher.cancel('redeploy.prod/api#nope', { userId: 'U2' })).toBe('unknown');
    // Cancelled means finished: the same command can start again.
    expect((await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'))).attached).toBe(false);
  });

  it('cancels a job that has not started by removing it', async () => {
    system = await jobSystem();
    const { jobId } = await system.dispatcher.enqueue(jobRequest('rebuild', 'api'));
    expect(await system.dispatcher.cancel(jobId, { userId: 'U1' })).toBe('cancelled');
    expect(await system.dispatcher.jobCounts()).toMatchObject({ waiting: 0 });
    expect(await system.dispatcher.cancel(jobId, { userId: 'U1' })).toBe('unknown');
    expect((await system.dispatcher.enqueue(jobRequest('rebuild', 'api'))).attached).toBe(false);
  });

  it('reports a LifeboatError with its own sentence and anything else with a generic one, logging the details', async () => {
    const logger = recordingLogger();
    system = await jobSystem({}, logger);
    await system.startWorker({
      denied: () => Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat may not call ecs:UpdateService on prod/api; add it to the task role.')),
      crash: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'taskDefinition')")),
    });
    await system.dispatcher.enqueue(jobRequest('denied', 'prod/api'));
    await system.dispatcher.enqueue(jobRequest('crash', 'prod/api'));
    await waitFor(() => resultPosts(system!).length === 2, 5000, 'both results');

    const texts = resultPosts(system).map(messageText).join('\n');
    expect(texts).toContain('may not call ecs:UpdateService');
    expect(texts).toContain('Something went wrong inside Lifeboat');
    expect(texts).not.toContain('taskDefinition');
    expect(logger.errors).toContainEqual({ err: expect.objectContaining({ message: expect.stringContaining('taskDefinition') }) });
  });

  it('retries a retryable failure with backoff and resumes from the checkpoint', async () => {
    system = await jobSystem({ attempts: 3, backoffMs: 50 });
    const attempts: number[] = [];
    let mutations = 0;
    await system.startWorker({
      scale: async (_data, ctx) => {
        attempts.push(Date.now());
        if (!(await ctx.checkpoint.get<boolean>('scaled'))) {
          mutations += 1;
          await ctx.checkpoint.set('scaled', true);
        }
        if (attempts.length === 1) throw new LifeboatError('AWS_THROTTLED', 'AWS is throttling Lifeboat; it will retry.');
        return textMessage('Scaled.');
      },
    });
    await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));
    await waitFor(() => resultPosts(system!).length === 1, 5000, 'the result');
    expect(attempts).toHaveLength(2);
    expect(mutations).toBe(1);
    expect(resultPosts(system)[0]?.summary).toBe('Scaled.');
    // The retry was announced in the (then posted) progress message.
    expect(messageText(system.surface.posts[0]?.message)).toContain('Attempt 1 of 3 failed');
  });

  it('fails an unrecoverable error once, without retrying', async () => {
    system = await jobSystem({ attempts: 3 });
    let runs = 0;
    await system.startWorker({
      scale: () => {
        runs += 1;
        return Promise.reject(new LifeboatError('AWS_NOT_FOUND', 'There is no service prod/nope in cluster prod.'));
      },
    });
    await system.dispatcher.enqueue(jobRequest('scale', 'prod/nope'));
    await waitFor(async () => (await system!.dispatcher.jobCounts()).failed === 1, 5000, 'the job to fail');
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(1);
    expect(resultPosts(system).map((m) => m.summary)).toEqual(['Failed: scale prod/nope']);
  });

  it('keeps checkpoints across worker instances', async () => {
    system = await jobSystem({ attempts: 2, backoffMs: 500 });
    const workerA = await system.startWorker({
      rebuild: async (_data, ctx) => {
        await ctx.checkpoint.set('build', { id: 'build-42', image: 'sha256:abc' });
        throw new LifeboatError('AWS_THROTTLED', 'CodeBuild is throttling Lifeboat; retrying.');
      },
    });
    await system.dispatcher.enqueue(jobRequest('rebuild', 'api'));
    await waitFor(async () => (await system!.dispatcher.jobCounts()).delayed === 1, 5000, 'the retry to be scheduled');
    await workerA.close();

    const seen: unknown[] = [];
    await system.startWorker({
      rebuild: async (_data, ctx) => {
        seen.push(await ctx.checkpoint.get('build'));
        return textMessage('Rebuilt.');
      },
    });
    await waitFor(() => resultPosts(system!).length === 1, 5000, 'the result from worker B');
    expect(seen).toEqual([{ id: 'build-42', image: 'sha256:abc' }]);
  });

  it('hands a job back to the queue when its worker shuts down, and another worker finishes it', async () => {
    system = await jobSystem();
    const started = gate();
    const workerA = await system.startWorker({
      redeploy: async (_data, ctx) => {
        await ctx.progress(textMessage('Rolling out…'));
        await ctx.checkpoint.set('rolled', true);
        started.open();
        await untilAborted(ctx.signal);
        ctx.signal.throwIfAborted();
        return textMessage('not reached');
      },
    });
    await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    await started.promise;
    await workerA.close();
    expect(await system.dispatcher.jobCounts()).toMatchObject({ waiting: 1, active: 0, failed: 0 });

    await system.startWorker({
      redeploy: async (_data, ctx) => {
        expect(await ctx.checkpoint.get('rolled')).toBe(true);
        return textMessage('Redeployed.');
      },
    });
    await waitFor(() => resultPosts(system!).length === 1, 5000, 'the result');
    expect(resultPosts(system)[0]?.summary).toBe('Redeployed.');
    // Worker B finished the progress message worker A had posted, instead of posting another.
    expect(system.surface.posts.filter((p) => p.message.blocks.some((b) => b.type === 'actions'))).toHaveLength(1);
    expect(messageText(system.surface.updates.at(-1)?.message)).toContain('finished');
  });
});
