/**
 * Simulated CloudWatch: metrics sampled once a minute from the simulation, and metric alarms that
 * evaluate them and publish every state change to the alarm SNS topic — the JSON Lifeboat's SNS
 * subscription receives, field for field as in corpus
 * `sns-cloudwatch/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json`
 * (uppercase `Statistic`, lowercase `Dimensions` keys, `+0000` offsets, the Region's display name).
 */
import type { EventLog } from './events.js';
import { alarmArn, DRILL_ACCOUNT, DRILL_ALARM_TOPIC, DRILL_REGION_NAME } from './ids.js';
import type { SimScheduler } from './scheduler.js';

/** A metric's identity. */
export interface MetricId {
  namespace: string;
  name: string;
  dimensions: { name: string; value: string }[];
}

/** How an alarm compares. */
export type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

/** `PutMetricAlarm` (the fields the drill uses). */
export interface AlarmInput {
  name: string;
  description?: string;
  metric: MetricId;
  statistic: 'Maximum' | 'Average' | 'Sum' | 'Minimum';
  evaluationPeriods: number;
  threshold: number;
  comparison: Comparison;
}

/** An alarm and its state. */
export interface SimAlarm extends AlarmInput {
  arn: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  stateReason: string;
  stateUpdatedAt: number;
  configuredAt: number;
}

const PERIOD_MS = 60_000;
const MAX_POINTS = 24 * 60 * 3;

/** Metrics and alarms of the simulated account. */
export class DrillCloudWatch {
  readonly alarms = new Map<string, SimAlarm>();
  private readonly sources = new Map<string, { id: MetricId; read: () => number | undefined; points: { at: number; value: number }[] }>();

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly events: EventLog,
  ) {
    scheduler.every(PERIOD_MS, 'cloudwatch minute', () => this.tick());
  }

  /** Publish a metric sampled from the simulation every minute. */
  registerMetric(id: MetricId, read: () => number | undefined): void {
    this.sources.set(metricKey(id), { id, read, points: [] });
  }

  /** Datapoints (1-minute) of a metric, oldest first, at most the last three days. */
  datapoints(id: MetricId): { at: number; value: number }[] {
    return this.sources.get(metricKey(id))?.points ?? [];
  }

  /** The newest datapoint of a metric, if any. */
  latest(id: MetricId): { at: number; value: number } | undefined {
    const points = this.datapoints(id);
    return points[points.length - 1];
  }

  /**
   * `PutMetricAlarm`. Scenario alarms have existed for a while, so they start `OK`; a brand-new
   * alarm starts `INSUFFICIENT_DATA` (`initialState`) and settles quietly on its first evaluation.
   */
  putMetricAlarm(input: AlarmInput, initialState: 'OK' | 'INSUFFICIENT_DATA' = 'OK'): SimAlarm {
    const alarm: SimAlarm = {
      ...input,
      arn: alarmArn(input.name),
      state: initialState,
      stateReason: initialState === 'OK' ? 'Threshold Crossed: no datapoint was breaching the threshold.' : 'Unchecked: Initial alarm creation',
      stateUpdatedAt: this.scheduler.now(),
      configuredAt: this.scheduler.now(),
    };
    this.alarms.set(input.name, alarm);
    return alarm;
  }

  private tick(): void {
    const now = this.scheduler.now();
    for (const source of this.sources.values()) {
      const value = source.read();
      if (value === undefined) continue;
      source.points.push({ at: now, value });
      if (source.points.length > MAX_POINTS) source.points.splice(0, source.points.length - MAX_POINTS);
    }
    for (const alarm of this.alarms.values()) this.evaluate(alarm);
  }

  private evaluate(alarm: SimAlarm): void {
    const points = this.datapoints(alarm.metric).slice(-alarm.evaluationPeriods);
    if (points.length < alarm.evaluationPeriods) return;
    const breaching = points.map((p) => compare(p.value, alarm.comparison, alarm.threshold));
    // M out of N with M = N: every datapoint breaching is ALARM, anything less is OK.
    const next = breaching.every(Boolean) ? 'ALARM' : 'OK';
    if (next === alarm.state) return;
    if (alarm.state === 'INSUFFICIENT_DATA' && next === 'OK') {
      // The first evaluation settles quietly; real alarms have OK actions, but nobody subscribes to the first OK.
      alarm.state = 'OK';
      alarm.stateUpdatedAt = this.scheduler.now();
      return;
    }
    const old = alarm.state;
    alarm.state = next;
    alarm.stateUpdatedAt = this.scheduler.now();
    alarm.stateReason = stateReason(alarm, points.reverse(), old, next);
    this.publish(alarm, old);
  }

  private publish(alarm: SimAlarm, old: string): void {
    const now = this.scheduler.now();
    const message = {
      AlarmName: alarm.name,
      AlarmDescription: alarm.description ?? null,
      AWSAccountId: DRILL_ACCOUNT,
      AlarmConfigurationUpdatedTimestamp: cloudWatchTime(alarm.configuredAt),
      NewStateValue: alarm.state,
      NewStateReason: alarm.stateReason,
      StateChangeTime: cloudWatchTime(now),
      Region: DRILL_REGION_NAME,
      AlarmArn: alarm.arn,
      OldStateValue: old,
      OKActions: [DRILL_ALARM_TOPIC],
      AlarmActions: [DRILL_ALARM_TOPIC],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: alarm.metric.name,
        Namespace: alarm.metric.namespace,
        StatisticType: 'Statistic',
        Statistic: alarm.statistic.toUpperCase(),
        Unit: null,
        Dimensions: alarm.metric.dimensions.map((d) => ({ value: d.value, name: d.name })),
        Period: PERIOD_MS / 1000,
        EvaluationPeriods: alarm.evaluationPeriods,
        ComparisonOperator: alarm.comparison,
        Threshold: alarm.threshold,
        TreatMissingData: 'missing',
        EvaluateLowSampleCountPercentile: '',
      },
    };
    this.events.sns(`${alarm.state}: "${alarm.name}" in ${DRILL_REGION_NAME}`, message);
  }
}

