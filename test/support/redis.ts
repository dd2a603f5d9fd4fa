import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** The URL of the test Redis started by the global setup. */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A fresh key prefix so tests never see each other's data. */
export function testPrefix(name = 't'): string {
  return `lbtest:${name}:${randomBytes(4).toString('hex')}`;
}

/** A connected client to the test Redis; close it in afterEach/afterAll. */
export function testRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null, lazyConnect: false });
}
