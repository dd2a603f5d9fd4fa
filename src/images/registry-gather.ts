/**
 * Gather facts about one repository on an OCI registry (Docker Hub, GHCR, ECR Public, others)
 * through the distribution API: `HEAD` each digest and tag; for an index, `GET` it once (cached
 * by digest) and `HEAD` the child for each platform in use. A `200` for an index does not prove its
 * children exist — GHCR cleanup workflows delete them (corpus oci/SEMANTICS.md).
 */
import type { DigestFact } from './availability.js';
import type { CallBudget } from './call-budget.js';
import { isIndexMediaType, parseImageIndex, selectPlatform, type ImageIndex } from './oci-index.js';
import type { Platform } from './platform.js';
import type { ImmutableCache, ManifestLookup, RegistryClient } from './ports.js';
import { RepositorySnapshot } from './repository-snapshot.js';

/** What a scan wants to know about one repository on an OCI registry. */
export interface RegistryRepositoryRequest {
  host: string;
  repository: string;
  digests: ReadonlySet<string>;
  tags: ReadonlySet<string>;
  platforms: readonly Platform[];
}

/** The registry client, its budget and the manifest cache. */
export interface RegistryGatherDeps {
  registry: RegistryClient;
  budget: CallBudget;
  manifests: ImmutableCache<ImageIndex>;
  signal?: AbortSignal;
}

const NESTED_ROUNDS = 3;

/** Gather one repository's facts; registry failures become `unknown` facts, never exceptions. */
export async function gatherRegistryRepository(request: RegistryRepositoryRequest, deps: RegistryGatherDeps): Promise<RepositorySnapshot> {
  const snapshot = new RepositorySnapshot();
  const isIndex = new Set<string>();
  const lookup = async (op: 'head' | 'get', reference: string): Promise<ManifestLookup> => {
    const ref = { host: request.host, repository: request.repository, reference };
    try {
      return await deps.budget.run(`registry:${op === 'head' ? 'HEAD' : 'GET'} manifest`, () =>
        op === 'head' ? deps.registry.headManifest(ref) : deps.registry.getManifest(ref),
      deps.signal);
    } catch (err) {
      return { kind: 'error', detail: err instanceof Error ? err.message : 'unexpected failure' };
    }
  };

  for (const digest of request.digests) {
    const found = await lookup('head', digest);
    snapshot.setDigest(digest, factOf(found));
    if (found.kind === 'found' && isIndexMediaType(found.mediaType)) isIndex.add(digest);
  }
  for (const tag of request.tags) {
    let found = await lookup('head', tag);
    // Old registries omit Docker-Content-Digest on HEAD; the GET answer carries a computed one.
    if (found.kind === 'found' && found.digest === undefined) found = await lookup('get', tag);
    if (found.kind === 'found') {
      if (found.digest === undefined) {
        snapshot.setTag(tag, { kind: 'unknown', detail: `${request.host} did not say which digest the tag points to` });
        continue;
      }
      snapshot.setTag(tag, { kind: 'present', digest: found.digest });
      if (!snapshot.hasDigest(found.digest)) snapshot.setDigest(found.digest, factOf(found));
      if (isIndexMediaType(found.mediaType)) isIndex.add(found.digest);
    } else {
      const fact = factOf(found);
      snapshot.setTag(tag, fact.kind === 'absent' ? { kind: 'absent' } : fact.kind === 'unknown' ? fact : { kind: 'unknown', detail: 'unexpected answer' });
    }
  }

  let toFetch = [...isIndex];
  for (let round = 0; round < NESTED_ROUNDS && toFetch.length > 0; round++) {
    const nested: string[] = [];
    for (const digest of toFetch) {
      const index = await loadIndex(digest, lookup, deps.manifests);
      snapshot.setIndex(digest, index);
      if ('error' in index) continue;
      for (const platform of request.platforms) {
        const selection = selectPlatform(index, platform);
        if (selection.kind === 'match' && !snapshot.hasDigest(selection.digest)) {
          snapshot.setDigest(selection.digest, factOf(await lookup('head', selection.digest)));
        } else if (selection.kind === 'nested') {
          nested.push(...selection.digests);
        }
      }
    }
    toFetch = [...new Set(nested)].filter((d) => !snapshot.hasIndex(d));
  }
  return snapshot;
}

async function loadIndex(
  digest: string,
  lookup: (op: 'head' | 'get', reference: string) => Promise<ManifestLookup>,
  cache: ImmutableCache<ImageIndex>,
): Promise<ImageIndex | { error: string }> {
  const cached = await cache.get(digest);
  if (cached) return cached;
  const got = await lookup('get', digest);
  if (got.kind !== 'found' || got.body === undefined) {
    const fact = factOf(got);
    return { error: fact.kind === 'unknown' ? fact.detail : 'the index manifest vanished while it was being read' };
  }
  const parsed = parseImageIndex(got.body);
  if (!parsed.ok) return { error: parsed.error };
  await cache.set(digest, parsed.index);
  return parsed.index;
}

function factOf(found: ManifestLookup): DigestFact {
  switch (found.kind) {
    case 'found':
      return { kind: 'present', state: 'active', isIndex: isIndexMediaType(found.mediaType) };
    case 'not-found':
      return found.code === 'NAME_UNKNOWN' ? { kind: 'absent', repositoryMissing: true } : { kind: 'absent' };
    case 'denied':
      return { kind: 'unknown', detail: `the registry refused access (${found.detail})` };
    case 'rate-limited':
      return { kind: 'unknown', detail: `the registry rate-limited Lifeboat (${found.detail})` };
    case 'error':
      return { kind: 'unknown', detail: found.detail };
  }
}
