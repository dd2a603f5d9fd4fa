/**
 * `ECS Task State Change` (EventBridge, `source: aws.ecs`).
 *
 * Only a STOPPED task that failed to start is an alert:
 * - a pull failure (`CannotPullContainerError`, `ResourceInitializationError`, … in `stoppedReason`
 *   or `containers[].reason`) → firing, class `image-pull-failed`, severity `high`, with
 *   `pullFailure` classified (see `pull-failure.ts`) and the failing container's image in the
 *   target (pinned digest from `imageDigest` or from the reason text when present);
 * - any other `stopCode: TaskFailedToStart` → firing, class `task-fails-to-start`, severity
 *   `warning` (the service-level `SERVICE_TASK_START_IMPAIRED` is the stronger signal).
 *
 * Everything else is ignored with a reason: PENDING/RUNNING/… (nothing failed yet), and STOPPED
 * for ordinary causes (scale-in, deployments, user stops, spot interruptions, and containers that
 * exited after running — crash loops after start reach us as CloudWatch/Alertmanager alerts; one
 * alert per exited task would flood the channel).
 *
 * Fingerprint: `ecs/<account>/<region>/<cluster>/<group>/image-pull-failed` (or
 * `…/task-failed-to-start`), see `scope.ts`. Every failing task of a service is the same condition,
 * so 50 stopped tasks are one alert seen 50 times, and `SERVICE_STEADY_STATE` resolves it.
 * deliveryId: `ecs-task:<taskArn>:v<detail.version>` — ECS may emit one state change twice, and
 * duplicates share `detail.version` (SEMANTICS: ecs); the EventBridge id is used when there is no
 * version.
 */
