import { describe, expect, it } from 'vitest';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import { fixture, fixtureText, ignoredReason, onlyAlert, refusal } from './fixtures.js';

const DIR = 'ecs';
const parse = (file: string) => parseEventBridgeEvent(fixtureText(`${DIR}/${file}`));
const SERVICETEST = 'ecs/111122223333/us-west-2/default/service:servicetest';

describe('ECS Task State Change', () => {
  it('ignores a RUNNING task and says why', () => {
    expect(ignoredReason(parse('ecs-task-state-change-running.json'))).toMatch(/is RUNNING; only a STOPPED task/);
  });

  it('turns a STOPPED task with CannotPullContainerError into image-pull-failed / image-not-found', () => {
    const alert = onlyAlert(parse('ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json'));
    expect(alert).toMatchObject({
      source: 'eventbridge',
      deliveryId: 'ecs-task:arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad:v6',
      fingerprint: 'ecs/111122223333/us-west-2/FargateCluster/service:sample-fargate-service/image-pull-failed',
      name: 'ECS task image pull failed',
      status: 'firing',
      severity: 'high',
      class: 'image-pull-failed',
      pullFailure: 'image-not-found',
      target: {
        account: '111122223333',
        region: 'us-west-2',
        cluster: 'FargateCluster',
        service: 'sample-fargate-service',
        repository: 'hello-repository',
        imageTag: 'latest',
      },
      occurredAt: Date.parse('2020-01-23T17:58:31.103Z'),
      labels: { stopCode: 'TaskFailedToStart', container: 'FargateApp', pullFailureStage: 'image-pull', startedBy: 'ecs-svc/1234567890123456789' },
    });
    expect(alert.description).toMatch(/^CannotPullContainerError/);
    expect(alert.summary).toBe('sample-fargate-service: task c13b4cb40f1f4fe4a2971f76ae5a47ad could not pull its image (image-not-found)');
  });

  it('gives a second emission of the same task state (same taskArn + version) the same deliveryId', () => {
    const first = onlyAlert(parse('ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json'));
    const again = onlyAlert(parse('ecs-task-state-change-stopped-cannotpull.duplicate-emission.lifeboat-CONSTRUCTED.json'));
    expect(again.deliveryId).toBe(first.deliveryId);
  });

  it('keeps the pinned digest of a platform-mismatch failure', () => {
    const alert = onlyAlert(parse('ecs-task-state-change-stopped-platform-mismatch.lifeboat-CONSTRUCTED.json'));
    expect(alert).toMatchObject({
      class: 'image-pull-failed',
      pullFailure: 'platform-mismatch',
      fingerprint: 'ecs/111122223333/us-west-2/prod-apps/service:checkout/image-pull-failed',
      target: {
        cluster: 'prod-apps',
        service: 'checkout',
        repository: 'checkout',
        imageDigest: 'sha256:5e0f7c1b2a3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7',
      },
    });
  });

  it('treats a secrets fetch failure (ResourceInitializationError) as image-pull-failed / other for a standalone task', () => {
    const alert = onlyAlert(parse('ecs-task-state-change-stopped-resource-init-secrets.lifeboat-CONSTRUCTED.json'));
    expect(alert).toMatchObject({
      class: 'image-pull-failed',
      pullFailure: 'other',
      fingerprint: 'ecs/111122223333/us-west-2/FargateCluster/family:db-migrations/image-pull-failed',
      labels: { pullFailureStage: 'resource-initialization', group: 'family:db-migrations' },
    });
    expect(alert.target.service).toBeUndefined();
  });

  it('turns another TaskFailedToStart into task-fails-to-start (warning)', () => {
    const alert = onlyAlert(parse('ecs-task-state-change-stopped-cannot-start.lifeboat-CONSTRUCTED.json'));
    expect(alert).toMatchObject({
      class: 'task-fails-to-start',
      severity: 'warning',
      fingerprint: 'ecs/111122223333/us-west-2/prod-apps/service:checkout/task-failed-to-start',
    });
    expect(alert.pullFailure).toBeUndefined();
  });

  it('ignores a task whose essential container exited after running', () => {
    expect(ignoredReason(parse('ecs-task-state-change-stopped-essential-exited.lifeboat-CONSTRUCTED.json'))).toMatch(/stopped normally \(stopCode EssentialContainerExited\)/);
  });

  it('names a missing taskArn', () => {
    const event = fixture(`${DIR}/ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json`);
    delete event.detail.taskArn;
    expect(refusal(parseEventBridgeEvent(event))).toMatchObject({ status: 400, reason: expect.stringContaining('taskArn') });
  });
});

