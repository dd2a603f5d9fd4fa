/**
 * What `/metrics` shows about escalation, so an outside system can watch Lifeboat itself:
 * queue lag, the age of the oldest unacknowledged incident, the time since each heartbeat, and
 * escalation failures. docs/operations.md has alert rules on these.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { IncidentStore } from '../incidents/ports.js';
import { ESCALATION_METRICS } from './engine.js';
import { HEARTBEAT_METRICS, type HeartbeatMonitor } from './heartbeats.js';
import { SYNTHETIC_METRICS } from './synthetics.js';

export const OPERATIONS_METRICS = {
  queueLag: 'lifeboat_queue_lag_seconds',
  oldestUnacknowledged: 'lifeboat_oldest_unacknowledged_incident_age_seconds',
  openIncidents: 'lifeboat_incidents_open',
} as const;

/** Every metric escalation reports: name, type, help — for `MetricsRegistry.declare`. */
export const ESCALATION_METRIC_DECLARATIONS: readonly { name: string; type: 'counter' | 'gauge'; help: string }[] = [
  { name: OPERATIONS_METRICS.queueLag, type: 'gauge', help: 'Seconds the oldest due job has waited for a worker, by queue (0 when none waits).' },
  { name: OPERATIONS_METRICS.oldestUnacknowledged, type: 'gauge', help: 'Age in seconds of the oldest open (unacknowledged) incident; 0 when none.' },
  { name: OPERATIONS_METRICS.openIncidents, type: 'gauge', help: 'Incidents by state (open, acknowledged, mitigated).' },
  { name: HEARTBEAT_METRICS.age, type: 'gauge', help: 'Seconds since each registered heartbeat source last reported (since registration when never).' },
  { name: HEARTBEAT_METRICS.silent, type: 'gauge', help: '1 while a heartbeat source is silent longer than its interval.' },
  { name: ESCALATION_METRICS.escalations, type: 'counter', help: 'Escalation steps and reminders sent, by trigger (timer, manual, resume, approval, ack-idle-reminder).' },
  { name: ESCALATION_METRICS.failures, type: 'counter', help: 'Escalation deliveries that kept failing after retries, by target (pagerduty:main, dm, thread …).' },
  { name: ESCALATION_METRICS.pages, type: 'counter', help: 'Pages sent, by target and outcome.' },
  { name: SYNTHETIC_METRICS.up, type: 'gauge', help: '1 when the synthetic check last passed.' },
  { name: SYNTHETIC_METRICS.failures, type: 'gauge', help: 'Consecutive failures of each synthetic check.' },
  { name: SYNTHETIC_METRICS.duration, type: 'gauge', help: 'Duration of the last probe of each synthetic check, in seconds.' },
];

export interface EscalationMetricsDeps {
  metrics: Metrics;
  incidents: Pick<IncidentStore, 'list'>;
  clock: Clock;
  heartbeats?: HeartbeatMonitor;
  /** Seconds of lag by queue name, e.g. from `BullTimerScheduler.lagSeconds()` and `queueLagSeconds(...)`. */
  queueLag?: () => Promise<Record<string, number>>;
}

/**
 * A scrape-time collector: refreshes the gauges. Register it with `MetricsRegistry.onCollect`
 * (after declaring `ESCALATION_METRIC_DECLARATIONS`). A failing part leaves its gauges stale and
 * rejects, which the registry tolerates.
 */
export function escalationMetricsCollector(deps: EscalationMetricsDeps): () => Promise<void> {
  return async () => {
    const now = deps.clock.now();
    const parts: Promise<void>[] = [];
    parts.push((async () => {
      const active = await deps.incidents.list({ state: 'active', limit: 500 });
      const counts = { open: 0, acknowledged: 0, mitigated: 0 };
      let oldest = 0;
      for (const i of active) {
        if (i.state === 'open') {
          counts.open += 1;
          oldest = Math.max(oldest, now - i.openedAt);
        } else if (i.state === 'acknowledged') counts.acknowledged += 1;
        else if (i.state === 'mitigated') counts.mitigated += 1;
      }
      deps.metrics.set(OPERATIONS_METRICS.oldestUnacknowledged, {}, Math.round(oldest / 1000));
      for (const [state, n] of Object.entries(counts)) deps.metrics.set(OPERATIONS_METRICS.openIncidents, { state }, n);
    })());
    if (deps.heartbeats) {
      const monitor = deps.heartbeats;
      parts.push((async () => {
        for (const s of await monitor.status()) {
          deps.metrics.set(HEARTBEAT_METRICS.age, { heartbeat: s.id }, Math.round(s.silentForMs / 1000));
          deps.metrics.set(HEARTBEAT_METRICS.silent, { heartbeat: s.id }, s.silent ? 1 : 0);
        }
      })());
    }
    if (deps.queueLag) {
      const lag = deps.queueLag;
      parts.push((async () => {
        for (const [queue, seconds] of Object.entries(await lag())) deps.metrics.set(OPERATIONS_METRICS.queueLag, { queue }, Math.round(seconds * 1000) / 1000);
      })());
    }
    const results = await Promise.allSettled(parts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  };
}
