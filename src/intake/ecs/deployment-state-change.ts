/**
 * `ECS Deployment State Change` (EventBridge, `source: aws.ecs`).
 *
 * - SERVICE_DEPLOYMENT_FAILED (sent only with the circuit breaker on) → firing
 *   `deployment-failed`, high.
 * - SERVICE_DEPLOYMENT_IN_PROGRESS whose `reason` says it is rolling back ("ECS deployment circuit
 *   breaker: rolling back to deploymentId …") → firing `deployment-failed`, high: a rollback is
 *   the failure, and it is all you get when the breaker rolls back (fact 5).
 * - SERVICE_DEPLOYMENT_COMPLETED → resolved `deployment-failed` for the service. This includes the
 *   completion of a rollback: the service runs again (on the old revision); the incident timeline
 *   keeps the failure.
 * - Other IN_PROGRESS events → ignored (a deployment starting is not an alert).
 * - Unknown eventName: ERROR → firing `deployment-failed`; else ignored.
 *
 * Fingerprint: `ecs/<account>/<region>/<cluster>/service:<name>/deployment-failed` — per service,
 * not per deployment id, so the COMPLETED of the next deployment resolves it.
 * deliveryId: `ecs-deployment:<serviceArn>:<deploymentId>:<eventName>:<updatedAt>` (natural key:
 * duplicate emissions share it), the EventBridge id when a part is missing.
 */
import { z } from 'zod';
import { cleanLabels } from '../shared/text.js';
import { tryParseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { alerts, ignored, type IntakeResult } from '../result.js';
import { serviceAlert, serviceOfEvent } from './service-event.js';

/** `detail` of an ECS Deployment State Change. */
export const DeploymentStateChangeDetailSchema = z.looseObject({
  eventType: z.string().min(1),
  eventName: z.string().min(1),
  deploymentId: z.string().optional(),
  updatedAt: z.string().optional(),
  reason: z.string().optional(),
  clusterArn: z.string().optional(),
});

const ROLLING_BACK = /roll(?:ing|ed)?[ -]?back/i;

/** Parses an ECS Deployment State Change; see the module comment for the mapping. */
export function parseDeploymentStateChange(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const detail = validate(DeploymentStateChangeDetailSchema, event.detail, 'ECS Deployment State Change', 'detail');
  const { eventName, eventType, reason } = detail;
  const rollback = eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS' && ROLLING_BACK.test(reason ?? '');
  const failed = eventName === 'SERVICE_DEPLOYMENT_FAILED' || rollback || (eventType === 'ERROR' && eventName !== 'SERVICE_DEPLOYMENT_COMPLETED');
  const completed = eventName === 'SERVICE_DEPLOYMENT_COMPLETED';
  if (!failed && !completed) return ignored(`ECS deployment event ${eventName} is not a failure or a completion`);

  const ref = serviceOfEvent(event, detail.clusterArn);
  const deliveryId =
    detail.deploymentId && detail.updatedAt
      ? `ecs-deployment:${ref.serviceArn}:${detail.deploymentId}:${eventName}:${detail.updatedAt}`
      : eventDeliveryId(event);
  const what = completed ? 'deployment completed' : rollback ? 'deployment is rolling back' : 'deployment failed';
  return alerts([
    serviceAlert(
      ref,
      {
        condition: 'deployment-failed',
        status: completed ? 'resolved' : 'firing',
        severity: completed ? 'info' : 'high',
        class: 'deployment-failed',
        name: eventName,
        summary: `${ref.service}: ${what}${detail.deploymentId ? ` (${detail.deploymentId})` : ''}`,
        description: reason,
        deliveryId,
        occurredAt: tryParseTimestamp(detail.updatedAt) ?? eventTime(event),
        labels: cleanLabels([
          ['eventName', eventName],
          ['eventType', eventType],
          ['deploymentId', detail.deploymentId],
          ['rollback', rollback ? 'true' : undefined],
        ]),
      },
      delivery,
    ),
  ]);
}
