/**
 * ECR CloudTrail records → class `image-event`, either raw or as the `detail` of an EventBridge
 * `AWS Service Event via CloudTrail` / `AWS API Call via CloudTrail` event.
 *
 * - `PolicyExecutionEvent` (lifecycle policy ran; fact 12): one Alert **per image** in
 *   `serviceEventDetails.lifecycleEventImageActions[]`, action `expire` (or `archive` when the
 *   rule that acted is a `transition` rule), with digest, all tags, `pushedAt` and `rulePriority`.
 *   One per image because the image graph applies facts per repository+digest, and it keeps each
 *   Alert small. `lifecycleEventFailureDetails[]` (e.g. `ImageReferencedByManifestList`) changed
 *   nothing and yields no Alert.
 * - `PutImage` → push (digest and tag from `responseElements.image.imageId`).
 * - `BatchDeleteImage` → delete, one Alert per deleted image id.
 * - Failed calls (`errorCode`), `BatchGetImage` (pulls) and everything else → ignored.
 *
 * Fingerprint: `ecr-image/<account>/<region>/<repository>@<digest>/<action>` (see
 * `image-event.ts`). deliveryId: `cloudtrail:<eventID>:<digest>` — CloudTrail's `eventID` is the
 * same whichever way the record reached us, so a record seen via EventBridge and via SQS is stored
 * once.
 */
