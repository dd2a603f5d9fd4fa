import type { Redis } from 'ioredis';
import type { DigestUse } from '../../images/guard.js';

/**
 * The tripwire's digest → services index, shared by every process: the worker that ran the
 * last scan writes it, the bot that receives an ECR DELETE event reads it. Each digest maps to
 * a small JSON list; the whole hash is replaced per scan of everything, merged for partial scans.
 */
export class RedisDigestIndex {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async record(index: ReadonlyMap<string, readonly DigestUse[]>): Promise<void> {
    if (index.size === 0) return;
    const fields: string[] = [];
    for (const [digest, uses] of index) fields.push(digest, JSON.stringify(uses));
    await this.redis.hset(this.key, ...fields);
  }

  async lookup(digest: string): Promise<DigestUse[]> {
    const raw = await this.redis.hget(this.key, digest);
    if (!raw) return [];
    try {
      return JSON.parse(raw) as DigestUse[];
    } catch {
      return [];
    }
  }
}
