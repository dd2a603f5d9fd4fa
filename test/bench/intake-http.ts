/**
 * HTTP intake benchmark (issue 3: "ingest ≥ 2,000 alerts/s sustained with p99 ≤ 50 ms per
 * request"): the real app (`buildApp`, HTTP on 127.0.0.1, Redis) receiving HMAC-signed
 * `POST /intake/generic` requests over keep-alive connections, a fixed number in flight.
 * Latency is per request, from send to the full response.
 *
 *   npx tsx test/bench/intake-http.ts            # starts a throwaway redis-server (AOF on, like the embedded default)
 *   REDIS_URL=redis://127.0.0.1:6379/15 npx tsx test/bench/intake-http.ts
 *   BENCH_REQUESTS=50000 BENCH_CONCURRENCY=64 npx tsx test/bench/intake-http.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp } from '../../src/app.js';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../../src/adapters/redis/embedded-redis.js';
import { loadConfig } from '../../src/config/load-config.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { signGenericBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/intake/auth/hmac.js';
import { loadShippedRegistry } from '../support/router.js';

const SERVICES = 50;

export interface IntakeHttpOptions {
  redisUrl: string;
  requests: number;
  concurrency: number;
}

export interface IntakeHttpResult {
  requests: number;
  concurrency: number;
  ms: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  statuses: Record<number, number>;
  non2xx: number;
  /** Summary line of `incidents all`, e.g. "Incidents: 50". */
  incidents: string;
}

/** The nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/**
 * The bodies to send, in order: firing alerts over 50 services (a few keys each), about 10 %
 * resolved, about 10 % exact redeliveries of an earlier body (same bytes, so the same deliveryId).
 */
function bodies(total: number, runId: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < total; i++) {
    const earlier = out[i - 1 - ((i * 7) % Math.min(i, 200))];
    if (i > 0 && i % 10 === 5 && earlier !== undefined) {
      out.push(earlier); // exact redelivery
      continue;
    }
    const service = `svc-${i % SERVICES}`;
    const key = `${runId}-${service}-cond-${Math.floor(i / SERVICES) % 4}`;
    const status = i % 10 === 9 ? 'resolved' : 'firing';
    out.push(JSON.stringify({
      key,
      status,
      severity: i % 3 === 0 ? 'high' : 'warning',
      summary: `${service}: condition ${key} ${status} (#${i})`,
      service,
      cluster: 'prod',
    }));
  }
  return out;
}

interface Sent {
  status: number;
  ms: number;
}

function post(agent: Agent, port: number, secret: string, body: string): Promise<Sent> {
  const timestamp = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/intake/generic',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signGenericBody(secret, timestamp, payload),
        },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function send(agent: Agent, port: number, secret: string, all: readonly string[], concurrency: number): Promise<{ sent: Sent[]; ms: number }> {
  const sent: Sent[] = new Array<Sent>(all.length);
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < all.length) {
      const i = next++;
      sent[i] = await post(agent, port, secret, all[i] ?? '');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { sent, ms: performance.now() - started };
}

/** Builds the app on `redisUrl`, sends the requests, counts incidents, stops the app. */
export async function runIntakeHttp(options: IntakeHttpOptions): Promise<IntakeHttpResult> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const secret = randomBytes(24).toString('hex'); // 48 chars
  const loaded = loadConfig(
    {
      LIFEBOAT_PORT: String(await freePort()),
      LIFEBOAT_HOST: '127.0.0.1',
      LIFEBOAT_REDIS_PREFIX: `bench-intake-http-${runId}`,
      LIFEBOAT_GENERIC_SECRET: secret,
    },
    'images: { guardEveryMinutes: 0 }\n',
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const app = buildApp({
    config: loaded.config,
    redisUrl: options.redisUrl,
    redisWhere: 'bench',
    role: 'all',
    logger: silentLogger,
    clock: systemClock,
    version: 'bench',
    registry: await loadShippedRegistry(),
    handlers: {},
    runbooks: [],
    serveHttp: true,
  });
  await app.start();
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const port = app.httpAddress?.port;
    if (!port) throw new Error('the app is not serving HTTP');

    // Warm-up (JIT, connections, Redis scripts): not measured, separate keys.
    const warm = Math.min(1000, Math.max(100, Math.floor(options.requests / 10)));
    await send(agent, port, secret, bodies(warm, `${runId}-warm`), options.concurrency);

    const { sent, ms } = await send(agent, port, secret, bodies(options.requests, runId), options.concurrency);
    const latencies = sent.map((s) => s.ms).sort((a, b) => a - b);
    const statuses: Record<number, number> = {};
    for (const s of sent) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    const non2xx = sent.filter((s) => s.status < 200 || s.status > 299).length;

    const listed = await app.router.handleCommand({ text: 'incidents all', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    return {
      requests: options.requests,
      concurrency: options.concurrency,
      ms,
      perSecond: (options.requests / ms) * 1000,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      statuses,
      non2xx,
      incidents: listed.summary,
    };
  } finally {
    agent.destroy();
    await app.stop();
  }
}

export function formatIntakeHttp(r: IntakeHttpResult): string[] {
  return [
    `  ${r.requests} requests in ${(r.ms / 1000).toFixed(2)} s = ${Math.round(r.perSecond)} requests/s (${r.concurrency} in flight, keep-alive)`,
    `  latency per request ms: p50 ${r.p50.toFixed(2)}  p95 ${r.p95.toFixed(2)}  p99 ${r.p99.toFixed(2)}  max ${r.max.toFixed(2)}`,
    `  status codes: ${Object.entries(r.statuses).map(([code, n]) => `${code} ×${n}`).join(', ')}; non-2xx ${r.non2xx}`,
    `  incidents (warm-up included): ${r.incidents}`,
  ];
}

async function main(): Promise<void> {
  const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  let embedded: EmbeddedRedis | undefined;
  let dataDir: string | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-redis-'));
    embedded = await startEmbeddedRedis({ dataDir, appendOnly: true });
    url = embedded.url;
  }
  console.log(`Node ${process.version}; Redis at ${url}${embedded ? ' (throwaway, appendonly yes)' : ''}`);
  try {
    const result = await runIntakeHttp({ redisUrl: url, requests, concurrency });
    console.log(`\nPOST /intake/generic (HMAC-signed), ${SERVICES} services, firing + ~10 % resolved + ~10 % exact redeliveries`);
    for (const line of formatIntakeHttp(result)) console.log(line);
    console.log(`  target: ≥ 2,000 requests/s and p99 ≤ 50 ms → ${result.perSecond >= 2000 && result.p99 <= 50 ? 'met' : 'NOT met'}`);
  } finally {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
