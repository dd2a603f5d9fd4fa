/**
 * Gather what one ECR repository knows about the images a scan needs, with the fewest calls:
 *
 * 1. `GetLifecyclePolicy` (exposure needs it; it also tells a missing repository apart).
 * 2. With a (valid) policy, list the whole repository (`DescribeImages` pages of 1,000, archived images
 *    included): exposure needs every image (count rules rank them all), and the listing answers
 *    every digest, tag and index child at once. Without a policy, `DescribeImages` by id, ≤ 100
 *    ids a call.
 * 3. `BatchGetImage` (≤ 100 a call) only for in-use image indexes whose manifest is not cached —
 *    manifests are content-addressed, so the cache never goes stale.
 * 4. Without a listing, one more `DescribeImages` round for platform children not yet known.
 *
 * Steps 1–2 need no image ids (`prefetchEcrRepository`): a scan runs them while it is still reading
 * task definitions, so most of a repository's calls overlap the ECS part of the scan.
 */
import { isLifeboatError } from '../core/errors.js';
import type { CallBudget } from './call-budget.js';
import type { DigestFact } from './availability.js';
import { chunk, unique } from './collections.js';
import { allPages } from './graph.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from './lifecycle/policy.js';
import { isIndexMediaType, parseImageIndex, selectPlatform, type ImageIndex } from './oci-index.js';
import type { Platform } from './platform.js';
import type { EcrImage, EcrImageId, EcrReader, ImmutableCache } from './ports.js';
import { RepositorySnapshot } from './repository-snapshot.js';

/** What a scan wants to know about one repository. */
export interface EcrRepositoryRequest {
  registryId: string;
  region: string;
  repository: string;
  digests: ReadonlySet<string>;
  tags: ReadonlySet<string>;
  /** Platforms the tasks pulling from this repository run on. */
  platforms: readonly Platform[];
}

/** The repository's lifecycle policy as Lifeboat could read it. */
export type PolicyState =
  | { kind: 'none' }
  | { kind: 'ok'; policy: LifecyclePolicy; lastEvaluatedAt?: number }
  | { kind: 'invalid'; errors: string[] }
  | { kind: 'unknown'; detail: string };

/** Everything learned about one ECR repository. */
export interface EcrRepositoryResult {
  snapshot: RepositorySnapshot;
  policy: PolicyState;
  /** Every image seen (the whole repository when `listed`). */
  images: EcrImage[];
  listed: boolean;
  /** Children of the index manifests known to this scan. */
  indexChildren: Map<string, string[]>;
}

/** The reader for the repository's Region, its budget and the manifest cache. */
export interface EcrGatherDeps {
  ecr: EcrReader;
  budget: CallBudget;
  manifests: ImmutableCache<ImageIndex>;
  signal?: AbortSignal;
  /**
   * Steps 1–2 already under way (`prefetchEcrRepository`): they need no image ids, so a scan starts
   * them as soon as it first sees the repository, while task definitions are still being read.
   */
  prefetch?: Promise<EcrPrefetch>;
}

/** The outcome of steps 1–2: the lifecycle policy and, with a policy, the whole listing. */
export interface EcrPrefetch {
  policy: { ok: true; value: { text: string; lastEvaluatedAt?: number } | null } | { ok: false; error: unknown };
  listing?: { ok: true; images: EcrImage[] } | { ok: false; error: unknown };
}

/** Steps 1–2 of `gatherEcrRepository`: what needs no image ids. Never throws for AWS failures. */
export async function prefetchEcrRepository(
  target: { registryId: string; repository: string },
  deps: Pick<EcrGatherDeps, 'ecr' | 'budget' | 'signal'>,
): Promise<EcrPrefetch> {
  const { registryId, repository } = target;
  const call = <T>(op: string, fn: () => Promise<T>) => deps.budget.run(op, fn, deps.signal);
  let policy: EcrPrefetch['policy'];
  try {
    policy = { ok: true, value: await call('ecr:GetLifecyclePolicy', () => deps.ecr.getLifecyclePolicy(registryId, repository)) };
  } catch (err) {
    deps.signal?.throwIfAborted();
    return { policy: { ok: false, error: err } };
  }
  // Exposure needs every image when there is a policy; only a valid one is worth the listing.
  if (policy.value === null || !parseLifecyclePolicy(policy.value.text).ok) return { policy };
  try {
    const images = await allPages((token) => call('ecr:DescribeImages', () => deps.ecr.listImages(registryId, repository, token)));
    return { policy, listing: { ok: true, images } };
  } catch (err) {
    deps.signal?.throwIfAborted();
    return { policy, listing: { ok: false, error: err } };
  }
}

