/**
 * Timer lateness (fired − due) of the BullMQ timers escalation runs on, shared by
 * `timers.bench.ts` (npm run bench) and `timers.ts` (the standalone report).
 *
 * Scenario: `pending` timers are scheduled first — all of them pending at once — due spread
 * evenly over `spreadMs` starting `leadMs` later; `processes` timer workers (each its own
 * connections, `concurrency` each) run them with a handler that takes `handlerMs` (an escalation
 * step is a few Redis round trips and an HTTP call). Lateness is measured when a worker starts
 * the timer: the delay a person would see on top of the policy's wait.
 */
import { createRedisClient } from '../../src/adapters/redis/redis-connection.js';
import { silentLogger } from '../../src/core/logger.js';
import { BullTimerScheduler, TimerWorker } from '../../src/jobs/timers.js';

export interface TimerBenchOptions {
  url: string;
  prefix: string;
  pending: number;
  spreadMs: number;
  leadMs: number;
  processes: number;
  concurrency: number;
  handlerMs: number;
}

export interface TimerBenchResult {
  pending: number;
  /** Delayed timers counted right after scheduling (all must be pending at once). */
  pendingAtOnce: number;
  scheduleMs: number;
  fired: number;
  duplicates: number;
  lateness: { p50: number; p95: number; p99: number; max: number; min: number };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export async function runTimerBench(o: TimerBenchOptions): Promise<TimerBenchResult> {
  const producer = createRedisClient(o.url, { role: 'worker', logger: silentLogger });
  const scheduler = new BullTimerScheduler({ connection: producer, logger: silentLogger, prefix: o.prefix });
  const seen = new Map<string, number>();
  const lateness: number[] = [];
  const workers: { worker: TimerWorker; close: () => void }[] = [];
  for (let i = 0; i < o.processes; i++) {
    const redis = createRedisClient(o.url, { role: 'worker', logger: silentLogger });
    const worker = new TimerWorker({
      connection: redis,
      logger: silentLogger,
      prefix: o.prefix,
      concurrency: o.concurrency,
      onFired: (t) => {
        seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
        lateness.push(t.firedAt - t.dueAt);
      },
      handler: () => (o.handlerMs > 0 ? new Promise((r) => setTimeout(r, o.handlerMs)) : Promise.resolve()),
    });
    await worker.start();
    workers.push({ worker, close: () => redis.disconnect() });
  }
  try {
    const scheduleStarted = Date.now();
    const first = scheduleStarted + o.leadMs;
    const batch = 500;
    for (let i = 0; i < o.pending; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, o.pending - i) }, (_, j) => {
        const n = i + j;
        return scheduler.schedule(`bench:${n}`, first + Math.floor((n * o.spreadMs) / o.pending), { kind: 'bench' });
      }));
    }
    const scheduleMs = Date.now() - scheduleStarted;
    const pendingAtOnce = (await scheduler.counts()).delayed ?? 0;
    const deadline = first + o.spreadMs + 60_000;
    while (seen.size < o.pending && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const sorted = [...lateness].sort((a, b) => a - b);
    return {
      pending: o.pending,
      pendingAtOnce,
      scheduleMs,
      fired: seen.size,
      duplicates: [...seen.values()].filter((n) => n > 1).length,
      lateness: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, min: sorted[0] ?? NaN },
    };
  } finally {
    for (const w of workers) {
      await w.worker.close();
      w.close();
    }
    await scheduler.close();
    const keys = await producer.keys(`${o.prefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await producer.del(...keys.slice(i, i + 1000));
    producer.disconnect();
  }
}

export function describeResult(label: string, r: TimerBenchResult): string {
  const l = r.lateness;
  return `${label}: ${r.pending} timers (${r.pendingAtOnce} pending at once, scheduled in ${r.scheduleMs} ms), fired ${r.fired}, duplicates ${r.duplicates}; lateness ms p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} max ${l.max} (min ${l.min})`;
}
