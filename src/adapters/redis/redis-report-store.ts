import type { Redis } from 'ioredis';

/**
 * The newest `check images` report of the whole fleet, for `GET /api/images`: written by the
 * worker that ran the scan, read by whichever process serves HTTP. Scoped scans (one service)
 * do not replace it, so the API always answers for everything.
 */
export class RedisReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async save(reportJson: string): Promise<void> {
    await this.redis.set(this.key, reportJson);
  }

  async latest(): Promise<string | undefined> {
    return (await this.redis.get(this.key)) ?? undefined;
  }
}
