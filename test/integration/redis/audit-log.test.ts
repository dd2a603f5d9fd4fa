import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/chat/ports.js';
import { RedisAuditLog } from '../../../src/adapters/redis/redis-audit-log.js';
import { createRedisClient } from '../../../src/adapters/redis/redis-connection.js';
import { silentLogger } from '../../../src/core/logger.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';

const redis = testRedis();
afterAll(() => redis.disconnect());

function entry(n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: Date.UTC(2026, 0, 1) + n * 1000,
    userId: 'U1',
    surface: 'slack',
    channel: 'C-ops',
    commandId: 'redeploy',
    text: `redeploy prod/api #${n}`,
    args: { cluster: 'prod', service: 'api' },
    outcome: 'allowed',
    ...extra,
  };
}

describe('RedisAuditLog', () => {
  it('returns what was appended, newest first, field for field', async () => {
    const log = new RedisAuditLog(redis, { key: testPrefix('audit') });
    await log.append(entry(1, { userName: 'ana', outcome: 'awaiting-confirmation' }));
    await log.append(entry(2, { outcome: 'confirmed', detail: 'job redeploy.prod/api#1' }));
    await log.append(entry(3, { outcome: 'refused', args: {} }));

    const recent = await log.recent(10);
    expect(recent).toEqual([entry(3, { outcome: 'refused', args: {} }), entry(2, { outcome: 'confirmed', detail: 'job redeploy.prod/api#1' }), entry(1, { userName: 'ana', outcome: 'awaiting-confirmation' })]);
    expect(await log.recent(2)).toEqual(recent.slice(0, 2));
    expect(await log.recent(0)).toEqual([]);
  });

  it('is an append-only stream capped near maxLen', async () => {
    const key = testPrefix('audit');
    const log = new RedisAuditLog(redis, { key, maxLen: 100 });
    for (let i = 0; i < 500; i++) await log.append(entry(i));
    expect(await redis.type(key)).toBe('stream');
    const length = await redis.xlen(key);
    // Approximate trimming drops whole stream nodes (100 entries each by default).
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(500);
    expect((await log.recent(1))[0]?.text).toBe('redeploy prod/api #499');
  });

  it('keeps text from chat as data, whatever it contains', async () => {
    const log = new RedisAuditLog(redis, { key: testPrefix('audit') });
    const text = 'scale prod/api 3 <!channel> "quoted" \n second line';
    await log.append(entry(1, { text, args: { note: '{"not":"json"}' } }));
    expect((await log.recent(1))[0]).toMatchObject({ text, args: { note: '{"not":"json"}' } });
  });

  it('works through a client with a keyPrefix', async () => {
    const keyPrefix = `${testPrefix('kp')}:`;
    const client = createRedisClient(testRedisUrl(), { role: 'producer', logger: silentLogger, keyPrefix });
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const log = new RedisAuditLog(client, { key: 'audit' });
      await log.append(entry(1));
      expect(await redis.xlen(`${keyPrefix}audit`)).toBe(1);
      expect(await log.recent(5)).toEqual([entry(1)]);
    } finally {
      client.disconnect();
    }
  });
});
