/**
 * `ECR Image Action` (EventBridge, `source: aws.ecr`) → class `image-event` (see `image-event.ts`).
 *
 * `detail.action-type`: PUSH → push, DELETE → delete, UPDATE_STORAGE_CLASS with
 * `target-storage-class` ARCHIVE → archive, STANDARD → restore. `result` SUCCESS/FAILURE. Fields
 * are kebab-case; `image-tag` is absent for untagged images; `resources` is empty.
 * Fingerprint: `ecr-image/<account>/<region>/<repository>@<digest>/<action>`;
 * deliveryId: `eventbridge:<id>`. Delivery is best effort (ECR docs), which is why lifecycle
 * expirations are also read from CloudTrail (`cloudtrail.ts`).
 */
import { z } from 'zod';
import type { ImageAction } from '../alert.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { alerts, ignored, type IntakeResult } from '../result.js';
import { imageEventAlert } from './image-event.js';

/** `detail` of an ECR Image Action. */
export const ImageActionDetailSchema = z.looseObject({
  'action-type': z.string().min(1),
  result: z.string().min(1),
  'repository-name': z.string().min(1),
  'image-digest': z.string().min(1),
  'image-tag': z.string().optional(),
  'target-storage-class': z.string().optional(),
  'manifest-media-type': z.string().optional(),
  'artifact-media-type': z.string().optional(),
  'last-activated-at': z.string().optional(),
});

/** Parses an ECR Image Action into one image-event Alert (or ignores an unknown action type). */
export function parseImageAction(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const detail = validate(ImageActionDetailSchema, event.detail, 'ECR Image Action', 'detail');
  const actionType = detail['action-type'];
  const storageClass = detail['target-storage-class']?.toUpperCase();
  const action = imageAction(actionType, storageClass);
  if (!action) return ignored(`ECR Image Action ${actionType} is not tracked`);
  const tag = detail['image-tag'];
  return alerts([
    imageEventAlert({
      source: delivery.source,
      deliveryId: eventDeliveryId(event),
      account: event.account,
      region: event.region,
      occurredAt: eventTime(event),
      name: 'ECR Image Action',
      event: {
        action,
        repository: detail['repository-name'],
        digest: detail['image-digest'],
        tags: tag ? [tag] : [],
        result: detail.result.toUpperCase() === 'SUCCESS' ? 'success' : 'failure',
        ...(storageClass === 'ARCHIVE' || storageClass === 'STANDARD' ? { storageClass } : {}),
      },
      labels: {
        ...(detail['manifest-media-type'] ? { manifestMediaType: detail['manifest-media-type'] } : {}),
        ...(detail['artifact-media-type'] ? { artifactMediaType: detail['artifact-media-type'] } : {}),
      },
    }),
  ]);
}

function imageAction(actionType: string, storageClass: string | undefined): ImageAction | undefined {
  switch (actionType.toUpperCase()) {
    case 'PUSH':
      return 'push';
    case 'DELETE':
      return 'delete';
    case 'UPDATE_STORAGE_CLASS':
      if (storageClass === 'ARCHIVE') return 'archive';
      if (storageClass === 'STANDARD') return 'restore';
      return undefined;
    default:
      return undefined;
  }
}
