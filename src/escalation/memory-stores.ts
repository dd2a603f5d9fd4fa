/**
 * In-memory versions of the escalation stores, for tests and a single process without Redis.
 * Same contracts as the Redis ones (`src/adapters/redis/redis-escalation-store.ts`).
 */
import type { Clock } from '../core/clock.js';
import type { ClaimResult, ClaimStore, EscalationState, EscalationStateStore, HeartbeatStore, SyntheticStore } from './ports.js';

export class MemoryEscalationStateStore implements EscalationStateStore {
  readonly states = new Map<string, EscalationState>();

  get(incidentId: string): Promise<EscalationState | undefined> {
    const s = this.states.get(incidentId);
    return Promise.resolve(s ? structuredClone(s) : undefined);
  }

  compareAndSet(next: EscalationState, expectedVersion: number): Promise<EscalationState | undefined> {
    const current = this.states.get(next.incidentId);
    if ((current?.version ?? 0) !== expectedVersion) return Promise.resolve(undefined);
    const stored = { ...structuredClone(next), version: expectedVersion + 1 };
    this.states.set(next.incidentId, stored);
    return Promise.resolve(structuredClone(stored));
  }
}

export class MemoryClaimStore implements ClaimStore {
  readonly claims = new Map<string, { owner: string; done: boolean; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  claim(key: string, owner: string, leaseMs: number): Promise<ClaimResult> {
    const now = this.clock.now();
    const c = this.claims.get(key);
    if (c && c.expiresAt > now) return Promise.resolve(c.done ? 'done' : 'busy');
    this.claims.set(key, { owner, done: false, expiresAt: now + leaseMs });
    return Promise.resolve('claimed');
  }

  complete(key: string, owner: string, ttlMs: number): Promise<void> {
    const c = this.claims.get(key);
    if (c && c.owner === owner) this.claims.set(key, { owner, done: true, expiresAt: this.clock.now() + ttlMs });
    return Promise.resolve();
  }

  release(key: string, owner: string): Promise<void> {
    if (this.claims.get(key)?.owner === owner) this.claims.delete(key);
    return Promise.resolve();
  }
}

export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly seen = new Map<string, number>();
  readonly registrations = new Map<string, number>();
  readonly blind = new Map<string, number>();

  record(id: string, at: number): Promise<number | undefined> {
    const before = this.seen.get(id);
    if (before === undefined || at > before) this.seen.set(id, at);
    return Promise.resolve(before);
  }
  lastSeen(ids: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(ids.flatMap((id) => (this.seen.has(id) ? [[id, this.seen.get(id) ?? 0] as const] : []))));
  }
  registered(id: string, at: number): Promise<number> {
    if (!this.registrations.has(id)) this.registrations.set(id, at);
    return Promise.resolve(this.registrations.get(id) ?? at);
  }
  markBlind(id: string, since: number): Promise<boolean> {
    if (this.blind.has(id)) return Promise.resolve(false);
    this.blind.set(id, since);
    return Promise.resolve(true);
  }
  clearBlind(id: string): Promise<number | undefined> {
    const since = this.blind.get(id);
    this.blind.delete(id);
    return Promise.resolve(since);
  }
  blindSince(ids: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(ids.flatMap((id) => (this.blind.has(id) ? [[id, this.blind.get(id) ?? 0] as const] : []))));
  }
}

export class MemorySyntheticStore implements SyntheticStore {
  readonly checks = new Map<string, { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number }>();

  private entry(id: string): { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number } {
    let e = this.checks.get(id);
    if (!e) {
      e = { failures: 0 };
      this.checks.set(id, e);
    }
    return e;
  }
  recordFailure(id: string, at: number, detail: string): Promise<{ failures: number; since: number }> {
    const e = this.entry(id);
    e.failures += 1;
    e.since ??= at;
    e.lastAt = at;
    e.lastDetail = detail;
    return Promise.resolve({ failures: e.failures, since: e.since });
  }
  recordSuccess(id: string, at: number): Promise<{ openedFor?: number }> {
    const e = this.entry(id);
    const openedFor = e.openedFor;
    this.checks.set(id, { failures: 0, lastAt: at, lastDetail: 'ok' });
    return Promise.resolve(openedFor === undefined ? {} : { openedFor });
  }
  markOpened(id: string, since: number): Promise<boolean> {
    const e = this.entry(id);
    if (e.openedFor !== undefined) return Promise.resolve(false);
    e.openedFor = since;
    return Promise.resolve(true);
  }
  status(ids: readonly string[]): Promise<Map<string, { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number }>> {
    return Promise.resolve(new Map(ids.map((id) => [id, { ...(this.checks.get(id) ?? { failures: 0 }) }])));
  }
}
