import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { runImageScan } from '../../../src/images/scan.js';
import { FakeEcr, FakeEcs, FakeRegistry } from './support/fakes.js';
import { ACCOUNT, DAY, NOW, addService, dig, ecrImage, ecrRef, scanDeps } from './support/fleet.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const buildkitIndex = readFileSync(new URL('../../fixtures/aws/oci/buildkit-attestation-image-index.example.json', import.meta.url), 'utf8');
const AMD64_CHILD = 'sha256:23678f31b3b3586c4fb318aecfe64a96a1f0916ba8faf9b2be2abee63fa9e827';
const ATTESTATION = 'sha256:02cb9aa7600e73fcf41ee9f0f19cc03122b2d8be43d41ce4b21335118f5dd943';
const untagged7Days = JSON.stringify({
  rules: [{ rulePriority: 1, description: 'clean untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
});

/** The incident fleet: one healthy service and one of each way an image goes missing or at risk. */
function incidentFleet() {
  const ecs = new FakeEcs();
  const ecr = new FakeEcr();
  addService(ecs, 'prod', 'api', [{ desired: 4, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] }]);
  ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['v42'])] }); // v42 re-pushed; dig(1) deleted

  addService(ecs, 'prod', 'web', [{ desired: 2, containers: [{ name: 'app', image: ecrRef('web', 'v7'), digest: dig(3) }] }]);
  ecr.add(ACCOUNT, 'web', {
    policy: untagged7Days,
    // v7 moved on to dig(4); the pinned dig(3) is now untagged and 6 days old.
    images: [ecrImage('web', dig(3), [], { pushedAt: NOW - 6 * DAY }), ecrImage('web', dig(4), ['v7'], { pushedAt: NOW - DAY })],
  });

  addService(ecs, 'prod', 'arm', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('arm', 'v1'), digest: dig(5) }] }]);
  ecr.add(ACCOUNT, 'arm', {
    images: [ecrImage('arm', dig(5), ['v1'], { mediaType: OCI_INDEX }), ecrImage('arm', AMD64_CHILD, []), ecrImage('arm', ATTESTATION, [])],
    manifests: { [dig(5)]: buildkitIndex.replace('"architecture": "amd64"', '"architecture": "arm64"') },
  });

  addService(ecs, 'prod', 'batch', [{ desired: 1, containers: [{ name: 'job', image: ecrRef('batch', 'nightly'), digest: dig(6) }] }]);
  ecr.add(ACCOUNT, 'batch', { images: [ecrImage('batch', dig(6), ['nightly'], { status: 'ARCHIVED', lastArchivedAt: NOW - 5 * DAY })] });

  addService(ecs, 'prod', 'shared', [{ desired: 3, containers: [{ name: 'app', image: ecrRef('base', 'v1', '999999999999'), digest: dig(7) }] }]);

  addService(ecs, 'prod', 'proxy', [
    {
      desired: 2,
      containers: [
        { name: 'nginx', image: 'nginx:1.27', digest: dig(8) },
        { name: 'app', image: ecrRef('proxy', 'v3'), digest: dig(9) },
      ],
    },
  ]);
  ecr.add(ACCOUNT, 'proxy', { images: [ecrImage('proxy', dig(9), ['v3'])] });
  return { ecs, ecr };
}

function crossAccountDenied(ecr: FakeEcr) {
  return (registryId: string) =>
    registryId === '999999999999'
      ? {
          ...ecr,
          describeImages: () => Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecr:DescribeImages on arn:aws:ecr:us-east-1:999999999999:repository/base.')),
          listImages: () => Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'denied')),
          getManifests: () => Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'denied')),
          getLifecyclePolicy: () => Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecr:GetLifecyclePolicy on arn:aws:ecr:us-east-1:999999999999:repository/base.')),
        }
      : ecr;
}

