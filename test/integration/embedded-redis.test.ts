import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';

describe('embedded redis-server', () => {
  it('starts on a loopback port with AOF on and noeviction, and stops cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lb-emb-'));
    const redis = await startEmbeddedRedis({ dataDir: dir });
    const client = new Redis(redis.url);
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    } finally {
      client.disconnect();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // the refusal is what we assert below
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  it('names how to install Redis when the binary is missing', async () => {
    await expect(startEmbeddedRedis({ dataDir: '/tmp/lb-none', binary: 'redis-server-that-does-not-exist' })).rejects.toMatchObject({
      code: 'REDIS_NOT_INSTALLED',
      userMessage: expect.stringContaining('apt-get install -y redis-server'),
    });
  });
});
