import { describe, expect, it } from 'vitest';
import { DrillAccount } from '../../../src/adapters/drill/account.js';
import { AMD64, ARM64 } from '../../../src/adapters/drill/manifests.js';
import { ecrImage, runningService } from '../../../src/adapters/drill/scenarios/common.js';
import { parseImageIndex } from '../../../src/images/oci-index.js';
import { parseSnsMessage } from '../../../src/intake/index.js';
import { T0, clockAt } from './support.js';

const MINUTE = 60_000;

function withProject() {
  const a = new DrillAccount({ clock: clockAt(), seed: 'cb-test' });
  a.ecr.createRepository('team/hooks-worker');
  const old = a.ecr.push('team/hooks-worker', { platforms: [AMD64, ARM64], attestations: true, seed: 'orig', revision: 'c0ffee' }, { tag: 'main', pushedAt: T0 - 86_400_000 });
  a.codebuild.createProject({
    name: 'hooks-worker-image',
    target: { registry: 'ecr', repository: 'team/hooks-worker', platforms: [AMD64, ARM64], attestations: true },
    tags: [{ key: 'lifeboat:repository', value: 'team/hooks-worker' }],
    environment: [
      { name: 'IMAGE_REPO_NAME', value: 'team/hooks-worker' },
      { name: 'IMAGE_TAG', value: 'main' },
    ],
    refs: { 'v1.2.0': 'c0ffee'.padEnd(40, '0') },
    buildSeconds: 240,
  });
  return { a, old };
}

