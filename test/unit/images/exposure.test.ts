import { describe, expect, it } from 'vitest';
import { assessExposure, type ExposureImage } from '../../../src/images/exposure.js';
import { DAY_MS } from '../../../src/images/lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../../src/images/lifecycle/policy.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const dig = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const img = (n: number, tags: string[], pushedDaysAgo: number, extra: Partial<ExposureImage> = {}): ExposureImage => ({
  digest: dig(n),
  tags,
  pushedAt: NOW - pushedDaysAgo * DAY_MS,
  storageClass: 'standard',
  isIndex: false,
  ...extra,
});

function policy(rules: object[]): LifecyclePolicy {
  const parsed = parseLifecyclePolicy(JSON.stringify({ rules }));
  if (!parsed.ok) throw new Error(parsed.errors.join());
  return parsed.policy;
}

const untaggedSevenDays = policy([
  { rulePriority: 1, description: 'clean untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } },
]);

describe('lifecycle exposure of in-use images', () => {
  it('says when a pinned image whose tag moved on will be expired by an untagged rule', () => {
    // The service pinned dig(1) when it was v41; v41 then moved to dig(2), leaving dig(1) untagged.
    const report = assessExposure({
      repository: 'web',
      policy: untaggedSevenDays,
      images: [img(1, [], 6), img(2, ['v41'], 1)],
      inUse: [{ digest: dig(1), services: ['prod/api'], role: 'image' }],
      now: NOW,
    });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ digest: dig(1), atRisk: true, withinDays: 2 });
    expect(report.findings[0]?.sentence).toBe('expires in ≤ 2 days by rule 1: sinceImagePushed 7 days');
  });

  it('reports an overdue image as going within 24 h, and a far one as not at risk', () => {
    const report = assessExposure({
      repository: 'web',
      policy: untaggedSevenDays,
      images: [img(1, [], 30), img(2, [], 0)],
      inUse: [
        { digest: dig(1), services: ['prod/api'], role: 'image' },
        { digest: dig(2), services: ['prod/worker'], role: 'image' },
      ],
      now: NOW,
      horizonMs: 3 * DAY_MS,
    });
    expect(report.findings.map((f) => [f.digest, f.atRisk, f.sentence])).toEqual([
      [dig(1), true, 'expires within 24 h by rule 1: sinceImagePushed 7 days'],
      [dig(2), false, 'expires in ≤ 8 days by rule 1: sinceImagePushed 7 days'],
    ]);
  });

  it('flags untagged-expiry rules on repositories with multi-arch images, without flagging protected children as hits', () => {
    const report = assessExposure({
      repository: 'web',
      policy: untaggedSevenDays,
      images: [img(10, ['prod'], 30, { isIndex: true, childDigests: [dig(11), dig(12)] }), img(11, [], 30), img(12, [], 30)],
      inUse: [
        { digest: dig(10), services: ['prod/api'], role: 'image' },
        { digest: dig(11), services: ['prod/api'], role: 'platform-child' },
      ],
      now: NOW,
    });
    expect(report.findings).toEqual([]);
    expect(report.traps).toHaveLength(1);
    expect(report.traps[0]).toMatchObject({ kind: 'untagged-rule-multi-arch', rulePriority: 1, services: ['prod/api'] });
    expect(report.traps[0]?.sentence).toMatch(/ImageReferencedByManifestList/);
  });

  it('flags a count rule a burst of builds can exhaust', () => {
    const keep30 = policy([{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, action: { type: 'expire' } }]);
    // 30 images, one a day; the service runs the 27th newest.
    const images = Array.from({ length: 30 }, (_, i) => img(100 + i, [`b${i}`], i));
    const report = assessExposure({
      repository: 'web',
      policy: keep30,
      images,
      inUse: [{ digest: dig(126), services: ['prod/api'], role: 'image' }],
      now: NOW,
    });
    expect(report.findings).toEqual([]);
    expect(report.traps).toEqual([
      expect.objectContaining({ kind: 'count-burst', rulePriority: 1, digest: dig(126) }),
    ]);
    expect(report.traps[0]?.sentence).toMatch(/number 27, so 4 more pushes expire it/);
  });

  it('flags a rule that takes the only image a service can run', () => {
    const any30 = policy([{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, action: { type: 'expire' } }]);
    const report = assessExposure({
      repository: 'web',
      policy: any30,
      images: [img(1, ['v1'], 29), img(2, [], 40)],
      inUse: [{ digest: dig(1), services: ['prod/api'], role: 'image' }],
      now: NOW,
    });
    expect(report.findings[0]?.sentence).toBe('expires in ≤ 2 days by rule 1: sinceImagePushed 30 days');
    expect(report.traps.map((t) => t.kind)).toEqual(['takes-only-image']);
    // With a newer tagged image to redeploy to, the same hit is not that trap.
    const safer = assessExposure({
      repository: 'web',
      policy: any30,
      images: [img(1, ['v1'], 29), img(3, ['v2'], 1)],
      inUse: [{ digest: dig(1), services: ['prod/api'], role: 'image' }],
      now: NOW,
    });
    expect(safer.traps).toEqual([]);
  });

  it('describes archive transitions as unpullable until restored', () => {
    const archive = policy([
      { rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, action: { type: 'transition', targetStorageClass: 'archive' } },
    ]);
    const report = assessExposure({
      repository: 'web',
      policy: archive,
      images: [img(1, ['v1'], 200, { lastPulledAt: NOW - 89 * DAY_MS })],
      inUse: [{ digest: dig(1), services: ['batch/nightly'], role: 'image' }],
      now: NOW,
    });
    expect(report.findings[0]?.sentence).toBe('is archived (cannot be pulled until restored) in ≤ 2 days by rule 1: sinceImagePulled 90 days');
  });
});
