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
}
