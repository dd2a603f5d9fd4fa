import type { Redis } from 'ioredis';
import type { ConfirmationStore, PendingConfirmation } from '../../chat/ports.js';
import type { Clock } from '../../core/clock.js';

export interface RedisConfirmationStoreOptions {
  /** Time source used to turn the absolute `expiresAt` into a Redis TTL. */
  clock: Clock;
  /** Key prefix; the confirmation id is appended. Default `lifeboat:confirm:`. */
  prefix?: string;
  /**
   * How long a record outlives its `expiresAt`. The router decides expiry with its own Clock;
   * keeping the record a while longer lets it still say *who* asked and *what* expired,
   * instead of "unknown button". Default 10 minutes.
   */
  graceMs?: number;
}

/**
 * Pending confirmations in Redis, shared by every bot process. `take` is a single `GETDEL`, so
 * two clicks on Confirm (double-click, two processes, a Slack retry) can never both get the
 * record — exactly one runs the command. Needs Redis ≥ 6.2.
 */
export class RedisConfirmationStore implements ConfirmationStore {
  private readonly prefix: string;
  private readonly graceMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisConfirmationStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'lifeboat:confirm:';
    this.graceMs = options.graceMs ?? 10 * 60_000;
  }

  async save(pending: PendingConfirmation): Promise<void> {
    const ttlMs = Math.max(0, pending.expiresAt - this.options.clock.now()) + this.graceMs;
    await this.redis.set(this.prefix + pending.id, JSON.stringify(pending), 'PX', Math.max(1000, Math.ceil(ttlMs)));
  }

  async take(id: string): Promise<PendingConfirmation | undefined> {
    const raw = await this.redis.getdel(this.prefix + id);
    if (raw === null) return undefined;
    // Written only by save() above, so the shape is ours; a corrupt record reads as absent.
    try {
      return JSON.parse(raw) as PendingConfirmation;
    } catch {
      return undefined;
    }
  }
}
