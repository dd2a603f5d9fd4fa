import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import { DAY_MS, type LifecycleImage } from '../../../src/images/lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../../src/images/lifecycle/policy.js';
import { comparePreview, previewSentence } from '../../../src/images/lifecycle-preview.js';
import type { LifecyclePreviewResult } from '../../../src/images/ports.js';
import { runImageScan } from '../../../src/images/scan.js';
import { FakeEcr, FakeEcs } from './support/fakes.js';
import { ACCOUNT, DAY, NOW, addService, dig, ecrImage, ecrRef, scanDeps } from './support/fleet.js';

const text = (name: string) => readFileSync(new URL(`../../fixtures/aws/ecr/lifecycle-policies/${name}`, import.meta.url), 'utf8');
function policy(name: string): LifecyclePolicy {
  const parsed = parseLifecyclePolicy(text(name));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}
const image = (n: number, tags: string[], pushedDaysAgo: number, extra: Partial<LifecycleImage> = {}): LifecycleImage => ({
  digest: dig(n),
  tags,
  pushedAt: NOW - pushedDaysAgo * DAY_MS,
  storageClass: 'standard',
  ...extra,
});
const expire = (n: number, rulePriority: number, tags: string[] = []): LifecyclePreviewResult => ({ digest: dig(n), tags, action: 'expire', rulePriority });

/** The repository of the AWS documentation's multi-rule examples 05/06 (as in lifecycle.test.ts). */
const docRepo = () => [image(0xa, ['beta-1', 'prod-1'], 10), image(0xb, ['beta-2', 'prod-2'], 9), image(0xc, ['beta-3'], 8)];

describe('lifecycle preview cross-check', () => {
  it('agrees with a preview that expires what Lifeboat expects (AWS example 05: only A)', () => {
    const c = comparePreview({ policy: policy('05-multi-rule-example-A-prod-then-beta.json'), images: docRepo(), results: [expire(0xa, 1, ['beta-1', 'prod-1'])], now: NOW, inUse: new Map() });
    expect(c).toMatchObject({ agrees: true, previewCount: 1, onlyPreview: [], onlyLifeboat: [], otherRule: [] });
    expect(previewSentence('web', c)).toBe("ECR's lifecycle preview agrees with Lifeboat's evaluation of repo web (1 image to act on now).");
  });

  it('reports a preview that also expires B — what 06 does — as a disagreement about 05, in-use images first', () => {
    const results = [expire(0xa, 1), expire(0xb, 1, ['beta-2', 'prod-2'])];
    const c = comparePreview({ policy: policy('05-multi-rule-example-A-prod-then-beta.json'), images: docRepo(), results, now: NOW, inUse: new Map([[dig(0xb), ['prod/api']]]) });
    expect(c.agrees).toBe(false);
    expect(c.onlyPreview).toEqual([{ digest: dig(0xb), tags: ['beta-2', 'prod-2'], services: ['prod/api'], preview: 'expire by rule 1' }]);
    expect(previewSentence('web', c)).toMatch(
      /^repo web: ECR's lifecycle preview acts now on 1 image Lifeboat's evaluation keeps: sha256:0{12}\S* \(run by prod\/api\)\. One of the two models is wrong/,
    );
  });

  it('reports what Lifeboat expects but the preview does not list, and another rule for the same image', () => {
    const c = comparePreview({ policy: policy('06-multi-rule-example-B-beta-then-prod.json'), images: docRepo(), results: [expire(0xa, 2)], now: NOW, inUse: new Map() });
    expect(c.onlyLifeboat.map((d) => d.digest)).toEqual([dig(0xb)]);
    expect(c.onlyLifeboat[0]?.lifeboat).toBe('expire by rule 1 from 2026-01-31');
    expect(c.otherRule).toEqual([{ digest: dig(0xa), tags: ['beta-1', 'prod-1'], services: [], preview: 'expire by rule 2', lifeboat: 'expire by rule 1 from 2026-01-31' }]);
  });

  it('does not count a rule that starts to apply within a day either way, nor children a staying index protects', () => {
    // 01: expire prod* older than 14 days. C is 14 days and 6 hours old: due 6 h ago, ECR may not have acted yet.
    const images = [image(1, ['prod-a'], 20), image(2, ['prod-b'], 14.25), image(3, ['prod-c'], 13.9)];
    const c = comparePreview({ policy: policy('01-expire-prod-tagpattern-older-than-14d.json'), images, results: [expire(1, 1), expire(3, 1)], now: NOW, inUse: new Map() });
    expect(c.agrees).toBe(true);

    // 04 keeps one untagged image: the children of the tagged index are untagged but protected while it stays.
    const multi = [image(0x10, ['v1'], 2, { childDigests: [dig(0x11), dig(0x12)] }), image(0x11, [], 2), image(0x12, [], 2), image(0x13, [], 1)];
    const k = comparePreview({ policy: policy('04-keep-one-untagged.json'), images: multi, results: [expire(0x11, 1), expire(0x12, 1)], now: NOW, inUse: new Map() });
    expect(k).toMatchObject({ agrees: true, protectedChildren: [dig(0x11), dig(0x12)] });
    expect(previewSentence('multi', k)).toMatch(/lists 2 per-platform children of an index that stays, which ECR refuses to remove \(ImageReferencedByManifestList\)\.$/);
  });
});

