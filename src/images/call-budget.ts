/**
 * Every outside call of a scan goes through a `CallBudget`: a token bucket (rate and burst matched
 * to the API's throttling bucket), a bound on calls in flight, and retries with exponential backoff
 * and full jitter for retryable failures (`AWS_THROTTLED`, `AWS_ERROR`). Retries take a token
 * like any call, so a throttled account slows down instead of hammering the API.
 *
 * One budget per throttling domain: AWS throttles per account, per Region, per API family.
 */
import type { Clock } from '../core/clock.js';
import { isLifeboatError } from '../core/errors.js';

/** Rate, concurrency and retry settings of one budget, plus the clock and sleep it runs on. */
export interface CallBudgetOptions {
  /** Sustained calls per second. */
  ratePerSecond: number;
  /** Bucket size: calls allowed back to back after a quiet spell. */
  burst: number;
  /** Calls in flight at once. */
  maxInFlight: number;
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  clock: Clock;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1); injectable for deterministic jitter in tests. */
  random?: () => number;
}

/** Counts per operation name, for the report and the call-floor benchmark. */
export interface CallStats {
  calls: number;
  retries: number;
  failures: number;
}

/** Token bucket + in-flight bound + retry with backoff, for one throttling domain. */
export class CallBudget {
  private tokens: number;
  private refilledAt: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Token acquisition is serialised so waiters are served in order. */
  private tokenQueue: Promise<void> = Promise.resolve();
  private readonly counts = new Map<string, CallStats>();

  constructor(private readonly options: CallBudgetOptions) {
    this.tokens = options.burst;
    this.refilledAt = options.clock.now();
  }

  /** Run `fn` under the budget, retrying retryable failures. `operation` names it in stats. */
  async run<T>(operation: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const stats = this.statsFor(operation);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      await this.acquireSlot();
      try {
        await this.acquireToken(signal);
        stats.calls++;
        return await fn();
      } catch (err) {
        const retryable = isLifeboatError(err) && err.retryable;
        if (!retryable || attempt >= this.options.maxAttempts || signal?.aborted) {
          stats.failures++;
          throw err;
        }
        stats.retries++;
      } finally {
        this.releaseSlot();
      }
      await this.options.sleep(this.backoff(attempt), signal);
    }
  }

  /** Calls, retries and failures by operation. */
  stats(): Record<string, CallStats> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, { ...v }]));
  }

  private statsFor(operation: string): CallStats {
    let stats = this.counts.get(operation);
    if (!stats) {
      stats = { calls: 0, retries: 0, failures: 0 };
      this.counts.set(operation, stats);
    }
    return stats;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor((this.options.random ?? Math.random)() * ceiling);
  }

  private acquireToken(signal?: AbortSignal): Promise<void> {
    const next = this.tokenQueue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.options.sleep(Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000), signal);
      }
    });
    // A failed wait (abort) must not wedge the queue for later callers.
    this.tokenQueue = next.catch(() => undefined);
    return next;
  }

  private refill(): void {
    const now = this.options.clock.now();
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.ratePerSecond);
    this.refilledAt = now;
  }

  private acquireSlot(): Promise<void> {
    if (this.inFlight < this.options.maxInFlight) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter; the in-flight count stays the same.
    if (next) next();
    else this.inFlight--;
  }
}

/** `setTimeout` as a promise that an abort signal cuts short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Defaults per API family. ECS documents token buckets per account and Region (cluster and
 * service reads ≈ 20/s sustained, burst 50 for DescribeClusters; corpus ecs/SEMANTICS.md); ECR's
 * read quotas are of the same order. Conservative values: a scan must never starve the
 * deployments that share the account's buckets.
 */
export const DEFAULT_BUDGETS: Record<'ecs' | 'ecr' | 'registry', Pick<CallBudgetOptions, 'ratePerSecond' | 'burst' | 'maxInFlight' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>> = {
  ecs: { ratePerSecond: 10, burst: 20, maxInFlight: 5, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 },
  ecr: { ratePerSecond: 10, burst: 20, maxInFlight: 5, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 },
  registry: { ratePerSecond: 5, burst: 10, maxInFlight: 4, maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
};
