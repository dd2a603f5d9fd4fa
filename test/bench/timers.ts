/**
 * Timer lateness report for issue 4: p99 ≤ 500 ms and max ≤ 2 s with 10,000 pending timers.
 *
 *   npx tsx test/bench/timers.ts                      # a throwaway redis-server (AOF on, like the embedded default)
 *   REDIS_URL=redis://127.0.0.1:6379/15 npx tsx test/bench/timers.ts
 *   BENCH_TIMERS=20000 BENCH_SPREAD_MS=30000 BENCH_PROCESSES=2 BENCH_HANDLER_MS=5 npx tsx test/bench/timers.ts
 *
 * Exits 1 when a target is missed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';
import { describeResult, runTimerBench } from './timers-scenario.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | undefined;
  let dataDir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-redis-'));
    embedded = await startEmbeddedRedis({ dataDir, appendOnly: true });
    url = embedded.url;
  }
  let failed = false;
  try {
    const base = { url, processes: env('BENCH_PROCESSES', 2), concurrency: env('BENCH_CONCURRENCY', 16), handlerMs: env('BENCH_HANDLER_MS', 5) };
    console.log(`Node ${process.version}; Redis at ${url}${embedded ? ' (throwaway, appendonly yes)' : ''}; ${base.processes} timer workers (each with its own Redis connections, like two processes) × concurrency ${base.concurrency}, handler ${base.handlerMs} ms`);
    const main = await runTimerBench({ ...base, prefix: `bench-timers:${Date.now().toString(36)}`, pending: env('BENCH_TIMERS', 10_000), spreadMs: env('BENCH_SPREAD_MS', 20_000), leadMs: env('BENCH_LEAD_MS', 8_000) });
    console.log(describeResult(`spread over ${env('BENCH_SPREAD_MS', 20_000) / 1000} s`, main));
    const ok = main.fired === main.pending && main.duplicates === 0 && main.pendingAtOnce === main.pending && main.lateness.p99 <= 500 && main.lateness.max <= 2000;
    console.log(ok ? 'targets met: p99 ≤ 500 ms, max ≤ 2000 ms, every timer once' : 'TARGET MISSED');
    failed ||= !ok;
    // Not a target, for context: a burst of timers all due in the same instant.
    const burst = await runTimerBench({ ...base, prefix: `bench-burst:${Date.now().toString(36)}`, pending: env('BENCH_BURST', 1000), spreadMs: 0, leadMs: 3000 });
    console.log(describeResult('burst, all due at once (context only)', burst));
  } finally {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

await main();
