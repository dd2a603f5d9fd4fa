/**
 * `npm run bench`: escalation timer lateness (fired − due) with 10,000 pending timers, due over
 * 20 s, run by two worker processes. Target: p99 ≤ 500 ms, max ≤ 2 s; the numbers are printed
 * and a miss fails the bench. `npx tsx test/bench/timers.ts` prints the same report standalone.
 */
import { bench, describe } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { describeResult, runTimerBench } from './timers-scenario.js';

describe('escalation timers (BullMQ delayed jobs)', () => {
  bench('10,000 pending timers due over 20 s: lateness p99 ≤ 500 ms, max ≤ 2 s', async () => {
    const r = await runTimerBench({ url: testRedisUrl(), prefix: `bench-timers:${Date.now().toString(36)}`, pending: 10_000, spreadMs: 20_000, leadMs: 8_000, processes: 2, concurrency: 16, handlerMs: 5 });
    console.log(describeResult('timers', r));
    if (r.fired !== r.pending || r.duplicates > 0) throw new Error(`fired ${r.fired} of ${r.pending}, ${r.duplicates} twice`);
    if (r.lateness.p99 > 500 || r.lateness.max > 2000) throw new Error(`lateness p99 ${r.lateness.p99} ms / max ${r.lateness.max} ms misses the target`);
  }, { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 });
});
