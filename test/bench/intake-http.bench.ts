/**
 * `npm run bench`: HTTP intake end to end — the real app receiving 5,000 HMAC-signed
 * `POST /intake/generic` requests, 32 in flight over keep-alive. Fails on any non-2xx answer;
 * `npx tsx test/bench/intake-http.ts` runs the full 20,000 and prints the same numbers.
 */
import { bench, describe } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { formatIntakeHttp, runIntakeHttp } from './intake-http.js';

describe('HTTP intake (POST /intake/generic through the real app)', () => {
  bench('5,000 signed requests, 32 in flight, 50 services', async () => {
    const result = await runIntakeHttp({ redisUrl: testRedisUrl(), requests: 5000, concurrency: 32 });
    if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers: ${JSON.stringify(result.statuses)}`);
    console.log(`intake-http: Node ${process.version}; Redis at ${testRedisUrl()}\n${formatIntakeHttp(result).join('\n')}`);
  }, { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 });
});
