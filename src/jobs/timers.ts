/**
 * Durable timers on BullMQ, for escalation steps, the stuck-incident sweep, heartbeat checks and
 * synthetic checks. A separate queue (`lifeboat-timers`) from the command jobs: timer jobs carry no
 * chat conversation and must never wait behind a long redeploy, and the command `JobWorker`
 * would not know what to do with them.
 *
 * - One-shot timers are delayed jobs whose id is derived from the timer id, so scheduling the same
 *   timer twice (two processes, a retry) makes one job; they survive restarts in Redis and are
 *   run by exactly one worker of one process (BullMQ's lock), retried with backoff on error.
 * - Repeating timers are BullMQ job schedulers: each process registers them at start, and the
 *   scheduler produces one job per interval for all processes together.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { FiredTimer, TimerPayload, TimerScheduler } from '../escalation/ports.js';
import { DEFAULT_PREFIX } from './keys.js';

export const TIMER_QUEUE = 'lifeboat-timers';

/** What a timer job stores: the timer's own id (the BullMQ id is a safe form of it), due time and payload. */
interface TimerJobData {
  id: string;
  /** -1 for repeating timers: their due time is the job's scheduled time. */
  dueAt: number;
  payload: TimerPayload;
}

/**
 * BullMQ refuses custom ids with `:` (except the legacy three-part repeat shape) and integer
 * ids, so `esc:inc-7f3a2c:1:2` is stored as `esc.inc-7f3a2c.1.2`; `t.` marks an all-digit id.
 */
export function timerJobId(id: string): string {
  const safe = id.replace(/:/g, '.');
  return /^\d+$/.test(safe) ? `t.${safe}` : safe;
}

export interface TimerQueueLocation {
  /** BullMQ key prefix shared by every process. Default `lifeboat`. */
  prefix?: string;
  /** Default `lifeboat-timers`. */
  queueName?: string;
}

export interface BullTimerSchedulerOptions extends TimerQueueLocation {
  /** A `producer`- or `worker`-role client; the caller closes it. */
  connection: Redis;
  logger: Logger;
  /** Turns due times into delays. Default the system clock (BullMQ itself runs on real time). */
  clock?: Clock;
  /** Tries per firing when the handler throws. Default 12 (about 30 min of retries with the default backoff). */
  attempts?: number;
  /** First retry delay; doubles each time. Default 1000 ms. */
  backoffMs?: number;
}

/** The producer side: schedules, cancels and lists timers. Any process (bot or worker) may use it. */
export class BullTimerScheduler implements TimerScheduler {
  private readonly queue: Queue<TimerJobData>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly redis: Redis;
  private readonly location: Required<TimerQueueLocation>;

