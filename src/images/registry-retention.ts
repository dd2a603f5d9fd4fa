/**
 * Retention on registries Lifeboat cannot read a lifecycle policy from (GHCR, Docker Hub, other
 * OCI registries). No API says what a retention job will delete, but two facts announce it
 * (DOMAIN fact 9, corpus oci/SEMANTICS.md):
 *
 * - **children missing**: an in-use multi-arch image still lists, but some of its per-platform
 *   children are gone (`manifest unknown`). Something deletes untagged manifests there; the child
 *   the service pulls is untagged too and can go the same way. Checked on every registry.
 * - **children untagged**: on GHCR every child is an "untagged version", and cleanups of untagged
 *   versions delete them even while the tag's index uses them — unlike ECR, which refuses
 *   (`ImageReferencedByManifestList`). Checked on the hosts the settings name, and only when the
 *   registry lets Lifeboat list tags: a child is tagged when a tag naming its architecture
 *   (`v1-amd64`, `arm64-v1`, …) resolves to it. Tags are listed once per repository, and at most
 *   two candidate tags are looked up per child.
 *
 * The result is notes for the report, never a change of an image's status.
 */
import type { CallBudget } from './call-budget.js';
import { shortDigest } from './image-reference.js';
import type { IndexEntry, ImageIndex } from './oci-index.js';
import { formatPlatform, type Platform } from './platform.js';
import type { ImmutableCache, ManifestLookup, RegistryClient, TagListing } from './ports.js';
import type { RepositorySnapshot } from './repository-snapshot.js';
import type { ScanNote } from './report.js';

/** An in-use multi-arch image of one repository, and who runs it. */
export interface InUseIndex {
  digest: string;
  /** The tag the task definitions name, if any (`prod` in `ghcr.io/org/app:prod`). */
  tag?: string;
  /** The children services pull through it, with the services pulling each. */
  pulled: { digest: string; platform: Platform; services: readonly string[] }[];
}

/** One repository on an OCI registry and its in-use indexes. */
export interface RetentionRequest {
  host: string;
  repository: string;
  indexes: readonly InUseIndex[];
  /** Look for untagged children (the host is one whose retention deletes them). */
  untagged: boolean;
}

/** The registry, its budget, the manifest cache the gatherer filled, and the snapshot it built. */
export interface RetentionDeps {
  registry: RegistryClient;
  budget: CallBudget;
  manifests: ImmutableCache<ImageIndex>;
  snapshot: RepositorySnapshot;
  signal?: AbortSignal;
}

/** Candidate tag lookups per child: enough for the usual naming, bounded for huge repositories. */
const MAX_CANDIDATES = 2;
/** Other spellings of an architecture in tag names. */
const ARCH_ALIASES: Record<string, readonly string[]> = {
  amd64: ['amd64', 'x86_64', 'x86-64', 'x64'],
  arm64: ['arm64', 'aarch64'],
  arm: ['arm', 'armv7', 'armhf'],
};

