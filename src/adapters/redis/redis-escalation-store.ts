import type { Redis } from 'ioredis';
import type { ClaimResult, ClaimStore, EscalationState, EscalationStateStore, HeartbeatStore, SyntheticStore } from '../../escalation/ports.js';
import { LuaScript } from './lua-script.js';

/**
 * Escalation's shared state on Redis: chain state per incident (compare-and-set), once-only
 * claims, heartbeats and synthetic-check streaks. Every operation is one key and one round trip
 * (a claim that loses the race takes a second), so it works on Redis Cluster without hash tags.
 *
 * | key | type | content |
 * |---|---|---|
 * | `<p>:state:<incident>` | hash | `v` version, `s` state JSON; expires `stateTtlMs` after the last write |
 * | `<p>:escalated:<incident>:<step>:<generation>` (any claim key) | string | `lease:<owner>` (PX lease), then `done` (PX ttl) |
 * | `<p>:hb:seen` / `<p>:hb:reg` / `<p>:hb:blind` | hash | heartbeat id → last seen / registered / blind since (ms) |
 * | `<p>:syn:<check>` | hash | `f` failures in a row, `s` streak start, `o` incident opened for streak, `la`/`ld` last result |
 */
export interface RedisEscalationStoreOptions {
  /** Key prefix. Default `lifeboat:esc`. */
  prefix?: string;
  /** How long a chain's state outlives its last write. Default 30 days. */
  stateTtlMs?: number;
}

const CAS_STATE = new LuaScript('escalation-cas', `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return v + 1
`);

