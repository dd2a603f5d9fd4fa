/**
 * Image indexes (OCI) and manifest lists (Docker): parse one, and pick the child manifest a task's
 * platform pulls. BuildKit's attestation manifests (`unknown/unknown`, annotated
 * `vnd.docker.reference.type: attestation-manifest`) are not images and never count as a platform.
 */
import { formatPlatform, platformMatches, type Platform } from './platform.js';

/** OCI image index media type. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker manifest list media type. */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** OCI image manifest media type. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Docker image manifest (schema 2) media type. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** Every manifest type Lifeboat understands, most specific first: the `Accept` list for registries. */
export const ACCEPTED_MANIFEST_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST] as const;

/** Is this an image index or manifest list (a multi-arch image)? */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** One entry of an index. */
export interface IndexEntry {
  digest: string;
  mediaType?: string;
  platform?: Platform;
  /** A BuildKit attestation (provenance/SBOM), not a runnable image. */
  attestation: boolean;
}

/** A parsed index: its media type and entries. */
export interface ImageIndex {
  mediaType: string;
  manifests: IndexEntry[];
}

/** A parsed index, or why the body is not one. */
export type ParseIndexResult = { ok: true; index: ImageIndex } | { ok: false; error: string };

/** Parse index / manifest-list JSON. A plain image manifest is an error here (it has no children). */
export function parseImageIndex(body: string): ParseIndexResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the manifest is not JSON' };
  }
  if (!isRecord(json) || !Array.isArray(json.manifests)) return { ok: false, error: 'the manifest is not an image index' };
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : OCI_INDEX;
  const manifests: IndexEntry[] = [];
  for (const entry of json.manifests as unknown[]) {
    if (!isRecord(entry) || typeof entry.digest !== 'string') return { ok: false, error: 'an index entry has no digest' };
    const item: IndexEntry = { digest: entry.digest, attestation: isAttestation(entry) };
    if (typeof entry.mediaType === 'string') item.mediaType = entry.mediaType;
    const p = entry.platform;
    if (isRecord(p) && typeof p.os === 'string' && typeof p.architecture === 'string') {
      item.platform = { os: p.os, architecture: p.architecture };
      if (typeof p.variant === 'string') item.platform.variant = p.variant;
    }
    manifests.push(item);
  }
  return { ok: true, index: { mediaType, manifests } };
}

function isAttestation(entry: Record<string, unknown>): boolean {
  const annotations = entry.annotations;
  if (isRecord(annotations) && annotations['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  const p = entry.platform;
  return isRecord(p) && p.os === 'unknown' && p.architecture === 'unknown';
}

/** Which child a runtime on `platform` pulls. */
export type PlatformSelection =
  | { kind: 'match'; digest: string }
  /** No direct match, but nested indexes without a platform may hold one. */
  | { kind: 'nested'; digests: string[] }
  | { kind: 'no-platform'; available: string[] };

/** The child a runtime on `platform` would pull (attestations never count). */
export function selectPlatform(index: ImageIndex, platform: Platform): PlatformSelection {
  const images = index.manifests.filter((m) => !m.attestation);
  const match = images.find((m) => m.platform !== undefined && platformMatches(platform, m.platform));
  if (match) return { kind: 'match', digest: match.digest };
  const nested = images.filter((m) => m.platform === undefined && isIndexMediaType(m.mediaType)).map((m) => m.digest);
  if (nested.length > 0) return { kind: 'nested', digests: nested };
  const available = images.flatMap((m) => (m.platform ? [formatPlatform(m.platform)] : []));
  return { kind: 'no-platform', available: [...new Set(available)] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
