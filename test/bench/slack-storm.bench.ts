/**
 * `npm run bench`: the Slack side of a storm (10,000 alerts, 20 incidents, 5 simulated minutes).
 * Fails when it would take more than 220 Slack calls; `npx tsx test/bench/slack-storm.ts` prints
 * the breakdown.
 */
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { runSlackStorm } from './slack-storm-scenario.js';

const redis = new Redis(testRedisUrl());
const runId = Date.now().toString(36);
let round = 0;

afterAll(() => redis.disconnect());

describe('Slack calls in an alert storm', () => {
  bench('10,000 alerts into 20 incidents over 5 simulated minutes (≤ 220 Slack calls)', async () => {
    const run = await runSlackStorm(redis, `bench:${runId}:slack-storm-${round++}`);
    if (run.calls.total > 220) throw new Error(`${run.calls.total} Slack calls, over the 220 budget`);
    console.log(`slack-storm: ${run.calls.total} Slack calls (${run.calls.card} posts, ${run.calls.thread} thread replies, ${run.calls.update} updates), ${run.incidents} incidents`);
  }, { iterations: 2, warmupIterations: 0 });
});
