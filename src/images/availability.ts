/**
 * Is the image a task would pull available? Pure classification over facts gathered from the
 * registry (ECR or OCI). The order of questions follows what ECS actually pulls (DOMAIN fact 1):
 * the pinned digest if the deployment pinned one, else the reference's digest, else the tag;
 * for an index, the child for the task's platform.
 *
 * Anything that cannot be decided is `unknown` — never `available` (DOMAIN fact 10).
 */
import type { DigestLocation } from './ports.js';
import { displayName, shortDigest, type ImageReference } from './image-reference.js';
import { formatPlatform, type Platform } from './platform.js';

/** `unknown` whenever Lifeboat cannot decide — never `available` by default. */
export type AvailabilityStatus = 'available' | 'missing' | 'unknown' | 'unchecked';

/** Why the next task start would fail to pull. */
export type MissingReason =
  | 'pinned-digest-gone'
  | 'image-not-found'
  | 'tag-not-found'
  | 'repository-not-found'
  | 'archived'
  | 'restoring'
  | 'platform-child-missing'
  | 'no-such-platform';

/** What the registry knows about one digest. */
export type DigestFact =
  | { kind: 'present'; state: 'active' | 'archived' | 'restoring'; isIndex: boolean }
  | { kind: 'absent'; repositoryMissing?: boolean }
  | { kind: 'unknown'; detail: string };

/** What the registry knows about one tag. */
export type TagFact = { kind: 'present'; digest: string } | { kind: 'absent'; repositoryMissing?: boolean } | { kind: 'unknown'; detail: string };

/** What the registry knows about an index's child for one platform. */
export type ChildFact =
  | { kind: 'present'; digest: string }
  | { kind: 'child-missing'; digest: string }
  | { kind: 'no-platform'; available: string[] }
  | { kind: 'unknown'; detail: string };

/** Facts about one repository, gathered beforehand (no I/O during classification). */
export interface ImageFacts {
  digest(digest: string): DigestFact;
  tag(tag: string): TagFact;
  platformChild(indexDigest: string, platform: Platform): ChildFact;
}

/** One container's image, as a deployment would pull it. */
export interface ImageToCheck {
  ref: ImageReference;
  /** The digest the deployment pinned (absent when not resolved or `versionConsistency: disabled`). */
  pinnedDigest?: string;
  platform: Platform;
}

/** Where the tag stands, next to a pinned or explicit digest: decides between redeploy and rebuild. */
export type TagState =
  | { kind: 'same'; digest: string }
  | { kind: 'moved'; digest: string; usable: boolean }
  | { kind: 'absent' }
  | { kind: 'unknown'; detail: string };

/** The verdict for one image use, with a clause for sentences. */
export interface Availability {
  status: AvailabilityStatus;
  reason?: MissingReason;
  /** How the pulled digest was chosen. */
  via: 'pinned' | 'digest' | 'tag';
  /** The digest tasks pull (pinned, explicit, or what the tag resolves to). */
  digest?: string;
  /** For an index: the child manifest for the task's platform. */
  platformDigest?: string;
  /** Present for references with a tag: where the tag points now. */
  tag?: TagState;
  /** A clause for a sentence: "pinned digest sha256:… is gone from repo web". */
  detail: string;
  /**
   * For a missing ECR image: where the exact digest it needs (the image, or the platform child
   * that is gone) still is — a replica Region, another registry — so `restore` can copy it back.
   */
  copy?: { digest: string; at: DigestLocation };
}

/** Classify one image use against the repository's facts. */
export function classifyImage(use: ImageToCheck, facts: ImageFacts): Availability {
  const { ref } = use;
  const repo = `repo ${ref.repository}`;
  const target = use.pinnedDigest ?? ref.digest;
  const via: Availability['via'] = use.pinnedDigest !== undefined ? 'pinned' : ref.digest !== undefined ? 'digest' : 'tag';

  if (target !== undefined) {
    const result = classifyDigest(target, via, use, facts, repo);
    if (ref.tag !== undefined) result.tag = tagState(ref.tag, target, use, facts);
    return result;
  }

  const tag = ref.tag ?? 'latest';
  const fact = facts.tag(tag);
  switch (fact.kind) {
    case 'unknown':
      return { status: 'unknown', via, detail: `could not check tag ${tag} in ${repo}: ${fact.detail}` };
    case 'absent':
      return fact.repositoryMissing
        ? { status: 'missing', reason: 'repository-not-found', via, detail: `${repo} does not exist` }
        : { status: 'missing', reason: 'tag-not-found', via, detail: `tag ${tag} is gone from ${repo}` };
    case 'present':
      return classifyDigest(fact.digest, via, use, facts, repo);
  }
}