describe('ECS Service Action', () => {
  it('fires task-fails-to-start for SERVICE_TASK_START_IMPAIRED', () => {
    const alert = onlyAlert(parse('ecs-service-action-task-start-impaired.json'));
    expect(alert).toMatchObject({
      deliveryId: 'ecs-service-action:arn:aws:ecs:us-west-2:111122223333:service/default/servicetest:SERVICE_TASK_START_IMPAIRED:2019-11-19T19:55:38.725Z',
      fingerprint: `${SERVICETEST}/task-start-impaired`,
      name: 'SERVICE_TASK_START_IMPAIRED',
      status: 'firing',
      severity: 'high',
      class: 'task-fails-to-start',
      summary: 'servicetest is unable to consistently start tasks',
      target: { account: '111122223333', region: 'us-west-2', cluster: 'default', service: 'servicetest' },
      occurredAt: Date.parse('2019-11-19T19:55:38.725Z'),
      labels: { eventType: 'WARN', serviceArn: 'arn:aws:ecs:us-west-2:111122223333:service/default/servicetest' },
    });
  });

  it('fires for a placement failure and keeps the reason', () => {
    const alert = onlyAlert(parse('ecs-service-action-placement-failure-ec2-cpu.json'));
    expect(alert).toMatchObject({
      fingerprint: `${SERVICETEST}/task-placement-failed`,
      class: 'task-fails-to-start',
      severity: 'high',
      summary: 'servicetest cannot place tasks (RESOURCE:CPU)',
      labels: { reason: 'RESOURCE:CPU', eventType: 'ERROR' },
    });
  });

  it('resolves the service conditions on SERVICE_STEADY_STATE, including pull failures of its tasks', () => {
    const alert = onlyAlert(parse('ecs-service-action-steady-state.json'));
    expect(alert).toMatchObject({ status: 'resolved', fingerprint: `${SERVICETEST}/task-start-impaired`, severity: 'info' });
    expect(alert.resolvesFingerprints).toEqual([
      `${SERVICETEST}/image-pull-failed`,
      `${SERVICETEST}/task-failed-to-start`,
      `${SERVICETEST}/task-placement-failed`,
      `${SERVICETEST}/task-configuration-failed`,
      `${SERVICETEST}/operation-throttled`,
    ]);
    expect(alert.resolvesFingerprints).not.toContain(`${SERVICETEST}/deployment-failed`);
    const impaired = onlyAlert(parse('ecs-service-action-task-start-impaired.json'));
    const placement = onlyAlert(parse('ecs-service-action-placement-failure-ec2-cpu.json'));
    expect([alert.fingerprint, ...alert.resolvesFingerprints!]).toEqual(expect.arrayContaining([impaired.fingerprint, placement.fingerprint]));
  });

  it('ignores CAPACITY_PROVIDER_STEADY_STATE as informational', () => {
    expect(ignoredReason(parse('ecs-service-action-capacity-provider-steady-state.json'))).toMatch(/informational/);
  });

  it('fires for an unknown ERROR event name instead of dropping it', () => {
    const event = fixture(`${DIR}/ecs-service-action-task-start-impaired.json`);
    event.detail.eventType = 'ERROR';
    event.detail.eventName = 'SERVICE_SOMETHING_NEW_BROKE';
    expect(onlyAlert(parseEventBridgeEvent(event))).toMatchObject({ severity: 'high', class: 'other', fingerprint: `${SERVICETEST}/service-something-new-broke` });
  });

  it('refuses an event whose resources hold no service ARN', () => {
    const event = fixture(`${DIR}/ecs-service-action-task-start-impaired.json`);
    event.resources = [];
    expect(refusal(parseEventBridgeEvent(event))).toMatchObject({ status: 400, reason: expect.stringContaining('no ECS service ARN') });
  });
});

describe('ECS Deployment State Change', () => {
  it('fires deployment-failed for SERVICE_DEPLOYMENT_FAILED', () => {
    const alert = onlyAlert(parse('ecs-deployment-failed-circuit-breaker.json'));
    expect(alert).toMatchObject({
      deliveryId: 'ecs-deployment:arn:aws:ecs:us-west-2:111122223333:service/default/servicetest:ecs-svc/123:SERVICE_DEPLOYMENT_FAILED:2020-05-23T11:11:11Z',
      fingerprint: `${SERVICETEST}/deployment-failed`,
      status: 'firing',
      severity: 'high',
      class: 'deployment-failed',
      description: 'ECS deployment circuit breaker: task failed to start.',
      target: { account: '111122223333', region: 'us-west-2', cluster: 'default', service: 'servicetest' },
      labels: { deploymentId: 'ecs-svc/123' },
    });
  });

  it('fires deployment-failed for an IN_PROGRESS rollback', () => {
    const alert = onlyAlert(parse('ecs-deployment-rollback-in-progress.lifeboat-CONSTRUCTED.json'));
    expect(alert).toMatchObject({ status: 'firing', class: 'deployment-failed', fingerprint: `${SERVICETEST}/deployment-failed`, labels: { rollback: 'true' } });
  });

  it('ignores an ordinary IN_PROGRESS deployment', () => {
    expect(ignoredReason(parse('ecs-deployment-in-progress.json'))).toMatch(/not a failure or a completion/);
  });

  it('resolves deployment-failed on SERVICE_DEPLOYMENT_COMPLETED', () => {
    const failed = onlyAlert(parse('ecs-deployment-failed-circuit-breaker.json'));
    const done = onlyAlert(parse('ecs-deployment-completed.json'));
    expect(done).toMatchObject({ status: 'resolved', class: 'deployment-failed', severity: 'info' });
    expect(done.fingerprint).toBe(failed.fingerprint);
    expect(done.deliveryId).not.toBe(failed.deliveryId);
  });
});

describe('ECS Container Instance State Change', () => {
  it('is ignored with a reason', () => {
    expect(ignoredReason(parse('ecs-container-instance-state-change.json'))).toMatch(/container instance changes are not tracked/);
  });
});
