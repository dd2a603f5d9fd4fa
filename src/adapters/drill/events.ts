/**
 * What the simulated account says about itself, in the exact shapes AWS sends (corpus
 * `ecs/`, `ecr/`, `sns-cloudwatch/` payloads): EventBridge events, CloudTrail records inside
 * `AWS Service Event via CloudTrail`, and CloudWatch alarms inside an SNS HTTP notification.
 *
 * Every emission is kept in the account's event log. Those Lifeboat's recommended EventBridge
 * rules and alarm actions would deliver (docs/intake.md) go to the outbox; the drill parses the
 * outbox with the real intake parsers and hands the Alerts to the `AlertSink`, so a drill tests
 * intake and triage exactly as production traffic would.
 */
import { DRILL_ACCOUNT, DRILL_ALARM_TOPIC, DRILL_REGION, isoSeconds, type DrillIds } from './ids.js';

/** An EventBridge event as AWS delivers it (kebab-case envelope, `detail` per source). */
export interface EventBridgeEventJson {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An SNS HTTP(S) notification body (what SNS POSTs as `text/plain`). */
export interface SnsNotificationJson {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  /** A JSON *string* (the CloudWatch alarm), exactly as SNS sends it. */
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
}

/** One payload and the way it travels. */
export type DrillPayload = { transport: 'eventbridge'; event: EventBridgeEventJson } | { transport: 'sns'; body: SnsNotificationJson };

/** An entry of the account's event log. */
export interface EmittedEvent {
  at: number;
  /** `detail-type` for EventBridge, `CloudWatch alarm (SNS)` for alarms. */
  kind: string;
  payload: DrillPayload;
  /** Whether Lifeboat's recommended rules deliver it (false: only in the log). */
  delivered: boolean;
  /** Delivered twice with the same ids (EventBridge and SNS are at-least-once). */
  duplicated: boolean;
}

/** Options of one emission. */
export interface EmitOptions {
  /** Deliver a second copy with the same ids (at-least-once delivery, DOMAIN fact 17). */
  duplicate?: boolean;
  /** The Region the event happens in (default `DRILL_REGION`; a replica registry emits in its own). */
  region?: string;
}

/**
 * Would Lifeboat's recommended EventBridge rules (docs/intake.md §2) deliver this event? Task
 * state changes only when STOPPED with `TaskFailedToStart`; every ECS service and deployment
 * event; ECR image, replication and pull-through-cache actions; CloudTrail `PolicyExecutionEvent`.
 * CloudWatch alarms reach Lifeboat through their SNS action instead (see `EventLog.sns`).
 * EventBridge rules are regional and the drill's are in `DRILL_REGION`: what a replica Region's
 * registry emits (`ECR Replication Action` in us-west-2, …) stays in the log.
 */
export function deliveredByLifeboatRules(event: EventBridgeEventJson): boolean {
  if (event.region !== DRILL_REGION) return false;
  const type = event['detail-type'];
  switch (event.source) {
    case 'aws.ecs':
      if (type === 'ECS Task State Change') return event.detail.lastStatus === 'STOPPED' && event.detail.stopCode === 'TaskFailedToStart';
      return type === 'ECS Service Action' || type === 'ECS Deployment State Change';
    case 'aws.ecr':
      if (type === 'AWS Service Event via CloudTrail') return event.detail.eventName === 'PolicyExecutionEvent';
      return type === 'ECR Image Action' || type === 'ECR Replication Action' || type === 'ECR Pull Through Cache Action';
    default:
      return false;
  }
}

/** The account's event log and outbox. */
export class EventLog {
  readonly log: EmittedEvent[] = [];
  private outbox: DrillPayload[] = [];
  /** Older entries are dropped beyond this, so a long drill does not grow without bound. */
  private readonly maxLog = 50_000;

  constructor(
    private readonly ids: DrillIds,
    private readonly now: () => number,
  ) {}

  /** Emit an EventBridge event from `source`; returns it (tests inspect payloads). */
  eventBridge(source: string, detailType: string, resources: string[], detail: Record<string, unknown>, options: EmitOptions = {}): EventBridgeEventJson {
    const event: EventBridgeEventJson = {
      version: '0',
      id: this.ids.uuid(),
      'detail-type': detailType,
      source,
      account: DRILL_ACCOUNT,
      time: isoSeconds(this.now()),
      region: options.region ?? DRILL_REGION,
      resources,
      detail,
    };
    this.record({ transport: 'eventbridge', event }, detailType, deliveredByLifeboatRules(event), options.duplicate === true);
    return event;
  }

  /**
   * Publish a CloudWatch alarm message to the alarm topic: the SNS HTTP notification Lifeboat's
   * subscription receives. The signature is a marker, not a signature — drill payloads never go
   * through the HTTP route that verifies them.
   */
  sns(subject: string, message: Record<string, unknown>, options: EmitOptions = {}): SnsNotificationJson {
    const messageId = this.ids.uuid();
    const body: SnsNotificationJson = {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: DRILL_ALARM_TOPIC,
      Subject: subject,
      Message: JSON.stringify(message),
      Timestamp: new Date(this.now()).toISOString(),
      SignatureVersion: '1',
      Signature: 'DRILL-NOT-SIGNED',
      SigningCertURL: `https://sns.${DRILL_REGION}.amazonaws.com/SimpleNotificationService-DRILL.pem`,
      UnsubscribeURL: `https://sns.${DRILL_REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${DRILL_ALARM_TOPIC}:${messageId}`,
    };
    this.record({ transport: 'sns', body }, 'CloudWatch alarm (SNS)', true, options.duplicate === true);
    return body;
  }

  /** Take what is waiting for delivery. */
  drain(): DrillPayload[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** Entries of one kind (`ECS Task State Change`, …), oldest first. */
  ofKind(kind: string): EmittedEvent[] {
    return this.log.filter((e) => e.kind === kind);
  }

  private record(payload: DrillPayload, kind: string, delivered: boolean, duplicated: boolean): void {
    this.log.push({ at: this.now(), kind, payload, delivered, duplicated });
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    if (!delivered) return;
    this.outbox.push(payload);
    if (duplicated) this.outbox.push(payload);
  }
}
