import { describe, expect, it } from 'vitest';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { drillScanDeps } from '../../../src/adapters/drill/port-set.js';
import { DrillScopedCache } from '../../../src/adapters/drill/ports.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { createCheckImagesJob } from '../../../src/images/check-images-job.js';
import { runImageScan } from '../../../src/images/scan.js';
import { messageText } from '../../support/fakes.js';
import { jobContext } from './recovery-support.js';
import { RecordingSink, T0, clockAt } from './support.js';

const HOUR = 3_600_000;

function drillOf(id: string, deny?: string[]) {
  return createDrill(id, { clock: clockAt(), sink: new RecordingSink(), ...(deny ? { deny } : {}) });
}

describe('image scan over the drill account', () => {
  it('finds the pinned digest prod/api lost in ecr-lifecycle-expiry — already before any task fails', async () => {
    const drill = drillOf('ecr-lifecycle-expiry');
    const cause = drill.faults.find((f) => f.kind === 'cause')!;
    const impact = drill.faults.find((f) => f.kind === 'impact')!;
    await drill.advanceTo(cause.at + 60_000);
    expect(drill.clock.now()).toBeLessThan(impact.at);

    const report = await runImageScan(drillScanDeps(drill.ports, drill.clock));
    const api = report.services.find((s) => s.service === 'api');
    const pinned = drill.account.ecs.service('prod', 'api').deployments[0]!.pinned.get('app')!;
    expect(api).toMatchObject({ account: '000000000000', region: 'us-east-1', cluster: 'prod', status: 'missing', desiredCount: 3, runningCount: 3 });
    expect(api?.findings[0]?.sentence).toContain(`pinned digest ${pinned.slice(0, 19)}… is gone from repo api`);
    expect(api?.findings[0]?.next).toBe('rebuild api:v42');
    expect(report.services.find((s) => s.service === 'web')?.status).toBe('ok');
    expect(report.problems).toEqual([]);
  });

  it('flags the image as at risk before the lifecycle rule expires it', async () => {
    const drill = drillOf('ecr-lifecycle-expiry');
    const report = await runImageScan(drillScanDeps(drill.ports, drill.clock));
    const api = report.images.find((i) => i.repository === 'api');
    expect(api).toMatchObject({ status: 'available', exposure: { rulePriority: 1, action: 'expire', atRisk: true } });
  });

  it('finds the missing linux/amd64 child of the GHCR index in ghcr-multiarch-children', async () => {
    const drill = drillOf('ghcr-multiarch-children');
    await drill.advanceTo(drill.faults.find((f) => f.kind === 'cause')!.at + 60_000);
    const report = await runImageScan(drillScanDeps(drill.ports, drill.clock));
    const web = report.images.find((i) => i.host === 'ghcr.io');
    expect(web).toMatchObject({ registry: 'ghcr', repository: 'lifeboat-drill/web', tag: '1.8.0', platform: 'linux/amd64', status: 'missing' });
    expect(`${web?.detail} ${web?.reason ?? ''}`).toMatch(/linux\/amd64/);
    expect(report.services.find((s) => s.service === 'web')?.status).toBe('missing');
  });

  it('runs ECR’s lifecycle preview on the simulated repository, and it agrees with Lifeboat’s evaluation', async () => {
    const drill = drillOf('ecr-lifecycle-expiry');
    // v42 turned 7 days old an hour ago; the daily run has not come yet.
    await drill.advance(2.5 * HOUR);
    const report = await runImageScan(drillScanDeps(drill.ports, drill.clock), { lifecyclePreview: true });
    expect(report.repositories.find((r) => r.repository === 'api')?.preview).toMatchObject({ status: 'agrees', previewCount: 1 });
  });

  it('warns that the GHCR children are untagged before the cleanup deletes them', async () => {
    const drill = drillOf('ghcr-multiarch-children');
    const report = await runImageScan(drillScanDeps(drill.ports, drill.clock));
    expect(report.notes).toEqual([expect.objectContaining({ kind: 'registry-children-untagged', repository: 'ghcr.io/lifeboat-drill/web', services: ['prod/web'] })]);
  });

  it('runs as the check-images job and answers the card', async () => {
    const drill = drillOf('arm-builds-exhaust-retention');
    await drill.runUntilDetected();
    const job = createCheckImagesJob(drillScanDeps(drill.ports, drill.clock));
    const card = await job({ target: 'prod/hooks-worker' }, jobContext());
    expect(card.tone).toBe('danger');
    expect(messageText(card)).toContain('prod/hooks-worker — missing');
    expect(messageText(card)).toContain('Next: rebuild team/hooks-worker:main');
  });
});

