/**
 * Routes an EventBridge event to its parser by `source` and `detail-type`. Used by the EventBridge
 * API destination route, the SQS poller (EventBridge → SQS) and the SNS route (EventBridge → SNS).
 *
 * | source | detail-type | parser |
 * |---|---|---|
 * | aws.cloudwatch | CloudWatch Alarm State Change | `cloudwatch/alarm-eventbridge.ts` |
 * | aws.ecs | ECS Task State Change | `ecs/task-state-change.ts` |
 * | aws.ecs | ECS Service Action | `ecs/service-action.ts` |
 * | aws.ecs | ECS Deployment State Change | `ecs/deployment-state-change.ts` |
 * | aws.ecr | ECR Image Action | `ecr/image-action.ts` |
 * | aws.ecr | ECR Replication Action | `ecr/replication-action.ts` |
 * | aws.ecr | ECR Pull Through Cache Action | `ecr/pull-through-cache-action.ts` |
 * | aws.ecr | AWS Service Event via CloudTrail, AWS API Call via CloudTrail | `ecr/cloudtrail.ts` |
 *
 * A well-formed event of any other kind (ECR Image Scan, ECS Container Instance State Change, a
 * source we do not know) is *ignored* with a reason rather than refused: EventBridge rules are
 * often broader than needed, and a 4xx would only fill the sender's dead-letter queue. A payload
 * that is not an EventBridge event at all is a 400.
 */
import type { AlertSource } from '../alert.js';
import { IntakeError } from '../errors.js';
import { eventBridgeAlarmToAlert } from '../cloudwatch/alarm-eventbridge.js';
import { parseCloudTrailRecord } from '../ecr/cloudtrail.js';
import { parseImageAction } from '../ecr/image-action.js';
import { parsePullThroughCacheAction } from '../ecr/pull-through-cache-action.js';
import { parseReplicationAction } from '../ecr/replication-action.js';
import { parseDeploymentStateChange } from '../ecs/deployment-state-change.js';
import { parseServiceAction } from '../ecs/service-action.js';
import { parseTaskStateChange } from '../ecs/task-state-change.js';
import { isRecord, readJsonPayload } from '../shared/payload.js';
import { validate } from '../shared/validate.js';
import { alerts, guard, ignored, type IntakeResult, type ParseContext } from '../result.js';
import { EventBridgeEventSchema, looksLikeEventBridgeEvent, type EventBridgeEvent, type EventDelivery } from './envelope.js';

const DEFAULT_SOURCE: AlertSource = 'eventbridge';

type EventParser = (event: EventBridgeEvent, delivery: EventDelivery) => IntakeResult;

const PARSERS: Record<string, Record<string, EventParser>> = {
  'aws.cloudwatch': {
    'CloudWatch Alarm State Change': (event, delivery) => alerts([eventBridgeAlarmToAlert(event, delivery)]),
  },
  'aws.ecs': {
    'ECS Task State Change': parseTaskStateChange,
    'ECS Service Action': parseServiceAction,
    'ECS Deployment State Change': parseDeploymentStateChange,
  },
  'aws.ecr': {
    'ECR Image Action': parseImageAction,
    'ECR Replication Action': parseReplicationAction,
    'ECR Pull Through Cache Action': parsePullThroughCacheAction,
    'AWS Service Event via CloudTrail': cloudTrailDetail,
    'AWS API Call via CloudTrail': cloudTrailDetail,
  },
};

/** Why the kinds we deliberately skip are skipped (kept next to the table so both stay in step). */
const SKIPPED: Record<string, string> = {
  'ECR Image Scan': 'vulnerability scan results are not an availability signal',
  'ECR Scan Resource Change': 'scan configuration changes are not alerts',
  'ECR Referrer Action': 'referrer artifacts (signatures, SBOMs) are not images a task runs',
  'ECS Container Instance State Change': 'container instance changes are not tracked; their effects show up as task and service events',
};

/**
 * Parses one EventBridge event (raw JSON string/bytes or already-parsed) into Alerts.
 * `ctx.source` overrides the recorded `Alert.source` (default `eventbridge`).
 */
export function parseEventBridgeEvent(payload: unknown, ctx: ParseContext = {}): IntakeResult {
  return guard(() => {
    const json = readJsonPayload(payload);
    if (!isRecord(json) || !looksLikeEventBridgeEvent(json)) {
      throw new IntakeError('UNKNOWN_SHAPE', 'not an EventBridge event: expected an object with "source", "detail-type" and "detail"');
    }
    const event = validate(EventBridgeEventSchema, json, 'EventBridge event');
    const detailType = event['detail-type'];
    const parser = PARSERS[event.source]?.[detailType];
    if (!parser) {
      const why = SKIPPED[detailType] ?? 'no parser for this source and detail-type';
      return ignored(`EventBridge ${event.source} "${detailType}": ${why}`);
    }
    return parser(event, { source: ctx.source ?? DEFAULT_SOURCE });
  });
}

function cloudTrailDetail(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  return parseCloudTrailRecord(event.detail, { source: delivery.source });
}
