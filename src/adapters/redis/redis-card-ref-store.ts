import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SurfaceName } from '../../chat/ports.js';
import { LifeboatError } from '../../core/errors.js';
import type { CardClaim, CardRef, CardRefStore, NotificationOutbox, OutboxEntry, StormLedger, StormTally } from '../../incidents/notifier-ports.js';
import { LuaScript } from './lua-script.js';

export interface RedisCardRefStoreOptions {
  /** Key prefix; becomes the Redis Cluster hash tag `{prefix}` unless it has one. Default `lifeboat:notify`. */
  prefix?: string;
  /** How long a card reference is kept after its last change. Default 30 days (longer than resolved incidents). */
  refTtlMs?: number;
}

/** Field names of a card hash (`{p}:card:<key>`). */
const F = {
  state: 'st',
  owner: 'own',
  leaseUntil: 'exp',
  surface: 'sf',
  channel: 'ch',
  ts: 'ts',
  updatedAt: 'u',
  hash: 'h',
  cursor: 'c',
  threadAt: 'tu',
  held: 'hd',
  notified: 'n',
} as const;

const CLAIM_LUA = `
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'posted' then return {'posted', redis.call('HGETALL', KEYS[1])} end
local now = tonumber(ARGV[2])
if st == 'posting' and redis.call('HGET', KEYS[1], 'own') ~= ARGV[1] then
  local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
  if exp > now then return {'busy', tostring(exp)} end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'st', 'posting', 'own', ARGV[1], 'exp', tostring(now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'claimed'}
`;

const POSTED_LUA = `
if redis.call('HGET', KEYS[1], 'st') ~= 'posting' or redis.call('HGET', KEYS[1], 'own') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'st', 'posted', unpack(ARGV, 3))
redis.call('HDEL', KEYS[1], 'own', 'exp')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'st') == 'posting' and redis.call('HGET', KEYS[1], 'own') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

const RESERVE_LUA = `
if redis.call('HGET', KEYS[1], 'st') ~= 'posted' then return {0, '0'} end
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if now - last >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1, '0'}
end
return {0, tostring(last + tonumber(ARGV[2]))}
`;

const RECORD_LUA = `
if redis.call('HGET', KEYS[1], 'st') ~= 'posted' then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[3] then
  redis.call('HSET', KEYS[1], 'h', '')
  return 0
end
redis.call('HSET', KEYS[1], 'h', ARGV[2])
return 1
`;

const MOVE_CURSOR_LUA = `
if redis.call('HGET', KEYS[1], 'st') ~= 'posted' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'c') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[2], 'hd', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'tu', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

const MARK_NOTIFIED_LUA = `
if redis.call('HGET', KEYS[1], 'st') ~= 'posted' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'n') or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'n', ARGV[1])
return 1
`;

const OUTBOX_CLEAR_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. ':' then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`;

const STORM_RECORD_LUA = `
local now = tonumber(ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local add = tonumber(ARGV[1])
if last == 0 or now - last >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[1], 'since', ARGV[2])
  add = add + tonumber(ARGV[5])
