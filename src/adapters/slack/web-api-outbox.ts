import type { webApi } from '@slack/bolt';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { RatePolicy } from './rate-policy.js';
import { DEFAULT_RATE_POLICIES, DEFAULT_RATE_POLICY, TokenBucket } from './rate-policy.js';
import { retryAfterSeconds, SlackApiError, toSlackApiError } from './slack-api-error.js';

/** The result of one HTTP attempt against the Web API, for metrics. */
export type ApiCallOutcome = 'ok' | 'rate_limited' | 'error';

/** Told about every Slack API attempt; /metrics counts calls and 429s from it. */
export type ApiCallObserver = (method: string, outcome: ApiCallOutcome) => void;

/**
 * The part of `WebClient` the outbox needs. The client must be built with
 * `rejectRateLimitedCalls: true`: by default `@slack/web-api` answers a 429 by pausing its
 * *whole* request queue, which would stall every channel behind one throttled one.
 */
export interface SlackApiCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<webApi.WebAPICallResult>;
}

/** The outbox's collaborators and tuning; only `client` and `logger` are required. */
export interface SlackOutboxOptions {
  client: SlackApiCaller;
  logger: Logger;
  onApiCall?: ApiCallObserver;
  /** Overrides per method, merged over `DEFAULT_RATE_POLICIES`. */
  policies?: Readonly<Record<string, RatePolicy>>;
  /** 429s tolerated for one call before it fails (default 10). */
  maxRateLimitRetries?: number;
  clock?: Clock;
}

/** A Web API answer: `ok` plus whatever fields the method returns. */
export type SlackApiResult = webApi.WebAPICallResult & Record<string, unknown>;

/** Where a posted message landed. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

interface Waiter {
  resolve: (result: SlackApiResult) => void;
  reject: (err: unknown) => void;
}

interface Task {
  method: string;
  args: Record<string, unknown>;
  /** Queued updates with the same key collapse into the newest one. */
  coalesceKey?: string;
  rateLimited: number;
  waiters: Waiter[];
}

interface Lane {
  method: string;
  channel: string | undefined;
  queue: Task[];
  running: boolean;
  /** A 429 on this lane: nothing in it is sent before this time. */
  blockedUntil: number;
}

/**
 * Every Slack Web API call Lifeboat makes goes through here.
 *
 * - Calls wait in *lanes*, one per method + channel (per method for calls without a channel).
 *   A lane sends one call at a time, in order, so a thread's parent is posted before its replies
 *   and progress updates arrive in sequence.
 * - Lanes are paced by token buckets (`rate-policy.ts`): `chat.postMessage` about 1/s per channel,
 *   `chat.update` within Tier 3 for the workspace, and so on.
 * - A 429 blocks only its own lane for `Retry-After` seconds; then the same call is sent again,
 *   so nothing is lost and other channels keep flowing. After `maxRateLimitRetries` 429s for one
 *   call it fails with `SLACK_API_ERROR`.
 * - A `chat.update` still waiting in its lane is replaced by a newer update of the same message,
 *   so a chatty job produces at most one pending update per message.
 */
export class SlackOutbox {
  private readonly lanes = new Map<string, Lane>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly drains = new Set<Promise<void>>();
  private readonly policies: Readonly<Record<string, RatePolicy>>;
  private readonly maxRateLimitRetries: number;
  private readonly clock: Clock;

  constructor(private readonly options: SlackOutboxOptions) {
    this.policies = { ...DEFAULT_RATE_POLICIES, ...options.policies };
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 10;
    this.clock = options.clock ?? systemClock;
  }

  /** `chat.postMessage`; resolves with where the message landed. */
  async postMessage(args: Record<string, unknown> & { channel: string }): Promise<PostedMessage> {
    const result = await this.call('chat.postMessage', args);
    const ts = typeof result.ts === 'string' ? result.ts : undefined;
    if (!ts) throw new SlackApiError('chat.postMessage', 'missing_ts', { retryable: false });
    return { channel: typeof result.channel === 'string' ? result.channel : args.channel, ts };
  }

