import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DrillAccount } from '../../../src/adapters/drill/account.js';
import type { EventBridgeEventJson } from '../../../src/adapters/drill/events.js';
import { AMD64, ARM64 } from '../../../src/adapters/drill/manifests.js';
import { ecrImage, runningService } from '../../../src/adapters/drill/scenarios/common.js';
import { parseEventBridgeEvent } from '../../../src/intake/index.js';
import type { Alert } from '../../../src/intake/alert.js';
import { T0, clockAt } from './support.js';

const reasons = (JSON.parse(readFileSync(new URL('../../fixtures/intake/ecs/cannotpull-stopped-reasons.json', import.meta.url), 'utf8')) as { reasons: { category: string; text: string }[] }).reasons;
const NOT_FOUND = reasons.find((r) => r.category === 'image_or_tag_not_found' && r.text.endsWith('failed to resolve ref'))!.text;
const PLATFORM = reasons.find((r) => r.category === 'platform_mismatch')!.text;
const MINUTE = 60_000;

/** prod/api, 3 tasks, pinned to api:v42, running for a day. */
function fleet(options: { circuitBreaker?: boolean } = {}) {
  const a = new DrillAccount({ clock: clockAt(), seed: 'ecs-test' });
  a.ecs.createCluster('prod');
  a.ecr.createRepository('api');
  const v42 = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'v42' }, { tag: 'v42', pushedAt: T0 - 86_400_000 });
  runningService(a, { cluster: 'prod', name: 'api', image: ecrImage('api', 'v42'), desiredCount: 3, runningSince: T0 - 86_400_000, circuitBreaker: options.circuitBreaker ?? true });
  a.events.drain();
  return { a, v42 };
}

function delivered(a: DrillAccount): EventBridgeEventJson[] {
  return a.events.drain().flatMap((p) => (p.transport === 'eventbridge' ? [p.event] : []));
}

function alertsOf(events: EventBridgeEventJson[]): Alert[] {
  return events.flatMap((e) => {
    const r = parseEventBridgeEvent(e);
    if (!r.ok) throw new Error(`intake refused a drill event: ${r.error.reason}`);
    return r.alerts;
  });
}

