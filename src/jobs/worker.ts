import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChatSurface, SurfaceName } from '../chat/ports.js';
import type { JobHandlers } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import { parseJobData, type LifeboatJobData } from './job-data.js';
import { readCancelMarker } from './job-state.js';
import { DEFAULT_PREFIX, DEFAULT_QUEUE, lifeboatKeys } from './keys.js';
import { abortReason, runJob, type AbortCause, type JobReturn, type RunDeps } from './run-job.js';

export interface JobWorkerOptions {
  /**
   * A `worker`-role client (`createRedisClient(url, { role: 'worker' })`: reconnects forever,
   * `maxRetriesPerRequest: null`, which BullMQ requires). The caller closes it; BullMQ and the
   * cancel subscriber use their own duplicates.
   */
  connection: Redis;
  handlers: JobHandlers;
  /** Where progress and results go, by the surface the command came from. */
  surfaces: Partial<Record<SurfaceName, ChatSurface>>;
  logger: Logger;
  /** Must match the dispatcher's. Default `lifeboat`. */
  prefix?: string;
  /** Must match the dispatcher's. Default `lifeboat-jobs`. */
  queueName?: string;
  /** Jobs run at once by this process. Default 4. */
  concurrency?: number;
  /** Minimum time between two updates of a job's progress message. Default 2000 ms. */
  progressIntervalMs?: number;
  /**
   * How long a job stays claimed without a lock renewal (renewed every half of it while the
   * process lives). After a crash, the job is retried by another worker within about
   * lockDuration + stalledInterval. Defaults 30 000 ms each (BullMQ's).
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Crashes a job may survive before it is failed (a job that kills its worker). Default 2. */
  maxStalledCount?: number;
  /** Lifetime of a job's checkpoints while it is unfinished, refreshed on each write. Default 7 days. */
  stateTtlMs?: number;
  /**
   * How long `close()` waits for aborted handlers to return. A handler that ignores its signal
   * is left behind; its job is recovered as stalled once this process exits. Default 10 000 ms.
   */
  shutdownGraceMs?: number;
}

/**
 * The consumer side of the job system (role `worker`): takes jobs off the BullMQ queue and
 * runs the registered handler for their kind with a `JobContext`. Cancellation crosses
 * processes through a marker key plus pub/sub: BullMQ 5 can abort a job only inside the process
 * running it (`Worker.cancelJob`), so a cancel message is what reaches that process.
 */
export class JobWorker {
  private readonly redis: Redis;
  private readonly keys: ReturnType<typeof lifeboatKeys>;
  private readonly log: Logger;
  /** Jobs running in this process, with their own abort controllers. BullMQ's per-job signal is
   * not used for this: its lock manager stops tracking jobs once close() starts, so a job picked
   * up in that instant could never be stopped. */
  private readonly running = new Map<string, { controller: AbortController; cause?: AbortCause }>();
  private worker: Worker<LifeboatJobData, JobReturn> | undefined;
  private subscriber: Redis | undefined;
  private closing = false;

  constructor(private readonly options: JobWorkerOptions) {
    this.redis = options.connection;
    this.keys = lifeboatKeys({ prefix: options.prefix ?? DEFAULT_PREFIX, queueName: options.queueName ?? DEFAULT_QUEUE });
    this.log = options.logger.child({ component: 'jobs.worker' });
  }

  /** Subscribes to cancel requests and starts taking jobs; resolves once connected. */
  async start(): Promise<void> {
    if (this.worker) return;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.log.debug({ err: err.message }, 'cancel subscriber connection error'));
    subscriber.on('message', (_channel: string, jobId: string) => this.abort(jobId, 'cancel'));
    // ioredis resubscribes after a reconnect, but messages sent while it was down are lost:
    // the marker keys are the source of truth, so re-read them for our running jobs.
    subscriber.on('ready', () => void this.recheckCancels());
    await subscriber.subscribe(this.keys.cancelChannel);

    const o = this.options;
    const worker = new Worker<LifeboatJobData, JobReturn>(
      o.queueName ?? DEFAULT_QUEUE,
      // Three declared parameters: BullMQ only creates the abort signal for processors that take it.
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: this.redis,
        prefix: o.prefix ?? DEFAULT_PREFIX,
        concurrency: o.concurrency ?? 4,
        lockDuration: o.lockDurationMs ?? 30_000,
        stalledInterval: o.stalledIntervalMs ?? 30_000,
        maxStalledCount: o.maxStalledCount ?? 2,
      },
    );
    this.worker = worker;
    worker.on('error', (err) => this.log.warn({ err: err.message }, 'job worker error'));
    worker.on('stalled', (jobId) => this.log.warn({ jobId }, 'job lost its worker; queued again'));
    await worker.waitUntilReady();
  }

  /**
   * Stops taking jobs, aborts running handlers with a "shutting down" reason (their jobs go back
   * to the queue and resume elsewhere from their checkpoints), waits for them, disconnects.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    this.closing = true;
    if (worker) {
      const closed = worker.close();
      for (const jobId of this.running.keys()) this.abort(jobId, 'shutdown');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.options.shutdownGraceMs ?? 10_000);
      });
      const result = await Promise.race([closed, grace]);
      clearTimeout(timer);
      if (result === 'timeout') this.log.warn({ jobs: [...this.running.keys()] }, 'handlers ignored shutdown; their jobs will be recovered as stalled');
    }
    if (this.subscriber) await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }

  private async process(job: Job<LifeboatJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<JobReturn> {
    let data: LifeboatJobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      this.log.error({ jobId: job.id, err: err instanceof Error ? err.message : String(err) }, 'unreadable job data');
      throw new UnrecoverableError('unreadable job data');
    }
    const deps: RunDeps = {
      redis: this.redis,
      keys: this.keys,
      handler: this.options.handlers[data.kind],
      surface: data.replyTo ? this.options.surfaces[data.replyTo.surface] : undefined,
      log: this.log.child({ jobId: job.id, kind: data.kind, attempt: job.attemptsMade + 1 }),
      progressIntervalMs: this.options.progressIntervalMs ?? 2000,
      stateTtlMs: this.options.stateTtlMs ?? 7 * 24 * 3600_000,
      keepFinishedMs: 3600_000,
      track: (jobId) => {
        const entry: { controller: AbortController; cause?: AbortCause } = { controller: new AbortController() };
        this.running.set(jobId, entry);
        // A job fetched just before close() began: stop it like the others.
        if (this.closing) this.abort(jobId, 'shutdown');
        return {
          signal: entry.controller.signal,
          cause: () => entry.cause,
          abort: (cause) => this.abort(jobId, cause),
          untrack: () => {
            if (this.running.get(jobId) === entry) this.running.delete(jobId);
          },
        };
      },
    };
    return runJob(deps, job, data, token, signal);
  }

  private abort(jobId: string, cause: AbortCause): void {
    const entry = this.running.get(jobId);
    if (!entry || entry.cause) return;
    entry.cause = cause;
    entry.controller.abort(abortReason(cause));
  }

  private async recheckCancels(): Promise<void> {
    for (const jobId of this.running.keys()) {
      try {
        if (await readCancelMarker(this.redis, this.keys.cancel(jobId))) this.abort(jobId, 'cancel');
      } catch (err) {
        this.log.debug({ jobId, err: err instanceof Error ? err.message : String(err) }, 'cancel re-check failed');
      }
    }
  }
}
