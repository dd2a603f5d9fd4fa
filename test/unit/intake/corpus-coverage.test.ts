/**
 * Every payload fixture (the corpus copies and the constructed ones) is listed here with its
 * expected outcome, and every file in the fixture folders must be listed: a new corpus file cannot
 * slip in untested. Field-level assertions live in the per-source tests; this table checks the
 * verdict (alerts with which class/status, ignored, or refused) and that parsing is deterministic.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/intake/alert.js';
import { parseAlertmanagerWebhook } from '../../../src/intake/alertmanager/webhook.js';
import { parseCloudTrailRecord } from '../../../src/intake/ecr/cloudtrail.js';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import type { IntakeResult } from '../../../src/intake/result.js';
import { parseSnsMessage } from '../../../src/intake/sns/message.js';
import { fixtureFiles, fixtureText } from './fixtures.js';

type Parser = 'sns' | 'eventbridge' | 'cloudtrail' | 'alertmanager';
type Outcome = { alerts: [Alert['class'], Alert['status']][] } | { ignored: RegExp } | { refused: number };

const PARSERS: Record<Parser, (raw: string) => IntakeResult> = {
  sns: (raw) => parseSnsMessage(raw),
  eventbridge: (raw) => parseEventBridgeEvent(raw),
  cloudtrail: (raw) => parseCloudTrailRecord(raw),
  alertmanager: (raw) => parseAlertmanagerWebhook(raw),
};

const TABLE: Record<string, [Parser, Outcome]> = {
  // sns-cloudwatch (corpus)
  'sns-cloudwatch/eventbridge-cloudwatch-alarm-state-change.anomaly-detection.json': ['eventbridge', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/eventbridge-cloudwatch-alarm-state-change.single-metric.json': ['eventbridge', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.aws-docs.json': ['sns', { refused: 400 }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-alarm.alerta-test-capture.json': ['sns', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-insufficient-data.alerta-test-capture.json': ['sns', { alerts: [['monitoring-blind', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json': ['sns', { alerts: [['queue-backlog', 'firing']] }],
  'sns-cloudwatch/sns-http-subscription-confirmation.alerta-test-capture.json': ['sns', { ignored: /SubscriptionConfirmation/ }],
  'sns-cloudwatch/sns-http-subscription-confirmation.aws-docs.json': ['sns', { ignored: /SubscriptionConfirmation/ }],
  'sns-cloudwatch/sns-http-unsubscribe-confirmation.aws-docs.json': ['sns', { ignored: /UnsubscribeConfirmation/ }],
  // sns-cloudwatch (constructed here)
  'sns-cloudwatch/eventbridge-cloudwatch-alarm-state-change.composite.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/eventbridge-cloudwatch-alarm-state-change.sqs-oldest-message-age.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['queue-backlog', 'firing']] }],
  'sns-cloudwatch/eventbridge-cloudwatch-alarm-state-change.sqs-visible-insufficient-data.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['monitoring-blind', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-anomaly-ecs-cpu.lifeboat-CONSTRUCTED.json': ['sns', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-composite.lifeboat-CONSTRUCTED.json': ['sns', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-metric-math-ecs.lifeboat-CONSTRUCTED.json': ['sns', { alerts: [['other', 'firing']] }],
  'sns-cloudwatch/sns-http-notification.cloudwatch-sqs-oldest-message-age-ok.lifeboat-CONSTRUCTED.json': ['sns', { alerts: [['queue-backlog', 'resolved']] }],
  'sns-cloudwatch/sns-http-notification.eventbridge-ecs-task-start-impaired.lifeboat-CONSTRUCTED.json': ['sns', { alerts: [['task-fails-to-start', 'firing']] }],
  // ecs (corpus)
  'ecs/ecs-container-instance-state-change.json': ['eventbridge', { ignored: /container instance/ }],
  'ecs/ecs-deployment-completed.json': ['eventbridge', { alerts: [['deployment-failed', 'resolved']] }],
  'ecs/ecs-deployment-failed-circuit-breaker.json': ['eventbridge', { alerts: [['deployment-failed', 'firing']] }],
  'ecs/ecs-deployment-in-progress.json': ['eventbridge', { ignored: /not a failure or a completion/ }],
  'ecs/ecs-service-action-capacity-provider-steady-state.json': ['eventbridge', { ignored: /informational/ }],
  'ecs/ecs-service-action-placement-failure-ec2-cpu.json': ['eventbridge', { alerts: [['task-fails-to-start', 'firing']] }],
  'ecs/ecs-service-action-steady-state.json': ['eventbridge', { alerts: [['task-fails-to-start', 'resolved']] }],
  'ecs/ecs-service-action-task-start-impaired.json': ['eventbridge', { alerts: [['task-fails-to-start', 'firing']] }],
  'ecs/ecs-task-state-change-running.json': ['eventbridge', { ignored: /RUNNING/ }],
  'ecs/ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json': ['eventbridge', { alerts: [['image-pull-failed', 'firing']] }],
  // ecs (constructed here)
  'ecs/ecs-deployment-rollback-in-progress.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['deployment-failed', 'firing']] }],
  'ecs/ecs-task-state-change-stopped-cannot-start.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['task-fails-to-start', 'firing']] }],
  'ecs/ecs-task-state-change-stopped-cannotpull.duplicate-emission.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['image-pull-failed', 'firing']] }],
  'ecs/ecs-task-state-change-stopped-essential-exited.lifeboat-CONSTRUCTED.json': ['eventbridge', { ignored: /stopped normally/ }],
  'ecs/ecs-task-state-change-stopped-platform-mismatch.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['image-pull-failed', 'firing']] }],
  'ecs/ecs-task-state-change-stopped-resource-init-secrets.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['image-pull-failed', 'firing']] }],
  // ecr (corpus)
  'ecr/cloudtrail-batchgetimage-pull.json': ['cloudtrail', { ignored: /BatchGetImage/ }],
  'ecr/cloudtrail-policy-execution-event-lifecycle-expire.json': ['cloudtrail', { alerts: [['image-event', 'firing'], ['image-event', 'firing']] }],
  'ecr/cloudtrail-putimage-push.json': ['cloudtrail', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-image-action-delete.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-image-action-push.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-image-action-restore-update-storage-class.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-image-scan-basic-complete.json': ['eventbridge', { ignored: /ECR Image Scan/ }],
  'ecr/ecr-pull-through-cache-action.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-referrer-action-restore.json': ['eventbridge', { ignored: /ECR Referrer Action/ }],
  'ecr/ecr-replication-action-failed.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-replication-action-success.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-scan-resource-change-enhanced.json': ['eventbridge', { ignored: /ECR Scan Resource Change/ }],
  // ecr (constructed here)
  'ecr/cloudtrail-batchdeleteimage.lifeboat-CONSTRUCTED.json': ['cloudtrail', { alerts: [['image-event', 'firing']] }],
  'ecr/cloudtrail-policy-execution-event-lifecycle-transition.lifeboat-CONSTRUCTED.json': ['cloudtrail', { alerts: [['image-event', 'firing']] }],
  'ecr/ecr-image-action-archive-update-storage-class.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['image-event', 'firing']] }],
  'ecr/eventbridge-aws-service-event-via-cloudtrail.policy-execution.lifeboat-CONSTRUCTED.json': ['eventbridge', { alerts: [['image-event', 'firing'], ['image-event', 'firing']] }],
  // alertmanager (corpus)
  'alertmanager/webhook-v4.am0.25.01-firing-truncated.json': ['alertmanager', { alerts: [['other', 'firing'], ['other', 'firing']] }],
  'alertmanager/webhook-v4.am0.25.03-resolved-truncated.json': ['alertmanager', { alerts: [['other', 'resolved'], ['other', 'resolved']] }],
  'alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json': ['alertmanager', { alerts: [['other', 'firing'], ['other', 'firing']] }],
  'alertmanager/webhook-v4.prometheus-msteams-readme.2018-debug-capture.json': ['alertmanager', { alerts: [['other', 'firing']] }],
  // alertmanager (constructed here)
  'alertmanager/webhook-v4.mixed-firing-resolved.lifeboat-CONSTRUCTED.json': ['alertmanager', { alerts: [['queue-backlog', 'firing'], ['other', 'resolved']] }],
};

const NOT_PAYLOADS = new Set(['ecs/cannotpull-stopped-reasons.json']);

describe('fixture coverage', () => {
  it('lists every payload fixture', () => {
    const files = ['sns-cloudwatch', 'ecs', 'ecr', 'alertmanager'].flatMap(fixtureFiles).filter((f) => !NOT_PAYLOADS.has(f));
    expect(files.filter((f) => !(f in TABLE))).toEqual([]);
    expect(Object.keys(TABLE).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(Object.entries(TABLE))('%s', (file, [parser, outcome]) => {
    const raw = fixtureText(file);
    const result = PARSERS[parser](raw);
    if ('refused' in outcome) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.status).toBe(outcome.refused);
      return;
    }
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.reason}`);
    if ('ignored' in outcome) {
      expect(result.alerts).toEqual([]);
      expect(result.ignored).toMatch(outcome.ignored);
      return;
    }
    expect(result.alerts.map((a) => [a.class, a.status])).toEqual(outcome.alerts);
    for (const alert of result.alerts) {
      expect(alert.fingerprint).not.toBe('');
      expect(alert.deliveryId).not.toBe('');
      expect(Number.isFinite(alert.occurredAt) && alert.occurredAt > Date.UTC(2010, 0, 1)).toBe(true);
      // Nothing undefined is stored: absent is the one spelling of unknown.
      expect(JSON.parse(JSON.stringify(alert))).toEqual(alert);
    }
    // Deterministic: the same bytes give the same Alerts (fingerprint and deliveryId included).
    expect(PARSERS[parser](raw)).toEqual(result);
    // Already-parsed JSON gives the same result as the raw body.
    expect(PARSERS[parser](JSON.parse(raw))).toEqual(result);
  });
});
