import { describe, expect, it } from 'vitest';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import { fixture, fixtureText, onlyAlert, refusal } from './fixtures.js';

const DIR = 'sns-cloudwatch';

describe('CloudWatch Alarm State Change via EventBridge', () => {
  it('parses the AWS single-metric example', () => {
    const alert = onlyAlert(parseEventBridgeEvent(fixtureText(`${DIR}/eventbridge-cloudwatch-alarm-state-change.single-metric.json`)));
    expect(alert).toMatchObject({
      source: 'eventbridge',
      deliveryId: 'eventbridge:c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      name: 'ServerCpuTooHigh',
      status: 'firing',
      severity: 'high',
      class: 'other',
      summary: 'ServerCpuTooHigh: Goes into alarm when server CPU utilization is too high!',
      target: { account: '123456789012', region: 'us-east-1' },
      occurredAt: Date.parse('2019-10-02T17:04:40.989Z'),
      labels: { alarmKind: 'metric', namespace: 'AWS/EC2', metric: 'CPUUtilization', previousState: 'OK' },
    });
  });

  it('parses the AWS anomaly-detection example (expression entry, no threshold metric name)', () => {
    const alert = onlyAlert(parseEventBridgeEvent(fixture(`${DIR}/eventbridge-cloudwatch-alarm-state-change.anomaly-detection.json`)));
    expect(alert).toMatchObject({
      deliveryId: 'eventbridge:daafc9f1-bddd-c6c9-83af-74971fcfc4ef',
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:us-east-1:123456789012:alarm:EC2 CPU Utilization Anomaly',
      status: 'firing',
      labels: { alarmKind: 'anomaly', metric: 'CPUUtilization' },
      occurredAt: Date.parse('2019-10-03T16:00:04.653Z'),
    });
  });

  it('parses a composite alarm and lists the triggering children from reasonData', () => {
    const alert = onlyAlert(parseEventBridgeEvent(fixture(`${DIR}/eventbridge-cloudwatch-alarm-state-change.composite.lifeboat-CONSTRUCTED.json`)));
    expect(alert.labels).toMatchObject({
      alarmKind: 'composite',
      triggeringChildren: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx',
    });
  });

  it('makes INSUFFICIENT_DATA on a queue alarm monitoring-blind, keeping the queue target', () => {
    const alert = onlyAlert(parseEventBridgeEvent(fixture(`${DIR}/eventbridge-cloudwatch-alarm-state-change.sqs-visible-insufficient-data.lifeboat-CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      status: 'firing',
      severity: 'warning',
      class: 'monitoring-blind',
      target: { account: '123456789012', region: 'eu-central-1', queue: 'billing-jobs' },
    });
  });

  it('records the SQS poller as source when told to', () => {
    const alert = onlyAlert(parseEventBridgeEvent(fixture(`${DIR}/eventbridge-cloudwatch-alarm-state-change.single-metric.json`), { source: 'sqs' }));
    expect(alert.source).toBe('sqs');
  });

  it('names a missing detail.state.value', () => {
    const event = fixture(`${DIR}/eventbridge-cloudwatch-alarm-state-change.single-metric.json`);
    delete event.detail.state.value;
    expect(refusal(parseEventBridgeEvent(event))).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD', reason: expect.stringContaining('detail.state.value') });
  });
});
