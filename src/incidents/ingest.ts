import type { Clock } from '../core/clock.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import type { Alert } from '../intake/alert.js';
import { triageAlert } from '../triage/decide.js';
import { fingerprintsOf } from '../triage/fingerprints.js';
import { groupKeyOf } from '../triage/grouping.js';
import type { IngestOutcome, TriageDecision } from '../triage/outcome.js';
import type { TriageSettings } from '../triage/settings.js';
import { alertsPerMinute, isStorm } from '../triage/storm.js';
import { newIncidentId } from './ids.js';
import type { IncidentStore } from './ports.js';

export interface IngestDeps {
  store: IncidentStore;
  settings: TriageSettings;
  clock: Clock;
  /** Incident id generator; tests pass a deterministic one. */
  newId?: () => string;
  metrics?: Metrics;
}

/** Stores one parsed alert and says what it did. Resolves once the alert is durably in Redis. */
export type Ingest = (alert: Alert) => Promise<IngestOutcome>;

/** Counter of ingested alerts, by outcome kind; declare it on the app's MetricsRegistry. */
export const INGEST_METRIC = 'lifeboat_alerts_ingested_total';

/**
 * The alert pipeline after parsing: group → store atomically with the triage decision →
 * outcome for the notifier and escalation. An intake route answers 2xx only after this resolves.
 */
export function createIngest(deps: IngestDeps): Ingest {
  const { store, settings, clock } = deps;
  const newId = deps.newId ?? newIncidentId;
  const metrics = deps.metrics ?? noMetrics;

  return async (alert) => {
    const outcome = await ingestOne(alert);
    metrics.increment(INGEST_METRIC, { kind: outcome.kind });
    return outcome;
  };

  async function ingestOne(alert: Alert): Promise<IngestOutcome> {
    // ECR image facts feed the image graph; they are not problems by themselves.
    if (alert.class === 'image-event') {
      return { kind: 'ignored', notify: 'none', escalation: 'keep', flapping: false, storm: false, alertsPerMinute: 0, reason: 'image events feed the image graph, not incidents' };
    }
    const groupKey = groupKeyOf(alert, settings.grouping);
    const commit = await store.commitAlert<TriageDecision>(
      { deliveryId: alert.deliveryId, groupKey, fingerprints: fingerprintsOf(alert) },
      (snapshot) => triageAlert({ alert, groupKey, snapshot, settings, now: clock.now(), newId }),
    );
    const now = clock.now();
    const rate = alertsPerMinute(commit.rate, now);
    const storm = isStorm(rate, settings.storm);
    if (commit.status === 'duplicate-delivery') {
      return { kind: 'duplicate-delivery', incident: commit.incident, notify: 'none', escalation: 'keep', flapping: commit.incident?.flapping ?? false, storm, alertsPerMinute: rate };
    }
    const decision = commit.result;
    const incident = decision.incidentId ? commit.incidents.get(decision.incidentId) : undefined;
    const previous = decision.previousId ? commit.incidents.get(decision.previousId) : undefined;
    const outcome: IngestOutcome = {
      kind: decision.kind,
      notify: decision.notify,
      escalation: decision.escalation,
      flapping: incident?.flapping ?? false,
      storm,
      alertsPerMinute: rate,
    };
    if (incident) outcome.incident = incident;
    if (previous) outcome.previous = previous;
    if (decision.reason) outcome.reason = decision.reason;
    return outcome;
  }
}
