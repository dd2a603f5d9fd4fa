import { afterAll, describe, expect, it } from 'vitest';
import type { PendingConfirmation } from '../../../src/chat/ports.js';
import { RedisConfirmationStore } from '../../../src/adapters/redis/redis-confirmation-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import { testPrefix, testRedis } from '../../support/redis.js';

const redis = testRedis();
afterAll(() => redis.disconnect());

function pending(id: string, expiresAt: number): PendingConfirmation {
  return {
    id,
    commandId: 'redeploy',
    args: { cluster: 'prod', service: 'api' },
    expiresAt,
    request: {
      text: 'redeploy prod/api',
      requester: { userId: 'U1', userName: 'ana' },
      conversation: { surface: 'slack', channel: 'C-ops', threadTs: '171.1' },
    },
  };
}

describe('RedisConfirmationStore', () => {
  it('gives a confirmation to exactly one of two simultaneous takes', async () => {
    const clock = new ManualClock(Date.now());
    const store = new RedisConfirmationStore(redis, { clock, prefix: `${testPrefix('confirm')}:` });
    const p = pending('cf-1', clock.now() + 5 * 60_000);
    await store.save(p);

    const [a, b] = await Promise.all([store.take('cf-1'), store.take('cf-1')]);
    expect([a, b].filter(Boolean)).toEqual([p]);
    expect(await store.take('cf-1')).toBeUndefined();
    expect(await store.take('never-saved')).toBeUndefined();
  });

  it('keeps an expired confirmation a while, so the router can still say whose it was', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = `${testPrefix('confirm')}:`;
    const store = new RedisConfirmationStore(redis, { clock, prefix, graceMs: 60_000 });
    await store.save(pending('cf-2', clock.now() + 5 * 60_000));
    const ttl = await redis.pttl(`${prefix}cf-2`);
    expect(ttl).toBeGreaterThan(5 * 60_000);
    expect(ttl).toBeLessThanOrEqual(6 * 60_000);

    // Already past its expiry when saved (a slow click path): still stored for the grace period.
    await store.save(pending('cf-3', clock.now() - 1000));
    expect(await redis.pttl(`${prefix}cf-3`)).toBeGreaterThan(50_000);
    expect((await store.take('cf-3'))?.expiresAt).toBe(clock.now() - 1000);
  });
});