describe('image scan', () => {
  it('reports each way a service can lose its image, with the sentence and the next command', async () => {
    const { ecs, ecr } = incidentFleet();
    const report = await runImageScan(scanDeps(ecs, ecr, { ecrFor: crossAccountDenied(ecr) }));

    expect(report.totals).toEqual({ services: 6, images: 7, available: 2, missing: 3, atRisk: 1, unknown: 1, unchecked: 1 });
    const byName = Object.fromEntries(report.services.map((s) => [s.service, s]));

    expect(byName.api?.status).toBe('missing');
    expect(byName.api?.findings[0]).toMatchObject({
      severity: 'missing',
      sentence: `the next scale-out, replacement or retirement of api (4 tasks) will fail: pinned digest ${dig(1).slice(0, 19)}… is gone from repo api`,
      next: 'redeploy prod/api',
    });

    expect(byName.web?.status).toBe('at-risk');
    expect(byName.web?.findings[0]?.sentence).toBe(`${dig(3).slice(0, 19)}… in repo web, which web runs, expires in ≤ 2 days by rule 1: sinceImagePushed 7 days`);
    expect(byName.web?.findings[0]?.next).toBe('redeploy prod/web');

    expect(byName.arm?.findings[0]).toMatchObject({ severity: 'missing', next: 'rebuild arm:v1' });
    expect(byName.arm?.findings[0]?.sentence).toMatch(/has no linux\/amd64 image \(it offers linux\/arm64\)/);

    expect(byName.batch?.findings[0]).toMatchObject({ severity: 'missing', next: `restore batch@${dig(6)}` });
    expect(byName.batch?.findings[0]?.sentence).toMatch(/is archived in repo batch and cannot be pulled until restored/);

    expect(byName.shared?.findings[0]).toMatchObject({ severity: 'unknown' });
    expect(byName.shared?.findings[0]?.sentence).toMatch(/ecr:DescribeImages on arn:aws:ecr:us-east-1:999999999999:repository\/base/);

    expect(byName.proxy?.status).toBe('unchecked');
    expect(byName.proxy?.findings.map((f) => f.severity)).toEqual(['unchecked']);

    // The worst first.
    expect(report.services.map((s) => s.status)).toEqual(['missing', 'missing', 'missing', 'at-risk', 'unknown', 'unchecked']);
    expect(report.repositories.find((r) => r.repository === 'base')?.policy).toMatch(/^unknown: Lifeboat is not allowed ecr:GetLifecyclePolicy/);
  });

  it('is JSON-serialisable as it is', async () => {
    const { ecs, ecr } = incidentFleet();
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('suggests a rebuild when the pinned digest and its tag are both gone', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] }]);
    ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['v43'])] });
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.services[0]?.findings[0]).toMatchObject({ severity: 'missing', next: 'rebuild api:v42' });
    expect(report.services[0]?.findings[0]?.sentence).toMatch(/api \(1 task\) will fail/);
  });

  it('checks every deployment that can start tasks, PRIMARY and ACTIVE', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [
      { desired: 4, containers: [{ name: 'app', image: ecrRef('api', 'v43'), digest: dig(2) }] },
      { desired: 2, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] },
    ]);
    ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['v43'])] });
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.services[0]?.findings).toEqual([
      expect.objectContaining({ severity: 'missing', deployment: 'ACTIVE', sentence: expect.stringContaining("api's ACTIVE deployment (2 tasks)") }),
    ]);
  });

  it('checks the tag, not a digest, when versionConsistency is disabled or the deployment has not resolved one', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [{ containers: [{ name: 'app', image: ecrRef('api', 'latest'), digest: dig(1), versionConsistency: 'disabled' }] }]);
    addService(ecs, 'prod', 'new', [{ containers: [{ name: 'app', image: ecrRef('new', 'v1') }], noRevision: true }]);
    ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['latest'])] });
    ecr.add(ACCOUNT, 'new', { images: [] });
    const report = await runImageScan(scanDeps(ecs, ecr));
    const api = report.images.find((i) => i.repository === 'api');
    expect(api).toMatchObject({ status: 'available', digest: dig(2) });
    expect(report.images.find((i) => i.repository === 'new')).toMatchObject({ status: 'missing', reason: 'tag-not-found' });
  });

  it('finishes the rest when one account is denied, and reports that part as not readable', async () => {
    const { ecs, ecr } = incidentFleet();
    const denied = new FakeEcs().fail('listClusters', new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecs:ListClusters in account 222222222222.'));
    const deps = scanDeps(ecs, ecr);
    deps.targets = [...deps.targets, { account: '222222222222', region: 'eu-west-1', ecs: denied }];
    const report = await runImageScan(deps);
    expect(report.totals.services).toBe(6);
    expect(report.problems).toEqual([
      { account: '222222222222', region: 'eu-west-1', scope: 'clusters', code: 'AWS_ACCESS_DENIED', message: 'Lifeboat is not allowed ecs:ListClusters in account 222222222222.' },
    ]);
  });

  it('retries throttling with backoff, and reports unknown when throttling outlasts the retries', async () => {
    const { ecs, ecr } = incidentFleet();
    ecr.fail('describeImages', (n) => (n <= 2 ? new LifeboatError('AWS_THROTTLED', 'ECR is throttling Lifeboat.') : undefined));
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.images.find((i) => i.repository === 'api')?.status).toBe('missing');
    expect(report.calls['ecr:DescribeImages']?.retries).toBe(2);

    const again = incidentFleet();
    again.ecr.fail('describeImages', new LifeboatError('AWS_THROTTLED', 'ECR is throttling Lifeboat.'));
    const throttled = await runImageScan(scanDeps(again.ecs, again.ecr));
    expect(throttled.images.find((i) => i.repository === 'api')).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/throttling/) });
  });

  it('makes the floor number of calls cold, and far fewer warm', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    // 25 services in one cluster, 3 repositories (one with 150 in-use digests, one multi-arch).
    for (let i = 0; i < 25; i++) {
      const containers = [{ name: 'app', image: ecrRef('big', `b${i}`), digest: dig(1000 + i) }];
      addService(ecs, 'prod', `svc${i}`, [{ desired: 1, containers }]);
    }
    for (let i = 0; i < 150; i++) {
      addService(ecs, 'batch', `job${i}`, [{ desired: 1, containers: [{ name: 'job', image: ecrRef('big', `j${i}`), digest: dig(2000 + i) }] }]);
    }
    addService(ecs, 'prod', 'multi', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('multi', 'v1'), digest: dig(5) }] }]);
    const big = [...Array.from({ length: 25 }, (_, i) => ecrImage('big', dig(1000 + i), [`b${i}`])), ...Array.from({ length: 150 }, (_, i) => ecrImage('big', dig(2000 + i), [`j${i}`]))];
    ecr.add(ACCOUNT, 'big', { images: big });
    ecr.add(ACCOUNT, 'multi', {
      policy: untagged7Days,
      images: [ecrImage('multi', dig(5), ['v1'], { mediaType: OCI_INDEX }), ecrImage('multi', AMD64_CHILD, []), ecrImage('multi', ATTESTATION, [])],
      manifests: { [dig(5)]: buildkitIndex },
    });

    const caches = { taskDefinitions: new MemoryCache<never>(), manifests: new MemoryCache<never>(), revisions: new MemoryCache<never>() };
    const cold = await runImageScan(scanDeps(ecs, ecr, caches));
    expect(cold.totals).toMatchObject({ services: 176, missing: 0, unknown: 0, available: 176 });
    // Floor: 1 ListClusters; ceil(26/100)+ceil(150/100) ListServices; ceil(26/10)+ceil(150/10) DescribeServices;
    // ceil(176/20) DescribeServiceRevisions; 176 task definitions; per repository one
    // GetLifecyclePolicy, then ceil(ids/100) DescribeImages (big: 175 digests + 175 tags = 350 ids → 4)
    // or one listing (multi has a policy); one BatchGetImage for the uncached index.
    expect(Object.fromEntries(Object.entries(cold.calls).map(([op, s]) => [op, s.calls]))).toEqual({
      'ecr:BatchGetImage': 1,
      'ecr:DescribeImages': 4 + 1,
      'ecr:GetLifecyclePolicy': 2,
      'ecs:DescribeServiceRevisions': 9,
      'ecs:DescribeServices': 3 + 15,
      'ecs:DescribeTaskDefinition': 176,
      'ecs:ListClusters': 1,
      'ecs:ListServices': 1 + 2,
    });
    expect(ecr.calls.filter((c) => c.method === 'describeImages').every((c) => (c.args[2] as unknown[]).length <= 100)).toBe(true);

    const warm = await runImageScan(scanDeps(ecs, ecr, caches));
    expect(warm.totals).toEqual(cold.totals);
    expect(warm.calls['ecs:DescribeTaskDefinition']).toBeUndefined();
    expect(warm.calls['ecs:DescribeServiceRevisions']).toBeUndefined();
    expect(warm.calls['ecr:BatchGetImage']).toBeUndefined();
  });

  it('does not evaluate exposure from a partial view when the repository cannot be listed', async () => {
    const { ecs, ecr } = incidentFleet();
    ecr.fail('listImages', new LifeboatError('AWS_ACCESS_DENIED', 'no listing'));
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.repositories.find((r) => r.repository === 'web')).toMatchObject({ listed: false, policy: expect.stringMatching(/^unknown: the repository could not be listed/) });
    expect(report.totals.atRisk).toBe(0);
    expect(report.images.find((i) => i.repository === 'web')?.status).toBe('available');
  });

  it('narrows to one cluster or service without listing', async () => {
    const { ecs, ecr } = incidentFleet();
    const report = await runImageScan(scanDeps(ecs, ecr), { scope: { cluster: 'prod', service: 'api' } });
    expect(report.services.map((s) => s.service)).toEqual(['api']);
    expect(ecs.count('listClusters')).toBe(0);
    expect(ecs.count('listServices')).toBe(0);
    const missing = await runImageScan(scanDeps(ecs, ecr), { scope: { cluster: 'prod', service: 'nope' } });
    expect(missing.problems[0]).toMatchObject({ code: 'AWS_NOT_FOUND', message: 'Service nope was not found in cluster prod.' });
  });

  it('checks other registries through the OCI client: a GHCR index whose amd64 child was deleted', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'kas', [{ desired: 2, containers: [{ name: 'kas', image: 'ghcr.io/siemens/kas/kas:2.6', digest: dig(20) }] }]);
    const registry = new FakeRegistry().put('ghcr.io', 'siemens/kas/kas', ['2.6'], { digest: dig(20), mediaType: OCI_INDEX, body: buildkitIndex });
    const report = await runImageScan(scanDeps(ecs, ecr, { registry }));
    expect(report.images[0]).toMatchObject({ status: 'missing', reason: 'platform-child-missing' });
    expect(report.services[0]?.findings[0]?.next).toBe('rebuild siemens/kas/kas:2.6');
    registry.put('ghcr.io', 'siemens/kas/kas', [], { digest: AMD64_CHILD, mediaType: 'application/vnd.oci.image.manifest.v1+json', body: '{}' });
    const healed = await runImageScan(scanDeps(ecs, ecr, { registry }));
    expect(healed.images[0]).toMatchObject({ status: 'available' });
  });

  it('stops when the job is cancelled instead of reporting everything unknown', async () => {
    const { ecs, ecr } = incidentFleet();
    const controller = new AbortController();
    const scan = runImageScan(scanDeps(ecs, ecr), { signal: controller.signal, onProgress: (p) => void (p.phase === 'graph' && controller.abort(new Error('cancelled'))) });
    await expect(scan).rejects.toThrow('cancelled');
  });

  it('reports progress as it goes', async () => {
    const { ecs, ecr } = incidentFleet();
    const phases: string[] = [];
    await runImageScan(scanDeps(ecs, ecr), { onProgress: (p) => void phases.push(`${p.phase} ${p.repositoriesDone}/${p.repositoriesTotal}`) });
    expect(phases[0]).toBe('graph 0/6');
    expect(phases.at(-1)).toBe('done 6/6');
  });
});

