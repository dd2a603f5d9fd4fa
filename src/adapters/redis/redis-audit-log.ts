import type { Redis } from 'ioredis';
import type { AuditEntry, AuditLog, AuditOutcome, SurfaceName } from '../../chat/ports.js';

export interface RedisAuditLogOptions {
  /** The stream key. Default `lifeboat:audit`. */
  key?: string;
  /**
   * Approximate cap on entries (`XADD MAXLEN ~`): the oldest are trimmed in whole stream nodes,
   * which keeps appends O(1). Default 100 000 (a few tens of MB).
   */
  maxLen?: number;
}

/** The most `recent()` returns in one call, so a typo like `audit 1e9` cannot stall Redis. */
const MAX_RECENT = 1000;

const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>([
  'allowed', 'refused', 'invalid', 'awaiting-confirmation', 'confirmed', 'cancelled', 'expired', 'not-yours', 'failed',
]);

/**
 * The audit log as a Redis stream: append-only by construction (`XADD` only; nothing in
 * Lifeboat edits or deletes entries), ordered by Redis' own ids so entries from several bot
 * processes interleave correctly. Fields are flat so `redis-cli XREVRANGE` is readable.
 * Use a `producer` client: the router awaits `append`, so it must fail fast when Redis is down.
 */
export class RedisAuditLog implements AuditLog {
  private readonly key: string;
  private readonly maxLen: number;

  constructor(
    private readonly redis: Redis,
    options: RedisAuditLogOptions = {},
  ) {
    this.key = options.key ?? 'lifeboat:audit';
    this.maxLen = options.maxLen ?? 100_000;
  }

  async append(entry: AuditEntry): Promise<void> {
    const fields = [
      'at', String(entry.at),
      'userId', entry.userId,
      'surface', entry.surface,
      'channel', entry.channel,
      'commandId', entry.commandId,
      'text', entry.text,
      'args', JSON.stringify(entry.args),
      'outcome', entry.outcome,
    ];
    if (entry.userName !== undefined) fields.push('userName', entry.userName);
    if (entry.detail !== undefined) fields.push('detail', entry.detail);
    await this.redis.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', ...fields);
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    const count = Math.max(0, Math.min(Math.floor(limit), MAX_RECENT));
    if (count === 0) return [];
    const rows = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count);
    return rows.flatMap(([, flat]) => {
      const entry = parseEntry(flat);
      return entry ? [entry] : [];
    });
  }
}

/** Rebuilds an entry from XRANGE's flat [field, value, …] list; skips anything malformed. */
function parseEntry(flat: string[]): AuditEntry | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i] ?? '', flat[i + 1] ?? '');
  const at = Number(f.get('at'));
  const outcome = f.get('outcome');
  const surface = f.get('surface');
  if (!Number.isFinite(at) || outcome === undefined || !OUTCOMES.has(outcome)) return undefined;
  if (surface !== 'slack' && surface !== 'console') return undefined;
  const entry: AuditEntry = {
    at,
    userId: f.get('userId') ?? '',
    surface: surface satisfies SurfaceName,
    channel: f.get('channel') ?? '',
    commandId: f.get('commandId') ?? '',
    text: f.get('text') ?? '',
    args: parseArgs(f.get('args')),
    outcome: outcome as AuditOutcome,
  };
  const userName = f.get('userName');
  if (userName !== undefined) entry.userName = userName;
  const detail = f.get('detail');
  if (detail !== undefined) entry.detail = detail;
  return entry;
}

function parseArgs(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
