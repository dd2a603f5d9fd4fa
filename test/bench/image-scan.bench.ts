/**
 * `check images` at fleet scale: 1,000 services, 300 repositories (20 % multi-arch) behind an AWS
 * stand-in that charges 5–20 ms a call and throttles each API with its own token bucket (burst 50,
 * 20/s — the ECS figures of corpus ecs/SEMANTICS.md). Prints, for a cold scan (empty caches) and a
 * warm one (15 minutes later, caches kept):
 *
 * - AWS calls ÷ the floor of docs/images.md (target 1.00 cold; warm far fewer),
 * - wall time ÷ the throttling floor, max over APIs of (calls − burst) ÷ refill rate (target ≤ 1.2).
 *
 * Time is simulated by default (`VirtualTime`: exact and deterministic; CPU time is printed
 * apart). `LIFEBOAT_BENCH_REALTIME=1 npm run bench` runs the same scans on real timers instead
 * (about a minute).
 */
import { bench, describe } from 'vitest';
import { SdkEcrReader } from '../../src/adapters/aws/sdk-ecr-reader.js';
import { SdkEcsReader } from '../../src/adapters/aws/sdk-ecs-reader.js';
import { systemClock } from '../../src/core/clock.js';
import { MemoryCache } from '../../src/images/cache.js';
import { sleep as realSleep } from '../../src/images/call-budget.js';
import type { ImageIndex } from '../../src/images/oci-index.js';
import type { EcrReader, EcsServiceRevision, EcsTaskDefinition } from '../../src/images/ports.js';
import { renderScanReport } from '../../src/images/render.js';
import type { ScanReport } from '../../src/images/report.js';
import { runImageScan, type ScanDeps } from '../../src/images/scan.js';
import { ACCOUNT, API_LIMITS, AwsStandIn, BENCH_FLEET, REGION, buildFleet, type ApiCount } from './support/aws-stand-in.js';
import { VirtualTime } from './support/virtual-time.js';

const realTime = process.env.LIFEBOAT_BENCH_REALTIME === '1';
// Real timers need the fleet's history to end now, or every image looks weeks older to the lifecycle rules.
const fleet = buildFleet(realTime ? { ...BENCH_FLEET, now: Date.now() } : BENCH_FLEET);
const virtual = new VirtualTime(fleet.shape.now);
const clock = realTime ? systemClock : virtual;
const sleep = realTime ? realSleep : virtual.sleep;
const run = <T>(fn: () => Promise<T>): Promise<T> => (realTime ? fn() : virtual.run(fn));
const standIn = new AwsStandIn(fleet, { clock, sleep, latencyMs: [5, 20], limits: API_LIMITS });

const readers = new Map<string, EcrReader>();
let seed = 7;
const deps: ScanDeps = {
  targets: [{ account: ACCOUNT, region: REGION, ecs: new SdkEcsReader(standIn.ecs, { account: ACCOUNT, region: REGION }) }],
  ecrFor: (registryId, region) => {
    let reader = readers.get(`${registryId}|${region}`);
    if (!reader) {
      reader = new SdkEcrReader(standIn.ecr, { region });
      readers.set(`${registryId}|${region}`, reader);
    }
    return reader;
  },
  taskDefinitions: new MemoryCache<EcsTaskDefinition>(),
  manifests: new MemoryCache<ImageIndex>(),
  revisions: new MemoryCache<EcsServiceRevision>(),
  clock,
  sleep,
  // Deterministic backoff jitter.
  random: () => ((seed = (seed * 48271) % 2147483647) / 2147483647),
};

interface Measured {
  report: ScanReport;
  wallMs: number;
  cpuMs: number;
  counts: Map<string, ApiCount>;
}

async function measure(): Promise<Measured> {
  standIn.reset();
  const started = clock.now();
  const cpu = process.cpuUsage();
  const report = await run(() => runImageScan(deps));
  const used = process.cpuUsage(cpu);
  return { report, wallMs: clock.now() - started, cpuMs: (used.user + used.system) / 1000, counts: new Map(standIn.counts) };
}