function compare(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const WORDS: Record<Comparison, [string, string]> = {
  GreaterThanThreshold: ['greater than', 'not greater than'],
  GreaterThanOrEqualToThreshold: ['greater than or equal to', 'not greater than or equal to'],
  LessThanThreshold: ['less than', 'not less than'],
  LessThanOrEqualToThreshold: ['less than or equal to', 'not less than or equal to'],
};

/** CloudWatch's reason sentence, datapoints newest first with `dd/MM/yy HH:mm:ss` times. */
function stateReason(alarm: SimAlarm, newestFirst: { at: number; value: number }[], old: string, next: string): string {
  const [yes, no] = WORDS[alarm.comparison];
  const calm = newestFirst.filter((p) => !compare(p.value, alarm.comparison, alarm.threshold)).slice(0, 1);
  const shown = next === 'ALARM' ? newestFirst : calm;
  const list = shown.map((p) => `${p.value.toFixed(1)} (${datapointTime(p.at)})`).join(', ');
  const n = shown.length;
  const verb = next === 'ALARM' ? (n === 1 ? 'was' : 'were') : 'was';
  return `Threshold Crossed: ${n} out of the last ${alarm.evaluationPeriods} datapoints [${list}] ${verb} ${next === 'ALARM' ? yes : no} the threshold (${alarm.threshold.toFixed(1)}) (minimum ${n} datapoint${n === 1 ? '' : 's'} for ${old} -> ${next} transition).`;
}

/** `2025-04-17T15:10:41.433+0000`: CloudWatch's offset without a colon. */
export function cloudWatchTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function datapointTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:00`;
}

function metricKey(id: MetricId): string {
  return `${id.namespace}|${id.name}|${id.dimensions.map((d) => `${d.name}=${d.value}`).sort().join(',')}`;
}
