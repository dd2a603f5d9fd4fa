import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnqueuedJob, JobDispatcher, JobRequest, Requester } from '../chat/ports.js';
import { LifeboatError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isConnectionError, redisUnavailable, RedisTimeoutError, whenReady, withDeadline } from './fail-fast.js';
import { toJobData, type LifeboatJobData } from './job-data.js';
import { DEFAULT_PREFIX, DEFAULT_QUEUE, lifeboatKeys, newJobId } from './keys.js';

/** Job states counted for `status` and `/metrics`. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed'] as const;
export type JobStateName = (typeof JOB_STATES)[number];

/** States in which a job still owns its dedup key: a new request attaches to it. */
const LIVE_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/** How long a cancel request is remembered for a worker that has not seen it yet. */
const CANCEL_TTL_MS = 24 * 3600_000;

/** Deletes the dedup key only if it still points at the given (dead) job: never races a new run. */
const DELETE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface BullJobDispatcherOptions {
  /** A `producer`-role client (`createRedisClient(url, { role: 'producer' })`); the caller closes it. */
  connection: Redis;
  logger: Logger;
  /** BullMQ key prefix, shared with the workers. Default `lifeboat`. */
  prefix?: string;
  /** Default `lifeboat-jobs`. */
  queueName?: string;
  /** Tries per job when the handler throws a retryable error. Default 3. */
  attempts?: number;
  /** First retry delay; doubles on each retry. Default 5000 ms. */
  backoffMs?: number;
  /** How long enqueue/cancel/jobCounts may take before answering REDIS_UNAVAILABLE. Default 2000 ms. */
  failFastMs?: number;
  /** Finished jobs kept for `status` (count and age), after which BullMQ trims them. */
  keepCompleted?: { count: number; ageSeconds: number };
  keepFailed?: { count: number; ageSeconds: number };
}

/**
 * The producer side of the job system (role `bot`): queues jobs on BullMQ, attaches repeated
 * requests to the running job, cancels, counts. It never runs a handler — see `JobWorker`.
 *
 * Attach-instead-of-duplicate uses BullMQ's own deduplication (`deduplication.id` = the
 * request's `dedupKey`): BullMQ sets `<prefix>:<queue>:de:<dedupKey> → jobId` with NX inside
 * the add script and deletes it when the job completes, fails for good or is removed, so the
 * check and the insert are one atomic step across all bot processes and a finished job never
 * blocks the next run.
 */
export class BullJobDispatcher implements JobDispatcher {
  private readonly queue: Queue<LifeboatJobData>;
  private readonly redis: Redis;
  private readonly keys: ReturnType<typeof lifeboatKeys>;
  private readonly failFastMs: number;
  private readonly log: Logger;