const BATCH = 100;
const NESTED_ROUNDS = 3;

/** Gather one repository's facts with the fewest calls (see the file comment). Never throws for AWS failures. */
export async function gatherEcrRepository(request: EcrRepositoryRequest, deps: EcrGatherDeps): Promise<EcrRepositoryResult> {
  const { registryId, repository } = request;
  const snapshot = new RepositorySnapshot();
  const result: EcrRepositoryResult = { snapshot, policy: { kind: 'none' }, images: [], listed: false, indexChildren: new Map() };
  const call = <T>(op: string, fn: () => Promise<T>) => deps.budget.run(op, fn, deps.signal);

  const prefetched = await (deps.prefetch ?? prefetchEcrRepository(request, deps));
  deps.signal?.throwIfAborted();
  if (prefetched.policy.ok) result.policy = policyState(prefetched.policy.value);
  else {
    const err = prefetched.policy.error;
    if (isLifeboatError(err) && err.code === 'AWS_NOT_FOUND') {
      snapshot.markRepositoryMissing();
      return result;
    }
    // Exposure becomes unknown; availability can still be checked.
    result.policy = { kind: 'unknown', detail: describe(err) };
  }

  const images = new Map<string, EcrImage>();
  const record = (image: EcrImage) => {
    images.set(image.digest, image);
    snapshot.setDigest(image.digest, digestFact(image));
    for (const tag of image.tags) snapshot.setTag(tag, { kind: 'present', digest: image.digest });
  };

  // Index manifests already cached say which children to look up in the first round.
  const cachedChildren: string[] = [];
  for (const digest of request.digests) {
    const index = await deps.manifests.get(digest);
    if (index) {
      snapshot.setIndex(digest, index);
      result.indexChildren.set(digest, index.manifests.map((m) => m.digest));
      cachedChildren.push(...platformChildren(index, request.platforms));
    }
  }

  if (result.policy.kind === 'ok' && prefetched.listing) {
    if (prefetched.listing.ok) {
      for (const image of prefetched.listing.images) record(image);
      snapshot.markComplete();
      result.listed = true;
    } else if (!handleRepositoryError(prefetched.listing.error, snapshot)) return finish(result, images);
  }
  if (!result.listed) {
    const ids: EcrImageId[] = [
      ...unique([...request.digests, ...cachedChildren]).map((digest) => ({ digest })),
      ...[...request.tags].map((tag) => ({ tag })),
    ];
    if (!(await describeIds(ids, request, deps, snapshot, record))) return finish(result, images);
  }

  // In-use digests that are indexes: what tasks pull through them depends on the platform child.
  let toFetch = unique([...request.digests, ...[...request.tags].flatMap((t) => resolvedTag(snapshot, t))]).filter(
    (d) => !snapshot.hasIndex(d) && isIndexMediaType(images.get(d)?.mediaType),
  );
  const children: string[] = [];
  for (let round = 0; round < NESTED_ROUNDS && toFetch.length > 0; round++) {
    const nested: string[] = [];
    // An index a tag resolved to may be cached too (manifests are content-addressed).
    const uncached: string[] = [];
    for (const digest of toFetch) {
      const index = await deps.manifests.get(digest);
      if (!index) {
        uncached.push(digest);
        continue;
      }
      snapshot.setIndex(digest, index);
      result.indexChildren.set(digest, index.manifests.map((m) => m.digest));
      children.push(...platformChildren(index, request.platforms));
      nested.push(...nestedIndexes(index, request.platforms));
    }
    for (const batch of chunk(uncached, BATCH)) {
      try {
        const got = await call('ecr:BatchGetImage', () => deps.ecr.getManifests(registryId, repository, batch));
        for (const manifest of got.manifests) {
          const parsed = parseImageIndex(manifest.body);
          if (!parsed.ok) {
            snapshot.setIndex(manifest.digest, { error: parsed.error });
            continue;
          }
          snapshot.setIndex(manifest.digest, parsed.index);
          result.indexChildren.set(manifest.digest, parsed.index.manifests.map((m) => m.digest));
          await deps.manifests.set(manifest.digest, parsed.index);
          children.push(...platformChildren(parsed.index, request.platforms));
          nested.push(...nestedIndexes(parsed.index, request.platforms));
        }
        for (const failure of got.failures) {
          if (failure.id.digest !== undefined) {
            snapshot.setIndex(failure.id.digest, { error: `ECR could not return the index manifest (${failure.code}${failure.reason ? `: ${failure.reason}` : ''})` });
          }
        }
      } catch (err) {
        for (const digest of batch) snapshot.setIndex(digest, { error: describe(err) });
      }
    }
    toFetch = unique(nested).filter((d) => !snapshot.hasIndex(d));
  }

  const unknownChildren = unique(children).filter((d) => !snapshot.hasDigest(d));
  if (unknownChildren.length > 0) {
    await describeIds(unknownChildren.map((digest) => ({ digest })), request, deps, snapshot, record);
  }
  return finish(result, images);
}