import { z } from 'zod';
import type { Alert, AlertTarget } from '../alert.js';
import { parseImageReference } from '../../images/image-reference.js';
import { ecsClusterName, parseArn } from '../shared/arn.js';
import { ecsServiceConsoleUrl, linkList, safeLink } from '../shared/links.js';
import { compact } from '../shared/object.js';
import { clip, cleanLabels, MAX_DESCRIPTION_CHARS, MAX_SUMMARY_CHARS } from '../shared/text.js';
import { tryParseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { eventDeliveryId, eventTime, type EventBridgeEvent, type EventDelivery } from '../eventbridge/envelope.js';
import { ignored, alerts, type IntakeResult } from '../result.js';
import { classifyPullFailure, type PullFailure } from './pull-failure.js';
import { ecsFingerprint, serviceOfGroup, type EcsScope } from './scope.js';

const Container = z.looseObject({
  name: z.string().optional(),
  image: z.string().optional(),
  imageDigest: z.string().optional(),
  reason: z.string().optional(),
  lastStatus: z.string().optional(),
});

/** `detail` of an ECS Task State Change (fields Lifeboat reads). */
export const TaskStateChangeDetailSchema = z.looseObject({
  clusterArn: z.string().min(1),
  taskArn: z.string().min(1),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().optional(),
  group: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  containers: z.array(Container).default([]),
  version: z.number().optional(),
  stoppedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  taskDefinitionArn: z.string().optional(),
  startedBy: z.string().optional(),
});

type TaskDetail = z.output<typeof TaskStateChangeDetailSchema>;
type TaskContainer = z.output<typeof Container>;

const DIGEST_IN_TEXT = /@(sha256:[0-9a-f]{64})/;

/** Parses a Task State Change; see the module comment for what becomes an alert. */
export function parseTaskStateChange(event: EventBridgeEvent, delivery: EventDelivery): IntakeResult {
  const task = validate(TaskStateChangeDetailSchema, event.detail, 'ECS Task State Change', 'detail');
  const taskId = task.taskArn.split('/').pop() ?? task.taskArn;
  if (task.lastStatus !== 'STOPPED') {
    return ignored(`ECS task ${taskId} is ${task.lastStatus}; only a STOPPED task can carry a start failure`);
  }

  const failure = findPullFailure(task);
  if (!failure && task.stopCode !== 'TaskFailedToStart') {
    return ignored(`ECS task ${taskId} stopped normally (stopCode ${task.stopCode ?? 'none'}); not a start failure`);
  }

  const scope = scopeOf(event, task);
  const service = serviceOfGroup(scope.group);
  const who = service ?? scope.group;
  const reasonText = failure?.text ?? task.stoppedReason ?? 'no stoppedReason given';
  const condition = failure ? 'image-pull-failed' : 'task-failed-to-start';

  const alert: Alert = {
    source: delivery.source,
    deliveryId: task.version !== undefined ? `ecs-task:${task.taskArn}:v${task.version}` : eventDeliveryId(event),
    fingerprint: ecsFingerprint(scope, condition),
    name: failure ? 'ECS task image pull failed' : 'ECS task failed to start',
    status: 'firing',
    severity: failure ? 'high' : 'warning',
    class: failure ? 'image-pull-failed' : 'task-fails-to-start',
    summary: clip(
      failure
        ? `${who}: task ${taskId} could not pull its image (${failure.pull.class})`
        : `${who}: task ${taskId} failed to start`,
      MAX_SUMMARY_CHARS,
    ),
    description: clip(reasonText, MAX_DESCRIPTION_CHARS),
    target: compact({
      account: scope.account,
      region: scope.region,
      cluster: scope.cluster,
      service,
      ...imageTarget(failure?.container),
      ...digestFromText(failure?.container, reasonText),
    }),
    occurredAt: tryParseTimestamp(task.stoppedAt) ?? tryParseTimestamp(task.updatedAt) ?? eventTime(event),
    labels: cleanLabels([
      ['taskArn', task.taskArn],
      ['taskDefinitionArn', task.taskDefinitionArn],
      ['group', scope.group],
      ['stopCode', task.stopCode],
      ['startedBy', task.startedBy],
      ['container', failure?.container?.name],
      ['image', failure?.container?.image],
      ['pullFailureStage', failure?.pull.stage],
    ]),
  };
  if (failure) alert.pullFailure = failure.pull.class;
  const links = linkList(service && scope.cluster ? safeLink('ECS service', ecsServiceConsoleUrl(scope.region, scope.cluster, service)) : undefined);
  if (links) alert.links = links;
  return alerts([alert]);
}

interface FoundFailure {
  pull: PullFailure;
  text: string;
  container?: TaskContainer;
}

/**
 * Container reasons first: they name the container (and so the image) and are the fuller text on
 * Fargate 1.4, which truncates the task-level `stoppedReason`.
 */
function findPullFailure(task: TaskDetail): FoundFailure | undefined {
  for (const container of task.containers) {
    const pull = classifyPullFailure(container.reason);
    if (pull && container.reason) return { pull, text: container.reason, container };
  }
  const pull = classifyPullFailure(task.stoppedReason);
  if (!pull || !task.stoppedReason) return undefined;
  // A task-level reason with one container: that container is the one that failed.
  const only = task.containers.length === 1 ? task.containers[0] : undefined;
  return { pull, text: task.stoppedReason, container: only };
}

function scopeOf(event: EventBridgeEvent, task: TaskDetail): EcsScope {
  const family = parseArn(task.taskDefinitionArn)?.resource.replace(/^task-definition\//, '').split(':')[0];
  const group = task.group ?? (family ? `family:${family}` : `task:${task.taskArn.split('/').pop() ?? ''}`);
  return { account: event.account, region: event.region, cluster: ecsClusterName(task.clusterArn), group };
}

function imageTarget(container: TaskContainer | undefined): Pick<AlertTarget, 'repository' | 'imageTag' | 'imageDigest'> {
  if (!container?.image) return {};
  const parsed = parseImageReference(container.image);
  const out: Pick<AlertTarget, 'repository' | 'imageTag' | 'imageDigest'> = parsed.ok
    ? { repository: parsed.ref.repository, imageTag: parsed.ref.tag, imageDigest: parsed.ref.digest }
    : {};
  // The digest ECS resolved and pinned (fact 1) beats whatever the reference spelled.
  if (container.imageDigest) out.imageDigest = container.imageDigest;
  return out;
}

function digestFromText(container: TaskContainer | undefined, text: string): Pick<AlertTarget, 'imageDigest'> {
  if (container?.imageDigest) return {};
  const match = DIGEST_IN_TEXT.exec(text);
  return match?.[1] ? { imageDigest: match[1] } : {};
}