  constructor(options: BullJobDispatcherOptions) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const queueName = options.queueName ?? DEFAULT_QUEUE;
    this.redis = options.connection;
    this.keys = lifeboatKeys({ prefix, queueName });
    this.failFastMs = options.failFastMs ?? 2000;
    this.log = options.logger.child({ component: 'jobs.dispatcher' });
    const keepCompleted = options.keepCompleted ?? { count: 1000, ageSeconds: 24 * 3600 };
    const keepFailed = options.keepFailed ?? { count: 5000, ageSeconds: 7 * 24 * 3600 };
    this.queue = new Queue<LifeboatJobData>(queueName, {
      connection: options.connection,
      prefix,
      defaultJobOptions: {
        attempts: options.attempts ?? 3,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 5000 },
        removeOnComplete: { count: keepCompleted.count, age: keepCompleted.ageSeconds },
        removeOnFail: { count: keepFailed.count, age: keepFailed.ageSeconds },
      },
    });
    // Without a listener an 'error' event would crash the process; ioredis keeps reconnecting.
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'job queue connection error'));
  }

  /** Queues the job, or returns the running one for the same `dedupKey` with `attached: true`. */
  async enqueue(request: JobRequest): Promise<EnqueuedJob> {
    return this.guarded('start the job', async () => {
      const first = await this.add(request);
      if (first.attached && !LIVE_STATES.has(first.state)) {
        // The dedup key points at a job that is gone or finished (e.g. removed by hand or
        // restored from an old snapshot): release it once and queue a fresh run.
        this.log.warn({ jobId: first.jobId, state: first.state, dedupKey: request.dedupKey }, 'stale dedup key released');
        await this.redis.eval(DELETE_IF_EQUALS, 1, `${this.queue.keys.de}:${request.dedupKey}`, first.jobId);
        return this.add(request);
      }
      return first;
    });
  }

  /**
   * Cancels a job. A job that never started is simply removed; a running (or retry-waiting) one
   * gets a cancel marker plus a pub/sub nudge, and its worker aborts the handler's signal and
   * reports "cancelled" in the thread. Who may cancel is the router's decision.
   */
  async cancel(jobId: string, by: Requester): Promise<'cancelled' | 'not-running' | 'unknown'> {
    return this.guarded('cancel the job', async () => {
      const job = await this.queue.getJob(jobId);
      if (!job) return 'unknown';
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return 'not-running';
      if (state === 'unknown') return 'unknown';

      const marker = JSON.stringify({ userId: by.userId, userName: by.userName, at: Date.now() });
      await this.redis.set(this.keys.cancel(jobId), marker, 'PX', CANCEL_TTL_MS);
      if ((state === 'waiting' || state === 'prioritized') && (await this.redis.exists(this.keys.state(jobId))) === 0) {
        try {
          // Never started, nothing posted in chat: removing it is the whole cancellation.
          await job.remove();
          await this.redis.del(this.keys.cancel(jobId));
          return 'cancelled';
        } catch {
          // A worker took it in the meantime; cancel it as a running job below.
        }
      }
      if (state === 'delayed') {
        // Waiting out a retry backoff: let a worker pick it up now and finish it as cancelled.
        await job.promote().catch(() => undefined);
      }
      await this.redis.publish(this.keys.cancelChannel, jobId);
      return 'cancelled';
    });
  }

  /** Jobs per state, for `status` and `/metrics`. Fails fast like enqueue. */
  async jobCounts(): Promise<Record<JobStateName, number>> {
    return this.guarded('count jobs', async () => {
      const raw = await this.queue.getJobCounts(...JOB_STATES);
      const counts = {} as Record<JobStateName, number>;
      for (const state of JOB_STATES) counts[state] = raw[state] ?? 0;
      return counts;
    });
  }

  /**
   * Resolves once the job has finished: `completed`, `failed` (includes cancelled), or `gone`
   * (removed, or never existed). For `lifeboat run`, which must not exit before the worker has
   * posted the result (the worker posts it before marking the job finished). Polls, so it needs
   * no extra blocking connection.
   */
  async waitUntilFinished(jobId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<'completed' | 'failed' | 'gone'> {
    const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
    for (;;) {
      const state = await this.guarded('follow the job', async () => {
        const job = await this.queue.getJob(jobId);
        return job ? job.getState() : 'unknown';
      });
      if (state === 'completed' || state === 'failed') return state;
      if (state === 'unknown') return 'gone';
      if (Date.now() > deadline) throw new LifeboatError('JOB_FAILED', `Job ${jobId} is still ${state}; Lifeboat stopped waiting. Its result will still be posted in the thread.`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    }
  }

  /** Closes the BullMQ queue. The Redis client passed in belongs to the caller. */
  async close(): Promise<void> {
    await this.queue.close();
  }

  private async add(request: JobRequest): Promise<EnqueuedJob> {
    const proposed = newJobId(request.dedupKey);
    const job = await this.queue.add(request.kind, toJobData(request), {
      jobId: proposed,
      deduplication: { id: request.dedupKey },
    });
    // BullMQ returns the id of the job holding the dedup key when it did not insert ours.
    if (job.id === proposed) return { jobId: proposed, attached: false, state: 'waiting' };
    const existingId = job.id ?? '';
    const existing = await this.queue.getJob(existingId);
    const state = existing ? await existing.getState() : 'unknown';
    return { jobId: existingId, attached: true, state };
  }

  /**
   * Runs `work` only once Redis is ready, within `failFastMs` overall; connection failures
   * become REDIS_UNAVAILABLE with a sentence for the person who asked.
   */
  private async guarded<T>(attempt: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      // One budget for the whole call; a connected Redis answers in milliseconds, so the floor
      // only matters when readiness took most of it.
      const left = (): number => Math.max(this.failFastMs - (Date.now() - started), 500);
      await whenReady(this.redis, this.failFastMs);
      await withDeadline(this.queue.waitUntilReady(), left(), () => new RedisTimeoutError('job queue not ready'));
      return await withDeadline(work(), left(), () => new RedisTimeoutError('Redis did not answer in time'));
    } catch (err) {
      if (isConnectionError(err)) {
        this.log.warn({ err: (err as Error).message }, `could not ${attempt}: Redis unavailable`);
        throw redisUnavailable(attempt, err);
      }
      throw err;
    }
  }
}
