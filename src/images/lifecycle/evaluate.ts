/**
 * The ECR lifecycle evaluator: which rule will act on each image of a repository, and from when.
 * Pure; mirrors the documented semantics (corpus ecr/SEMANTICS.md, DOMAIN fact 8):
 *
 * - Rules apply by ascending priority. An image is acted on by at most one rule: the first rule
 *   whose tag requirements (tagStatus + patterns/prefixes) and storage class select it. A
 *   lower-priority rule never touches an image a higher-priority rule selected, even when that rule
 *   decided to keep it (AWS examples 05/06).
 * - `imageCountMoreThan N` ranks *every* image the rule selects, newest push first — images a
 *   higher-priority rule already selected still count — keeps the first N and acts on the rest
 *   it owns.
 * - `since*` rules act once the image is older than N days by the rule's clock; ECR then acts
 *   "within 24 hours", so `dueAt` is when the rule starts to apply, not the deletion time.
 * - An image an index references cannot be expired or archived while that index stays.
 */
import { describeCount, type LifecycleAction, type LifecyclePolicy, type LifecycleRule, type StorageClass } from './policy.js';
import { matchesTagRequirements } from './tag-match.js';

/** Lifecycle `countUnit: days`. */
export const DAY_MS = 86_400_000;
/** Archived images stay at least 90 days before lifecycle can expire them. */
const ARCHIVE_MINIMUM_MS = 90 * DAY_MS;

/** What the evaluator needs to know about one image of the repository. Times are epoch ms. */
export interface LifecycleImage {
  digest: string;
  tags: readonly string[];
  pushedAt: number;
  lastPulledAt?: number;
  storageClass: StorageClass;
  lastArchivedAt?: number;
  lastActivatedAt?: number;
  /** For an image index / manifest list: the manifests it references. */
  childDigests?: readonly string[];
}

/** A rule acting on an image. */
export interface LifecycleHit {
  rulePriority: number;
  ruleDescription?: string;
  action: LifecycleAction;
  /** The rule's count clause as a phrase, e.g. `sinceImagePushed 7 days`. */
  basis: string;
  /** When the rule starts to apply (ECR acts within 24 h after). May be in the past. */
  dueAt: number;
  /** Index digests that still reference this image: ECR refuses to act while they stay. */
  blockedByIndexes?: readonly string[];
  /** For a transition: what the archive-class rules do afterwards, if anything. */
  then?: LifecycleHit;
}

/** The verdict for one image. */
export interface ImageLifecycle {
  digest: string;
  /** Priority of the rule whose selection owns the image; undefined when no rule selects it. */
  ownedBy?: number;
  /** Set when the owning rule acts on the image (now or later). */
  hit?: LifecycleHit;
  /** For a count rule: 0-based rank by push time (0 = newest) and how many the rule keeps. */
  countPosition?: { rank: number; keep: number };
}

/** Evaluate the policy over the repository's images at `now`. Returns one entry per image. */
export function evaluateLifecycle(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: number): Map<string, ImageLifecycle> {
  const result = new Map<string, ImageLifecycle>();
  const ranks = countRanks(policy, images);
  for (const image of images) {
    const owner = owningRule(policy, image);
    const entry: ImageLifecycle = { digest: image.digest };
    if (owner) {
      entry.ownedBy = owner.priority;
      const hit = ruleHit(owner, image, ranks, now, entry);
      if (hit) {
        if (hit.action === 'transition') {
          const then = afterTransition(policy, image, hit.dueAt, images);
          if (then) hit.then = then;
        }
        entry.hit = hit;
      }
    }
    result.set(image.digest, entry);
  }
  applyIndexProtection(images, result);
  return result;
}

function owningRule(policy: LifecyclePolicy, image: LifecycleImage): LifecycleRule | undefined {
  return policy.rules.find((r) => r.storageClass === image.storageClass && matchesTagRequirements(r, image.tags));
}

/** For every count rule, the rank of each image it selects (ties broken by digest, for determinism). */
function countRanks(policy: LifecyclePolicy, images: readonly LifecycleImage[]): Map<number, Map<string, number>> {
  const ranks = new Map<number, Map<string, number>>();
  for (const rule of policy.rules) {
    if (rule.count.type !== 'imageCountMoreThan') continue;
    const selected = images
      .filter((i) => i.storageClass === rule.storageClass && matchesTagRequirements(rule, i.tags))
      .sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest));
    ranks.set(rule.priority, new Map(selected.map((img, index) => [img.digest, index])));
  }
  return ranks;
}