describe('simulated ECS', () => {
  it('fails a replacement task whose pinned digest is gone with the real CannotPullContainerError text', async () => {
    const { a, v42 } = fleet();
    a.ecr.batchDeleteImage('api', [{ digest: v42.digest }]);
    a.events.drain();
    a.ecs.retireTasks('prod', 'api', 1);
    await a.scheduler.advanceTo(T0 + MINUTE);

    const stopped = [...a.ecs.tasks.values()].filter((t) => t.stopCode === 'TaskFailedToStart');
    expect(stopped).toHaveLength(1);
    const reason = stopped[0]!.containers[0]!.reason!;
    expect(reason.startsWith(NOT_FOUND)).toBe(true);
    expect(reason).toContain(`api@${v42.digest}`);

    const events = delivered(a);
    expect(events.map((e) => `${e['detail-type']} ${String(e.detail.lastStatus)} ${String(e.detail.stopCode)}`)).toEqual(['ECS Task State Change STOPPED TaskFailedToStart']);
    expect(alertsOf(events)).toEqual([
      expect.objectContaining({
        class: 'image-pull-failed',
        pullFailure: 'image-not-found',
        fingerprint: 'ecs/000000000000/us-east-1/prod/service:api/image-pull-failed',
        target: expect.objectContaining({ cluster: 'prod', service: 'api', repository: 'api', imageDigest: v42.digest }),
      }),
    ]);
  });

  it('keeps failing after the tag is re-pushed, and heals only with a new deployment that resolves the tag again', async () => {
    const { a, v42 } = fleet();
    a.ecr.batchDeleteImage('api', [{ digest: v42.digest }]);
    a.ecs.retireTasks('prod', 'api', 1);
    await a.scheduler.advanceTo(T0 + 2 * MINUTE);
    const rebuilt = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'v42-rebuild' }, { tag: 'v42' });
    a.events.drain();

    await a.scheduler.advanceTo(T0 + 30 * MINUTE);
    const service = a.ecs.service('prod', 'api');
    expect(a.ecs.runningCount('prod', 'api')).toBe(2);
    expect(service.deployments[0]!.pinned.get('app')).toBe(v42.digest);
    a.events.drain();

    a.ecs.updateService({ cluster: 'prod', service: 'api', forceNewDeployment: true });
    expect(service.deployments.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    expect(service.deployments[0]!.pinned.get('app')).toBe(rebuilt.digest);
    await a.scheduler.advanceTo(T0 + 40 * MINUTE);

    expect(a.ecs.isSteady(service)).toBe(true);
    expect(a.ecs.liveTasks(service).map((t) => t.containers[0]!.imageDigest)).toEqual([rebuilt.digest, rebuilt.digest, rebuilt.digest]);
    const names = delivered(a).map((e) => String(e.detail.eventName ?? e.detail.lastStatus));
    expect(names).toEqual(expect.arrayContaining(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_STEADY_STATE']));
  });

  it('turns the completion and steady-state events into alerts that resolve the service conditions', async () => {
    const { a, v42 } = fleet();
    a.ecr.batchDeleteImage('api', [{ digest: v42.digest }]);
    a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'v42-rebuild' }, { tag: 'v42' });
    a.events.drain();
    a.ecs.updateService({ cluster: 'prod', service: 'api', forceNewDeployment: true });
    await a.scheduler.advanceTo(T0 + 10 * MINUTE);
    const alerts = alertsOf(delivered(a));
    expect(alerts.map((x) => `${x.name} ${x.status}`)).toEqual(['SERVICE_DEPLOYMENT_COMPLETED resolved', 'SERVICE_STEADY_STATE resolved']);
    expect(alerts[1]?.resolvesFingerprints).toContain('ecs/000000000000/us-east-1/prod/service:api/image-pull-failed');
  });

  it('reports SERVICE_TASK_START_IMPAIRED after repeated failures and backs off up to 15 minutes', async () => {
    const { a, v42 } = fleet();
    a.ecr.batchDeleteImage('api', [{ digest: v42.digest }]);
    a.events.drain();
    a.ecs.retireTasks('prod', 'api', 1);
    await a.scheduler.advanceTo(T0 + 4 * 60 * MINUTE);

    const events = delivered(a);
    const impaired = events.filter((e) => e.detail.eventName === 'SERVICE_TASK_START_IMPAIRED');
    expect(impaired).toHaveLength(1);
    expect(alertsOf(impaired)).toEqual([expect.objectContaining({ class: 'task-fails-to-start', severity: 'high', target: expect.objectContaining({ service: 'api' }) })]);
    const failedAt = events.filter((e) => e.detail.stopCode === 'TaskFailedToStart').map((e) => Date.parse(String(e.detail.stoppedAt)));
    const gaps = failedAt.slice(1).map((t, i) => t - failedAt[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(15 * MINUTE + 60_000);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(14 * MINUTE);
    expect(a.ecs.service('prod', 'api').events[0]?.message).toMatch(/^\(service api\) (has started 1 tasks|is unable to consistently start tasks successfully)/);
  });

  it('fails a task whose index has no child for its platform with the real platform-mismatch text', async () => {
    const a = new DrillAccount({ clock: clockAt(), seed: 'ecs-platform' });
    a.ecs.createCluster('prod');
    a.ecr.createRepository('checkout');
    a.ecr.push('checkout', { platforms: [ARM64], attestations: true, seed: 'built-on-a-mac' }, { tag: 'v3' });
    runningService(a, { cluster: 'prod', name: 'checkout', image: ecrImage('checkout', 'v3'), desiredCount: 1, runningSince: T0 - 3_600_000 });
    a.events.drain();
    a.ecs.retireTasks('prod', 'checkout', 1);
    await a.scheduler.advanceTo(T0 + MINUTE);
    const events = delivered(a);
    expect(events[0]?.detail.stoppedReason).toBe(PLATFORM);
    expect(alertsOf(events)[0]).toMatchObject({ class: 'image-pull-failed', pullFailure: 'platform-mismatch' });
  });

  it('trips the circuit breaker on a deployment whose tasks cannot start and rolls back to the last completed one', async () => {
    const { a } = fleet();
    const td = a.ecs.registerTaskDefinition({ family: 'api', containers: [{ name: 'app', image: ecrImage('api', 'v43-typo') }], executionRoleArn: a.iam.roles.get('ecsTaskExecutionRole')!.arn });
    a.ecs.updateService({ cluster: 'prod', service: 'api', taskDefinition: td.arn });
    await a.scheduler.advanceTo(T0 + 15 * MINUTE);

    const service = a.ecs.service('prod', 'api');
    const events = delivered(a).filter((e) => e['detail-type'] === 'ECS Deployment State Change');
    expect(events.map((e) => `${String(e.detail.eventName)}: ${String(e.detail.reason)}`)).toEqual([
      expect.stringMatching(/^SERVICE_DEPLOYMENT_IN_PROGRESS: ECS deployment ecs-svc\/\d+ in progress\.$/),
      'SERVICE_DEPLOYMENT_FAILED: ECS deployment circuit breaker: task failed to start.',
      expect.stringMatching(/^SERVICE_DEPLOYMENT_IN_PROGRESS: ECS deployment circuit breaker: rolling back to deploymentId ecs-svc\/\d+\.$/),
      'SERVICE_DEPLOYMENT_COMPLETED: ' + `ECS deployment ${service.deployments[0]!.id} completed.`,
    ]);
    expect(alertsOf(events).map((x) => `${x.class} ${x.status}`)).toEqual(['deployment-failed firing', 'deployment-failed firing', 'deployment-failed resolved']);
    expect(service.deployments[0]!.taskDefinition).toMatch(/task-definition\/api:1$/);
    expect(a.ecs.isSteady(service)).toBe(true);
  });

  it('scales out when the desired count rises and when an auto scaling minimum is raised', async () => {
    const { a } = fleet();
    a.ecs.updateService({ cluster: 'prod', service: 'api', desiredCount: 5 });
    await a.scheduler.advanceTo(T0 + 5 * MINUTE);
    expect(a.ecs.runningCount('prod', 'api')).toBe(5);
    a.autoscaling.register('service/prod/api', 8, 10);
    await a.scheduler.advanceTo(T0 + 10 * MINUTE);
    expect(a.ecs.service('prod', 'api').desiredCount).toBe(8);
    expect(a.ecs.runningCount('prod', 'api')).toBe(8);
    expect(a.autoscaling.activities).toEqual([expect.objectContaining({ resourceId: 'service/prod/api', from: 5, to: 8 })]);
  });

  it('pulls the tag, not a pinned digest, for containers with versionConsistency disabled', async () => {
    const a = new DrillAccount({ clock: clockAt(), seed: 'ecs-unpinned' });
    a.ecs.createCluster('prod');
    a.ecr.createRepository('web');
    const v1 = a.ecr.push('web', { platforms: [AMD64], index: false, seed: 'w1' }, { tag: 'latest' });
    const role = a.iam.createRole('exec', ['ecr:*', 'logs:*']);
    const td = a.ecs.registerTaskDefinition({ family: 'web', containers: [{ name: 'app', image: ecrImage('web', 'latest'), versionConsistency: 'disabled' }], executionRoleArn: role.arn });
    a.ecs.createService({ cluster: 'prod', name: 'web', taskDefinition: td.arn, desiredCount: 1, runningSince: T0 - 3_600_000 });
    expect(a.ecs.service('prod', 'web').deployments[0]!.pinned.get('app')).toBeUndefined();
    a.ecr.batchDeleteImage('web', [{ digest: v1.digest }]);
    const v2 = a.ecr.push('web', { platforms: [AMD64], index: false, seed: 'w2' }, { tag: 'latest' });
    a.ecs.retireTasks('prod', 'web', 1);
    await a.scheduler.advanceTo(T0 + 5 * MINUTE);
    expect(a.ecs.liveTasks(a.ecs.service('prod', 'web')).map((t) => t.containers[0]!.imageDigest)).toEqual([v2.digest]);
  });

  it('keeps stopped tasks describable for about an hour only', async () => {
    const { a } = fleet();
    const [retired] = a.ecs.retireTasks('prod', 'api', 1);
    await a.scheduler.advanceTo(T0 + 30 * MINUTE);
    expect(a.ecs.tasks.get(retired!.id)?.lastStatus).toBe('STOPPED');
    await a.scheduler.advanceTo(T0 + 62 * MINUTE);
    expect(a.ecs.tasks.has(retired!.id)).toBe(false);
  });
});
