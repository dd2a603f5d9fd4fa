/**
 * Ingest benchmark scenarios, shared by `ingest.bench.ts` (vitest bench) and `ingest.ts` (the
 * standalone report with latency percentiles, round trips and memory).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisIncidentStore } from '../../src/adapters/redis/redis-incident-store.js';
import { systemClock } from '../../src/core/clock.js';
import { createIngest, type Ingest } from '../../src/incidents/ingest.js';
import type { Alert } from '../../src/intake/alert.js';
import type { IngestOutcome } from '../../src/triage/outcome.js';
import { defaultTriageSettings } from '../../src/triage/settings.js';

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';

/**
 * A storm as the issue describes it: `total` alerts into `groups` services — mostly stopped
 * tasks (one condition per service, a new delivery each), the service's start-impaired event and
 * a few CloudWatch alarms going ALARM/OK, and 5% redeliveries of an earlier payload.
 */
export function stormAlerts(total: number, groups: number, runId = randomBytes(3).toString('hex')): Alert[] {
  const alerts: Alert[] = [];
  for (let n = 0; n < total; n++) {
    const g = n % groups;
    const service = `svc-${g}`;
    const target = { account: ACCOUNT, region: REGION, cluster: 'prod', service };
    if (n > 100 && n % 20 === 7) {
      const earlier = alerts[n - 50 - (n % 37)];
      if (earlier) {
        alerts.push(earlier);
        continue;
      }
    }
    const kind = n % 50;
    if (kind === 3) {
      alerts.push({ source: 'eventbridge', deliveryId: `${runId}:impaired:${n}`, fingerprint: `ecs/${ACCOUNT}/${REGION}/prod/service:${service}/task-start-impaired`, name: 'SERVICE_TASK_START_IMPAIRED', status: 'firing', severity: 'high', class: 'task-fails-to-start', summary: `${service} is unable to consistently start tasks`, target, occurredAt: Date.now() });
    } else if (kind === 5 || kind === 30) {
      const name = `${service}-5xx-${n % 3}`;
      alerts.push({ source: 'sns-cloudwatch', deliveryId: `sns:${runId}:${n}`, fingerprint: `cloudwatch-alarm:arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`, name, status: kind === 5 ? 'firing' : 'resolved', severity: kind === 5 ? 'high' : 'info', class: 'other', summary: `${name}: Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (10.0).`, target, occurredAt: Date.now() });
    } else {
      const task = `${runId}${n.toString(16).padStart(26, '0')}`;
      alerts.push({
        source: 'eventbridge',
        deliveryId: `ecs-task:arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/${task}:v3`,
        fingerprint: `ecs/${ACCOUNT}/${REGION}/prod/service:${service}/image-pull-failed`,
        name: 'ECS task image pull failed',
        status: 'firing',
        severity: 'high',
        class: 'image-pull-failed',
        pullFailure: 'image-not-found',
        summary: `${service}: task ${task} could not pull its image (image-not-found)`,
        target: { ...target, repository: service, imageTag: 'latest' },
        occurredAt: Date.now(),
      });
    }
  }
  return alerts;
}

/** `total` firing alerts, each a distinct condition (the worst case for memory), over `groups` services. */
export function distinctAlerts(total: number, groups: number, runId = randomBytes(3).toString('hex')): Alert[] {
  return Array.from({ length: total }, (_, n) => {
    const service = `svc-${n % groups}`;
    const name = `${service}-alarm-${n}`;
    return {
      source: 'sns-cloudwatch',
      deliveryId: `sns:${runId}-${n.toString(16).padStart(8, '0')}-4f6e-9c1a-${runId}`,
      fingerprint: `cloudwatch-alarm:arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
      name,
      status: 'firing',
      severity: 'high',
      class: 'other',
      summary: `${name}: Threshold Crossed: 1 out of the last 1 datapoints [12.5 (02/03/26 09:00:00)] was greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).`,
      target: { account: ACCOUNT, region: REGION, cluster: 'prod', service },
      occurredAt: Date.now(),
    } satisfies Alert;
  });
}

export function makeIngest(redis: Redis, prefix: string): { ingest: Ingest; store: RedisIncidentStore } {
  const store = new RedisIncidentStore(redis, { clock: systemClock, prefix, retention: defaultTriageSettings.retention });
  // Storm threshold high enough that the bench measures storage, not the storm flag.
  return { store, ingest: createIngest({ store, settings: defaultTriageSettings, clock: systemClock }) };
}

export interface RunResult {
  alerts: number;
  ms: number;
  latencies: number[];
  outcomes: IngestOutcome[];
}

/** Ingests every alert with at most `concurrency` in flight (like requests on an HTTP server), timing each one. */
export async function runConcurrently(ingests: readonly Ingest[], alerts: readonly Alert[], concurrency: number): Promise<RunResult> {
  const latencies = new Array<number>(alerts.length);
  const outcomes = new Array<IngestOutcome>(alerts.length);
  let next = 0;
  const started = performance.now();
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const n = next++;
      const alert = alerts[n];
      if (alert === undefined) return;
      const ingest = ingests[(n + w) % ingests.length]!;
      const t0 = performance.now();
      outcomes[n] = await ingest(alert);
      latencies[n] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { alerts: alerts.length, ms: performance.now() - started, latencies, outcomes };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Commands sent by one client instance (its round trips: the ingest path sends no pipelines). */
export function countCommands(redis: Redis): { readonly count: number; reset(): void } {
  let count = 0;
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<typeof original>[0], stream?: Parameters<typeof original>[1]) => {
    count += 1;
    return original(command, stream);
  });
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}

/** Bytes of every key under `base` except the storm counters. */
export async function memoryUnder(redis: Redis, base: string): Promise<{ bytes: number; keys: number }> {
  const pattern = `${base.replace(/[[\]{}*?\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const wanted = batch.filter((k) => !k.includes('}:rate:'));
    const pipeline = redis.pipeline();
    for (const key of wanted) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [err, value] of (await pipeline.exec()) ?? []) if (!err) bytes += Number(value ?? 0);
    keys += wanted.length;
  } while (cursor !== '0');
  return { bytes, keys };
}
