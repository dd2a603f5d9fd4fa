/**
 * CloudWatch alarm state changes, whichever way they arrive (SNS or EventBridge), normalised into
 * one shape and turned into an Alert here, so both routes agree on fingerprint, class and severity.
 *
 * Fingerprint: `cloudwatch-alarm:<alarm ARN>`. The ARN is `AlarmArn` (SNS, 2020+) or `resources[0]`
 * (EventBridge); 2019-era SNS messages have no ARN, so it is rebuilt from account, region code and
 * alarm name — the same string the real ARN has. Every state of one alarm shares the fingerprint,
 * so OK resolves what ALARM opened, and the same alarm arriving over SNS and EventBridge is one
 * condition.
 *
 * State → Alert:
 * - `ALARM` → firing, severity `high` (CloudWatch has no severity; triage may raise it by rule).
 * - `OK` → resolved, severity `info`.
 * - `INSUFFICIENT_DATA` → firing, class `monitoring-blind`, severity `warning`: the alarm cannot see
 *   its metric, which is how a failure runs for days unnoticed, but it is not a confirmed failure, so
 *   it ranks below ALARM. It is *not* resolved: an alarm that went from ALARM to
 *   INSUFFICIENT_DATA has not shown that the problem is over.
 *
 * Class: `queue-backlog` when a metric is SQS `ApproximateNumberOfMessagesVisible` or
 * `ApproximateAgeOfOldestMessage`; `monitoring-blind` for INSUFFICIENT_DATA; else `other`.
 * Target: account, region code, and the `ClusterName` / `ServiceName` / `QueueName` dimensions when
 * every metric that has the dimension agrees on its value (a math alarm over two services targets
 * neither).
 */
import type { Alert, AlertSource, IncidentClass, Severity } from '../alert.js';
import { partitionOfRegion } from '../shared/arn.js';
import { compact } from '../shared/object.js';
import { cloudWatchAlarmConsoleUrl, linkList, safeLink } from '../shared/links.js';
import { clip, cleanLabels, MAX_DESCRIPTION_CHARS, MAX_SUMMARY_CHARS } from '../shared/text.js';

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;

/** What kind of alarm it is; math and anomaly alarms have no single MetricName. */
export type AlarmKind = 'metric' | 'metric-math' | 'anomaly' | 'composite';

/** One metric an alarm watches (math alarms have several, plus expressions). */
export interface AlarmMetric {
  namespace?: string;
  name?: string;
  dimensions: Record<string, string>;
}

/** An alarm state change, independent of how it was delivered. */
export interface AlarmStateChange {
  name: string;
  /** The alarm ARN when the payload carries one. */
  arn?: string;
  account: string;
  /** Region code (`eu-west-1`), when it could be determined. */
  region?: string;
  state: AlarmState;
  previousState?: string;
  reason?: string;
  description?: string;
  changedAt: number;
  kind: AlarmKind;
  metrics: AlarmMetric[];
  /** Composite alarms: the rule and the children that triggered it. */
  alarmRule?: string;
  triggeringChildren?: string[];
}

/** How the change reached us: which source to record and the sender's delivery id. */
export interface AlarmDelivery {
  source: AlertSource;
  deliveryId: string;
}

const QUEUE_BACKLOG_METRICS = new Set(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']);

/** The fingerprint of an alarm (see the module comment). */
export function alarmFingerprint(change: Pick<AlarmStateChange, 'arn' | 'account' | 'region' | 'name'>): string {
  if (change.arn) return `cloudwatch-alarm:${change.arn}`;
  const region = change.region ?? 'unknown-region';
  return `cloudwatch-alarm:arn:${partitionOfRegion(region)}:cloudwatch:${region}:${change.account}:alarm:${change.name}`;
}

/** Turns a normalised alarm state change into the one Alert it means. */
export function alarmToAlert(change: AlarmStateChange, delivery: AlarmDelivery): Alert {
  const status = change.state === 'OK' ? 'resolved' : 'firing';
  const target = {
    account: change.account,
    region: change.region,
    cluster: agreedDimension(change.metrics, 'ClusterName'),
    service: agreedDimension(change.metrics, 'ServiceName'),
    queue: agreedDimension(change.metrics, 'QueueName'),
  };
  const labels = cleanLabels([
    ['alarmKind', change.kind],
    ['state', change.state],
    ['previousState', change.previousState],
    ['namespace', agreedValue(change.metrics.map((m) => m.namespace))],
    ['metric', agreedValue(change.metrics.map((m) => m.name))],
    ['alarmRule', change.alarmRule],
    ['triggeringChildren', change.triggeringChildren?.join(' ')],
  ]);
  const alert: Alert = {
    source: delivery.source,
    deliveryId: delivery.deliveryId,
    fingerprint: alarmFingerprint(change),
    name: change.name,
    status,
    severity: severityOf(change.state),
    class: classOf(change),
    summary: clip(change.description ? `${change.name}: ${change.description}` : change.name, MAX_SUMMARY_CHARS),
    target: compact(target),
    occurredAt: change.changedAt,
    labels,
  };
  if (change.reason) alert.description = clip(change.reason, MAX_DESCRIPTION_CHARS);
  const links = linkList(change.region ? safeLink('CloudWatch alarm', cloudWatchAlarmConsoleUrl(change.region, change.name)) : undefined);
  if (links) alert.links = links;
  return alert;
}

function severityOf(state: AlarmState): Severity {
  if (state === 'ALARM') return 'high';
  if (state === 'INSUFFICIENT_DATA') return 'warning';
  return 'info';
}

function classOf(change: AlarmStateChange): IncidentClass {
  if (change.state === 'INSUFFICIENT_DATA') return 'monitoring-blind';
  const backlog = change.metrics.some((m) => m.namespace === 'AWS/SQS' && m.name !== undefined && QUEUE_BACKLOG_METRICS.has(m.name));
  return backlog ? 'queue-backlog' : 'other';
}

/** The value of a dimension if every metric that has it agrees; else undefined. */
function agreedDimension(metrics: AlarmMetric[], dimension: string): string | undefined {
  return agreedValue(metrics.map((m) => m.dimensions[dimension]));
}

function agreedValue(values: (string | undefined)[]): string | undefined {
  const distinct = new Set(values.filter((v): v is string => v !== undefined && v !== ''));
  return distinct.size === 1 ? [...distinct][0] : undefined;
}
