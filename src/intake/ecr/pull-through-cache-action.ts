/**
 * `ECR Pull Through Cache Action` (EventBridge, `source: aws.ecr`) → class `image-event`, action
 * `pull-through-cache`: an upstream image (Docker Hub, ECR Public, …) was synced into a cache
 * repository. `sync-status` SUCCESS → info; anything else → warning.
 * Fingerprint/deliveryId as in `image-event.ts` / `eventbridge:<id>`.
 */
import { z } from 'zod';
import { cleanLabels } from '../shared/text.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { alerts, type IntakeResult } from '../result.js';
import { imageEventAlert } from './image-event.js';

/** `detail` of an ECR Pull Through Cache Action. */
export const PullThroughCacheDetailSchema = z.looseObject({
  'sync-status': z.string().min(1),
  'repository-name': z.string().min(1),
  'image-digest': z.string().min(1),
  'image-tag': z.string().optional(),
  'upstream-registry-url': z.string().optional(),
  'ecr-repository-prefix': z.string().optional(),
});

export function parsePullThroughCacheAction(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const detail = validate(PullThroughCacheDetailSchema, event.detail, 'ECR Pull Through Cache Action', 'detail');
  const tag = detail['image-tag'];
  return alerts([
    imageEventAlert({
      source: delivery.source,
      deliveryId: eventDeliveryId(event),
      account: event.account,
      region: event.region,
      occurredAt: eventTime(event),
      name: 'ECR Pull Through Cache Action',
      event: {
        action: 'pull-through-cache',
        repository: detail['repository-name'],
        digest: detail['image-digest'],
        tags: tag ? [tag] : [],
        result: detail['sync-status'].toUpperCase() === 'SUCCESS' ? 'success' : 'failure',
      },
      labels: cleanLabels([
        ['upstreamRegistry', detail['upstream-registry-url']],
        ['cachePrefix', detail['ecr-repository-prefix']],
      ]),
    }),
  ]);
}