  constructor(private readonly options: BullTimerSchedulerOptions) {
    this.location = { prefix: options.prefix ?? DEFAULT_PREFIX, queueName: options.queueName ?? TIMER_QUEUE };
    this.clock = options.clock ?? systemClock;
    this.redis = options.connection;
    this.log = options.logger.child({ component: 'jobs.timers' });
    this.queue = new Queue<TimerJobData>(this.location.queueName, {
      connection: options.connection,
      prefix: this.location.prefix,
      defaultJobOptions: {
        attempts: options.attempts ?? 12,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
        // A fired timer is done with; removing it also lets the same id be scheduled again later.
        removeOnComplete: true,
        // Failed for good (after every retry): logged by the worker; removed so a re-schedule works.
        removeOnFail: true,
      },
    });
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'timer queue connection error'));
  }

  async schedule(id: string, dueAt: number, payload: TimerPayload): Promise<void> {
    const delay = Math.max(0, Math.round(dueAt - this.clock.now()));
    await this.queue.add(payload.kind, { id, dueAt, payload }, { jobId: timerJobId(id), ...(delay > 0 ? { delay } : {}) });
  }

  async cancel(id: string): Promise<boolean> {
    const job = await this.queue.getJob(timerJobId(id));
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'delayed' && state !== 'waiting' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      // A worker took it in the meantime; its handler re-checks and decides.
      return false;
    }
  }

  async scheduleRepeating(id: string, everyMs: number, payload: TimerPayload): Promise<void> {
    await this.queue.upsertJobScheduler(timerJobId(id), { every: Math.max(1000, Math.round(everyMs)) }, {
      name: payload.kind,
      data: { id, dueAt: -1, payload },
      opts: { attempts: 1, removeOnComplete: true, removeOnFail: true },
    });
  }

  async cancelRepeating(id: string): Promise<void> {
    await this.queue.removeJobScheduler(timerJobId(id));
  }

  async repeatingIds(): Promise<string[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1, true);
    return schedulers.map((s) => s.template?.data?.id ?? s.key);
  }

  /** Timers by state, for `status`. */
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  /** How long the oldest due timer has waited for a worker, in seconds (0 when none is waiting). */
  async lagSeconds(): Promise<number> {
    // BullMQ stamps jobs with real time, whatever clock turns due times into delays.
    return queueLagSeconds(this.redis, this.location, Date.now());
  }

  /**
   * Fire now every one-shot timer due by `now` on this scheduler's clock. For a simulated clock
   * that runs ahead of real time (a drill fast-forwards hours, then runs 10× faster): BullMQ waits
   * in real time, so without this an escalation due in simulated minutes would wait real hours.
   * Looks at the `limit` soonest delayed timers. Answers how many it fired.
   */
  async promoteDue(now: number, limit = 500): Promise<number> {
    let promoted = 0;
    for (const job of await this.queue.getDelayed(0, limit - 1)) {
      // Repeating timers (dueAt -1) keep their real-time rhythm.
      if (job.data.dueAt < 0 || job.data.dueAt > now) continue;
      try {
        await job.promote();
        promoted++;
      } catch {
        // Cancelled or taken meanwhile: nothing to fire.
      }
    }
    return promoted;
  }

  /** Closes the BullMQ queue; the Redis client belongs to the caller. */
  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface TimerWorkerOptions extends TimerQueueLocation {
  /** A `worker`-role client (`maxRetriesPerRequest: null`); the caller closes it. */
  connection: Redis;
  logger: Logger;
  /** Runs each fired timer; throwing retries it with backoff. */
  handler: (timer: FiredTimer) => Promise<void>;
  /** Timers run at once by this process. Default 16 (handlers mostly wait on Redis and HTTP). */
  concurrency?: number;
  /** Called for every timer fired (lateness metrics, tests). */
  onFired?: (timer: FiredTimer) => void;
  /** Lock duration; a crashed process's timers are picked up after about this plus the stalled interval. Default 60 s / 30 s. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** The consumer side: runs fired timers. One per process; several processes share the work. */
export class TimerWorker {
  private worker: Worker<TimerJobData> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: TimerWorkerOptions) {
    this.log = options.logger.child({ component: 'jobs.timer-worker' });
  }

  async start(): Promise<void> {
    if (this.worker) return;
    const o = this.options;
    const worker = new Worker<TimerJobData>(o.queueName ?? TIMER_QUEUE, (job) => this.process(job), {
      connection: o.connection,
      prefix: o.prefix ?? DEFAULT_PREFIX,
      concurrency: o.concurrency ?? 16,
      lockDuration: o.lockDurationMs ?? 60_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: 3,
    });
    this.worker = worker;
    worker.on('error', (err) => this.log.warn({ err: err.message }, 'timer worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      this.log[final ? 'error' : 'warn']({ timer: job.data.id, attempt: job.attemptsMade, err: err.message }, final ? 'timer failed for good' : 'timer failed; retrying');
    });
    await worker.waitUntilReady();
  }

  /** Stops taking timers and waits for running ones; unfinished timers stay in Redis for the next process. */
  async close(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
  }

  private async process(job: Job<TimerJobData>): Promise<void> {
    const data = job.data;
    const firedAt = Date.now();
    const dueAt = data.dueAt >= 0 ? data.dueAt : job.timestamp + (job.delay ?? 0);
    const timer: FiredTimer = { id: data.id, dueAt, firedAt, payload: data.payload, attempt: job.attemptsMade + 1 };
    this.options.onFired?.(timer);
    await this.options.handler(timer);
  }
}

/**
 * Seconds the oldest due job of a BullMQ queue has waited to start: the oldest waiting job, or a
 * delayed job already past its time (no worker promoted it — none is running). 0 when none waits.
 */
export async function queueLagSeconds(redis: Redis, location: TimerQueueLocation, now = Date.now()): Promise<number> {
  const base = `${location.prefix ?? DEFAULT_PREFIX}:${location.queueName ?? TIMER_QUEUE}`;
  const [oldestWaiting, firstDelayed] = await Promise.all([
    redis.lindex(`${base}:wait`, -1),
    redis.zrange(`${base}:delayed`, 0, 0, 'WITHSCORES'),
  ]);
  let lagMs = 0;
  if (oldestWaiting) {
    const [timestamp, delay] = await redis.hmget(`${base}:${oldestWaiting}`, 'timestamp', 'delay');
    if (timestamp) lagMs = Math.max(lagMs, now - (Number(timestamp) + Number(delay ?? 0)));
  }
  const score = firstDelayed[1];
  if (score !== undefined) lagMs = Math.max(lagMs, now - Math.floor(Number(score) / 0x1000));
  return Math.max(0, lagMs) / 1000;
}
