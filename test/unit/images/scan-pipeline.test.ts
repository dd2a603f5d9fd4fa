import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../../src/images/cache.js';
import { runImageScan } from '../../../src/images/scan.js';
import { FakeEcr, FakeEcs } from './support/fakes.js';
import { ACCOUNT, DAY, NOW, addService, dig, ecrImage, ecrRef, scanDeps } from './support/fleet.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const buildkitIndex = readFileSync(new URL('../../fixtures/aws/oci/buildkit-attestation-image-index.example.json', import.meta.url), 'utf8');
const AMD64_CHILD = 'sha256:23678f31b3b3586c4fb318aecfe64a96a1f0916ba8faf9b2be2abee63fa9e827';
const keep30 = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, action: { type: 'expire' } }] });

describe('scan pipeline', () => {
  it('reads lifecycle policies and listings while task definitions are still being described', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    for (let i = 0; i < 30; i++) {
      addService(ecs, 'prod', `svc${i}`, [{ desired: 1, containers: [{ name: 'app', image: ecrRef(`repo${i % 10}`, 'v1'), digest: dig(100 + (i % 10)) }] }]);
    }
    for (let r = 0; r < 10; r++) ecr.add(ACCOUNT, `repo${r}`, { policy: keep30, images: [ecrImage(`repo${r}`, dig(100 + r), ['v1'])] });
    // One log of both fakes' calls, in the order they were made.
    const log: string[] = [];
    const describeTaskDefinition = ecs.describeTaskDefinition.bind(ecs);
    ecs.describeTaskDefinition = (arn) => (log.push('ecs:DescribeTaskDefinition'), describeTaskDefinition(arn));
    const getLifecyclePolicy = ecr.getLifecyclePolicy.bind(ecr);
    ecr.getLifecyclePolicy = (registryId, repository) => (log.push('ecr:GetLifecyclePolicy'), getLifecyclePolicy(registryId, repository));

    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.totals).toMatchObject({ services: 30, available: 10 });
    expect(log.indexOf('ecr:GetLifecyclePolicy')).toBeLessThan(log.lastIndexOf('ecs:DescribeTaskDefinition'));
    // Still the floor: one policy read and one listing per repository.
    expect(report.calls['ecr:GetLifecyclePolicy']?.calls).toBe(10);
    expect(report.calls['ecr:DescribeImages']?.calls).toBe(10);
  });

  it('does not fetch an index again when a tag resolves to one already cached', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    // versionConsistency disabled: tasks pull the tag, so the index comes from the tag, not a pinned digest.
    addService(ecs, 'prod', 'web', [{ desired: 2, containers: [{ name: 'web', image: ecrRef('web', 'v2'), versionConsistency: 'disabled' }] }]);
    ecr.add(ACCOUNT, 'web', {
      images: [ecrImage('web', dig(5), ['v2'], { mediaType: OCI_INDEX, pushedAt: NOW - DAY }), ecrImage('web', AMD64_CHILD, [])],
      manifests: { [dig(5)]: buildkitIndex },
    });
    const caches = { taskDefinitions: new MemoryCache<never>(), manifests: new MemoryCache<never>(), revisions: new MemoryCache<never>() };
    const cold = await runImageScan(scanDeps(ecs, ecr, caches));
    expect(cold.images[0]).toMatchObject({ status: 'available' });
    expect(cold.calls['ecr:BatchGetImage']?.calls).toBe(1);
    const warm = await runImageScan(scanDeps(ecs, ecr, caches));
    expect(warm.images[0]).toMatchObject({ status: 'available' });
    expect(warm.calls['ecr:BatchGetImage']).toBeUndefined();
  });
});
