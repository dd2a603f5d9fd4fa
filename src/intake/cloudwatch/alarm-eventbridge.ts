/**
 * `CloudWatch Alarm State Change` from EventBridge (`source: aws.cloudwatch`).
 *
 * Fingerprint: `cloudwatch-alarm:<resources[0]>` — the alarm ARN, identical to the SNS route's (see
 * `alarm.ts`). deliveryId: `eventbridge:<id>`.
 *
 * Shape (SEMANTICS: sns-cloudwatch): camelCase `detail.alarmName`, `detail.state.{value,reason,
 * reasonData,timestamp}`, `detail.configuration.metrics[]` whose dimensions are an object map;
 * math/anomaly alarms have `expression` entries; composite alarms have
 * `configuration.alarmRule` and name their triggering children in `state.reasonData`
 * (`{"triggeringAlarms":[{"arn":...}]}`).
 */
import { z } from 'zod';
import type { Alert } from '../alert.js';
import { isRecord } from '../shared/payload.js';
import { isRegionCode, parseArn } from '../shared/arn.js';
import { parseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { ALARM_STATES, alarmToAlert, type AlarmKind, type AlarmMetric } from './alarm.js';

const Metric = z.looseObject({
  id: z.string().optional(),
  expression: z.string().optional(),
  metricStat: z
    .looseObject({
      metric: z
        .looseObject({
          namespace: z.string().optional(),
          name: z.string().optional(),
          dimensions: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** `detail` of a CloudWatch Alarm State Change event. */
export const AlarmStateChangeDetailSchema = z.looseObject({
  alarmName: z.string().min(1),
  state: z.looseObject({
    value: z.enum(ALARM_STATES),
    reason: z.string().optional(),
    reasonData: z.string().optional(),
    timestamp: z.string().min(1),
  }),
  previousState: z.looseObject({ value: z.string() }).optional(),
  configuration: z
    .looseObject({
      description: z.string().nullish(),
      metrics: z.array(Metric).optional(),
      alarmRule: z.string().optional(),
    })
    .optional(),
});

/** Parses a CloudWatch Alarm State Change event into one Alert (throws `IntakeError` on bad detail). */
export function eventBridgeAlarmToAlert(event: EventBridgeEvent, delivery: EventDelivery): Alert {
  const detail = validate(AlarmStateChangeDetailSchema, event.detail, 'CloudWatch Alarm State Change', 'detail');
  const arn = event.resources.find((r) => parseArn(r)?.service === 'cloudwatch');
  const config = detail.configuration;
  const composite = config?.alarmRule !== undefined;
  const { kind, metrics } = composite ? { kind: 'composite' as const, metrics: [] } : readMetrics(config?.metrics ?? []);
  return alarmToAlert(
    {
      name: detail.alarmName,
      arn,
      account: event.account,
      region: isRegionCode(event.region) ? event.region : undefined,
      state: detail.state.value,
      previousState: detail.previousState?.value,
      reason: detail.state.reason,
      description: config?.description ?? undefined,
      changedAt: parseTimestamp(detail.state.timestamp, 'detail.state.timestamp'),
      kind,
      metrics,
      alarmRule: config?.alarmRule,
      triggeringChildren: composite ? triggeringAlarms(detail.state.reasonData) : undefined,
    },
    { source: delivery.source, deliveryId: eventDeliveryId(event) },
  );
}

function readMetrics(entries: z.output<typeof Metric>[]): { kind: AlarmKind; metrics: AlarmMetric[] } {
  const anomaly = entries.some((e) => /ANOMALY_DETECTION_BAND/i.test(e.expression ?? ''));
  const math = entries.some((e) => e.expression !== undefined) || entries.length > 1;
  const metrics = entries.flatMap((e): AlarmMetric[] => {
    const metric = e.metricStat?.metric;
    return metric ? [{ namespace: metric.namespace, name: metric.name, dimensions: metric.dimensions ?? {} }] : [];
  });
  return { kind: anomaly ? 'anomaly' : math ? 'metric-math' : 'metric', metrics };
}

/** Child alarm ARNs from a composite alarm's `reasonData`; an unreadable value just yields none. */
function triggeringAlarms(reasonData: string | undefined): string[] | undefined {
  if (!reasonData) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(reasonData);
  } catch {
    return undefined;
  }
  if (!isRecord(data) || !Array.isArray(data.triggeringAlarms)) return undefined;
  const arns = data.triggeringAlarms.flatMap((t: unknown) => (isRecord(t) && typeof t.arn === 'string' ? [t.arn] : []));
  return arns.length > 0 ? arns : undefined;
}
