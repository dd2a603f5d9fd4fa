/**
 * CloudWatch alarm state change delivered by SNS: the JSON inside the envelope's `Message` string.
 *
 * Fingerprint: `cloudwatch-alarm:<alarm ARN>` (see `alarm.ts`); deliveryId: `sns:<MessageId>`
 * (SNS reuses MessageId on retries).
 *
 * Shapes handled (SEMANTICS: sns-cloudwatch):
 * - single metric: `Trigger.MetricName/Namespace/Dimensions`, Dimensions a list of
 *   `{name, value}` (lowercase keys; `Name`/`Value` accepted too);
 * - metric math and anomaly detection: no `Trigger.MetricName`, instead `Trigger.Metrics[]` with
 *   `MetricStat.Metric` and `Expression` entries (`ANOMALY_DETECTION_BAND(...)` = anomaly);
 * - composite: no `Trigger` at all, `AlarmRule` and `TriggeringChildren[]` instead.
 *
 * Region: the code from `AlarmArn`, else the `Region` display name mapped to a code
 * (`EU (Ireland)` → `eu-west-1`), else the region of the topic the message came through.
 */
import { z } from 'zod';
import type { Alert, AlertSource } from '../alert.js';
import { isRegionCode, parseArn } from '../shared/arn.js';
import { regionFromDisplayName } from '../shared/regions.js';
import { parseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { ALARM_STATES, alarmToAlert, type AlarmKind, type AlarmMetric } from './alarm.js';

const Dimension = z.looseObject({
  name: z.string().optional(),
  value: z.string().optional(),
  Name: z.string().optional(),
  Value: z.string().optional(),
});

const TriggerMetric = z.looseObject({
  Id: z.string().nullish(),
  Expression: z.string().nullish(),
  MetricStat: z
    .looseObject({
      Metric: z
        .looseObject({
          MetricName: z.string().nullish(),
          Namespace: z.string().nullish(),
          Dimensions: z.array(Dimension).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

const Trigger = z.looseObject({
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
  Dimensions: z.array(Dimension).nullish(),
  Metrics: z.array(TriggerMetric).nullish(),
});

/** The alarm JSON CloudWatch publishes to SNS (only the fields Lifeboat reads are checked). */
export const SnsAlarmMessageSchema = z.looseObject({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().min(1),
  NewStateValue: z.enum(ALARM_STATES),
  NewStateReason: z.string().nullish(),
  StateChangeTime: z.string().min(1),
  Region: z.string().nullish(),
  AlarmArn: z.string().nullish(),
  OldStateValue: z.string().nullish(),
  Trigger: Trigger.nullish(),
  AlarmRule: z.string().nullish(),
  TriggeringChildren: z.array(z.looseObject({ Arn: z.string().nullish() })).nullish(),
});

/** Does this parsed `Message` look like a CloudWatch alarm (as opposed to an EventBridge event)? */
export function looksLikeSnsAlarm(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'AlarmName' in message && 'NewStateValue' in message;
}

/** The envelope facts the alarm parser needs. */
export interface SnsAlarmDelivery {
  messageId: string;
  topicArn?: string;
  source?: AlertSource;
}

/**
 * Parses the alarm JSON from an SNS `Message` into one Alert. Throws `IntakeError` (400) naming the
 * field when the message is not a valid alarm; callers wrap it with `guard`.
 */
export function snsAlarmToAlert(message: unknown, delivery: SnsAlarmDelivery): Alert {
  const m = validate(SnsAlarmMessageSchema, message, 'CloudWatch alarm', 'Message');
  const arn = m.AlarmArn ?? undefined;
  const region =
    regionCode(parseArn(arn)?.region) ?? regionFromDisplayName(m.Region ?? undefined) ?? regionCode(parseArn(delivery.topicArn)?.region);
  const { kind, metrics } = m.AlarmRule ? { kind: 'composite' as const, metrics: [] } : readTrigger(m.Trigger ?? undefined);
  const children = (m.TriggeringChildren ?? []).map((c) => c.Arn).filter((a): a is string => typeof a === 'string');
  return alarmToAlert(
    {
      name: m.AlarmName,
      arn,
      account: m.AWSAccountId,
      region,
      state: m.NewStateValue,
      previousState: m.OldStateValue ?? undefined,
      reason: m.NewStateReason ?? undefined,
      description: m.AlarmDescription ?? undefined,
      changedAt: parseTimestamp(m.StateChangeTime, 'StateChangeTime'),
      kind,
      metrics,
      alarmRule: m.AlarmRule ?? undefined,
      triggeringChildren: children.length > 0 ? children : undefined,
    },
    { source: delivery.source ?? 'sns-cloudwatch', deliveryId: `sns:${delivery.messageId}` },
  );
}

function readTrigger(trigger: z.output<typeof Trigger> | undefined): { kind: AlarmKind; metrics: AlarmMetric[] } {
  if (!trigger) return { kind: 'metric', metrics: [] };
  if (trigger.Metrics && trigger.Metrics.length > 0) {
    const anomaly = trigger.Metrics.some((entry) => /ANOMALY_DETECTION_BAND/i.test(entry.Expression ?? ''));
    const metrics = trigger.Metrics.flatMap((entry): AlarmMetric[] => {
      const metric = entry.MetricStat?.Metric;
      if (!metric) return [];
      return [{ namespace: metric.Namespace ?? undefined, name: metric.MetricName ?? undefined, dimensions: dimensionMap(metric.Dimensions) }];
    });
    return { kind: anomaly ? 'anomaly' : 'metric-math', metrics };
  }
  return {
    kind: 'metric',
    metrics: [{ namespace: trigger.Namespace ?? undefined, name: trigger.MetricName ?? undefined, dimensions: dimensionMap(trigger.Dimensions) }],
  };
}

function dimensionMap(dimensions: z.output<typeof Dimension>[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dimensions ?? []) {
    const name = d.name ?? d.Name;
    const value = d.value ?? d.Value;
    if (name && value !== undefined) out[name] = value;
  }
  return out;
}

function regionCode(value: string | undefined): string | undefined {
  return isRegionCode(value) ? value : undefined;
}
