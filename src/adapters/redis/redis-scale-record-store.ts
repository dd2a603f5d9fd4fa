import type { Redis } from 'ioredis';
import type { ScaleRecord, ScaleRecordStore } from '../../recovery/ports.js';

/** Options of `RedisScaleRecordStore`. */
export interface RedisScaleRecordStoreOptions {
  /** The hash that holds every record, e.g. `lifeboat:scale-records` (hash-tag it on Cluster). */
  key: string;
}

/**
 * Scale records in one Redis hash (field = record key, value = JSON), shared by every worker.
 * `putIfAbsent` is `HSETNX`, so two jobs can never both write "the original". No TTL: a record
 * goes away only when the service is back to its original (`delete`), and until then `list`
 * shows it — a crashed or failed job cannot leave a service scaled up unnoticed.
 */
export class RedisScaleRecordStore implements ScaleRecordStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisScaleRecordStoreOptions,
  ) {}

  async putIfAbsent(record: ScaleRecord): Promise<ScaleRecord> {
    const created = await this.redis.hsetnx(this.options.key, record.key, JSON.stringify(record));
    if (created === 1) return record;
    return (await this.get(record.key)) ?? record;
  }

  async put(record: ScaleRecord): Promise<void> {
    await this.redis.hset(this.options.key, record.key, JSON.stringify(record));
  }

  async get(key: string): Promise<ScaleRecord | undefined> {
    const raw = await this.redis.hget(this.options.key, key);
    return raw === null ? undefined : parse(raw);
  }

  async delete(key: string): Promise<void> {
    await this.redis.hdel(this.options.key, key);
  }

  async list(): Promise<ScaleRecord[]> {
    const all = await this.redis.hgetall(this.options.key);
    return Object.values(all).flatMap((raw) => {
      const record = parse(raw);
      return record ? [record] : [];
    });
  }
}

/** Written by this class as JSON; a corrupt entry reads as absent rather than crashing a job. */
function parse(raw: string): ScaleRecord | undefined {
  try {
    return JSON.parse(raw) as ScaleRecord;
  } catch {
    return undefined;
  }
}
