/**
 * The one shape every source is parsed into. Parsers are pure: payload in, Alerts out.
 * Triage groups Alerts into incidents; nothing downstream looks at the raw payload again.
 */
export type AlertSource =
  | 'sns-cloudwatch'
  | 'eventbridge'
  | 'alertmanager'
  | 'generic'
  | 'slack-channel'
  | 'sqs'
  | 'lifeboat';

export type AlertStatus = 'firing' | 'resolved';

export type Severity = 'critical' | 'high' | 'warning' | 'info';

/** The incident classes that select runbooks. */
export type IncidentClass =
  | 'image-unavailable'
  | 'image-pull-failed'
  | 'deployment-failed'
  | 'task-fails-to-start'
  | 'queue-backlog'
  | 'monitoring-blind'
  | 'image-event'
  | 'other';

/** Why an image pull failed, from the stopped reason (see ecs/cannotpull-stopped-reasons.json). */
export type PullFailureClass =
  | 'image-not-found'
  | 'platform-mismatch'
  | 'registry-unreachable'
  | 'access-denied'
  | 'rate-limited'
  | 'other';

/** Where the alert is about, as precisely as the payload tells. */
export interface AlertTarget {
  account?: string;
  region?: string;
  cluster?: string;
  service?: string;
  repository?: string;
  imageDigest?: string;
  imageTag?: string;
  /** SQS queue name (CloudWatch `QueueName` dimension, Alertmanager `queue` label). */
  queue?: string;
}

/** What happened to an image, as ECR or its CloudTrail records tell it. */
export type ImageAction =
  | 'push'
  | 'delete'
  /** Removed by a lifecycle rule (CloudTrail `PolicyExecutionEvent`). */
  | 'expire'
  /** Moved to the ARCHIVE storage class (lifecycle `transition` or `UPDATE_STORAGE_CLASS`). */
  | 'archive'
  /** Moved back to STANDARD from ARCHIVE (`UPDATE_STORAGE_CLASS` to STANDARD). */
  | 'restore'
  | 'replicate'
  | 'pull-through-cache';

/**
 * One image fact for the image graph (class `image-event`): which repository and digest, what
 * happened to it and whether it worked. The graph needs repository + digest per image, so every
 * image-event Alert carries exactly one digest.
 */
export interface ImageEvent {
  action: ImageAction;
  repository: string;
  digest: string;
  /** Tags the image had (all of them when the sender lists them; may be empty). */
  tags: string[];
  result: 'success' | 'failure';
  /** Storage class after the action, when the sender says (`STANDARD` / `ARCHIVE`). */
  storageClass?: 'STANDARD' | 'ARCHIVE';
  /** Lifecycle rule that acted (`PolicyExecutionEvent`). */
  rulePriority?: number;
  /** When the image was pushed (ms since epoch), when the sender says. */
  pushedAt?: number;
}

export interface Alert {
  source: AlertSource;
  /**
   * The id the sender uses for one delivery (SNS MessageId, EventBridge id, Alertmanager
   * fingerprint+startsAt): a second delivery with the same id is the same alert, stored once.
   */
  deliveryId: string;
  /** Identifies the alerting condition across deliveries (the same alarm, the same rule). */
  fingerprint: string;
  /** Human name of the condition: alarm name, alertname, event detail-type. */
  name: string;
  status: AlertStatus;
  severity: Severity;
  class: IncidentClass;
  summary: string;
  /** Untrusted free text from the sender; renderers escape it. */
  description?: string;
  target: AlertTarget;
  /** When the condition started or changed, per the sender (ms since epoch). */
  occurredAt: number;
  links?: { label: string; url: string }[];
  labels?: Record<string, string>;
  pullFailure?: PullFailureClass;
  /** Alertmanager: how many alerts of the group were not delivered. */
  truncatedAlerts?: number;
  /**
   * Other fingerprints this alert resolves as well as its own (only on `resolved` alerts). ECS
   * `SERVICE_STEADY_STATE` uses it: the service is healthy again, so its task-start, pull and
   * placement conditions are over even though no event names them one by one.
   */
  resolvesFingerprints?: string[];
  /** The sender's own group (Alertmanager `groupKey`); useful to keep one card per group. */
  senderGroupKey?: string;
  /** Set on class `image-event`: the image fact for the image graph. */
  imageEvent?: ImageEvent;
}
