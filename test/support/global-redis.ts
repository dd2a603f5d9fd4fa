/**
 * Vitest global setup: tests that need Redis get a real one. When REDIS_URL is unset we start a
 * throwaway `redis-server` on a free loopback port; when it is set we use it, but never DB 0 of a
 * developer's Redis (TEST_REDIS_DB, default 15). Each test then uses its own key prefix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    url.pathname = `/${process.env.TEST_REDIS_DB ?? '15'}`;
    project.provide('redisUrl', url.toString());
    return async () => {};
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-test-redis-'));
  const redis = await startEmbeddedRedis({ dataDir, appendOnly: false });
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
