import { afterAll, describe, expect, it } from 'vitest';
import { RedisScaleRecordStore } from '../../../src/adapters/redis/redis-scale-record-store.js';
import type { ScaleRecord } from '../../../src/recovery/ports.js';
import { overdueScaleRecords } from '../../../src/recovery/scale.js';
import { testPrefix, testRedis } from '../../support/redis.js';

const redis = testRedis();
afterAll(() => redis.disconnect());

function record(key: string, jobId: string, extra: Partial<ScaleRecord> = {}): ScaleRecord {
  return {
    key,
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'prod',
    service: key.split('/').pop() ?? '',
    original: { desiredCount: 1, scalableTarget: { minCapacity: 1, maxCapacity: 3 } },
    scaledTo: 4,
    reason: 'queue',
    queue: 'hooks-queue',
    jobId,
    scaledAt: 1_000,
    ...extra,
  };
}

describe('RedisScaleRecordStore', () => {
  it('keeps the first original when two jobs race to record one', async () => {
    const store = new RedisScaleRecordStore(redis, { key: `${testPrefix('scale')}:records` });
    const key = '123456789012:us-east-1:prod/hooks-worker';
    const [a, b] = await Promise.all([store.putIfAbsent(record(key, 'job-a')), store.putIfAbsent(record(key, 'job-b', { original: { desiredCount: 4 } }))]);
    expect(a.jobId).toBe(b.jobId);
    expect((await store.get(key))?.jobId).toBe(a.jobId);
  });

  it('survives the process: another client reads it, and it is gone only when deleted', async () => {
    const name = `${testPrefix('scale')}:records`;
    const key = '123456789012:us-east-1:prod/hooks-worker';
    await new RedisScaleRecordStore(redis, { key: name }).putIfAbsent(record(key, 'job-1', { restoreBy: 5_000 }));

    const other = testRedis();
    try {
      const store = new RedisScaleRecordStore(other, { key: name });
      expect(await store.list()).toEqual([record(key, 'job-1', { restoreBy: 5_000 })]);
      expect(await redis.pttl(name)).toBe(-1);
      expect(overdueScaleRecords(await store.list(), 6_000).map((r) => r.jobId)).toEqual(['job-1']);
      await store.put({ ...record(key, 'job-2'), scaledTo: 6 });
      expect((await store.get(key))?.scaledTo).toBe(6);
      await store.delete(key);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.list()).toEqual([]);
    } finally {
      other.disconnect();
    }
  });

  it('reads a corrupt entry as absent', async () => {
    const name = `${testPrefix('scale')}:records`;
    await redis.hset(name, 'k', '{not json');
    const store = new RedisScaleRecordStore(redis, { key: name });
    expect(await store.get('k')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });
});
