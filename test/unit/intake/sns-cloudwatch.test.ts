import { describe, expect, it } from 'vitest';
import { parseSnsMessage } from '../../../src/intake/sns/message.js';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import { fixture, fixtureText, ignoredReason, onlyAlert, refusal } from './fixtures.js';

const DIR = 'sns-cloudwatch';

describe('CloudWatch alarms via SNS', () => {
  it('parses the real 2019 ALARM capture (no AlarmArn, lowercase Dimensions, region from the display name)', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-alarm.alerta-test-capture.json`)));
    expect(alert).toMatchObject({
      source: 'sns-cloudwatch',
      deliveryId: 'sns:e288882d-4281-5be4-8fde-dccc11c8cb01',
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm',
      name: 'bucketbytesAlarm',
      status: 'firing',
      severity: 'high',
      class: 'other',
      summary: 'bucketbytesAlarm: bucket bytes size exceeded',
      target: { account: '1234567890', region: 'eu-west-1' },
      occurredAt: Date.parse('2019-02-15T23:53:45.093Z'),
      labels: { alarmKind: 'metric', namespace: 'AWS/S3', metric: 'BucketSizeBytes', state: 'ALARM', previousState: 'INSUFFICIENT_DATA' },
    });
    expect(alert.description).toContain('Threshold Crossed');
    expect(alert.links?.[0]?.url).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/bucketbytesAlarm',
    );
  });

  it('turns INSUFFICIENT_DATA into a firing monitoring-blind alert of warning severity', () => {
    const alert = onlyAlert(parseSnsMessage(fixture(`${DIR}/sns-http-notification.cloudwatch-insufficient-data.alerta-test-capture.json`)));
    expect(alert).toMatchObject({
      status: 'firing',
      severity: 'warning',
      class: 'monitoring-blind',
      deliveryId: 'sns:3a6a339c-60fc-5718-875e-66cf50fbf89a',
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:eu-west-1:1234567890:alarm:notificationCountAlarm',
      target: { account: '1234567890', region: 'eu-west-1' },
      occurredAt: Date.parse('2019-05-13T08:41:43.548Z'),
    });
  });

  it('classifies the SQS oldest-message alarm as queue-backlog with the queue as target', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      deliveryId: 'sns:5f3f4a1e-8e2b-5d4c-9a7b-0c1d2e3f4a5b',
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-events-oldest-message-age',
      status: 'firing',
      class: 'queue-backlog',
      severity: 'high',
      target: { account: '123456789012', region: 'us-east-1', queue: 'orders-events' },
    });
  });

  it('resolves the same alarm with OK: same fingerprint, new deliveryId', () => {
    const firing = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json`)));
    const ok = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-sqs-oldest-message-age-ok.lifeboat-CONSTRUCTED.json`)));
    expect(ok).toMatchObject({ status: 'resolved', severity: 'info', class: 'queue-backlog' });
    expect(ok.fingerprint).toBe(firing.fingerprint);
    expect(ok.deliveryId).not.toBe(firing.deliveryId);
  });

  it('reads a metric-math alarm (Trigger.Metrics[], no MetricName) and finds the ECS service', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-metric-math-ecs.lifeboat-CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-running-below-desired',
      summary: 'checkout-running-below-desired',
      target: { account: '123456789012', region: 'eu-west-1', cluster: 'prod-apps', service: 'checkout' },
      labels: { alarmKind: 'metric-math', namespace: 'ECS/ContainerInsights' },
    });
    expect(alert.labels?.metric).toBeUndefined(); // two different metrics: no single name
  });

  it('reads an anomaly-detection alarm and maps "Asia Pacific (Seoul)" to ap-northeast-2 without an AlarmArn', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-anomaly-ecs-cpu.lifeboat-CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:checkout-cpu-anomaly',
      target: { region: 'ap-northeast-2', cluster: 'prod-apps', service: 'checkout' },
      labels: { alarmKind: 'anomaly', metric: 'CPUUtilization', namespace: 'AWS/ECS' },
    });
  });

  it('reads a composite alarm (AlarmRule, TriggeringChildren, no Trigger)', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-composite.lifeboat-CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      fingerprint: 'cloudwatch-alarm:arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-unhealthy',
      status: 'firing',
      class: 'other',
      target: { account: '123456789012', region: 'us-east-1' },
      labels: {
        alarmKind: 'composite',
        alarmRule: 'ALARM("checkout-5xx") OR ALARM("checkout-latency")',
        triggeringChildren: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx',
      },
    });
  });

  it('the same alarm over SNS and over EventBridge has one fingerprint', () => {
    const viaSns = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json`)));
    const viaEb = onlyAlert(parseEventBridgeEvent(fixtureText(`${DIR}/eventbridge-cloudwatch-alarm-state-change.sqs-oldest-message-age.lifeboat-CONSTRUCTED.json`)));
    expect(viaEb.fingerprint).toBe(viaSns.fingerprint);
    expect(viaEb).toMatchObject({ class: viaSns.class, status: viaSns.status, target: viaSns.target, occurredAt: viaSns.occurredAt });
    const compositeSns = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.cloudwatch-composite.lifeboat-CONSTRUCTED.json`)));
    const compositeEb = onlyAlert(parseEventBridgeEvent(fixtureText(`${DIR}/eventbridge-cloudwatch-alarm-state-change.composite.lifeboat-CONSTRUCTED.json`)));
    expect(compositeEb.fingerprint).toBe(compositeSns.fingerprint);
    expect(compositeEb.labels?.triggeringChildren).toBe(compositeSns.labels?.triggeringChildren);
  });

  it('parses an EventBridge event carried in the SNS Message, keeping the event id as deliveryId', () => {
    const alert = onlyAlert(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.eventbridge-ecs-task-start-impaired.lifeboat-CONSTRUCTED.json`)));
    expect(alert).toMatchObject({
      source: 'eventbridge',
      class: 'task-fails-to-start',
      status: 'firing',
      target: { account: '111122223333', region: 'us-west-2', cluster: 'default', service: 'servicetest' },
      fingerprint: 'ecs/111122223333/us-west-2/default/service:servicetest/task-start-impaired',
    });
  });

  it('ignores subscription and unsubscribe confirmations (they carry no alert)', () => {
    for (const file of [
      'sns-http-subscription-confirmation.alerta-test-capture.json',
      'sns-http-subscription-confirmation.aws-docs.json',
      'sns-http-unsubscribe-confirmation.aws-docs.json',
    ]) {
      expect(ignoredReason(parseSnsMessage(fixtureText(`${DIR}/${file}`)))).toMatch(/Confirmation carries no alert/);
    }
  });

  it('refuses a plain-text Message (the AWS docs example) with 400 UNKNOWN_SHAPE', () => {
    expect(refusal(parseSnsMessage(fixtureText(`${DIR}/sns-http-notification.aws-docs.json`)))).toMatchObject({
      status: 400,
      code: 'UNKNOWN_SHAPE',
      reason: expect.stringMatching(/Message is not JSON/),
    });
  });

  describe('malformed input', () => {
    const alarm = (): Record<string, unknown> => fixture(`${DIR}/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json`);

    it('refuses invalid JSON with 400 INVALID_JSON', () => {
      expect(refusal(parseSnsMessage('{"Type": "Notification",'))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    });

    it('refuses JSON that is not an SNS envelope with 400 UNKNOWN_SHAPE', () => {
      expect(refusal(parseSnsMessage({ hello: 'world' }))).toMatchObject({ status: 400, code: 'UNKNOWN_SHAPE', reason: expect.stringContaining('not an SNS message') });
    });

    it('names a missing envelope field', () => {
      const body = alarm();
      delete body.MessageId;
      expect(refusal(parseSnsMessage(body))).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD', reason: expect.stringContaining('MessageId') });
    });

    it('names the bad alarm field inside Message', () => {
      const body = alarm();
      const message = JSON.parse(body.Message as string);
      message.NewStateValue = 'PANIC';
      body.Message = JSON.stringify(message);
      expect(refusal(parseSnsMessage(body))).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD', reason: expect.stringContaining('NewStateValue') });
    });

    it('names an unreadable StateChangeTime', () => {
      const body = alarm();
      const message = JSON.parse(body.Message as string);
      message.StateChangeTime = 'yesterday';
      body.Message = JSON.stringify(message);
      expect(refusal(parseSnsMessage(body))).toMatchObject({ status: 400, reason: expect.stringContaining('StateChangeTime') });
    });

    it('refuses a body over the size limit with 413 before parsing it', () => {
      expect(refusal(parseSnsMessage('x'.repeat(1024 * 1024 + 1)))).toMatchObject({ status: 413, code: 'TOO_LARGE' });
    });
  });
});