describe('drill ports keep the SDK adapters’ contract', () => {
  it('describes at most 10 services a call and reports missing ones as MISSING failures', async () => {
    const drill = drillOf('alert-storm');
    const ecs = drill.ports.ecsReader;
    const arns = (await ecs.listServices('prod')).items;
    expect(arns).toHaveLength(6);
    const got = await ecs.describeServices('prod', ['api', 'nope']);
    expect(got.services.map((s) => s.name)).toEqual(['api']);
    expect(got.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/prod/nope', reason: 'MISSING' }]);
    await expect(ecs.describeServices('prod', Array.from({ length: 11 }, (_, i) => `s${i}`))).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: false });
    await expect(ecs.listServices('staging')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Cluster staging in account 000000000000 us-east-1 does not exist.' });
  });

  it('answers ECR like the SDK adapter: per-id failures, a missing repository, another registry denied', async () => {
    const drill = drillOf('ecr-lifecycle-expiry');
    const ecr = drill.ports.ecrReader;
    const got = await ecr.describeImages('000000000000', 'api', [{ tag: 'v42' }, { tag: 'v41' }]);
    expect(got.images.map((i) => i.tags)).toEqual([['v42']]);
    expect(got.failures).toEqual([{ id: { tag: 'v41' }, code: 'ImageNotFound', reason: 'Requested image not found' }]);
    await expect(ecr.listImages('000000000000', 'nope')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Repository nope in registry 000000000000 (us-east-1) does not exist.' });
    await expect(ecr.listImages('111122223333', 'api')).rejects.toBeInstanceOf(LifeboatError);
    await expect(ecr.listImages('111122223333', 'api')).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    expect(await ecr.getLifecyclePolicy('000000000000', 'api')).toMatchObject({ text: expect.stringContaining('sinceImagePushed') });
  });

  it('pages listings: ECR 1,000 images a page', async () => {
    const drill = drillOf('alert-storm');
    const repo = drill.account.ecr.repositories.get('api')!;
    for (let i = 0; i < 1_000; i++) drill.account.ecr.push('api', { platforms: [{ os: 'linux', architecture: 'amd64' }], index: false, seed: `bulk-${i}` }, { pushedAt: T0 - HOUR });
    expect(repo.images.size).toBe(1_060);
    const first = await drill.ports.ecrReader.listImages('000000000000', 'api');
    expect(first.items).toHaveLength(1_000);
    const second = await drill.ports.ecrReader.listImages('000000000000', 'api', first.nextToken);
    expect(second.items).toHaveLength(60);
    expect(second.nextToken).toBeUndefined();
  });

  it('never reaches a real registry: any host but the simulated ghcr.io is an error result', async () => {
    const drill = drillOf('ghcr-multiarch-children');
    expect(await drill.ports.registry.headManifest({ host: 'registry-1.docker.io', repository: 'library/nginx', reference: 'latest' })).toMatchObject({ kind: 'error' });
    expect(await drill.ports.registry.headManifest({ host: 'ghcr.io', repository: 'lifeboat-drill/nope', reference: 'latest' })).toEqual({ kind: 'not-found', code: 'NAME_UNKNOWN' });
    expect(await drill.ports.registry.headManifest({ host: 'ghcr.io', repository: 'lifeboat-drill/web', reference: '1.8.0' })).toMatchObject({ kind: 'found', mediaType: 'application/vnd.oci.image.index.v1+json' });
  });

  it('simulates a permission Lifeboat lacks, worded like the AWS adapter', async () => {
    const drill = drillOf('arm-builds-exhaust-retention', ['cloudwatch:GetMetricData', 'ecs:UpdateService']);
    await drill.advance(5 * 60_000);
    const backlog = await drill.ports.queues.approximateBacklog('hooks-queue');
    expect(backlog).toMatchObject({ queue: 'hooks-queue', url: 'https://sqs.us-east-1.amazonaws.com/000000000000/hooks-queue', ageUnavailable: 'Lifeboat is not allowed cloudwatch:GetMetricData' });
    await expect(drill.ports.ecs.updateService({ cluster: 'prod', service: 'hooks-worker', forceNewDeployment: true })).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: "Lifeboat is not allowed ecs:UpdateService on arn:aws:ecs:us-east-1:000000000000:service/prod/hooks-worker; add it to Lifeboat's read-only IAM policy (deploy/iam).",
    });
    await expect(drill.ports.queues.approximateBacklog('nope')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
  });

  it('reports recovery state: deployments with rollout, failed tasks, events; scalable targets', async () => {
    const drill = drillOf('arm-builds-exhaust-retention');
    await drill.runUntilDetected();
    await drill.advance(10 * 60_000);
    const state = await drill.ports.ecs.describeService('prod', 'hooks-worker');
    expect(state).toMatchObject({ desiredCount: 1, runningCount: 0, deploymentController: 'ECS', circuitBreaker: { enable: true, rollback: true } });
    expect(state.events[0]?.message).toMatch(/^\(service hooks-worker\) /);
    const stopped = await drill.ports.ecs.listServiceTasks('prod', 'hooks-worker', 'STOPPED');
    const [task] = await drill.ports.ecs.describeTasks('prod', stopped.slice(0, 1));
    expect(task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError: /) });
    expect(await drill.ports.scaling.describeScalableTarget('prod', 'hooks-worker')).toMatchObject({ resourceId: 'service/prod/hooks-worker', minCapacity: 1, maxCapacity: 2 });
    expect(await drill.ports.scaling.describeScalableTarget('prod', 'nope')).toBeUndefined();
    await expect(drill.ports.ecs.describeService('prod', 'nope')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
  });

  it('scopes shared caches to the drill running now', async () => {
    let generation = 1;
    const cache = new DrillScopedCache(new MemoryCache<string>(), () => generation);
    await cache.set('arn:aws:ecs:us-east-1:000000000000:task-definition/api:1', 'first drill');
    generation = 2;
    expect(await cache.get('arn:aws:ecs:us-east-1:000000000000:task-definition/api:1')).toBeUndefined();
  });
});
