/**
 * Every outside call of a scan goes through a `CallBudget`: token buckets (rate and burst matched
 * to the API's throttling buckets, one per API), a bound on calls in flight, and retries with
 * exponential backoff and full jitter for retryable failures (`AWS_THROTTLED`, `AWS_ERROR`).
 * Retries take a token like any call, so a throttled account slows down instead of hammering the
 * API; an adaptive budget also halves the throttled API's rate.
 *
 * One budget per throttling domain: AWS throttles per account, per Region, per API family.
 */
import type { Clock } from '../core/clock.js';
import { isLifeboatError } from '../core/errors.js';

/** Rate, concurrency and retry settings of one budget, plus the clock and sleep it runs on. */
export interface CallBudgetOptions {
  /** Sustained calls per second, per bucket. */
  ratePerSecond: number;
  /** Bucket size: calls allowed back to back after a quiet spell. */
  burst: number;
  /**
   * Which throttling bucket an operation draws from. AWS keeps a bucket per API (ECS documents
   * "DescribeClusters bucket 50, refill 20"), so one slow API must not hold the others back.
   * Default: one bucket for every operation.
   */
  bucketOf?: (operation: string) => string;
  /**
   * Additive increase, multiplicative decrease: a throttled call halves its bucket's rate (down to
   * a tenth) and empties it; every success wins back a fiftieth of the rate. The scan then runs at
   * the API's documented rate when it has the account to itself and yields when others compete.
   */
  adaptive?: boolean;
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

/** One token bucket; takers are served in order. */
class Bucket {
  private tokens: number;
  private refilledAt: number;
  rate: number;
  /** Token acquisition is serialised so waiters are served in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: CallBudgetOptions,
  ) {
    this.tokens = options.burst;
    this.rate = options.ratePerSecond;
    this.refilledAt = options.clock.now();
  }

  take(signal?: AbortSignal): Promise<void> {
    const next = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.options.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000), signal);
      }
    });
    // A failed wait (abort) must not wedge the queue for later callers.
    this.queue = next.catch(() => undefined);
    return next;
  }

  throttled(): void {
    this.refill();
    this.rate = Math.max(this.options.ratePerSecond / 10, this.rate / 2);
    this.tokens = Math.min(this.tokens, 0);
  }

  succeeded(): void {
    if (this.rate < this.options.ratePerSecond) this.rate = Math.min(this.options.ratePerSecond, this.rate + this.options.ratePerSecond / 50);
  }

  private refill(): void {
    const now = this.options.clock.now();
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.rate);
    this.refilledAt = now;
  }
}

/** Token buckets + in-flight bound + retry with backoff, for one throttling domain. */
export class CallBudget {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly counts = new Map<string, CallStats>();

  constructor(private readonly options: CallBudgetOptions) {}

  /** Run `fn` under the budget, retrying retryable failures. `operation` names it in stats and picks its bucket. */
  async run<T>(operation: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const stats = this.statsFor(operation);
    const bucket = this.bucketFor(operation);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      // The token first: a call waiting for its own API's token must not hold a slot another API could use.
      await bucket.take(signal);
      // Synchronous when a slot is free: no extra turn between taking the token and starting the call.
      if (this.inFlight < this.options.maxInFlight) this.inFlight++;
      else await this.waitForSlot();
      try {
        stats.calls++;
        const result = await fn();
        if (this.options.adaptive) bucket.succeeded();
        return result;
      } catch (err) {
        const retryable = isLifeboatError(err) && err.retryable;
        if (this.options.adaptive && isLifeboatError(err) && err.code === 'AWS_THROTTLED') bucket.throttled();
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

  private bucketFor(operation: string): Bucket {
    const key = this.options.bucketOf?.(operation) ?? '';
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Bucket(this.options);
      this.buckets.set(key, bucket);
    }
    return bucket;
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

  private waitForSlot(): Promise<void> {
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

/** Every operation its own bucket, as AWS throttles per API. */
const perOperation = (operation: string) => operation;

/**
 * Defaults per API family, one budget per account and Region (and per registry host). ECS throttles
 * each API with its own token bucket per account and Region; the documented example is a bucket of
 * 50 refilled at 20/s (DescribeClusters), and 20/s sustained is what is cited for cluster and
 * service reads (corpus ecs/SEMANTICS.md). ECR publishes no figures for these reads; the same shape
 * is assumed. The budgets run at those rates — `npm run bench` shows a cold scan of 1,000 services
 * within 1.2 × the time the throttling allows — and `adaptive` halves a bucket's rate whenever AWS
 * throttles it, so a scan yields to deployments sharing the account instead of crowding them out.
 * Lower them (`ScanDeps.budgets`) for accounts whose automation lives near the limits.
 */
export const DEFAULT_BUDGETS: Record<
  'ecs' | 'ecr' | 'registry',
  Pick<CallBudgetOptions, 'ratePerSecond' | 'burst' | 'maxInFlight' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'bucketOf' | 'adaptive'>
> = {
  ecs: { ratePerSecond: 20, burst: 40, bucketOf: perOperation, adaptive: true, maxInFlight: 10, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 },
  ecr: { ratePerSecond: 20, burst: 40, bucketOf: perOperation, adaptive: true, maxInFlight: 10, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 },
  registry: { ratePerSecond: 5, burst: 10, maxInFlight: 4, maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
};