/** Notes about the repository's in-use indexes (see the file comment). Registry failures only make it say less. */
export async function checkRegistryRetention(request: RetentionRequest, deps: RetentionDeps): Promise<ScanNote[]> {
  const where = `${request.host}/${request.repository}`;
  const call = (op: string, fn: () => Promise<ManifestLookup>): Promise<ManifestLookup> =>
    deps.budget.run(op, fn, deps.signal).catch((err: unknown) => {
      deps.signal?.throwIfAborted();
      return { kind: 'error', detail: err instanceof Error ? err.message : 'unexpected failure' } satisfies ManifestLookup;
    });
  const head = (reference: string) => call('registry:HEAD manifest', () => deps.registry.headManifest({ host: request.host, repository: request.repository, reference }));
  let tags: Promise<TagListing> | undefined;
  const listTags = () => {
    const list = deps.registry.listTags?.bind(deps.registry);
    tags ??= list
      ? deps.budget.run('registry:GET tags', () => list({ host: request.host, repository: request.repository }), deps.signal).catch((err: unknown) => {
          deps.signal?.throwIfAborted();
          return { kind: 'error', detail: err instanceof Error ? err.message : 'unexpected failure' } satisfies TagListing;
        })
      : Promise.resolve({ kind: 'error', detail: 'the registry client cannot list tags' } satisfies TagListing);
    return tags;
  };

  const notes: ScanNote[] = [];
  for (const inUse of request.indexes) {
    const index = await deps.manifests.get(inUse.digest);
    if (!index) continue;
    const children = index.manifests.filter((m): m is IndexEntry & { platform: Platform } => !m.attestation && m.platform !== undefined);
    if (children.length === 0) continue;
    const services = [...new Set(inUse.pulled.flatMap((p) => p.services))].sort();
    const name = `${where}${inUse.tag !== undefined ? `:${inUse.tag}` : `@${shortDigest(inUse.digest)}`}`;
    const pulledLabel = inUse.pulled.map((p) => `${formatPlatform(p.platform)} ${shortDigest(p.digest)}`).join(', ');

    const missing: (IndexEntry & { platform: Platform })[] = [];
    for (const child of children) {
      if (await isAbsent(child.digest, deps.snapshot, head)) missing.push(child);
    }
    if (missing.length > 0) {
      notes.push({
        kind: 'registry-children-missing',
        repository: where,
        services,
        sentence:
          `${name} has lost ${missing.length} of its ${children.length} per-platform children (${missing.map((c) => `${formatPlatform(c.platform)} ${shortDigest(c.digest)}`).join(', ')}): ` +
          `something on ${request.host} deletes untagged manifests (a retention or cleanup job?). ${services.join(', ')} still pull${services.length === 1 ? 's' : ''} ${pulledLabel}, ` +
          `which is untagged too and can go the same way; stop the cleanup or rebuild and push the image again.`,
      });
      continue;
    }
    if (!request.untagged) continue;

    const listing = await listTags();
    if (listing.kind !== 'tags') continue;
    const untagged: (IndexEntry & { platform: Platform })[] = [];
    for (const child of children) {
      if (!(await isTagged(child, inUse.tag, listing.tags, head))) untagged.push(child);
    }
    if (untagged.length === 0) continue;
    notes.push({
      kind: 'registry-children-untagged',
      repository: where,
      services,
      sentence:
        `${name} is a multi-arch image whose ${untagged.length === children.length ? 'per-platform children are all' : `${untagged.length} of ${children.length} per-platform children are`} ` +
        `untagged (${untagged.map((c) => formatPlatform(c.platform)).join(', ')}). ${request.host} does not stop a cleanup of untagged versions from deleting them ` +
        `while the tag still uses them (ECR would refuse), and ${services.join(', ')} would then fail to pull ${pulledLabel}: ` +
        `exclude this image's children from any untagged-version cleanup, or tag them.`,
    });
  }
  return notes;
}

async function isAbsent(digest: string, snapshot: RepositorySnapshot, head: (reference: string) => Promise<ManifestLookup>): Promise<boolean> {
  // The gatherer already looked up the children services pull; only the others cost a HEAD.
  if (snapshot.hasDigest(digest)) return snapshot.digest(digest).kind === 'absent';
  const found = await head(digest);
  return found.kind === 'not-found';
}

async function isTagged(child: IndexEntry & { platform: Platform }, indexTag: string | undefined, tags: readonly string[], head: (reference: string) => Promise<ManifestLookup>): Promise<boolean> {
  const spellings = ARCH_ALIASES[child.platform.architecture] ?? [child.platform.architecture];
  const mentions = (tag: string) => spellings.some((s) => new RegExp(`(^|[^a-z0-9])${s}([^a-z0-9]|$)`, 'i').test(tag));
  // Tags that name the architecture, those that also carry the index's tag first (`v1-amd64` for `v1`).
  const candidates = tags
    .filter(mentions)
    .sort((a, b) => Number(indexTag !== undefined && b.includes(indexTag)) - Number(indexTag !== undefined && a.includes(indexTag)))
    .slice(0, MAX_CANDIDATES);
  for (const tag of candidates) {
    const found = await head(tag);
    if (found.kind === 'found' && found.digest === child.digest) return true;
  }
  return false;
}
