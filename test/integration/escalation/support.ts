import type { Redis } from 'ioredis';
import { createRedisClient } from '../../../src/adapters/redis/redis-connection.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { FiredTimer } from '../../../src/escalation/ports.js';
import { BullTimerScheduler, TimerWorker, type TimerWorkerOptions } from '../../../src/jobs/timers.js';
import { testRedisUrl } from '../../support/redis.js';

/**
 * One Lifeboat process's timer side on the test Redis: its own connections, a scheduler and
 * (optionally) a worker. `close()` ends all of it, like a process exiting.
 */
export interface TimerProcess {
  producer: Redis;
  scheduler: BullTimerScheduler;
  worker?: TimerWorker;
  close(): Promise<void>;
}

export async function timerProcess(prefix: string, handler: ((t: FiredTimer) => Promise<void>) | undefined, options: Partial<TimerWorkerOptions> = {}): Promise<TimerProcess> {
  const url = testRedisUrl();
  const producer = createRedisClient(url, { role: 'worker', logger: silentLogger });
  const scheduler = new BullTimerScheduler({ connection: producer, logger: silentLogger, prefix, backoffMs: 100 });
  let workerRedis: Redis | undefined;
  let worker: TimerWorker | undefined;
  if (handler) {
    workerRedis = createRedisClient(url, { role: 'worker', logger: silentLogger });
    worker = new TimerWorker({ connection: workerRedis, logger: silentLogger, prefix, handler, concurrency: 32, ...options });
    await worker.start();
  }
  return {
    producer,
    scheduler,
    ...(worker ? { worker } : {}),
    async close() {
      await worker?.close();
      await scheduler.close();
      workerRedis?.disconnect();
      producer.disconnect();
    },
  };
}

/** Deletes every key under a prefix (the test Redis is shared by the whole run). */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
