/**
 * Alerts shaped like the intake parsers produce them from the corpus (ECS task and service
 * events, CloudWatch alarms via SNS, Alertmanager), built by hand so triage and incident tests do
 * not depend on the parsers.
 */
import type { Alert, AlertTarget } from '../../../src/intake/alert.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-west-2';
export const CLUSTER = 'prod';

let sequence = 0;
/** A fresh delivery id, unique across a test run. */
export function nextDeliveryId(prefix: string): string {
  sequence += 1;
  return `${prefix}:${sequence.toString(16).padStart(8, '0')}`;
}

function serviceTarget(service: string, extra: AlertTarget = {}): AlertTarget {
  return { account: ACCOUNT, region: REGION, cluster: CLUSTER, service, ...extra };
}

function ecsFingerprint(service: string, condition: string): string {
  return `ecs/${ACCOUNT}/${REGION}/${CLUSTER}/service:${service}/${condition}`;
}

/** An `ECS Task State Change` STOPPED with `CannotPullContainerError … not found`. */
export function stoppedTask(service: string, overrides: Partial<Alert> = {}): Alert {
  const task = (sequence + 1).toString(16).padStart(32, '0');
  return {
    source: 'eventbridge',
    deliveryId: `ecs-task:arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${task}:v${nextDeliveryId('v').slice(2)}`,
    fingerprint: ecsFingerprint(service, 'image-pull-failed'),
    name: 'ECS task image pull failed',
    status: 'firing',
    severity: 'high',
    class: 'image-pull-failed',
    pullFailure: 'image-not-found',
    summary: `${service}: task ${task} could not pull its image (image-not-found)`,
    description: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${service}:latest: not found`,
    target: serviceTarget(service, { repository: service, imageTag: 'latest' }),
    occurredAt: Date.UTC(2026, 0, 1),
    labels: { taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${task}`, group: `service:${service}` },
    ...overrides,
  };
}

/** An `ECS Service Action` SERVICE_TASK_START_IMPAIRED. */
export function taskStartImpaired(service: string, overrides: Partial<Alert> = {}): Alert {
  return {
    source: 'eventbridge',
    deliveryId: nextDeliveryId('ecs-service-action'),
    fingerprint: ecsFingerprint(service, 'task-start-impaired'),
    name: 'SERVICE_TASK_START_IMPAIRED',
    status: 'firing',
    severity: 'high',
    class: 'task-fails-to-start',
    summary: `${service} is unable to consistently start tasks`,
    target: serviceTarget(service),
    occurredAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

/** An `ECS Service Action` SERVICE_STEADY_STATE: resolves the service's start and pull conditions. */
export function steadyState(service: string, overrides: Partial<Alert> = {}): Alert {
  return {
    source: 'eventbridge',
    deliveryId: nextDeliveryId('ecs-service-action'),
    fingerprint: ecsFingerprint(service, 'task-start-impaired'),
    name: 'SERVICE_STEADY_STATE',
    status: 'resolved',
    severity: 'info',
    class: 'task-fails-to-start',
    summary: `${service} reached a steady state`,
    target: serviceTarget(service),
    occurredAt: Date.UTC(2026, 0, 1),
    resolvesFingerprints: ['image-pull-failed', 'task-failed-to-start', 'task-placement-failed', 'task-configuration-failed', 'operation-throttled'].map((c) => ecsFingerprint(service, c)),
    ...overrides,
  };
}

/** A CloudWatch alarm state change via SNS (ALARM → firing, OK → resolved). */
export function alarm(name: string, state: 'ALARM' | 'OK', options: { service?: string; queue?: string; overrides?: Partial<Alert> } = {}): Alert {
  const target: AlertTarget = options.service ? serviceTarget(options.service) : { account: ACCOUNT, region: REGION, ...(options.queue ? { queue: options.queue } : {}) };
  return {
    source: 'sns-cloudwatch',
    deliveryId: `sns:${nextDeliveryId('msg')}`,
    fingerprint: `cloudwatch-alarm:arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    name,
    status: state === 'OK' ? 'resolved' : 'firing',
    severity: state === 'OK' ? 'info' : 'high',
    class: options.queue ? 'queue-backlog' : 'other',
    summary: state === 'OK' ? `${name}: back to OK` : `${name}: Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (10.0).`,
    target,
    occurredAt: Date.UTC(2026, 0, 1),
    ...options.overrides,
  };
}

/** An Alertmanager v4 alert without a service label (grouped by alert name). */
export function alertmanager(alertname: string, status: 'firing' | 'resolved', overrides: Partial<Alert> = {}): Alert {
  return {
    source: 'alertmanager',
    deliveryId: nextDeliveryId('am'),
    fingerprint: `alertmanager:${alertname}:c2f1a0d9e8b7`,
    name: alertname,
    status,
    severity: 'warning',
    class: 'other',
    summary: `${alertname} on instance 10.0.3.17:9100`,
    target: {},
    occurredAt: Date.UTC(2026, 0, 1),
    senderGroupKey: '{}:{alertname="' + alertname + '"}',
    ...overrides,
  };
}
