import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { classifyImage } from '../../../src/images/availability.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { CallBudget } from '../../../src/images/call-budget.js';
import { gatherEcrRepository, type EcrRepositoryRequest } from '../../../src/images/ecr-gather.js';
import { parseImageReference } from '../../../src/images/image-reference.js';
import { DEFAULT_PLATFORM } from '../../../src/images/platform.js';
import type { EcrImageFailure, EcrImageId } from '../../../src/images/ports.js';
import { FakeEcr } from './support/fakes.js';
import { ACCOUNT, dig, ecrImage, ecrRef } from './support/fleet.js';

function budget() {
  const clock = new ManualClock(0);
  return new CallBudget({
    ratePerSecond: 1000,
    burst: 1000,
    maxInFlight: 10,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 1,
    clock,
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  });
}

function request(digests: string[], tags: string[] = []): EcrRepositoryRequest {
  return { registryId: ACCOUNT, region: 'us-east-1', repository: 'web', digests: new Set(digests), tags: new Set(tags), platforms: [DEFAULT_PLATFORM] };
}

function use(image: string, pinnedDigest?: string) {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return { ref: parsed.ref, platform: DEFAULT_PLATFORM, ...(pinnedDigest ? { pinnedDigest } : {}) };
}

describe('gathering an ECR repository', () => {
  it('treats only ImageNotFound as absent; any other per-image failure is unknown', async () => {
    const ecr = new FakeEcr().add(ACCOUNT, 'web', { images: [] });
    const failures: Record<string, string> = { [dig(1)]: 'ImageNotFound', [dig(2)]: 'ImageTagDoesNotMatchDigest', [dig(3)]: 'KmsError', [dig(4)]: 'UpstreamUnavailable' };
    ecr.describeImages = (_r: string, _p: string, ids: readonly EcrImageId[]) =>
      Promise.resolve({ images: [], failures: ids.map((id): EcrImageFailure => ({ id, code: failures[id.digest ?? ''] ?? 'ImageNotFound' })) });
    const result = await gatherEcrRepository(request([dig(1), dig(2), dig(3), dig(4)]), { ecr, budget: budget(), manifests: new MemoryCache() });
    expect(classifyImage(use(ecrRef('web', 'v1'), dig(1)), result.snapshot).status).toBe('missing');
    for (const d of [dig(2), dig(3), dig(4)]) {
      const availability = classifyImage(use(ecrRef('web', 'v1'), d), result.snapshot);
      expect(availability.status).toBe('unknown');
      expect(availability.detail).toMatch(/ECR answered (ImageTagDoesNotMatchDigest|KmsError|UpstreamUnavailable)/);
    }
  });

  it('sends at most 100 ids a call', async () => {
    const digests = Array.from({ length: 230 }, (_, i) => dig(i + 1));
    const ecr = new FakeEcr().add(ACCOUNT, 'web', { images: digests.map((d) => ecrImage('web', d, [])) });
    await gatherEcrRepository(request(digests), { ecr, budget: budget(), manifests: new MemoryCache() });
    expect(ecr.calls.filter((c) => c.method === 'describeImages').map((c) => (c.args[2] as unknown[]).length)).toEqual([100, 100, 30]);
  });

  it('knows a repository that does not exist', async () => {
    const ecr = new FakeEcr();
    const result = await gatherEcrRepository(request([dig(1)]), { ecr, budget: budget(), manifests: new MemoryCache() });
    expect(classifyImage(use(ecrRef('web', 'v1'), dig(1)), result.snapshot)).toMatchObject({ status: 'missing', reason: 'repository-not-found' });
    expect(ecr.count('describeImages')).toBe(0);
  });

  it('falls back to ids when the listing is denied but DescribeImages by id is allowed', async () => {
    const ecr = new FakeEcr()
      .add(ACCOUNT, 'web', { policy: JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } }] }), images: [ecrImage('web', dig(1), ['v1'])] })
      .fail('listImages', new LifeboatError('AWS_ACCESS_DENIED', 'no listing'));
    const result = await gatherEcrRepository(request([dig(1)], ['v1']), { ecr, budget: budget(), manifests: new MemoryCache() });
    expect(result.listed).toBe(false);
    expect(classifyImage(use(ecrRef('web', 'v1'), dig(1)), result.snapshot).status).toBe('available');
  });

  it('keeps availability when only the lifecycle policy is unreadable', async () => {
    const ecr = new FakeEcr().add(ACCOUNT, 'web', { images: [ecrImage('web', dig(1), ['v1'])] }).fail('getLifecyclePolicy', new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecr:GetLifecyclePolicy.'));
    const result = await gatherEcrRepository(request([dig(1)]), { ecr, budget: budget(), manifests: new MemoryCache() });
    expect(result.policy).toEqual({ kind: 'unknown', detail: 'Lifeboat is not allowed ecr:GetLifecyclePolicy.' });
    expect(classifyImage(use(ecrRef('web', 'v1'), dig(1)), result.snapshot).status).toBe('available');
  });
});
