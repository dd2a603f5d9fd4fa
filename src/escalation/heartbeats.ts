/**
 * Monitoring of the monitoring: a registered source (an Alertmanager `Watchdog`, a CloudWatch
 * heartbeat alarm, an EventBridge scheduled event, a generic ping) that stays silent longer than
 * its interval opens a `monitoring-blind` incident — "no alerts from X for 42 min — you may be
 * flying blind" — through the normal alert pipeline, so it is grouped, carded and escalated like
 * any other incident. When the source reports again, the incident's alert resolves.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import type { Alert } from '../intake/alert.js';
import type { AlertSink } from '../intake/sink.js';
import { formatDuration } from './messages.js';
import { globToRegExp } from './policy.js';
import type { FiredTimer, HeartbeatStore, TimerScheduler } from './ports.js';
import type { HeartbeatSettings } from './settings.js';

export const HEARTBEAT_TIMER = 'heartbeat-check';
export const HEARTBEAT_TIMER_ID = 'heartbeat-check';

export const HEARTBEAT_METRICS = {
  age: 'lifeboat_heartbeat_age_seconds',
  silent: 'lifeboat_heartbeat_silent',
} as const;

export interface HeartbeatMonitorDeps {
  heartbeats: readonly HeartbeatSettings[];
  store: HeartbeatStore;
  /** The alert pipeline (ingest → notifier → escalation): blind incidents go in like any alert. */
  sink: AlertSink;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** How often `check` runs (the repeating timer). Default 30 s. */
  checkEveryMs?: number;
}

/** One source's heartbeat, for `heartbeats`, `/metrics` and the runbook. */
export interface HeartbeatStatus {
  id: string;
  name: string;
  owner?: string;
  intervalMs: number;
  /** The last heartbeat, if one ever arrived. */
  lastSeenAt?: number;
  /** Since the last heartbeat (or since registration when none arrived yet). */
  silentForMs: number;
  silent: boolean;
  /** Set while a monitoring-blind incident is open for it. */
  blindSince?: number;
}

/** The fingerprint of a heartbeat's monitoring-blind alert. */
export function heartbeatFingerprint(id: string): string {
  return `lifeboat:heartbeat:${id}`;
}

export class HeartbeatMonitor {
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly matchers: { hb: HeartbeatSettings; test: (alert: Alert) => boolean }[];

  constructor(private readonly deps: HeartbeatMonitorDeps) {
    this.log = deps.logger.child({ component: 'heartbeats' });
    this.metrics = deps.metrics ?? noMetrics;
    this.matchers = deps.heartbeats.map((hb) => ({ hb, test: matcherFor(hb) }));
  }

  get configured(): readonly HeartbeatSettings[] {
    return this.deps.heartbeats;
  }

  /** Registers every heartbeat (silence counts from now for one never seen) and the repeating check. */
  async start(timers: TimerScheduler): Promise<void> {
    const now = this.deps.clock.now();
    for (const hb of this.deps.heartbeats) await this.deps.store.registered(hb.id, now);
    if (this.deps.heartbeats.length) await timers.scheduleRepeating(HEARTBEAT_TIMER_ID, this.deps.checkEveryMs ?? 30_000, { kind: HEARTBEAT_TIMER });
    else await timers.cancelRepeating(HEARTBEAT_TIMER_ID);
  }

  /** The heartbeats an alert counts for (alerts Lifeboat made itself never count). */
  matches(alert: Alert): HeartbeatSettings[] {
    if (alert.source === 'lifeboat') return [];
    return this.matchers.filter((m) => m.test(alert)).map((m) => m.hb);
  }

  /**
   * Records the alert as a heartbeat of every source it matches and returns their ids. A source
   * that was blind is back: its monitoring-blind alert resolves (and the incident with it).
   */
  async recordHeartbeat(alert: Alert): Promise<string[]> {
    const matched = this.matches(alert);
    const now = this.deps.clock.now();
    for (const hb of matched) {
      await this.deps.store.record(hb.id, now);
      const blindSince = await this.deps.store.clearBlind(hb.id);
      if (blindSince !== undefined) await this.sendBack(hb, blindSince, now);
    }
    return matched.map((hb) => hb.id);
  }

  /**
   * For the intake sink: records the heartbeats among `alerts` and returns the alerts still to
   * ingest — heartbeats are dropped unless their source says `ingest: true`.
   */
  async filterAlerts(alerts: readonly Alert[]): Promise<Alert[]> {
    const keep: Alert[] = [];
    for (const alert of alerts) {
      const ids = await this.recordHeartbeat(alert);
      if (ids.length === 0 || this.deps.heartbeats.some((hb) => ids.includes(hb.id) && hb.ingest)) keep.push(alert);
    }
    return keep;
  }

