import { afterEach, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { textMessage } from '../../../src/core/message.js';
import { BullJobOutcomes } from '../../../src/jobs/index.js';
import { gate, jobRequest, jobSystem, untilAborted, waitFor, type JobSystem } from '../jobs/fixtures/harness.js';

let system: JobSystem | undefined;
let outcomes: BullJobOutcomes | undefined;
afterEach(async () => {
  await outcomes?.close();
  await system?.close();
  system = outcomes = undefined;
});

describe('BullJobOutcomes', () => {
  it('hands a runbook step how its job ended, with the outputs the handler reported', async () => {
    system = await jobSystem();
    outcomes = new BullJobOutcomes({ connection: system.producer, logger: silentLogger, prefix: system.prefix, pollMs: 25 });
    const slow = gate();
    await system.startWorker({
      'check-images': () => Promise.resolve({ ...textMessage('2 images missing', 'danger'), outputs: { missing: 2, services: ['prod/api'] } }),
      redeploy: () => Promise.reject(new LifeboatError('JOB_FAILED', 'the new tasks cannot pull their image')),
      scale: async (_data, ctx) => {
        await Promise.race([slow.promise, untilAborted(ctx.signal)]);
        ctx.signal.throwIfAborted();
        return textMessage('scaled');
      },
    });

    const checked = await system.dispatcher.enqueue(jobRequest('check-images', 'prod/api'));
    expect(await outcomes.waitForOutcome(checked.jobId)).toEqual({ status: 'completed', summary: '2 images missing', outputs: { missing: 2, services: ['prod/api'] } });
    // The posted result carries no outputs.
    expect(system.surface.posts.map((p) => p.message)).toEqual([expect.not.objectContaining({ outputs: expect.anything() })]);

    const failed = await system.dispatcher.enqueue(jobRequest('redeploy', 'prod/api'));
    expect(await outcomes.waitForOutcome(failed.jobId)).toEqual({ status: 'failed', summary: 'the new tasks cannot pull their image' });

    const scaling = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));
    await waitFor(async () => (await system!.dispatcher.jobCounts()).active === 1, 5000, 'the scale job to run');
    await system.dispatcher.cancel(scaling.jobId, { userId: 'U2' });
    expect(await outcomes.waitForOutcome(scaling.jobId)).toEqual({ status: 'cancelled', summary: 'The job was cancelled.' });

    expect(await outcomes.waitForOutcome('no-such-job')).toEqual({ status: 'gone' });
    const stop = new AbortController();
    const waiting = outcomes.waitForOutcome((await system.dispatcher.enqueue(jobRequest('unknown-kind-later', 'x'))).jobId, { signal: stop.signal });
    stop.abort(new Error('engine closing'));
    await expect(waiting).rejects.toThrow();
  });
});