describe('lifecycle preview in a scan', () => {
  /** api runs prod-7 (3 days old) from repo api, whose policy (AWS example 01) expires prod* images after 14 days. */
  function fleet(preview: NonNullable<Parameters<FakeEcr['add']>[2]['preview']>) {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [{ desired: 2, containers: [{ name: 'app', image: ecrRef('api', 'prod-7'), digest: dig(7) }] }]);
    ecr.add(ACCOUNT, 'api', {
      policy: text('01-expire-prod-tagpattern-older-than-14d.json'),
      images: [ecrImage('api', dig(6), ['prod-6'], { pushedAt: NOW - 20 * DAY }), ecrImage('api', dig(7), ['prod-7'], { pushedAt: NOW - 3 * DAY })],
      preview,
    });
    return { ecs, ecr };
  }

  it('polls until the preview completes and records the agreement on the repository', async () => {
    const { ecs, ecr } = fleet({ results: [{ digest: dig(6), tags: ['prod-6'], action: 'expire', rulePriority: 1 }], polls: 2 });
    const report = await runImageScan(scanDeps(ecs, ecr), { lifecyclePreview: true });
    expect(report.repositories[0]?.preview).toEqual({
      status: 'agrees',
      sentence: "ECR's lifecycle preview agrees with Lifeboat's evaluation of repo api (1 image to act on now).",
      previewCount: 1,
    });
    expect(report.notes).toBeUndefined();
    expect(report.calls['ecr:StartLifecyclePolicyPreview']?.calls).toBe(1);
    expect(report.calls['ecr:GetLifecyclePolicyPreview']?.calls).toBe(3);
  });

  it('adds a note, not a failure, when the preview would take the image a service runs', async () => {
    const { ecs, ecr } = fleet({ results: [{ digest: dig(6), tags: ['prod-6'], action: 'expire', rulePriority: 1 }, { digest: dig(7), tags: ['prod-7'], action: 'expire', rulePriority: 1 }] });
    const report = await runImageScan(scanDeps(ecs, ecr), { lifecyclePreview: { pollIntervalMs: 1000 } });
    expect(report.totals).toMatchObject({ available: 1, missing: 0 });
    expect(report.repositories[0]?.preview).toMatchObject({ status: 'disagrees', differences: [{ digest: dig(7), services: ['prod/api'], preview: 'expire by rule 1' }] });
    expect(report.notes).toEqual([{ kind: 'lifecycle-preview', repository: 'api', services: ['prod/api'], sentence: expect.stringMatching(/^repo api: ECR's lifecycle preview acts now on 1 image/) }]);
  });

  it('says why it could not compare: a timeout, another policy being previewed, access denied', async () => {
    const slow = fleet({ results: [], polls: 1000 });
    const timedOut = await runImageScan(scanDeps(slow.ecs, slow.ecr), { lifecyclePreview: { timeoutMs: 20_000 } });
    expect(timedOut.repositories[0]?.preview).toEqual({ status: 'unavailable', sentence: "ECR's lifecycle preview of repo api could not be compared: ECR did not finish the preview in time." });
    expect(timedOut.calls['ecr:GetLifecyclePolicyPreview']?.calls).toBe(4);

    const other = fleet({ results: [], runningText: text('04-keep-one-untagged.json') });
    const busy = await runImageScan(scanDeps(other.ecs, other.ecr), { lifecyclePreview: true });
    expect(busy.repositories[0]?.preview?.sentence).toMatch(/a preview of another policy text was already running/);

    const denied = fleet({ results: [] });
    denied.ecr.fail('startLifecyclePolicyPreview', new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecr:StartLifecyclePolicyPreview on arn:aws:ecr:us-east-1:123456789012:repository/api.'));
    const refused = await runImageScan(scanDeps(denied.ecs, denied.ecr), { lifecyclePreview: true });
    expect(refused.repositories[0]?.preview?.status).toBe('unavailable');
    expect(refused.totals.available).toBe(1);
  });

  it('costs nothing when it is off', async () => {
    const { ecs, ecr } = fleet({ results: [] });
    const report = await runImageScan(scanDeps(ecs, ecr));
    expect(report.repositories[0]?.preview).toBeUndefined();
    expect(ecr.count('startLifecyclePolicyPreview')).toBe(0);
  });
});