function finish(result: EcrRepositoryResult, images: Map<string, EcrImage>): EcrRepositoryResult {
  result.images = [...images.values()];
  return result;
}

/** Describe ids in batches of 100; false when the repository as a whole failed. */
async function describeIds(
  ids: readonly EcrImageId[],
  request: EcrRepositoryRequest,
  deps: EcrGatherDeps,
  snapshot: RepositorySnapshot,
  record: (image: EcrImage) => void,
): Promise<boolean> {
  for (const batch of chunk(ids, BATCH)) {
    try {
      const got = await deps.budget.run('ecr:DescribeImages', () => deps.ecr.describeImages(request.registryId, request.repository, batch), deps.signal);
      for (const image of got.images) record(image);
      for (const failure of got.failures) {
        const fact: DigestFact =
          failure.code === 'ImageNotFound'
            ? { kind: 'absent' }
            : { kind: 'unknown', detail: `ECR answered ${failure.code}${failure.reason ? ` (${failure.reason})` : ''}` };
        if (failure.id.digest !== undefined) snapshot.setDigest(failure.id.digest, fact);
        else if (fact.kind === 'absent') snapshot.setTag(failure.id.tag, { kind: 'absent' });
        else snapshot.setTag(failure.id.tag, fact);
      }
    } catch (err) {
      if (isLifeboatError(err) && err.code === 'AWS_NOT_FOUND') {
        snapshot.markRepositoryMissing();
        return false;
      }
      // Only this batch is undecided; other batches may still answer.
      const detail = describe(err);
      for (const id of batch) {
        if (id.digest !== undefined) snapshot.setDigest(id.digest, { kind: 'unknown', detail });
        else snapshot.setTag(id.tag, { kind: 'unknown', detail });
      }
    }
  }
  return true;
}

function handleRepositoryError(err: unknown, snapshot: RepositorySnapshot): boolean {
  if (isLifeboatError(err) && err.code === 'AWS_NOT_FOUND') {
    snapshot.markRepositoryMissing();
    return false;
  }
  // The listing failed (denied, throttled): fall back to ids, which may be allowed or succeed.
  return true;
}

function policyState(policy: { text: string; lastEvaluatedAt?: number } | null): PolicyState {
  if (policy === null) return { kind: 'none' };
  const parsed = parseLifecyclePolicy(policy.text);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  return policy.lastEvaluatedAt !== undefined
    ? { kind: 'ok', policy: parsed.policy, lastEvaluatedAt: policy.lastEvaluatedAt }
    : { kind: 'ok', policy: parsed.policy };
}

function digestFact(image: EcrImage): DigestFact {
  const state = image.status === 'ARCHIVED' ? 'archived' : image.status === 'ACTIVATING' ? 'restoring' : 'active';
  return { kind: 'present', state, isIndex: isIndexMediaType(image.mediaType) };
}

function resolvedTag(snapshot: RepositorySnapshot, tag: string): string[] {
  const fact = snapshot.tag(tag);
  return fact.kind === 'present' ? [fact.digest] : [];
}

function platformChildren(index: ImageIndex, platforms: readonly Platform[]): string[] {
  return platforms.flatMap((p) => {
    const selection = selectPlatform(index, p);
    return selection.kind === 'match' ? [selection.digest] : [];
  });
}

function nestedIndexes(index: ImageIndex, platforms: readonly Platform[]): string[] {
  return platforms.flatMap((p) => {
    const selection = selectPlatform(index, p);
    return selection.kind === 'nested' ? selection.digests : [];
  });
}

function describe(err: unknown): string {
  return isLifeboatError(err) ? err.userMessage : 'an unexpected error (see the log)';
}

