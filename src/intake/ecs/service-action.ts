/**
 * `ECS Service Action` (EventBridge, `source: aws.ecs`): the service scheduler's own verdicts.
 *
 * | eventName | Alert |
 * |---|---|
 * | SERVICE_TASK_START_IMPAIRED | firing `task-fails-to-start`, high (condition `task-start-impaired`) |
 * | SERVICE_TASK_PLACEMENT_FAILURE | firing `task-fails-to-start`, high (`task-placement-failed`; `detail.reason` e.g. `RESOURCE:CPU` kept as label) |
 * | SERVICE_TASK_CONFIGURATION_FAILURE | firing `task-fails-to-start`, high (`task-configuration-failed`) |
 * | ECS_OPERATION_THROTTLED | firing `other`, warning (`operation-throttled`) |
 * | SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED, SERVICE_DISCOVERY_* | firing `other`, warning |
 * | SERVICE_STEADY_STATE | **resolved**: fingerprint `…/task-start-impaired`, and `resolvesFingerprints` lists every condition steady state ends (`scope.ts`) — including `image-pull-failed` from stopped tasks |
 * | TASKSET_STEADY_STATE, CAPACITY_PROVIDER_STEADY_STATE, SERVICE_DESIRED_COUNT_UPDATED | ignored (informational) |
 * | anything new | eventType ERROR → firing `other` high; WARN → firing `other` warning; INFO → ignored |
 *
 * Fingerprint: `ecs/<account>/<region>/<cluster>/service:<name>/<condition>` (see `scope.ts`).
 * deliveryId: `ecs-service-action:<serviceArn>:<eventName>:<createdAt>` — a natural key, because
 * ECS can emit the same event twice (fact 6) and those copies share `createdAt`; the EventBridge id
 * is used when `createdAt` is missing.
 */
import { z } from 'zod';
import type { IncidentClass, Severity } from '../alert.js';
import { cleanLabels } from '../shared/text.js';
import { tryParseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { alerts, ignored, type IntakeResult } from '../result.js';
import { ENDED_BY_STEADY_STATE, ecsFingerprint, type EcsCondition } from './scope.js';
import { serviceAlert, serviceOfEvent } from './service-event.js';

/** `detail` of an ECS Service Action (no `version` field, unlike task events). */
export const ServiceActionDetailSchema = z.looseObject({
  eventType: z.string().min(1),
  eventName: z.string().min(1),
  clusterArn: z.string().optional(),
  createdAt: z.string().optional(),
  reason: z.string().optional(),
});

interface Firing {
  condition: EcsCondition;
  class: IncidentClass;
  severity: Severity;
  summary: string;
}

const FIRING: Record<string, Firing> = {
  SERVICE_TASK_START_IMPAIRED: {
    condition: 'task-start-impaired',
    class: 'task-fails-to-start',
    severity: 'high',
    summary: 'is unable to consistently start tasks',
  },
  SERVICE_TASK_PLACEMENT_FAILURE: {
    condition: 'task-placement-failed',
    class: 'task-fails-to-start',
    severity: 'high',
    summary: 'cannot place tasks',
  },
  SERVICE_TASK_CONFIGURATION_FAILURE: {
    condition: 'task-configuration-failed',
    class: 'task-fails-to-start',
    severity: 'high',
    summary: 'cannot start tasks because of a configuration error',
  },
  ECS_OPERATION_THROTTLED: { condition: 'operation-throttled', class: 'other', severity: 'warning', summary: 'scheduler operations are being throttled' },
  SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED: {
    condition: 'daemon-placement-violated',
    class: 'other',
    severity: 'warning',
    summary: 'daemon task violates a placement constraint',
  },
  SERVICE_DISCOVERY_INSTANCE_UNHEALTHY: {
    condition: 'service-discovery-unhealthy',
    class: 'other',
    severity: 'warning',
    summary: 'has an unhealthy service-discovery instance',
  },
  SERVICE_DISCOVERY_OPERATION_THROTTLED: {
    condition: 'service-discovery-throttled',
    class: 'other',
    severity: 'warning',
    summary: 'service-discovery operations are being throttled',
  },
};

const INFORMATIONAL = new Set(['TASKSET_STEADY_STATE', 'CAPACITY_PROVIDER_STEADY_STATE', 'SERVICE_DESIRED_COUNT_UPDATED']);

/** Parses an ECS Service Action; see the module comment for the mapping. */
export function parseServiceAction(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const detail = validate(ServiceActionDetailSchema, event.detail, 'ECS Service Action', 'detail');
  const { eventName, eventType } = detail;
  if (INFORMATIONAL.has(eventName)) return ignored(`ECS Service Action ${eventName} is informational`);

  const ref = serviceOfEvent(event, detail.clusterArn);
  const deliveryId = detail.createdAt ? `ecs-service-action:${ref.serviceArn}:${eventName}:${detail.createdAt}` : eventDeliveryId(event);
  const occurredAt = tryParseTimestamp(detail.createdAt) ?? eventTime(event);
  const labels = cleanLabels([
    ['eventName', eventName],
    ['eventType', eventType],
    ['reason', detail.reason],
  ]);

  if (eventName === 'SERVICE_STEADY_STATE') {
    const resolves = ENDED_BY_STEADY_STATE.map((condition) => ecsFingerprint(ref.scope, condition));
    return alerts([
      serviceAlert(
        ref,
        {
          condition: 'task-start-impaired',
          status: 'resolved',
          severity: 'info',
          class: 'task-fails-to-start',
          name: eventName,
          summary: `${ref.service} reached a steady state`,
          deliveryId,
          occurredAt,
          labels,
          resolvesFingerprints: resolves.filter((fp) => fp !== ecsFingerprint(ref.scope, 'task-start-impaired')),
        },
        delivery,
      ),
    ]);
  }

  const known = FIRING[eventName];
  const firing: Firing | undefined =
    known ??
    (eventType === 'ERROR' || eventType === 'WARN'
      ? {
          condition: eventName.toLowerCase().replace(/_/g, '-'),
          class: 'other',
          severity: eventType === 'ERROR' ? 'high' : 'warning',
          summary: `reported ${eventName}`,
        }
      : undefined);
  if (!firing) return ignored(`ECS Service Action ${eventName} (${eventType}) is not an alert`);

  return alerts([
    serviceAlert(
      ref,
      {
        condition: firing.condition,
        status: 'firing',
        severity: firing.severity,
        class: firing.class,
        name: eventName,
        summary: `${ref.service} ${firing.summary}${detail.reason ? ` (${detail.reason})` : ''}`,
        description: detail.reason,
        deliveryId,
        occurredAt,
        labels,
      },
      delivery,
    ),
  ]);
}
