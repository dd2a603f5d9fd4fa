/**
 * Ingest benchmark with the numbers issue 3 asks for: sustained alerts/s, per-alert latency
 * percentiles with concurrency, Redis round trips per alert, and memory per open alert.
 *
 *   npx tsx test/bench/ingest.ts            # starts a throwaway redis-server (AOF on, like the embedded default)
 *   REDIS_URL=redis://127.0.0.1:6379/15 npx tsx test/bench/ingest.ts
 *   BENCH_ALERTS=50000 BENCH_CONCURRENCY=64 npx tsx test/bench/ingest.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';
import { countCommands, distinctAlerts, makeIngest, memoryUnder, percentile, runConcurrently, stormAlerts, type RunResult } from './ingest-scenario.js';

const TOTAL = Number(process.env.BENCH_ALERTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

function report(label: string, run: RunResult, roundTrips: number): void {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const kinds: Record<string, number> = {};
  for (const o of run.outcomes) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  console.log(`\n${label}`);
  console.log(`  ${run.alerts} alerts in ${(run.ms / 1000).toFixed(2)} s = ${Math.round((run.alerts / run.ms) * 1000)} alerts/s (${CONCURRENCY} in flight per process)`);
  console.log(`  latency per alert ms: p50 ${percentile(sorted, 50).toFixed(2)}  p95 ${percentile(sorted, 95).toFixed(2)}  p99 ${percentile(sorted, 99).toFixed(2)}  max ${percentile(sorted, 100).toFixed(2)}`);
  console.log(`  Redis round trips per alert: ${(roundTrips / run.alerts).toFixed(3)}`);
  console.log(`  outcomes: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | undefined;
  let dataDir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-redis-'));
    embedded = await startEmbeddedRedis({ dataDir, appendOnly: true });
    url = embedded.url;
  }
  const a = new Redis(url);
  const b = new Redis(url);
  const admin = new Redis(url);
  const info = await admin.info('server');
  console.log(`Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} at ${url}${embedded ? ' (throwaway, appendonly yes)' : ''}; Node ${process.version}`);
  try {
    const runId = Date.now().toString(36);

    // Warm-up: JIT, script cache, connections. Not measured.
    const warm = makeIngest(a, `bench:${runId}:warm`);
    await runConcurrently([warm.ingest], stormAlerts(2000, 20), CONCURRENCY);

    // 1. A storm: many deliveries, few incidents (the issue's shape: 10,000 alerts in 20 incidents, here TOTAL).
    {
      const { ingest, store } = makeIngest(a, `bench:${runId}:storm`);
      const counter = countCommands(a);
      const run = await runConcurrently([ingest], stormAlerts(TOTAL, 20), CONCURRENCY);
      report(`storm: ${TOTAL} alerts into 20 incidents, one process`, run, counter.count);
      const mem = await memoryUnder(admin, store.keyBase);
      console.log(`  memory: ${(mem.bytes / 1024 / 1024).toFixed(2)} MB in ${mem.keys} keys = ${Math.round(mem.bytes / TOTAL)} B per alert received`);
    }

    // 2. Worst case for memory: every alert a distinct, firing condition.
    {
      const n = Math.min(TOTAL, 10_000);
      const c = new Redis(url);
      const { ingest, store } = makeIngest(c, `bench:${runId}:distinct`);
      const counter = countCommands(c);
      const run = await runConcurrently([ingest], distinctAlerts(n, 100), CONCURRENCY);
      report(`distinct: ${n} different firing alerts into 100 incidents, one process`, run, counter.count);
      const mem = await memoryUnder(admin, store.keyBase);
      const open = run.outcomes.filter((o) => o.kind === 'opened' || o.kind === 'attached').length;
      console.log(`  memory: ${(mem.bytes / 1024 / 1024).toFixed(2)} MB in ${mem.keys} keys = ${Math.round(mem.bytes / open)} B per open alert (record + timeline entry + delivery id + share of incident and indexes)`);
      c.disconnect();
    }

    // 3. Two processes on one Redis, every alert delivered to both (two replicas behind SNS, or retries).
    {
      const prefix = `bench:${runId}:pair`;
      const p1 = makeIngest(a, prefix);
      const p2 = makeIngest(b, prefix);
      const ca = countCommands(a);
      const cb = countCommands(b);
      ca.reset();
      const alerts = stormAlerts(TOTAL / 2, 20);
      const doubled = alerts.flatMap((x) => [x, x]);
      const run = await runConcurrently([p1.ingest, p2.ingest], doubled, CONCURRENCY * 2);
      report(`two processes: ${alerts.length} alerts, each delivered to both (${doubled.length} ingests), one Redis`, run, ca.count + cb.count);
      const opened = run.outcomes.filter((o) => o.kind === 'opened').length;
      const active = await p1.store.listOpen(100);
      console.log(`  incidents opened: ${opened}, active incidents: ${active.length} (expected 20 and 20)`);
    }
  } finally {
    a.disconnect();
    b.disconnect();
    admin.disconnect();
    if (embedded) await embedded.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
