import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { checkRedisHealth, createRedisClient, evictionPolicyWarning, redisOptionsFor } from '../../../src/adapters/redis/redis-connection.js';
import { silentLogger } from '../../../src/core/logger.js';
import { testRedisUrl } from '../../support/redis.js';

describe('Redis clients and health', () => {
  it('gives producers fail-fast options and workers the reconnect-forever ones BullMQ needs', () => {
    expect(redisOptionsFor({ role: 'producer', logger: silentLogger })).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
    const worker = redisOptionsFor({ role: 'worker', logger: silentLogger });
    expect(worker).toMatchObject({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    expect(worker.retryStrategy?.(1000)).toBe(5000);
  });

  it('reports latency and the eviction policy of a healthy Redis', async () => {
    const client = createRedisClient(testRedisUrl(), { role: 'producer', logger: silentLogger });
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const health = await checkRedisHealth(client);
      expect(health).toMatchObject({ ok: true, maxmemoryPolicy: 'noeviction' });
      expect(health.latencyMs).toBeLessThan(1000);
      expect(evictionPolicyWarning(health)).toBeUndefined();
    } finally {
      client.disconnect();
    }
  });

  it('warns when Redis may evict keys, and only then', () => {
    // Built by hand: flipping the policy on the shared test Redis would disturb parallel suites.
    expect(evictionPolicyWarning({ ok: true, latencyMs: 1, maxmemoryPolicy: 'allkeys-lru' })).toMatch(/"allkeys-lru".*noeviction/);
    expect(evictionPolicyWarning({ ok: true, latencyMs: 1, maxmemoryPolicy: 'noeviction' })).toBeUndefined();
    expect(evictionPolicyWarning({ ok: true, latencyMs: 1, maxmemoryPolicy: undefined })).toBeUndefined();
    expect(evictionPolicyWarning({ ok: false, latencyMs: 1, error: 'down' })).toBeUndefined();
  });

  it('answers not-ok quickly when Redis is unreachable', async () => {
    const client = createRedisClient(`redis://127.0.0.1:${await freePort()}`, { role: 'producer', logger: silentLogger });
    try {
      const started = Date.now();
      const health = await checkRedisHealth(client, 500);
      expect(health.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      client.disconnect();
    }
  });
});