const cold = await measure();
// The next scheduled scan, 15 minutes later: AWS's buckets are full again, Lifeboat's caches kept.
if (!realTime) virtual.advance(15 * 60_000);
const warm = await measure();

function summarise(name: string, m: Measured, floor: Record<string, number>) {
  const calls = [...m.counts.values()].reduce((n, c) => n + c.calls, 0);
  const throttled = [...m.counts.values()].reduce((n, c) => n + c.throttled, 0);
  const floorCalls = Object.values(floor).reduce((n, c) => n + c, 0);
  const perApi = [...m.counts].map(([api, c]) => ({ api, seconds: Math.max(0, c.calls - API_LIMITS.burst) / API_LIMITS.ratePerSecond }));
  const bound = perApi.reduce((a, b) => (b.seconds > a.seconds ? b : a), { api: '-', seconds: 0 });
  const reported = Object.values(m.report.calls).reduce((n, s) => n + s.calls, 0);
  return { name, calls, floorCalls, throttled, reported, wallS: m.wallMs / 1000, floorS: bound.seconds, floorApi: bound.api, cpuMs: m.cpuMs };
}

const rows = [summarise('cold', cold, fleet.floor.cold), summarise('warm', warm, fleet.floor.warm)];
const c = fleet.counts;
const lines = [
  '',
  `image scan — ${c.services} services in ${fleet.clusterArns.length} clusters, ${c.taskDefinitions} task definitions, ${c.repositories} ECR repositories (${c.multiArch} multi-arch, ${c.withPolicy} with a lifecycle policy)`,
  `stand-in: 5–20 ms a call; per-API token buckets, burst ${API_LIMITS.burst}, ${API_LIMITS.ratePerSecond}/s; ${realTime ? 'real time' : 'simulated time'}`,
  '',
  'scan   AWS calls   floor   calls÷floor   throttled   wall      throttling floor                       wall÷floor   CPU',
  ...rows.map(
    (r) =>
      `${r.name.padEnd(6)} ${String(r.calls).padStart(9)}   ${String(r.floorCalls).padStart(5)}   ${(r.calls / r.floorCalls).toFixed(2).padStart(11)}   ${String(r.throttled).padStart(9)}   ` +
      `${`${r.wallS.toFixed(1)} s`.padEnd(8)}  ${`${r.floorS.toFixed(1)} s (${r.floorApi})`.padEnd(38)} ${r.floorS > 0 ? (r.wallS / r.floorS).toFixed(2).padStart(10) : '         -'}   ${Math.round(r.cpuMs)} ms`,
  ),
  `warm ÷ cold floor: ${(rows[1]!.calls / rows[0]!.floorCalls).toFixed(2)} of the cold scan's calls`,
  '',
  'per API (cold / warm; floor in brackets):',
  ...[...new Set([...Object.keys(fleet.floor.cold), ...cold.counts.keys(), ...warm.counts.keys()])]
    .sort()
    .map((api) => `  ${api.padEnd(30)} ${String(cold.counts.get(api)?.calls ?? 0).padStart(5)} [${fleet.floor.cold[api] ?? 0}]  /  ${String(warm.counts.get(api)?.calls ?? 0).padStart(4)} [${fleet.floor.warm[api] ?? 0}]`),
  '',
  `report: ${cold.report.totals.services} services, ${cold.report.totals.images} images: ${cold.report.totals.available} available, ${cold.report.totals.missing} missing, ` +
    `${cold.report.totals.atRisk} at risk, ${cold.report.totals.unknown} unknown, ${cold.report.totals.unchecked} unchecked; ${cold.report.traps.length} traps; ` +
    `calls counted by the scan itself: ${rows[0]!.reported} cold, ${rows[1]!.reported} warm`,
  '',
];
console.log(lines.join('\n'));

describe('image scan at 1,000 services', () => {
  bench('render the cold report as a chat card', () => {
    renderScanReport(cold.report);
  });
  bench('serialise the cold report as JSON (GET /api/images)', () => {
    JSON.stringify(cold.report);
  });
});