function classifyDigest(digest: string, via: Availability['via'], use: ImageToCheck, facts: ImageFacts, repo: string): Availability {
  const what = via === 'pinned' ? `pinned digest ${shortDigest(digest)}` : via === 'digest' ? `digest ${shortDigest(digest)}` : `${displayName(use.ref)} (${shortDigest(digest)})`;
  const fact = facts.digest(digest);
  switch (fact.kind) {
    case 'unknown':
      return { status: 'unknown', via, digest, detail: `could not check ${what} in ${repo}: ${fact.detail}` };
    case 'absent':
      if (fact.repositoryMissing) return { status: 'missing', reason: 'repository-not-found', via, digest, detail: `${repo} does not exist` };
      return {
        status: 'missing',
        reason: via === 'pinned' ? 'pinned-digest-gone' : 'image-not-found',
        via,
        digest,
        detail: `${what} is gone from ${repo}`,
      };
    case 'present':
      break;
  }
  if (fact.state === 'archived') {
    return { status: 'missing', reason: 'archived', via, digest, detail: `${what} is archived in ${repo} and cannot be pulled until restored` };
  }
  if (fact.state === 'restoring') {
    return { status: 'missing', reason: 'restoring', via, digest, detail: `${what} is being restored from the archive in ${repo} and cannot be pulled yet` };
  }
  if (!fact.isIndex) return { status: 'available', via, digest, detail: `${what} is in ${repo}` };

  const platform = formatPlatform(use.platform);
  const child = facts.platformChild(digest, use.platform);
  switch (child.kind) {
    case 'present':
      return { status: 'available', via, digest, platformDigest: child.digest, detail: `${what} and its ${platform} image are in ${repo}` };
    case 'child-missing':
      return {
        status: 'missing',
        reason: 'platform-child-missing',
        via,
        digest,
        platformDigest: child.digest,
        detail: `${what} is a multi-arch index whose ${platform} image ${shortDigest(child.digest)} is gone from ${repo}`,
      };
    case 'no-platform':
      return {
        status: 'missing',
        reason: 'no-such-platform',
        via,
        digest,
        detail: `${what} has no ${platform} image (it offers ${child.available.join(', ') || 'no platforms'}) in ${repo}`,
      };
    case 'unknown':
      return { status: 'unknown', via, digest, detail: `could not check the ${platform} image of ${what} in ${repo}: ${child.detail}` };
  }
}

function tagState(tag: string, pulled: string, use: ImageToCheck, facts: ImageFacts): TagState {
  const fact = facts.tag(tag);
  switch (fact.kind) {
    case 'unknown':
      return { kind: 'unknown', detail: fact.detail };
    case 'absent':
      return { kind: 'absent' };
    case 'present': {
      if (fact.digest === pulled) return { kind: 'same', digest: fact.digest };
      const usable = classifyDigest(fact.digest, 'tag', use, facts, '').status === 'available';
      return { kind: 'moved', digest: fact.digest, usable };
    }
  }
}

/** For images on registries Lifeboat does not check. */
export function unchecked(use: ImageToCheck, why: string): Availability {
  const via: Availability['via'] = use.pinnedDigest !== undefined ? 'pinned' : use.ref.digest !== undefined ? 'digest' : 'tag';
  const digest = use.pinnedDigest ?? use.ref.digest;
  return digest !== undefined ? { status: 'unchecked', via, digest, detail: why } : { status: 'unchecked', via, detail: why };
}

/** For an image whose facts could not be gathered at all (denied, throttled, failed). */
export function unknownAvailability(use: ImageToCheck, why: string): Availability {
  const via: Availability['via'] = use.pinnedDigest !== undefined ? 'pinned' : use.ref.digest !== undefined ? 'digest' : 'tag';
  const digest = use.pinnedDigest ?? use.ref.digest;
  return digest !== undefined ? { status: 'unknown', via, digest, detail: why } : { status: 'unknown', via, detail: why };
}
