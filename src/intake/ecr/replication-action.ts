/**
 * `ECR Replication Action` (EventBridge, `source: aws.ecr`) → class `image-event`, action
 * `replicate`, for the destination account/region of the event. SUCCESS → info (the image now
 * exists here); FAILED → warning (it does not, and a service in this region pulling it will fail).
 * Fingerprint/deliveryId as in `image-event.ts` / `eventbridge:<id>`. Digests are not validated
 * strictly: the AWS doc example of a failure has a non-hex digest.
 */
import { z } from 'zod';
import { cleanLabels } from '../shared/text.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { alerts, type IntakeResult } from '../result.js';
import { imageEventAlert } from './image-event.js';

/** `detail` of an ECR Replication Action. */
export const ReplicationActionDetailSchema = z.looseObject({
  result: z.string().min(1),
  'repository-name': z.string().min(1),
  'image-digest': z.string().min(1),
  'image-tag': z.string().optional(),
  'source-account': z.string().optional(),
  'source-region': z.string().optional(),
});

export function parseReplicationAction(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const detail = validate(ReplicationActionDetailSchema, event.detail, 'ECR Replication Action', 'detail');
  const tag = detail['image-tag'];
  return alerts([
    imageEventAlert({
      source: delivery.source,
      deliveryId: eventDeliveryId(event),
      account: event.account,
      region: event.region,
      occurredAt: eventTime(event),
      name: 'ECR Replication Action',
      event: {
        action: 'replicate',
        repository: detail['repository-name'],
        digest: detail['image-digest'],
        tags: tag ? [tag] : [],
        result: detail.result.toUpperCase() === 'SUCCESS' ? 'success' : 'failure',
      },
      labels: cleanLabels([
        ['sourceAccount', detail['source-account']],
        ['sourceRegion', detail['source-region']],
      ]),
    }),
  ]);
}