  /** Every source's heartbeat now. */
  async status(): Promise<HeartbeatStatus[]> {
    const ids = this.deps.heartbeats.map((hb) => hb.id);
    if (!ids.length) return [];
    const now = this.deps.clock.now();
    const [seen, blind] = await Promise.all([this.deps.store.lastSeen(ids), this.deps.store.blindSince(ids)]);
    const out: HeartbeatStatus[] = [];
    for (const hb of this.deps.heartbeats) {
      const last = seen.get(hb.id);
      const reference = last ?? (await this.deps.store.registered(hb.id, now));
      const silentForMs = Math.max(0, now - reference);
      const intervalMs = hb.intervalMinutes * 60_000;
      const status: HeartbeatStatus = { id: hb.id, name: hb.name, intervalMs, silentForMs, silent: silentForMs > intervalMs };
      if (hb.owner) status.owner = hb.owner;
      if (last !== undefined) status.lastSeenAt = last;
      const b = blind.get(hb.id);
      if (b !== undefined) status.blindSince = b;
      out.push(status);
    }
    return out;
  }

  /** Opens a monitoring-blind incident for each source silent longer than its interval. Run by the repeating timer. */
  async check(): Promise<HeartbeatStatus[]> {
    const statuses = await this.status();
    const now = this.deps.clock.now();
    for (const s of statuses) {
      this.metrics.set(HEARTBEAT_METRICS.age, { heartbeat: s.id }, Math.round(s.silentForMs / 1000));
      this.metrics.set(HEARTBEAT_METRICS.silent, { heartbeat: s.id }, s.silent ? 1 : 0);
      if (!s.silent || s.blindSince !== undefined) continue;
      const hb = this.deps.heartbeats.find((h) => h.id === s.id);
      if (!hb) continue;
      const since = now - s.silentForMs;
      try {
        // The delivery id is the silence's start: a second process (or a retry) is a duplicate delivery.
        await this.deps.sink.accept([this.blindAlert(hb, s, since, now)]);
        await this.deps.store.markBlind(hb.id, since);
        this.log.warn({ heartbeat: hb.id, silentForMs: s.silentForMs }, 'heartbeat lost: monitoring-blind incident opened');
        // The source may have come back while the incident was opening.
        const again = (await this.deps.store.lastSeen([hb.id])).get(hb.id);
        if (again !== undefined && again > since) {
          const blindSince = await this.deps.store.clearBlind(hb.id);
          if (blindSince !== undefined) await this.sendBack(hb, blindSince, this.deps.clock.now());
        }
      } catch (err) {
        this.log.error({ heartbeat: hb.id, err: err instanceof Error ? err.message : String(err) }, 'could not open the monitoring-blind incident; the next check tries again');
      }
    }
    return statuses;
  }

  async handleTimer(timer: FiredTimer): Promise<boolean> {
    if (timer.payload.kind !== HEARTBEAT_TIMER) return false;
    await this.check();
    return true;
  }

  private blindAlert(hb: HeartbeatSettings, s: HeartbeatStatus, since: number, now: number): Alert {
    const interval = formatDuration(s.intervalMs);
    const summary = `no alerts from ${hb.name} for ${formatDuration(s.silentForMs)} — you may be flying blind (expected at least every ${interval}${s.lastSeenAt === undefined ? '; never heard from since Lifeboat started watching it' : ''}${hb.owner ? `; owner: ${hb.owner}` : ''})`;
    return {
      source: 'lifeboat',
      deliveryId: `lifeboat-heartbeat:${hb.id}:${since}`,
      fingerprint: heartbeatFingerprint(hb.id),
      name: `No heartbeat from ${hb.name}`,
      status: 'firing',
      severity: hb.severity,
      class: 'monitoring-blind',
      summary,
      target: {},
      occurredAt: now,
      labels: { heartbeat: hb.id, ...(hb.owner ? { owner: hb.owner } : {}) },
      senderGroupKey: `lifeboat-heartbeat:${hb.id}`,
    };
  }

  private async sendBack(hb: HeartbeatSettings, blindSince: number, now: number): Promise<void> {
    const alert: Alert = {
      source: 'lifeboat',
      deliveryId: `lifeboat-heartbeat:${hb.id}:back:${blindSince}`,
      fingerprint: heartbeatFingerprint(hb.id),
      name: `No heartbeat from ${hb.name}`,
      status: 'resolved',
      severity: 'info',
      class: 'monitoring-blind',
      summary: `${hb.name} is reporting again after ${formatDuration(now - blindSince)} of silence`,
      target: {},
      occurredAt: now,
      labels: { heartbeat: hb.id },
      senderGroupKey: `lifeboat-heartbeat:${hb.id}`,
    };
    try {
      await this.deps.sink.accept([alert]);
      this.log.info({ heartbeat: hb.id }, 'heartbeat back: monitoring-blind alert resolved');
    } catch (err) {
      // Put the mark back so the next heartbeat tries again.
      await this.deps.store.markBlind(hb.id, blindSince);
      throw err;
    }
  }
}

function matcherFor(hb: HeartbeatSettings): (alert: Alert) => boolean {
  const m = hb.match;
  const name = m.name !== undefined ? globToRegExp(m.name) : undefined;
  const fingerprint = m.fingerprint !== undefined ? globToRegExp(m.fingerprint) : undefined;
  const sources = m.source ? new Set<string>(m.source) : undefined;
  return (alert) => {
    if (sources && !sources.has(alert.source)) return false;
    if (name && !name.test(alert.name)) return false;
    if (fingerprint && !fingerprint.test(alert.fingerprint)) return false;
    if (m.labels) for (const [k, v] of Object.entries(m.labels)) if (alert.labels?.[k] !== v) return false;
    return true;
  };
}