const COMPLETE_CLAIM = new LuaScript('escalation-claim-complete', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
`);

const RELEASE_CLAIM = new LuaScript('escalation-claim-release', `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const RECORD_MAX = new LuaScript('heartbeat-record', `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev or tonumber(ARGV[2]) > tonumber(prev) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return prev
`);

const TAKE_FIELD = new LuaScript('hash-take', `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
`);

const SYN_FAILURE = new LuaScript('synthetic-failure', `
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSETNX', KEYS[1], 's', ARGV[1])
redis.call('HSET', KEYS[1], 'la', ARGV[1], 'ld', ARGV[2])
return {f, redis.call('HGET', KEYS[1], 's')}
`);

const SYN_SUCCESS = new LuaScript('synthetic-success', `
local o = redis.call('HGET', KEYS[1], 'o')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'f', 0, 'la', ARGV[1], 'ld', 'ok')
return o
`);

export class RedisEscalationStore implements EscalationStateStore, ClaimStore, HeartbeatStore, SyntheticStore {
  private readonly p: string;
  private readonly stateTtlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisEscalationStoreOptions = {},
  ) {
    this.p = options.prefix ?? 'lifeboat:esc';
    this.stateTtlMs = options.stateTtlMs ?? 30 * 86_400_000;
  }

  // ── chain state ───────────────────────────────────────────────────────────────────────────

  async get(incidentId: string): Promise<EscalationState | undefined> {
    const [v, s] = await this.redis.hmget(this.stateKey(incidentId), 'v', 's');
    if (v === null || s === null || v === undefined || s === undefined) return undefined;
    try {
      return { ...(JSON.parse(s) as Omit<EscalationState, 'version'>), version: Number(v) };
    } catch {
      return undefined;
    }
  }

  async compareAndSet(next: EscalationState, expectedVersion: number): Promise<EscalationState | undefined> {
    const { version: _ignored, ...body } = next;
    const stored = Number(await CAS_STATE.run(this.redis, [this.stateKey(next.incidentId)], [expectedVersion, JSON.stringify(body), this.stateTtlMs]));
    return stored > 0 ? { ...next, version: stored } : undefined;
  }

  // ── claims ────────────────────────────────────────────────────────────────────────────────

  async claim(key: string, owner: string, leaseMs: number): Promise<ClaimResult> {
    const full = `${this.p}:${key}`;
    const set = await this.redis.set(full, `lease:${owner}`, 'PX', Math.max(1, Math.round(leaseMs)), 'NX');
    if (set === 'OK') return 'claimed';
    const current = await this.redis.get(full);
    if (current === null) return this.claim(key, owner, leaseMs); // expired in between
    return current === 'done' ? 'done' : 'busy';
  }

  async complete(key: string, owner: string, ttlMs: number): Promise<void> {
    await COMPLETE_CLAIM.run(this.redis, [`${this.p}:${key}`], [`lease:${owner}`, Math.max(1, Math.round(ttlMs))]);
  }

  async release(key: string, owner: string): Promise<void> {
    await RELEASE_CLAIM.run(this.redis, [`${this.p}:${key}`], [`lease:${owner}`]);
  }

  // ── heartbeats ────────────────────────────────────────────────────────────────────────────

  async record(id: string, at: number): Promise<number | undefined> {
    const prev = await RECORD_MAX.run(this.redis, [`${this.p}:hb:seen`], [id, at]);
    return prev === null || prev === undefined ? undefined : Number(prev);
  }

  async lastSeen(ids: readonly string[]): Promise<Map<string, number>> {
    return this.hashNumbers(`${this.p}:hb:seen`, ids);
  }

  async registered(id: string, at: number): Promise<number> {
    const key = `${this.p}:hb:reg`;
    await this.redis.hsetnx(key, id, at);
    return Number((await this.redis.hget(key, id)) ?? at);
  }

  async markBlind(id: string, since: number): Promise<boolean> {
    return (await this.redis.hsetnx(`${this.p}:hb:blind`, id, since)) === 1;
  }

  async clearBlind(id: string): Promise<number | undefined> {
    const v = await TAKE_FIELD.run(this.redis, [`${this.p}:hb:blind`], [id]);
    return v === null || v === undefined ? undefined : Number(v);
  }

  async blindSince(ids: readonly string[]): Promise<Map<string, number>> {
    return this.hashNumbers(`${this.p}:hb:blind`, ids);
  }

  // ── synthetic checks ──────────────────────────────────────────────────────────────────────

  async recordFailure(id: string, at: number, detail: string): Promise<{ failures: number; since: number }> {
    const reply = (await SYN_FAILURE.run(this.redis, [this.synKey(id)], [at, detail.slice(0, 300)])) as [number, string];
    return { failures: Number(reply[0]), since: Number(reply[1]) };
  }

  async recordSuccess(id: string, at: number): Promise<{ openedFor?: number }> {
    const o = await SYN_SUCCESS.run(this.redis, [this.synKey(id)], [at]);
    return o === null || o === undefined ? {} : { openedFor: Number(o) };
  }

  async markOpened(id: string, since: number): Promise<boolean> {
    return (await this.redis.hsetnx(this.synKey(id), 'o', since)) === 1;
  }

  async status(ids: readonly string[]): Promise<Map<string, { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number }>> {
    const out = new Map<string, { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number }>();
    if (!ids.length) return out;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.synKey(id));
    const results = (await pipeline.exec()) ?? [];
    ids.forEach((id, i) => {
      const h = (results[i]?.[1] ?? {}) as Record<string, string>;
      const s: { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number } = { failures: Number(h.f ?? 0) };
      if (h.s) s.since = Number(h.s);
      if (h.la) s.lastAt = Number(h.la);
      if (h.ld) s.lastDetail = h.ld;
      if (h.o) s.openedFor = Number(h.o);
      out.set(id, s);
    });
    return out;
  }

  private async hashNumbers(key: string, ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!ids.length) return out;
    const values = await this.redis.hmget(key, ...ids);
    ids.forEach((id, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.set(id, Number(v));
    });
    return out;
  }

  private stateKey(incidentId: string): string {
    return `${this.p}:state:${incidentId}`;
  }

  private synKey(id: string): string {
    return `${this.p}:syn:${id}`;
  }
}