end
if now > last then redis.call('HSET', KEYS[1], 'last', ARGV[2]) end
local n = redis.call('HINCRBY', KEYS[1], 'n', add)
if #ARGV > 5 then redis.call('SADD', KEYS[2], unpack(ARGV, 6)) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {redis.call('HGET', KEYS[1], 'since'), redis.call('HGET', KEYS[1], 'last'), tostring(n), redis.call('SCARD', KEYS[2])}
`;

/**
 * The notifier's shared state in Redis: card references (one card per incident, claimed with a
 * compare-and-set before posting), the outbox of incidents whose cards may be behind, and the
 * storm tally. Every operation is one round trip; the compare-and-sets are Lua scripts.
 *
 * ```
 * {p}:card:<incident id | storm:<since>>   hash   st posting|posted, own/exp (claim), sf ch ts, u (last update), h (digest),
 *                                                 c (thread cursor), tu (last thread reply), hd (held lines), n (pinged for reopenCount)
 * {p}:outbox                               hash   incident id → "<token>:<marked at>"
 * {p}:storm, {p}:storm:inc                 hash + set   the current storm: since, last, n (alerts); incident ids
 * ```
 */
export class RedisCardRefStore implements CardRefStore, NotificationOutbox, StormLedger {
  readonly base: string;
  private readonly refTtlMs: number;
  private readonly claimScript = new LuaScript('card-claim', CLAIM_LUA);
  private readonly postedScript = new LuaScript('card-posted', POSTED_LUA);
  private readonly releaseScript = new LuaScript('card-release', RELEASE_LUA);
  private readonly reserveScript = new LuaScript('card-reserve', RESERVE_LUA);
  private readonly recordScript = new LuaScript('card-record', RECORD_LUA);
  private readonly cursorScript = new LuaScript('card-cursor', MOVE_CURSOR_LUA);
  private readonly notifiedScript = new LuaScript('card-notified', MARK_NOTIFIED_LUA);
  private readonly outboxClearScript = new LuaScript('outbox-clear', OUTBOX_CLEAR_LUA);
  private readonly stormScript = new LuaScript('storm-record', STORM_RECORD_LUA);

  constructor(
    private readonly redis: Redis,
    options: RedisCardRefStoreOptions = {},
  ) {
    if (redis.options.keyPrefix) {
      throw new LifeboatError('CONFIG_INVALID', 'The card reference store needs a Redis client without keyPrefix: its scripts build their own keys.');
    }
    const prefix = options.prefix ?? 'lifeboat:notify';
    this.base = `${/\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`}:`;
    this.refTtlMs = options.refTtlMs ?? 30 * 86_400_000;
  }

  private card(key: string): string {
    return `${this.base}card:${key}`;
  }

  private get outboxKey(): string {
    return `${this.base}outbox`;
  }

  // --- CardRefStore ------------------------------------------------------------------------------

  async get(key: string): Promise<CardRef | undefined> {
    return refFrom(await this.redis.hgetall(this.card(key)));
  }

  async claim(key: string, owner: string, now: number, leaseMs: number): Promise<CardClaim> {
    const reply = (await this.claimScript.run(this.redis, [this.card(key)], [owner, now, leaseMs, this.refTtlMs])) as unknown[];
    const [status, detail] = reply;
    if (status === 'claimed') return { kind: 'claimed' };
    if (status === 'busy') return { kind: 'busy', retryAt: Math.min(Number(detail), now + 2000) };
    const ref = refFrom(pairs(detail));
    if (!ref) throw new LifeboatError('INTERNAL', `The card reference ${key} is unreadable in Redis.`);
    return { kind: 'posted', ref };
  }

  async posted(key: string, owner: string, ref: CardRef): Promise<boolean> {
    const fields: (string | number)[] = [
      F.surface, ref.surface, F.channel, ref.channel, F.ts, ref.ts, F.updatedAt, ref.updatedAt, F.hash, ref.hash,
      F.cursor, ref.cursor, F.threadAt, ref.threadAt, F.held, ref.held, F.notified, ref.notified,
    ];
    return (await this.postedScript.run(this.redis, [this.card(key)], [owner, this.refTtlMs, ...fields])) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.releaseScript.run(this.redis, [this.card(key)], [owner]);
  }

  async reserveUpdate(key: string, now: number, intervalMs: number): Promise<{ ok: true } | { ok: false; retryAt: number }> {
    const [ok, retryAt] = (await this.reserveScript.run(this.redis, [this.card(key)], [now, intervalMs, this.refTtlMs])) as [number, string];
    if (ok === 1) return { ok: true };
    const at = Number(retryAt);
    // Not posted (expired meanwhile): try again shortly, the flush will re-claim.
    return { ok: false, retryAt: at > 0 ? at : now + 1000 };
  }

  async recordUpdate(key: string, hash: string, reservedAt: number): Promise<boolean> {
    return (await this.recordScript.run(this.redis, [this.card(key)], [this.refTtlMs, hash, reservedAt])) === 1;
  }

  async moveThreadCursor(key: string, from: number, to: number, change: { held: number; threadAt?: number }): Promise<boolean> {
    const args = [from, to, change.held, change.threadAt === undefined ? '' : change.threadAt, this.refTtlMs];
    return (await this.cursorScript.run(this.redis, [this.card(key)], args)) === 1;
  }

  async markNotified(key: string, reopenCount: number): Promise<boolean> {
    return (await this.notifiedScript.run(this.redis, [this.card(key)], [reopenCount])) === 1;
  }

  // --- NotificationOutbox ------------------------------------------------------------------------

  async mark(id: string, now: number): Promise<string> {
    const token = randomBytes(6).toString('base64url');
    await this.redis.hset(this.outboxKey, id, `${token}:${now}`);
    return token;
  }

  async clear(id: string, token: string): Promise<void> {
    await this.outboxClearScript.run(this.redis, [this.outboxKey], [id, token]);
  }

  async list(): Promise<OutboxEntry[]> {
    const all = await this.redis.hgetall(this.outboxKey);
    return Object.entries(all).flatMap(([id, value]) => {
      const at = value.lastIndexOf(':');
      if (at <= 0) return [];
      return [{ id, token: value.slice(0, at), markedAt: Number(value.slice(at + 1)) || 0 }];
    });
  }

  // --- StormLedger -------------------------------------------------------------------------------

  async record(alerts: number, incidentIds: readonly string[], now: number, quietMs: number, seed = 0): Promise<StormTally> {
    const reply = (await this.stormScript.run(
      this.redis,
      [`${this.base}storm`, `${this.base}storm:inc`],
      [alerts, now, quietMs, quietMs * 3, seed, ...incidentIds],
    )) as [string, string, string, number];
    return { since: Number(reply[0]), last: Number(reply[1]), alerts: Number(reply[2]), incidents: Number(reply[3]) };
  }

  async read(now: number, quietMs: number): Promise<StormTally | undefined> {
    const results = await this.redis.multi().hmget(`${this.base}storm`, 'since', 'last', 'n').scard(`${this.base}storm:inc`).exec();
    const [since, last, n] = (results?.[0]?.[1] ?? []) as (string | null)[];
    const incidents = Number(results?.[1]?.[1] ?? 0);
    if (!since || !last || now - Number(last) >= quietMs) return undefined;
    return { since: Number(since), last: Number(last), alerts: Number(n ?? 0), incidents };
  }
}

function pairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function refFrom(hash: Record<string, string>): CardRef | undefined {
  const channel = hash[F.channel];
  const ts = hash[F.ts];
  if (hash[F.state] !== 'posted' || !channel || !ts) return undefined;
  const num = (field: string): number => Number(hash[field] ?? 0) || 0;
  return {
    surface: (hash[F.surface] ?? 'slack') as SurfaceName,
    channel,
    ts,
    updatedAt: num(F.updatedAt),
    hash: hash[F.hash] ?? '',
    cursor: num(F.cursor),
    threadAt: num(F.threadAt),
    held: num(F.held),
    notified: num(F.notified),
  };
}
