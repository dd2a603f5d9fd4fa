import { describe, expect, it } from 'vitest';
import type { ImageReport, ScanReport } from '../../../src/images/report.js';
import { checkImagesOutputs } from '../../../src/runbooks/check-images-outputs.js';
import { STEP_OUTPUTS } from '../../../src/runbooks/outputs.js';

const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const missingImage: ImageReport = {
  key: 'k1',
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/hooks-worker:main',
  registry: 'ecr-private',
  repository: 'team/hooks-worker',
  tag: 'main',
  digest,
  platform: 'linux/arm64',
  status: 'missing',
  reason: 'pinned-digest-gone',
  detail: 'pinned digest sha256:0123456789ab… is gone from repo team/hooks-worker',
  services: ['prod/hooks-worker'],
};

function report(next: string | undefined, overrides: Partial<ScanReport> = {}): ScanReport {
  return {
    version: 1,
    startedAt: '2026-01-31T12:00:00.000Z',
    finishedAt: '2026-01-31T12:00:02.500Z',
    scope: { cluster: 'prod', service: 'hooks-worker' },
    totals: { services: 1, images: 1, available: 0, missing: 1, atRisk: 0, unknown: 0, unchecked: 0 },
    services: [
      {
        account: '123456789012',
        region: 'us-east-1',
        cluster: 'prod',
        service: 'hooks-worker',
        desiredCount: 1,
        runningCount: 0,
        status: 'missing',
        findings: [{ severity: 'missing', container: 'worker', deployment: 'PRIMARY', image: missingImage.image, sentence: 'the next scale-out of hooks-worker (1 task) will fail: pinned digest sha256:0123456789ab… is gone from repo team/hooks-worker', ...(next ? { next } : {}) }],
      },
    ],
    images: [missingImage],
    repositories: [],
    traps: [{ kind: 'count-burst', repository: 'team/hooks-worker', rulePriority: 1, services: ['prod/hooks-worker'], sentence: 'keeps only the newest 30 images, which a burst of builds exhausts' }],
    problems: [],
    calls: {},
    ...overrides,
  };
}

describe('check images outputs for runbooks', () => {
  it('say what is missing, why, and that only a rebuild brings it back', () => {
    const outputs = checkImagesOutputs(report('rebuild team/hooks-worker:main'));
    expect(outputs).toEqual({
      healthy: false,
      missing: 1,
      atRisk: 0,
      unknown: 0,
      services: ['prod/hooks-worker'],
      image: missingImage.image,
      digest,
      reason: 'pinned-digest-gone',
      cause: 'prod/hooks-worker: the next scale-out of hooks-worker (1 task) will fail: pinned digest sha256:0123456789ab… is gone from repo team/hooks-worker',
      restore: null,
      rebuild: 'team/hooks-worker:main',
      redeploy: false,
      lifecycleRule: 'team/hooks-worker: rule 1: keeps only the newest 30 images, which a burst of builds exhausts',
      next: ['rebuild team/hooks-worker:main'],
    });
    // Exactly the names of the contract the loader checks runbooks against.
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(STEP_OUTPUTS['check-images'] ?? {}).sort());
  });

  it('offer the exact digest to restore, or a redeploy alone when the tag still works', () => {
    expect(checkImagesOutputs(report(`restore team/hooks-worker@${digest}`))).toMatchObject({ restore: `team/hooks-worker@${digest}`, rebuild: null, redeploy: false });
    expect(checkImagesOutputs(report('redeploy prod/hooks-worker'))).toMatchObject({ restore: null, rebuild: null, redeploy: true });
  });

  it('offer no rebuild for an image outside ECR: its own pipeline rebuilds it', () => {
    const ghcr = 'ghcr.io/acme/web:1.8.0';
    const base = report('rebuild acme/web:1.8.0');
    const outputs = checkImagesOutputs({
      ...base,
      images: [{ ...missingImage, image: ghcr, registry: 'ghcr', host: 'ghcr.io', repository: 'acme/web', tag: '1.8.0', reason: 'platform-child-missing' }],
      services: base.services.map((s) => ({ ...s, findings: s.findings.map((f) => ({ ...f, image: ghcr })) })),
    });
    expect(outputs).toMatchObject({ healthy: false, missing: 1, rebuild: null, restore: null, next: ['rebuild acme/web:1.8.0'] });
  });

  it('name the rule once when the trap sentence already names it', () => {
    const traps = [{ kind: 'count-burst' as const, repository: 'api', rulePriority: 1, services: ['prod/api'], sentence: 'rule 1 takes the only image prod/api can run' }];
    expect(checkImagesOutputs(report('rebuild api:v42', { traps })).lifecycleRule).toBe('api: rule 1 takes the only image prod/api can run');
  });

  it('report healthy with nothing missing and nothing unknown', () => {
    const healthy = checkImagesOutputs(report(undefined, { totals: { services: 1, images: 1, available: 1, missing: 0, atRisk: 0, unknown: 0, unchecked: 0 }, services: [], images: [{ ...missingImage, status: 'available' }], traps: [] }));
    expect(healthy).toMatchObject({ healthy: true, missing: 0, services: [], image: null, cause: null, restore: null, rebuild: null, redeploy: false, lifecycleRule: null, next: [] });
    const unknown = checkImagesOutputs(report(undefined, { totals: { services: 1, images: 1, available: 0, missing: 0, atRisk: 0, unknown: 1, unchecked: 0 }, services: [], images: [] }));
    expect(unknown.healthy).toBe(false);
  });
});
