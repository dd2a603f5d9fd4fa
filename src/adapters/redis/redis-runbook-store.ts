import type { Redis } from 'ioredis';
import type { RunbookRun } from '../../runbooks/model.js';
import type { RunbookStore } from '../../runbooks/ports.js';

export interface RedisRunbookStoreOptions {
  /** Key prefix, e.g. `lifeboat:runbook:`. Use a hash tag (`{lifeboat}:runbook:`) on Redis Cluster. */
  prefix?: string;
  /** How long a completed or aborted run is kept for `runbook status <run>` and audits. Default 30 days. */
  keepFinishedMs?: number;
}

/** Creates the run unless the id is taken, and lists it as active. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'data', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`;

/**
 * Compare-and-set: writes only if the stored version is the one the writer read. A run that is no
 * longer active leaves the active set and expires after the retention; an active one never does.
 */
const UPDATE = `
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'data', ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
  redis.call('PERSIST', KEYS[1])
else
  redis.call('ZREM', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
return 1`;

/**
 * Runbook runs in Redis, shared by every bot process: one hash per run (`v` = version, `data` =
 * the run as JSON) and a sorted set of active run ids (score = start time). Every write is a Lua
 * compare-and-set on the version, so two processes or two button presses never both move a step.
 * Use a `producer` client: the engine awaits every write and must fail fast when Redis is down.
 */
export class RedisRunbookStore implements RunbookStore {
  private readonly prefix: string;
  private readonly activeKey: string;
  private readonly keepFinishedMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisRunbookStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? 'lifeboat:runbook:';
    this.activeKey = `${this.prefix}active`;
    this.keepFinishedMs = options.keepFinishedMs ?? 30 * 24 * 3600_000;
  }

  async create(run: RunbookRun): Promise<void> {
    const created = await this.redis.eval(CREATE, 2, this.runKey(run.id), this.activeKey, String(run.version), JSON.stringify(run), String(run.createdAt), run.id);
    if (created !== 1) throw new Error(`runbook run ${run.id} already exists`);
  }

  async get(id: string): Promise<RunbookRun | undefined> {
    return parseRun(await this.redis.hget(this.runKey(id), 'data'));
  }

  async update(run: RunbookRun, expectedVersion: number): Promise<boolean> {
    const written = await this.redis.eval(
      UPDATE,
      2,
      this.runKey(run.id),
      this.activeKey,
      String(expectedVersion),
      String(run.version),
      JSON.stringify(run),
      run.status === 'active' ? '1' : '0',
      run.id,
      String(run.createdAt),
      String(this.keepFinishedMs),
    );
    return written === 1;
  }

  async listActive(): Promise<RunbookRun[]> {
    const ids = await this.redis.zrange(this.activeKey, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.runKey(id), 'data');
    const results = (await pipeline.exec()) ?? [];
    const runs: RunbookRun[] = [];
    const gone: string[] = [];
    results.forEach(([err, raw], i) => {
      if (err) throw err;
      const run = parseRun(raw);
      if (run?.status === 'active') runs.push(run);
      else if (!run) gone.push(ids[i] ?? '');
    });
    // A hash that vanished (deleted by hand, or flushed) must not haunt the active list.
    if (gone.length) await this.redis.zrem(this.activeKey, ...gone);
    return runs;
  }

  private runKey(id: string): string {
    return `${this.prefix}run:${id}`;
  }
}

/** Written only by this store; anything unreadable counts as absent. */
function parseRun(raw: unknown): RunbookRun | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<RunbookRun> | null;
    if (!value || typeof value.id !== 'string' || typeof value.version !== 'number' || !Array.isArray(value.steps) || typeof value.runbook !== 'object') return undefined;
    return value as RunbookRun;
  } catch {
    return undefined;
  }
}