  /** `chat.update`; a newer update of the same message queued behind this one supersedes it. */
  async update(args: Record<string, unknown> & { channel: string; ts: string }): Promise<void> {
    await this.enqueue('chat.update', args, `${args.channel}/${args.ts}`);
  }

  /** Any other Web API method, paced and retried the same way. */
  call(method: string, args: Record<string, unknown> = {}): Promise<SlackApiResult> {
    return this.enqueue(method, args, undefined);
  }

  /** Resolves once every queued call has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.drains.size > 0) await Promise.all([...this.drains]);
  }

  private enqueue(method: string, args: Record<string, unknown>, coalesceKey: string | undefined): Promise<SlackApiResult> {
    return new Promise((resolve, reject) => {
      const lane = this.lane(method, typeof args.channel === 'string' ? args.channel : undefined);
      const waiter: Waiter = { resolve, reject };
      const pending = coalesceKey === undefined ? undefined : lane.queue.find((t) => t.coalesceKey === coalesceKey);
      if (pending) {
        pending.args = args;
        pending.waiters.push(waiter);
      } else {
        lane.queue.push({ method, args, coalesceKey, rateLimited: 0, waiters: [waiter] });
      }
      if (!lane.running) this.startDrain(lane);
    });
  }

  private lane(method: string, channel: string | undefined): Lane {
    const key = channel === undefined ? method : `${method}:${channel}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { method, channel, queue: [], running: false, blockedUntil: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private bucket(lane: Lane): TokenBucket {
    const policy = this.policies[lane.method] ?? DEFAULT_RATE_POLICY;
    const key = policy.scope === 'channel' && lane.channel !== undefined ? `${lane.method}:${lane.channel}` : lane.method;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(policy, this.clock.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private startDrain(lane: Lane): void {
    lane.running = true;
    const drain = this.drain(lane).finally(() => {
      lane.running = false;
      this.drains.delete(drain);
      // A call may have been queued between the last check and `running = false`.
      if (lane.queue.length > 0) this.startDrain(lane);
    });
    this.drains.add(drain);
  }

  private async drain(lane: Lane): Promise<void> {
    const bucket = this.bucket(lane);
    for (;;) {
      const task = lane.queue[0];
      if (!task) return;
      const now = this.clock.now();
      const wait = Math.max(lane.blockedUntil - now, bucket.waitMs(now));
      if (wait > 0) {
        await sleep(wait);
        continue;
      }
      bucket.take(now);
      lane.queue.shift();
      await this.attempt(lane, task);
    }
  }

  private async attempt(lane: Lane, task: Task): Promise<void> {
    const observe = this.options.onApiCall ?? (() => {});
    try {
      const result = (await this.options.client.apiCall(task.method, task.args)) as SlackApiResult;
      observe(task.method, 'ok');
      for (const w of task.waiters) w.resolve(result);
    } catch (err) {
      const retryAfter = retryAfterSeconds(err);
      if (retryAfter === undefined) {
        observe(task.method, 'error');
        const failure = toSlackApiError(task.method, err);
        for (const w of task.waiters) w.reject(failure);
        return;
      }
      observe(task.method, 'rate_limited');
      task.rateLimited += 1;
      lane.blockedUntil = this.clock.now() + retryAfter * 1000;
      this.options.logger.warn(
        { method: task.method, channel: lane.channel, retryAfter, attempt: task.rateLimited },
        'Slack rate-limited a call; retrying after Retry-After',
      );
      if (task.rateLimited > this.maxRateLimitRetries) {
        const failure = new SlackApiError(task.method, 'ratelimited', { cause: err, retryable: true });
        for (const w of task.waiters) w.reject(failure);
        return;
      }
      // Back to the head of its lane: order within the channel is kept.
      lane.queue.unshift(task);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
