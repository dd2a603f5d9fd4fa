/**
 * `npm run bench`: ingest throughput through the Redis incident store (vitest bench reports
 * batches/s; one batch = 1,000 alerts with 32 in flight). For latency percentiles, round trips
 * and memory per alert run the standalone report: `npx tsx test/bench/ingest.ts`.
 */
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { distinctAlerts, makeIngest, runConcurrently, stormAlerts } from './ingest-scenario.js';

const BATCH = 1000;
const redis = new Redis(testRedisUrl());
const runId = Date.now().toString(36);
let round = 0;

afterAll(() => redis.disconnect());

describe('ingest through RedisIncidentStore (1,000 alerts per iteration, 32 in flight)', () => {
  const storm = makeIngest(redis, `bench:${runId}:storm`);
  bench('storm: stopped tasks, alarms and redeliveries into 20 incidents', async () => {
    await runConcurrently([storm.ingest], stormAlerts(BATCH, 20, `${runId}-${round++}`), 32);
  }, { iterations: 20, warmupIterations: 2 });

  const distinct = makeIngest(redis, `bench:${runId}:distinct`);
  bench('distinct: every alert a different firing condition, 100 incidents', async () => {
    await runConcurrently([distinct.ingest], distinctAlerts(BATCH, 100, `${runId}-${round++}`), 32);
  }, { iterations: 20, warmupIterations: 2 });
});
