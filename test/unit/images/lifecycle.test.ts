import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAY_MS, evaluateLifecycle, type LifecycleImage } from '../../../src/images/lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../../src/images/lifecycle/policy.js';
import { matchesPattern } from '../../../src/images/lifecycle/tag-match.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const daysAgo = (d: number) => NOW - d * DAY_MS;
const dig = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/aws/ecr/lifecycle-policies/${name}`, import.meta.url), 'utf8');
}

function policy(name: string): LifecyclePolicy {
  const parsed = parseLifecyclePolicy(fixture(name));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

function image(n: number, tags: string[], pushedDaysAgo: number, extra: Partial<LifecycleImage> = {}): LifecycleImage {
  return { digest: dig(n), tags, pushedAt: daysAgo(pushedDaysAgo), storageClass: 'standard', ...extra };
}

/** Digests a rule acts on by `at` (hit and due), in input order. */
function hitBy(p: LifecyclePolicy, images: LifecycleImage[], at = NOW): string[] {
  const result = evaluateLifecycle(p, images, NOW);
  return images.filter((i) => {
    const hit = result.get(i.digest)?.hit;
    return hit !== undefined && hit.dueAt <= at && hit.blockedByIndexes === undefined;
  }).map((i) => i.digest);
}

describe('lifecycle policy parsing', () => {
  it.each([
    '01-expire-prod-tagpattern-older-than-14d.json',
    '02-archive-not-pulled-90d.json',
    '03-expire-archived-over-365d.json',
    '04-keep-one-untagged.json',
    '05-multi-rule-example-A-prod-then-beta.json',
    '06-multi-rule-example-B-beta-then-prod.json',
    '07-multiple-patterns-in-one-rule-AND.json',
    '10-archive-prod-older-than-30d.json',
  ])('accepts the AWS example %s', (name) => {
    expect(parseLifecyclePolicy(fixture(name)).ok).toBe(true);
  });

  it('understands every field and value of the AWS policy template (00)', () => {
    const template = fixture('00-policy-template.txt');
    const fields = [...template.matchAll(/"(\w+)":/g)].map((m) => m[1]);
    expect(fields).toEqual([
      'rules', 'rulePriority', 'description', 'selection', 'tagStatus', 'tagPatternList', 'tagPrefixList',
      'storageClass', 'countType', 'countUnit', 'countNumber', 'action', 'type', 'targetStorageClass',
    ]);
    const alternatives = (field: string) => {
      const line = template.split('\n').find((l) => l.includes(`"${field}":`)) ?? '';
      return [...line.slice(line.indexOf(':') + 1).matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    };
    // Build a valid rule for every enumerated value the template lists and check it parses.
    for (const countType of alternatives('countType')) {
      const action = countType === 'sinceImagePulled' ? { type: 'transition', targetStorageClass: 'archive' } : { type: 'expire' };
      const storageClass = countType === 'sinceImageTransitioned' ? 'archive' : 'standard';
      const selection: Record<string, unknown> = { tagStatus: 'any', storageClass, countType, countNumber: 3 };
      if (countType !== 'imageCountMoreThan') selection.countUnit = 'days';
      const text = JSON.stringify({ rules: [{ rulePriority: 1, selection, action }] });
      expect(parseLifecyclePolicy(text), `${countType}`).toMatchObject({ ok: true });
    }
    expect(alternatives('tagStatus')).toEqual(['tagged', 'untagged', 'any']);
    expect(alternatives('storageClass')).toEqual(['standard', 'archive']);
    expect(alternatives('type')).toEqual(['expire', 'transition']);
  });

  it('rejects what ECR rejects, listing every problem at once', () => {
    const text = JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, action: { type: 'expire' } },
        { rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 5 }, action: { type: 'expire' } },
        { rulePriority: 3, selection: { tagStatus: 'untagged', tagPrefixList: ['x'], countType: 'sinceImagePushed', countNumber: 5 }, action: { type: 'transition' } },
      ],
    });
    const parsed = parseLifecyclePolicy(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual(
      expect.arrayContaining([
        'rule 1: sinceImagePulled can only transition (archive), never expire',
        'rule 1: tagStatus tagged needs a tagPatternList or tagPrefixList',
        'rule 1: countUnit is not allowed with imageCountMoreThan',
        'rule 3: tag lists are only allowed with tagStatus tagged',
        'rule 3: sinceImagePushed needs countUnit "days"',
        'rule 3: a transition needs targetStorageClass "archive"',
        'rule 1: rulePriority must be unique',
        'rule 1: a tagStatus any rule must have the highest rulePriority',
      ]),
    );
    expect(parseLifecyclePolicy('{"rules": [{"rulePriority": 0}]}').ok).toBe(false);
    expect(parseLifecyclePolicy('not json').ok).toBe(false);
  });

  it('matches wildcards over the whole tag, case-sensitively', () => {
    expect(matchesPattern('prod*', 'prod')).toBe(true);
    expect(matchesPattern('prod*', 'production-team1')).toBe(true);
    expect(matchesPattern('prod*', 'Prod1')).toBe(false);
    expect(matchesPattern('*.temp', 'build.temp')).toBe(true);
    expect(matchesPattern('*.temp', 'buildxtemp')).toBe(false);
    expect(matchesPattern('v*-rc*', 'v1.2-rc3')).toBe(true);
  });
});

describe('lifecycle evaluation against a repository history', () => {
  it('01 expires prod* images 14 days after push, and says when for the younger ones', () => {
    const images = [image(1, ['prod-1'], 20), image(2, ['prod-2'], 3), image(3, ['dev-1'], 30), image(4, [], 40)];
    const result = evaluateLifecycle(policy('01-expire-prod-tagpattern-older-than-14d.json'), images, NOW);
    expect(result.get(dig(1))?.hit).toMatchObject({ rulePriority: 1, action: 'expire', basis: 'sinceImagePushed 14 days', dueAt: daysAgo(6) });
    expect(result.get(dig(2))?.hit?.dueAt).toBe(NOW + 11 * DAY_MS);
    expect(result.get(dig(3))?.hit).toBeUndefined();
    expect(result.get(dig(4))?.hit).toBeUndefined();
  });

  it('02 archives by last pull, falling back to push time, and to restore time after a restore', () => {
    const images = [
      image(1, ['a'], 300, { lastPulledAt: daysAgo(100) }),
      image(2, [], 50),
      image(3, ['c'], 400, { lastPulledAt: daysAgo(200), lastActivatedAt: daysAgo(10) }),
      image(4, ['d'], 400, { storageClass: 'archive', lastArchivedAt: daysAgo(100) }),
    ];
    const result = evaluateLifecycle(policy('02-archive-not-pulled-90d.json'), images, NOW);
    expect(result.get(dig(1))?.hit).toMatchObject({ action: 'transition', dueAt: daysAgo(10) });
    expect(result.get(dig(2))?.hit?.dueAt).toBe(NOW + 40 * DAY_MS);
    expect(result.get(dig(3))?.hit?.dueAt).toBe(NOW + 80 * DAY_MS);
    // The rule is for standard storage: an archived image is not selected by it.
    expect(result.get(dig(4))?.ownedBy).toBeUndefined();
  });

  it('03 expires archived images 365 days after archiving, never before the 90-day archive minimum', () => {
    const images = [
      image(1, ['a'], 900, { storageClass: 'archive', lastArchivedAt: daysAgo(400) }),
      image(2, ['b'], 900, { storageClass: 'archive', lastArchivedAt: daysAgo(10) }),
      image(3, ['c'], 900),
    ];
    const result = evaluateLifecycle(policy('03-expire-archived-over-365d.json'), images, NOW);
    expect(hitBy(policy('03-expire-archived-over-365d.json'), images)).toEqual([dig(1)]);
    expect(result.get(dig(2))?.hit?.dueAt).toBe(NOW + 355 * DAY_MS);
    expect(result.get(dig(3))?.hit).toBeUndefined();

    const short = parseLifecyclePolicy(fixture('03-expire-archived-over-365d.json').replace('"countNumber": 365', '"countNumber": 30'));
    if (!short.ok) throw new Error(short.errors.join());
    expect(evaluateLifecycle(short.policy, images, NOW).get(dig(2))?.hit?.dueAt).toBe(NOW + 80 * DAY_MS);
  });

  it('04 keeps the newest untagged image and expires the other untagged ones', () => {
    const images = [image(1, [], 3), image(2, [], 2), image(3, [], 1), image(4, ['v1'], 10)];
    expect(hitBy(policy('04-keep-one-untagged.json'), images)).toEqual([dig(1), dig(2)]);
    const result = evaluateLifecycle(policy('04-keep-one-untagged.json'), images, NOW);
    expect(result.get(dig(3))?.countPosition).toEqual({ rank: 0, keep: 1 });
    expect(result.get(dig(2))?.countPosition).toEqual({ rank: 1, keep: 1 });
  });

  // The repository of the AWS documentation's multi-rule examples.
  const docRepo = () => [image(0xa, ['beta-1', 'prod-1'], 10), image(0xb, ['beta-2', 'prod-2'], 9), image(0xc, ['beta-3'], 8)];

  it('05 (prod first, then beta) expires only image A: B is kept by rule 1 and rule 2 cannot touch it', () => {
    expect(hitBy(policy('05-multi-rule-example-A-prod-then-beta.json'), docRepo())).toEqual([dig(0xa)]);
    const result = evaluateLifecycle(policy('05-multi-rule-example-A-prod-then-beta.json'), docRepo(), NOW);
    expect(result.get(dig(0xb))).toMatchObject({ ownedBy: 1, countPosition: { rank: 0, keep: 1 } });
    expect(result.get(dig(0xc))).toMatchObject({ ownedBy: 2, countPosition: { rank: 0, keep: 1 } });
  });

  it('06 (beta first, then prod) expires A and B: the order of the same two rules changes the result', () => {
    expect(hitBy(policy('06-multi-rule-example-B-beta-then-prod.json'), docRepo())).toEqual([dig(0xa), dig(0xb)]);
    const a = hitBy(policy('05-multi-rule-example-A-prod-then-beta.json'), docRepo());
    const b = hitBy(policy('06-multi-rule-example-B-beta-then-prod.json'), docRepo());
    expect(a).not.toEqual(b);
  });

  it('counts images a higher-priority rule selected when a count rule ranks its selection', () => {
    // Rule 1 owns the newest image (prod) and keeps it; it still takes a place in rule 2's count.
    const text = JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      ],
    });
    const parsed = parseLifecyclePolicy(text);
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const images = [image(1, ['prod-9'], 1), image(2, ['dev-3'], 2)];
    expect(hitBy(parsed.policy, images)).toEqual([dig(2)]);
  });

  it('07 selects only images that carry both an alpha* and a beta* tag (AND)', () => {
    const images = [image(1, ['alpha-1'], 10), image(2, ['beta-1'], 10), image(3, ['alpha-2', 'beta-2'], 10), image(4, ['alpha-3', 'beta-3'], 2)];
    const p = policy('07-multiple-patterns-in-one-rule-AND.json');
    expect(hitBy(p, images)).toEqual([dig(3)]);
    expect(evaluateLifecycle(p, images, NOW).get(dig(4))?.hit?.dueAt).toBe(NOW + 3 * DAY_MS);
  });

  it('10 archives prod* images 30 days after push (a transition, not an expiry)', () => {
    const images = [image(1, ['prod-1'], 45), image(2, ['prod-2'], 5), image(3, ['dev'], 45)];
    const result = evaluateLifecycle(policy('10-archive-prod-older-than-30d.json'), images, NOW);
    expect(result.get(dig(1))?.hit).toMatchObject({ action: 'transition', dueAt: daysAgo(15) });
    expect(result.get(dig(1))?.hit?.then).toBeUndefined();
    expect(result.get(dig(2))?.hit?.dueAt).toBe(NOW + 25 * DAY_MS);
    expect(result.get(dig(3))?.hit).toBeUndefined();
  });

  it('archive-then-expire: a transition rule and an archive-class expiry rule chain (10 + 03)', () => {
    const rules = [
      ...(JSON.parse(fixture('10-archive-prod-older-than-30d.json')) as { rules: unknown[] }).rules,
      { ...(JSON.parse(fixture('03-expire-archived-over-365d.json')) as { rules: Record<string, unknown>[] }).rules[0], rulePriority: 2 },
    ];
    const parsed = parseLifecyclePolicy(JSON.stringify({ rules }));
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const images = [
      image(1, ['prod-1'], 40),
      image(2, ['prod-0'], 800, { storageClass: 'archive', lastArchivedAt: daysAgo(400) }),
      image(3, ['prod-2'], 10),
    ];
    const result = evaluateLifecycle(parsed.policy, images, NOW);
    const first = result.get(dig(1))?.hit;
    expect(first).toMatchObject({ rulePriority: 1, action: 'transition', dueAt: daysAgo(10) });
    expect(first?.then).toMatchObject({ rulePriority: 2, action: 'expire', dueAt: daysAgo(10) + 365 * DAY_MS });
    expect(result.get(dig(2))?.hit).toMatchObject({ rulePriority: 2, action: 'expire', dueAt: daysAgo(35) });
    expect(result.get(dig(3))?.hit?.then?.dueAt).toBe(NOW + 20 * DAY_MS + 365 * DAY_MS);
  });

  it('holds back an untagged child while the index that references it stays', () => {
    const index = image(10, ['prod'], 30, { childDigests: [dig(11), dig(12)] });
    const images = [index, image(11, [], 30), image(12, [], 30), image(13, [], 30)];
    const p = policy('04-keep-one-untagged.json');
    const result = evaluateLifecycle(p, images, NOW);
    // dig(11)..dig(13) tie on push time; the rule keeps one and marks the others, but the children stay.
    const children = [dig(11), dig(12)].map((d) => result.get(d)?.hit).filter((h) => h !== undefined);
    for (const hit of children) expect(hit.blockedByIndexes).toEqual([dig(10)]);
    expect(hitBy(p, images).every((d) => d === dig(13))).toBe(true);
  });

  it('lets a child go once its index is itself expired, not before', () => {
    const text = JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['old'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 20 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } },
      ],
    });
    const parsed = parseLifecyclePolicy(text);
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const images = [image(10, ['old-1'], 10, { childDigests: [dig(11)] }), image(11, [], 10)];
    const result = evaluateLifecycle(parsed.policy, images, NOW);
    expect(result.get(dig(10))?.hit?.dueAt).toBe(NOW + 10 * DAY_MS);
    expect(result.get(dig(11))?.hit).toMatchObject({ rulePriority: 2, dueAt: NOW + 10 * DAY_MS });
    expect(result.get(dig(11))?.hit?.blockedByIndexes).toBeUndefined();
  });
});