describe('simulated CodeBuild', () => {
  it('goes through the phases over simulated minutes and pushes a new multi-arch digest with every child', async () => {
    const { a, old } = withProject();
    const build = a.codebuild.startBuild({ projectName: 'hooks-worker-image', sourceVersion: 'v1.2.0' });
    expect(build).toMatchObject({ buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED', buildComplete: false, resolvedSourceVersion: 'c0ffee'.padEnd(40, '0') });

    await a.scheduler.advanceTo(T0 + 3 * MINUTE);
    expect(build.currentPhase).toBe('BUILD');
    expect(build.pushed).toBeUndefined();

    await a.scheduler.advanceTo(T0 + 15 * MINUTE);
    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(build.phases.map((p) => `${p.phaseType}${p.phaseStatus ? ` ${p.phaseStatus}` : ''}`)).toEqual([
      'SUBMITTED SUCCEEDED', 'QUEUED SUCCEEDED', 'PROVISIONING SUCCEEDED', 'DOWNLOAD_SOURCE SUCCEEDED', 'INSTALL SUCCEEDED',
      'PRE_BUILD SUCCEEDED', 'BUILD SUCCEEDED', 'POST_BUILD SUCCEEDED', 'UPLOAD_ARTIFACTS SUCCEEDED', 'FINALIZING SUCCEEDED', 'COMPLETED',
    ]);
    const digest = a.ecr.resolveTag('team/hooks-worker', 'main')!;
    expect(build.pushed).toEqual({ registry: 'ecr', repository: 'team/hooks-worker', tag: 'main', digest });
    expect(digest).not.toBe(old.digest);
    const found = a.ecr.lookup('team/hooks-worker', digest);
    const index = found.kind === 'found' ? parseImageIndex(found.body) : undefined;
    const platforms = index?.ok ? index.index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.attestation ? ' attestation' : ''}`) : [];
    expect(platforms).toEqual(['linux/amd64', 'linux/arm64', 'unknown/unknown attestation', 'unknown/unknown attestation']);
    const child = index?.ok ? index.index.manifests[0]!.digest : '';
    expect(JSON.parse(a.ecr.repositories.get('team/hooks-worker')!.images.get(child)!.config!.body)).toMatchObject({
      architecture: 'amd64',
      config: { Labels: { 'org.opencontainers.image.revision': 'c0ffee'.padEnd(40, '0') } },
    });
  });

  it('fails in the phase it is told to, with the phase context, and pushes nothing', async () => {
    const { a, old } = withProject();
    a.codebuild.failNext('hooks-worker-image', 'BUILD', 'Error while executing command: docker buildx build --platform linux/amd64,linux/arm64 --push . Reason: exit status 1');
    const build = a.codebuild.startBuild({ projectName: 'hooks-worker-image' });
    await a.scheduler.advanceTo(T0 + 20 * MINUTE);
    expect(build.buildStatus).toBe('FAILED');
    expect(build.phases.find((p) => p.phaseType === 'BUILD')).toMatchObject({ phaseStatus: 'FAILED', contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR' }] });
    expect(build.phases.map((p) => p.phaseType)).not.toContain('POST_BUILD');
    expect(a.ecr.resolveTag('team/hooks-worker', 'main')).toBe(old.digest);
  });

  it('fails DOWNLOAD_SOURCE for a ref the repository does not have', async () => {
    const { a } = withProject();
    const build = a.codebuild.startBuild({ projectName: 'hooks-worker-image', sourceVersion: 'no-such-branch' });
    await a.scheduler.advanceTo(T0 + 5 * MINUTE);
    expect(build.buildStatus).toBe('FAILED');
    expect(build.resolvedSourceVersion).toBeUndefined();
    expect(build.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE')?.contexts[0]?.message).toContain('reference not found');
  });

  it('answers a repeated StartBuild with the same idempotency token with the same build for 5 minutes', async () => {
    const { a } = withProject();
    const params = { projectName: 'hooks-worker-image', idempotencyToken: 'job-1', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: 'main' }] };
    const first = a.codebuild.startBuild(params);
    expect(a.codebuild.startBuild(params).id).toBe(first.id);
    expect(() => a.codebuild.startBuild({ ...params, sourceVersion: 'main' })).toThrow(/idempotency token reused/);
    await a.scheduler.advanceTo(T0 + 6 * MINUTE);
    expect(a.codebuild.startBuild(params).id).not.toBe(first.id);
  });
});

describe('simulated SQS and CloudWatch alarms', () => {
  function worker(tasks: number) {
    const a = new DrillAccount({ clock: clockAt(), seed: 'sqs-test' });
    a.ecs.createCluster('prod');
    a.ecr.createRepository('w');
    a.ecr.push('w', { platforms: [AMD64], index: false, seed: 'w' }, { tag: 'v1' });
    runningService(a, { cluster: 'prod', name: 'worker', image: ecrImage('w', 'v1'), desiredCount: tasks, runningSince: T0 - 3_600_000 });
    a.sqs.createQueue('jobs', { producerPerMinute: 18, consumer: { cluster: 'prod', service: 'worker', perTaskPerMinute: 40 }, backlog: 6000 });
    const metrics = a.publishQueueMetrics('jobs');
    a.cloudwatch.putMetricAlarm({ name: 'jobs-backlog', metric: metrics.visible, statistic: 'Maximum', evaluationPeriods: 3, threshold: 1000, comparison: 'GreaterThanThreshold' });
    return a;
  }

  it('drains a backlog at the running tasks’ rate minus what producers add', async () => {
    const a = worker(4);
    await a.scheduler.advanceTo(T0 + 10 * MINUTE);
    // 4 tasks × 40 − 18 = 142 a minute.
    expect(a.sqs.visible('jobs')).toBe(6000 - 10 * 142);
    await a.scheduler.advanceTo(T0 + 60 * MINUTE);
    expect(a.sqs.visible('jobs')).toBe(0);
  });

  it('grows the backlog and the age of the oldest message while no task consumes', async () => {
    const a = worker(1);
    a.ecs.updateService({ cluster: 'prod', service: 'worker', desiredCount: 0 });
    await a.scheduler.advanceTo(T0 + 30 * MINUTE);
    expect(a.sqs.visible('jobs')).toBeGreaterThan(6000 + 25 * 18);
    expect(a.sqs.oldestAgeSeconds('jobs')).toBe(30 * 60);
  });

  it('publishes alarm state changes as SNS notifications that intake reads as queue-backlog alerts', async () => {
    const a = worker(1);
    a.events.drain();
    await a.scheduler.advanceTo(T0 + 5 * MINUTE);
    const payloads = a.events.drain();
    expect(payloads.map((p) => p.transport)).toEqual(['sns']);
    const first = payloads[0]!;
    const body = first.transport === 'sns' ? first.body : undefined;
    expect(body).toMatchObject({ Type: 'Notification', Subject: 'ALARM: "jobs-backlog" in US East (N. Virginia)', SignatureVersion: '1' });
    expect(JSON.parse(body!.Message)).toMatchObject({
      AlarmName: 'jobs-backlog',
      AWSAccountId: '000000000000',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Region: 'US East (N. Virginia)',
      Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Statistic: 'MAXIMUM', Dimensions: [{ value: 'jobs', name: 'QueueName' }], EvaluationPeriods: 3 },
    });
    expect(JSON.parse(body!.Message).NewStateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[\d+\.0 \(01\/01\/26 00:0\d:00\), .*\] were greater than the threshold \(1000\.0\) \(minimum 3 datapoints for OK -> ALARM transition\)\.$/);
    const parsed = parseSnsMessage(JSON.stringify(body));
    expect(parsed.ok && parsed.alerts).toEqual([expect.objectContaining({ class: 'queue-backlog', status: 'firing', target: expect.objectContaining({ queue: 'jobs', account: '000000000000', region: 'us-east-1' }) })]);

    a.ecs.updateService({ cluster: 'prod', service: 'worker', desiredCount: 6 });
    await a.scheduler.advanceTo(T0 + 60 * MINUTE);
    const ok = a.events.drain().flatMap((p) => (p.transport === 'sns' ? [p.body] : []));
    expect(ok.map((b) => b.Subject)).toEqual(['OK: "jobs-backlog" in US East (N. Virginia)']);
    const resolved = parseSnsMessage(JSON.stringify(ok[0]));
    expect(resolved.ok && resolved.alerts[0]?.status).toBe('resolved');
  });
});