import { z } from 'zod';
import type { ImageAction } from '../alert.js';
import { IntakeError } from '../errors.js';
import { readJsonPayload } from '../shared/payload.js';
import { parseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { alerts, guard, ignored, type IntakeResult, type ParseContext } from '../result.js';
import { imageEventAlert } from './image-event.js';

/** The CloudTrail record fields Lifeboat reads. */
export const CloudTrailRecordSchema = z.looseObject({
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  eventID: z.string().min(1),
  eventTime: z.string().min(1),
  awsRegion: z.string().min(1),
  recipientAccountId: z.string().optional(),
  userIdentity: z.looseObject({ accountId: z.string().optional() }).nullish(),
  errorCode: z.string().optional(),
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  responseElements: z.record(z.string(), z.unknown()).nullish(),
  serviceEventDetails: z.unknown().optional(),
});

type CloudTrailRecord = z.output<typeof CloudTrailRecordSchema>;

const LifecycleImage = z.looseObject({
  digest: z.string().min(1),
  tagStatus: z.string().optional(),
  tagList: z.array(z.string()).default([]),
  pushedAt: z.number().optional(),
});

const PolicyExecutionDetailsSchema = z.looseObject({
  repositoryName: z.string().min(1),
  lifecycleEventPolicy: z
    .looseObject({
      lifecycleEventRules: z.array(z.looseObject({ rulePriority: z.number(), action: z.string().optional() })).default([]),
    })
    .optional(),
  lifecycleEventImageActions: z.array(z.looseObject({ lifecycleEventImage: LifecycleImage, rulePriority: z.number().optional() })).default([]),
});

const ImageId = z.looseObject({ imageDigest: z.string().optional(), imageTag: z.string().optional() });

const PutImageResponseSchema = z.looseObject({
  image: z.looseObject({
    repositoryName: z.string().min(1),
    registryId: z.string().optional(),
    imageId: ImageId,
  }),
});

const BatchDeleteResponseSchema = z.looseObject({ imageIds: z.array(ImageId).default([]) });

/**
 * Parses an ECR CloudTrail record (raw JSON, a string, or an EventBridge `detail`).
 * `ctx.source` defaults to `eventbridge`, the usual way these records arrive.
 */
export function parseCloudTrailRecord(payload: unknown, ctx: ParseContext = {}): IntakeResult {
  return guard(() => {
    const record = validate(CloudTrailRecordSchema, readJsonPayload(payload), 'CloudTrail record');
    if (record.eventSource !== 'ecr.amazonaws.com') return ignored(`CloudTrail ${record.eventSource} ${record.eventName} is not an ECR record`);
    if (record.errorCode) return ignored(`CloudTrail ${record.eventName} failed (${record.errorCode}); nothing changed`);
    switch (record.eventName) {
      case 'PolicyExecutionEvent':
        return lifecycleExecution(record, ctx);
      case 'PutImage':
        return putImage(record, ctx);
      case 'BatchDeleteImage':
        return batchDeleteImage(record, ctx);
      default:
        return ignored(`CloudTrail ECR ${record.eventName} does not change which images exist`);
    }
  });
}

function accountOf(record: CloudTrailRecord): string {
  const account = record.recipientAccountId ?? record.userIdentity?.accountId;
  if (!account) throw new IntakeError('INVALID_PAYLOAD', 'CloudTrail record: neither recipientAccountId nor userIdentity.accountId is set');
  return account;
}

function lifecycleExecution(record: CloudTrailRecord, ctx: ParseContext): IntakeResult {
  const details = validate(PolicyExecutionDetailsSchema, record.serviceEventDetails, 'PolicyExecutionEvent', 'serviceEventDetails');
  if (details.lifecycleEventImageActions.length === 0) return ignored('PolicyExecutionEvent acted on no image');
  const actionByRule = new Map<number, ImageAction>(
    (details.lifecycleEventPolicy?.lifecycleEventRules ?? []).map((rule) => [
      rule.rulePriority,
      /transition/i.test(rule.action ?? '') ? 'archive' : 'expire',
    ]),
  );
  const account = accountOf(record);
  const occurredAt = parseTimestamp(record.eventTime, 'eventTime');
  return alerts(
    details.lifecycleEventImageActions.map(({ lifecycleEventImage: image, rulePriority }) =>
      imageEventAlert({
        source: ctx.source ?? 'eventbridge',
        deliveryId: `cloudtrail:${record.eventID}:${image.digest}`,
        account,
        region: record.awsRegion,
        occurredAt,
        name: 'ECR lifecycle policy',
        event: {
          action: (rulePriority !== undefined ? actionByRule.get(rulePriority) : undefined) ?? 'expire',
          repository: details.repositoryName,
          digest: image.digest,
          tags: image.tagList,
          result: 'success',
          ...(rulePriority !== undefined ? { rulePriority } : {}),
          ...(image.pushedAt !== undefined ? { pushedAt: image.pushedAt } : {}),
        },
        labels: image.tagStatus ? { tagStatus: image.tagStatus } : {},
      }),
    ),
  );
}

function putImage(record: CloudTrailRecord, ctx: ParseContext): IntakeResult {
  const { image } = validate(PutImageResponseSchema, record.responseElements, 'PutImage', 'responseElements');
  const digest = image.imageId.imageDigest;
  if (!digest) return ignored('PutImage response names no digest');
  return alerts([
    imageEventAlert({
      source: ctx.source ?? 'eventbridge',
      deliveryId: `cloudtrail:${record.eventID}:${digest}`,
      account: image.registryId ?? accountOf(record),
      region: record.awsRegion,
      occurredAt: parseTimestamp(record.eventTime, 'eventTime'),
      name: 'ECR PutImage',
      event: {
        action: 'push',
        repository: image.repositoryName,
        digest,
        tags: image.imageId.imageTag ? [image.imageId.imageTag] : [],
        result: 'success',
      },
    }),
  ]);
}

function batchDeleteImage(record: CloudTrailRecord, ctx: ParseContext): IntakeResult {
  const repository = record.requestParameters?.repositoryName;
  if (typeof repository !== 'string' || repository === '') {
    throw new IntakeError('INVALID_PAYLOAD', 'BatchDeleteImage: requestParameters.repositoryName is missing');
  }
  const registryId = record.requestParameters?.registryId;
  const { imageIds } = validate(BatchDeleteResponseSchema, record.responseElements ?? {}, 'BatchDeleteImage', 'responseElements');
  const deleted = imageIds.filter((id): id is { imageDigest: string; imageTag?: string } => typeof id.imageDigest === 'string');
  if (deleted.length === 0) return ignored('BatchDeleteImage deleted no image');
  const account = typeof registryId === 'string' && registryId !== '' ? registryId : accountOf(record);
  const occurredAt = parseTimestamp(record.eventTime, 'eventTime');
  return alerts(
    deleted.map((id) =>
      imageEventAlert({
        source: ctx.source ?? 'eventbridge',
        deliveryId: `cloudtrail:${record.eventID}:${id.imageDigest}${id.imageTag ? `:${id.imageTag}` : ''}`,
        account,
        region: record.awsRegion,
        occurredAt,
        name: 'ECR BatchDeleteImage',
        // Deleting by tag removes only that tag unless it was the last one; the graph decides.
        event: { action: 'delete', repository, digest: id.imageDigest, tags: id.imageTag ? [id.imageTag] : [], result: 'success' },
      }),
    ),
  );
}
