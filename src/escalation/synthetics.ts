/**
 * Synthetic checks: configured HTTP health URLs probed on a schedule (a repeating timer per
 * check, so each probe runs once across all Lifeboat processes). `failuresBeforeIncident`
 * failures in a row open an incident through the normal alert pipeline; the next success
 * resolves its alert. A check's `target` puts the incident with the service's other alerts.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import type { Alert } from '../intake/alert.js';
import type { AlertSink } from '../intake/sink.js';
import { formatDuration } from './messages.js';
import type { FiredTimer, SyntheticStore, TimerScheduler } from './ports.js';
import type { SyntheticSettings } from './settings.js';

export const SYNTHETIC_TIMER = 'synthetic-check';
const TIMER_PREFIX = 'synthetic:';
/** Bytes of a response body read to look for `bodyContains`. */
const MAX_BODY_BYTES = 1024 * 1024;

export const SYNTHETIC_METRICS = {
  up: 'lifeboat_synthetic_up',
  failures: 'lifeboat_synthetic_consecutive_failures',
  duration: 'lifeboat_synthetic_duration_seconds',
} as const;

export type FetchLike = (input: string, init: { method: string; headers?: Record<string, string>; signal: AbortSignal; redirect?: 'follow' | 'manual' }) => Promise<{
  status: number;
  body: ReadableStream<Uint8Array> | null;
}>;

export interface SyntheticChecksDeps {
  checks: readonly SyntheticSettings[];
  store: SyntheticStore;
  sink: AlertSink;
  /** `globalThis.fetch` in production; tests pass a stand-in. */
  fetch: FetchLike;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** Why it failed, or `ok`. */
  detail: string;
  ms: number;
}

export function syntheticFingerprint(id: string): string {
  return `lifeboat:synthetic:${id}`;
}

export class SyntheticChecks {
  private readonly log: Logger;
  private readonly metrics: Metrics;

  constructor(private readonly deps: SyntheticChecksDeps) {
    this.log = deps.logger.child({ component: 'synthetics' });
    this.metrics = deps.metrics ?? noMetrics;
  }

  get configured(): readonly SyntheticSettings[] {
    return this.deps.checks;
  }

  /** Registers one repeating timer per check and removes those of checks no longer configured. */
  async start(timers: TimerScheduler): Promise<void> {
    const wanted = new Set(this.deps.checks.map((c) => `${TIMER_PREFIX}${c.id}`));
    for (const c of this.deps.checks) await timers.scheduleRepeating(`${TIMER_PREFIX}${c.id}`, c.everySeconds * 1000, { kind: SYNTHETIC_TIMER, id: c.id });
    for (const id of await timers.repeatingIds()) if (id.startsWith(TIMER_PREFIX) && !wanted.has(id)) await timers.cancelRepeating(id);
  }

  async handleTimer(timer: FiredTimer): Promise<boolean> {
    if (timer.payload.kind !== SYNTHETIC_TIMER) return false;
    const id = typeof timer.payload.id === 'string' ? timer.payload.id : '';
    if (!this.deps.checks.some((c) => c.id === id)) {
      this.log.info({ check: id }, 'synthetic check no longer configured; ignored');
      return true;
    }
    await this.run(id);
    return true;
  }

  /** Probes one check, records the result and opens or resolves its incident. */
  async run(id: string): Promise<ProbeResult> {
    const check = this.deps.checks.find((c) => c.id === id);
    if (!check) throw new Error(`no synthetic check ${id}`);
    const result = await this.probe(check);
    const now = this.deps.clock.now();
    const labels = { check: id };
    this.metrics.set(SYNTHETIC_METRICS.up, labels, result.ok ? 1 : 0);
    this.metrics.set(SYNTHETIC_METRICS.duration, labels, result.ms / 1000);
    if (result.ok) {
      this.metrics.set(SYNTHETIC_METRICS.failures, labels, 0);
      const { openedFor } = await this.deps.store.recordSuccess(id, now);
      if (openedFor !== undefined) {
        await this.deps.sink.accept([this.alert(check, 'resolved', `${check.url} answers again (${result.detail}) after ${formatDuration(now - openedFor)} of failures`, `lifeboat-synthetic:${id}:ok:${openedFor}`, now)]);
        this.log.info({ check: id }, 'synthetic check recovered: its alert resolved');
      }
      return result;
    }
    const { failures, since } = await this.deps.store.recordFailure(id, now, result.detail);
    this.metrics.set(SYNTHETIC_METRICS.failures, labels, failures);
    if (failures >= check.failuresBeforeIncident) {
      const status = (await this.deps.store.status([id])).get(id);
      if (status?.openedFor === undefined) {
        const summary = `${check.url}: ${result.detail} — ${failures} failures in a row since ${new Date(since).toISOString().slice(11, 16)} UTC`;
        // The delivery id is the failure streak's start: a retry or a second process is a duplicate delivery.
        await this.deps.sink.accept([this.alert(check, 'firing', summary, `lifeboat-synthetic:${id}:${since}`, now)]);
        await this.deps.store.markOpened(id, since);
        this.log.warn({ check: id, failures, detail: result.detail }, 'synthetic check failing: incident opened');
      }
    }
    return result;
  }

  /** One HTTP probe: status and body against the expectations, within the timeout. */
  async probe(check: SyntheticSettings): Promise<ProbeResult> {
    const started = Date.now();
    const ms = (): number => Date.now() - started;
    try {
      const response = await this.deps.fetch(check.url, {
        method: check.method,
        ...(check.headers ? { headers: check.headers } : {}),
        signal: AbortSignal.timeout(check.timeoutMs),
        redirect: 'follow',
      });
      const statusOk = check.expectStatus ? check.expectStatus.includes(response.status) : response.status >= 200 && response.status < 300;
      if (!statusOk) {
        await response.body?.cancel().catch(() => undefined);
        return { ok: false, status: response.status, detail: `HTTP ${response.status}, expected ${check.expectStatus ? check.expectStatus.join(' or ') : '2xx'}`, ms: ms() };
      }
      if (check.bodyContains !== undefined) {
        const body = await readCapped(response.body, MAX_BODY_BYTES);
        if (!body.includes(check.bodyContains)) return { ok: false, status: response.status, detail: `HTTP ${response.status} but the body lacks "${check.bodyContains}"`, ms: ms() };
      } else {
        await response.body?.cancel().catch(() => undefined);
      }
      return { ok: true, status: response.status, detail: `HTTP ${response.status}`, ms: ms() };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      return { ok: false, detail: timedOut ? `no answer within ${check.timeoutMs} ms` : `${e.cause?.code ?? e.message}`, ms: ms() };
    }
  }

  private alert(check: SyntheticSettings, status: 'firing' | 'resolved', summary: string, deliveryId: string, now: number): Alert {
    const name = `Synthetic check ${check.name ?? check.id} failing`;
    return {
      source: 'lifeboat',
      deliveryId,
      fingerprint: syntheticFingerprint(check.id),
      name,
      status,
      severity: status === 'firing' ? check.severity : 'info',
      class: 'other',
      summary,
      target: { ...check.target },
      occurredAt: now,
      links: [{ label: 'checked URL', url: check.url }],
      labels: { check: check.id },
      senderGroupKey: `lifeboat-synthetic:${check.id}`,
    };
  }
}

async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
      if (total >= max) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}
