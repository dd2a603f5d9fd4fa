/**
 * How fast Lifeboat calls each Slack method, before Slack has to tell it to slow down.
 * Sources: Slack's rate-limit docs and java-slack-sdk `MethodsRateLimits` (see
 * `../shared/corpus/slack/SEMANTICS.md`). Slack's tiers are "N+ per minute" per method per
 * workspace; `chat.postMessage` is special: about one message per second per channel, with
 * short bursts allowed.
 */
export interface RatePolicy {
  /** Sustained calls per minute. */
  perMinute: number;
  /** Calls allowed back to back before pacing starts (a parent message and its first reply). */
  burst: number;
  /** Whether the budget is per channel or shared by the whole workspace. */
  scope: 'channel' | 'workspace';
}

const TIER_2: RatePolicy = { perMinute: 20, burst: 3, scope: 'workspace' };
const TIER_3: RatePolicy = { perMinute: 50, burst: 5, scope: 'workspace' };
const TIER_4: RatePolicy = { perMinute: 100, burst: 10, scope: 'workspace' };

/** Per-method defaults; methods not listed get {@link DEFAULT_RATE_POLICY} (Tier 3). */
export const DEFAULT_RATE_POLICIES: Readonly<Record<string, RatePolicy>> = {
  'chat.postMessage': { perMinute: 60, burst: 3, scope: 'channel' },
  // Tier 3 is per workspace; progress updates are also coalesced per message by the outbox.
  'chat.update': { perMinute: 50, burst: 10, scope: 'workspace' },
  'chat.postEphemeral': TIER_4,
  'views.publish': TIER_4,
  'usergroups.list': TIER_2,
  'usergroups.users.list': TIER_2,
  // Tier 3 for internal apps; commercially distributed non-Marketplace apps get 1/min since 2025.
  'conversations.history': TIER_3,
  'auth.test': TIER_4,
};

/** For methods not in {@link DEFAULT_RATE_POLICIES}: Slack's most common tier. */
export const DEFAULT_RATE_POLICY: RatePolicy = TIER_3;

/** A token bucket: `burst` calls at once, refilled at `perMinute`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    private readonly policy: RatePolicy,
    now: number,
  ) {
    this.tokens = policy.burst;
    this.last = now;
    this.perMs = policy.perMinute / 60_000;
  }

  /** Milliseconds until a call may start (0 = now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  /** Spends one call; call only when {@link waitMs} returned 0. */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.policy.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
}
