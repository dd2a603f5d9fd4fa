import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FinishedJob, JobOutcomeSource, JobOutputs } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import type { LifeboatJobData } from './job-data.js';
import { DEFAULT_PREFIX, DEFAULT_QUEUE } from './keys.js';

export interface BullJobOutcomesOptions {
  /** A `producer`-role client; the caller closes it. */
  connection: Redis;
  logger: Logger;
  /** Must match the dispatcher's. Default `lifeboat`. */
  prefix?: string;
  /** Must match the dispatcher's. Default `lifeboat-jobs`. */
  queueName?: string;
  /** How often a waiting job is looked at. Default 1000 ms. */
  pollMs?: number;
}

/**
 * How jobs ended, with their outputs, read from BullMQ (role `bot`, for the runbook engine).
 * A job counts as finished only once BullMQ has marked it so — after its result is posted and its
 * dedup key released — so the next step of a runbook never attaches to the job that just ran.
 * Polls, like `BullJobDispatcher.waitUntilFinished`, so it needs no blocking connection; while
 * Redis is down it keeps waiting instead of failing the step.
 */
export class BullJobOutcomes implements JobOutcomeSource {
  private readonly queue: Queue<LifeboatJobData>;
  private readonly log: Logger;
  private readonly pollMs: number;

  constructor(options: BullJobOutcomesOptions) {
    this.queue = new Queue<LifeboatJobData>(options.queueName ?? DEFAULT_QUEUE, { connection: options.connection, prefix: options.prefix ?? DEFAULT_PREFIX });
    this.log = options.logger.child({ component: 'jobs.outcomes' });
    this.pollMs = options.pollMs ?? 1000;
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'job queue connection error'));
  }

  async waitForOutcome(jobId: string, options: { signal?: AbortSignal } = {}): Promise<FinishedJob> {
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        const finished = await this.look(jobId);
        if (finished) return finished;
      } catch (err) {
        this.log.debug({ jobId, err: err instanceof Error ? err.message : String(err) }, 'could not read the job yet; still waiting');
      }
      await sleep(this.pollMs, options.signal);
    }
  }

  /** Closes the BullMQ queue object; the Redis client passed in belongs to the caller. */
  async close(): Promise<void> {
    await this.queue.close();
  }

  private async look(jobId: string): Promise<FinishedJob | undefined> {
    // State first, then the job: read the other way round, a job finishing in between would show
    // as completed with the return value it did not have yet.
    const state = await this.queue.getJobState(jobId);
    if (state === 'unknown') return { status: 'gone' };
    if (state !== 'completed' && state !== 'failed') return undefined;
    const job = await this.queue.getJob(jobId);
    if (!job) return { status: state === 'completed' ? 'completed' : 'failed', summary: 'The job finished; its record is gone.' };
    if (state === 'completed') return completed(job.returnvalue as unknown);
    // run-job.ts fails jobs with `cancelled` or `failed: <summary>`; anything else is BullMQ's own.
    const reason = job.failedReason ?? '';
    if (reason === 'cancelled') return { status: 'cancelled', summary: 'The job was cancelled.' };
    return { status: 'failed', summary: reason.replace(/^failed: /, '') || 'The job failed.' };
  }
}

function completed(value: unknown): FinishedJob {
  const result: FinishedJob = { status: 'completed' };
  if (typeof value !== 'object' || value === null) return result;
  const { summary, outputs } = value as { summary?: unknown; outputs?: unknown };
  if (typeof summary === 'string') result.summary = summary;
  if (typeof outputs === 'object' && outputs !== null && !Array.isArray(outputs)) result.outputs = outputs as JobOutputs;
  return result;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