function ruleHit(
  rule: LifecycleRule,
  image: LifecycleImage,
  ranks: Map<number, Map<string, number>>,
  now: number,
  entry: ImageLifecycle,
): LifecycleHit | undefined {
  const base = { rulePriority: rule.priority, action: rule.action, basis: describeCount(rule) };
  const described = rule.description !== undefined ? { ruleDescription: rule.description } : {};
  if (rule.count.type === 'imageCountMoreThan') {
    const rank = ranks.get(rule.priority)?.get(image.digest) ?? 0;
    entry.countPosition = { rank, keep: rule.count.number };
    return rank >= rule.count.number ? { ...base, ...described, dueAt: now } : undefined;
  }
  return { ...base, ...described, dueAt: sinceDueAt(rule.count.type, rule.count.days, image) };
}

function sinceDueAt(type: 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned', days: number, image: LifecycleImage): number {
  const span = days * DAY_MS;
  switch (type) {
    case 'sinceImagePushed':
      return image.pushedAt + span;
    case 'sinceImagePulled':
      return pullClock(image) + span;
    case 'sinceImageTransitioned': {
      // Without an archive time (older API data) the push time is the earliest it can be.
      const archivedAt = image.lastArchivedAt ?? image.pushedAt;
      return Math.max(archivedAt + span, archivedAt + ARCHIVE_MINIMUM_MS);
    }
  }
}

/** Last recorded pull; a never-pulled image counts from its push, a restored one from its restore. */
function pullClock(image: LifecycleImage): number {
  if (image.lastActivatedAt !== undefined && (image.lastPulledAt === undefined || image.lastActivatedAt > image.lastPulledAt)) {
    return image.lastActivatedAt;
  }
  return image.lastPulledAt ?? image.pushedAt;
}

/**
 * What happens to an image after a transition puts it in the archive at `archivedAt`: the first
 * archive-class rule that selects it decides. A count rule among archived images is ranked as if
 * this image joined the archive now (the newest push among them wins a place first).
 */
function afterTransition(policy: LifecyclePolicy, image: LifecycleImage, archivedAt: number, images: readonly LifecycleImage[]): LifecycleHit | undefined {
  const archived: LifecycleImage = { ...image, storageClass: 'archive', lastArchivedAt: archivedAt };
  const rule = owningRule(policy, archived);
  if (!rule) return undefined;
  const base = { rulePriority: rule.priority, action: rule.action, basis: describeCount(rule) };
  const described = rule.description !== undefined ? { ruleDescription: rule.description } : {};
  if (rule.count.type === 'imageCountMoreThan') {
    const others = images.filter((i) => i.storageClass === 'archive' && i.digest !== image.digest && matchesTagRequirements(rule, i.tags));
    const rank = others.filter((o) => o.pushedAt > image.pushedAt).length;
    return rank >= rule.count.number ? { ...base, ...described, dueAt: archivedAt } : undefined;
  }
  return { ...base, ...described, dueAt: sinceDueAt(rule.count.type, rule.count.days, archived) };
}

/**
 * An image referenced by an index cannot be acted on until every referencing index is gone: the
 * child's due time moves to the latest index's, or the hit is blocked while an index stays.
 */
function applyIndexProtection(images: readonly LifecycleImage[], result: Map<string, ImageLifecycle>): void {
  const parents = new Map<string, string[]>();
  for (const image of images) {
    for (const child of image.childDigests ?? []) {
      const list = parents.get(child) ?? [];
      list.push(image.digest);
      parents.set(child, list);
    }
  }
  for (const [child, indexes] of parents) {
    const entry = result.get(child);
    if (!entry?.hit) continue;
    const staying = indexes.filter((d) => result.get(d)?.hit === undefined);
    if (staying.length > 0) {
      entry.hit = { ...entry.hit, blockedByIndexes: staying };
      continue;
    }
    const latest = Math.max(...indexes.map((d) => result.get(d)?.hit?.dueAt ?? 0));
    if (latest > entry.hit.dueAt) entry.hit = { ...entry.hit, dueAt: latest };
  }
}
