/**
 * Slack calls in an alert storm (issue 3 target: ≤ 220 for 10,000 alerts in 20 incidents over 5
 * minutes). Simulated time, real Redis:
 *
 *   npx tsx test/bench/slack-storm.ts              # a throwaway redis-server
 *   REDIS_URL=redis://127.0.0.1:6379/15 npx tsx test/bench/slack-storm.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';
import { countCommands } from './ingest-scenario.js';
import { runSlackStorm, type StormRun } from './slack-storm-scenario.js';

function report(label: string, run: StormRun, roundTrips: number): void {
  console.log(`\n${label}`);
  console.log(`  ${run.alerts} alerts → ${run.incidents} incidents, ${run.simulatedSeconds.toFixed(0)} simulated s (${(run.wallMs / 1000).toFixed(1)} s wall)`);
  console.log(`  Slack calls: ${run.calls.total} = ${run.calls.card} top-level posts + ${run.calls.thread} thread replies + ${run.calls.update} updates`);
  console.log(`  busiest minute: ${run.peakPostsPerMinute} chat.postMessage in the alert channel`);
  console.log(`  Redis round trips per alert, ingest + notifier together: ${(roundTrips / run.alerts).toFixed(3)}`);
}

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | undefined;
  let dataDir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-redis-'));
    embedded = await startEmbeddedRedis({ dataDir, appendOnly: false });
    url = embedded.url;
  }
  const redis = new Redis(url);
  try {
    const runId = Date.now().toString(36);
    const counter = countCommands(redis);
    const storm = await runSlackStorm(redis, `bench:${runId}:storm`);
    report('storm mode on (the default): 10,000 alerts, 20 incidents, 5 minutes', storm, counter.count);
    console.log(`  target ≤ 220: ${storm.calls.total <= 220 ? 'met' : 'MISSED'}`);
    counter.reset();
    const off = await runSlackStorm(redis, `bench:${runId}:nostorm`, { stormSummary: false });
    report('for comparison, storm.summary: false (per-incident cards throughout)', off, counter.count);
  } finally {
    redis.disconnect();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
