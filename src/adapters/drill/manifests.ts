/**
 * Image manifests as BuildKit / docker push them: a single-platform image manifest, or a tagged
 * index with one untagged child per platform plus (buildx default) an `unknown/unknown`
 * attestation manifest per child (corpus oci/buildkit-attestation-image-index.example.json).
 * Digests are the sha256 of the manifest text, so a rebuild with a new build id yields new
 * digests — rebuilds are never bit-identical, exactly the property that makes pinning bite.
 */
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../images/oci-index.js';
import { formatPlatform, type Platform } from '../../images/platform.js';
import { sha256Digest } from './ids.js';

const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const IN_TOTO = 'application/vnd.in-toto+json';

/** One manifest to store: its digest, media type and body, and how it relates to the others. */
export interface BuiltManifest {
  digest: string;
  mediaType: string;
  body: string;
  /** Compressed size of the image (sum of layers), like ECR's `imageSizeInBytes`. */
  size: number;
  role: 'image' | 'index' | 'attestation';
  platform?: Platform;
  /** For an attestation: the image it describes. */
  subject?: string;
  /** For an index: what it references. */
  children?: string[];
  /** For an image: its configuration blob (platform, labels). */
  config?: { digest: string; body: string };
}

/** What a build pushes. */
export interface ImageBuildSpec {
  /** Platforms to build; one platform without `index` pushes a plain image manifest. */
  platforms: readonly Platform[];
  /** buildx provenance attestations (default on with an index, like buildx `mode=min`). */
  attestations?: boolean;
  /** Push an index even for one platform (buildx does, when attestations are on). */
  index?: boolean;
  /** What makes this build's content unique: repository, source revision, build id. */
  seed: string;
  /** Use Docker media types for a single-platform image (as `docker push` of a classic build does). */
  dockerMediaTypes?: boolean;
  /** The git commit built: the `org.opencontainers.image.revision` label. */
  revision?: string;
  /** More `config.Labels`. */
  labels?: Record<string, string>;
}

/** The manifests of one push, top-level (the one the tag points to) first. */
export interface BuiltImage {
  top: BuiltManifest;
  /** Children and attestations (empty for a single-platform image without index). */
  others: BuiltManifest[];
}

export const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
export const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

/** Build the manifests of one image push. */
export function buildImage(spec: ImageBuildSpec): BuiltImage {
  const wantIndex = spec.index ?? (spec.platforms.length > 1 || spec.attestations === true);
  const labels = { ...(spec.revision !== undefined ? { 'org.opencontainers.image.revision': spec.revision } : {}), ...spec.labels };
  const images = spec.platforms.map((p) => imageManifest(spec.seed, p, wantIndex ? OCI_MANIFEST : spec.dockerMediaTypes ? DOCKER_MANIFEST : OCI_MANIFEST, labels));
  const first = images[0];
  if (!first) throw new Error('an image build needs at least one platform');
  if (!wantIndex) return { top: first, others: [] };
  const attestations = spec.attestations ?? true ? images.map((img) => attestationManifest(spec.seed, img)) : [];
  const entries = [
    ...images.map((img) => ({ mediaType: img.mediaType, digest: img.digest, size: img.body.length, platform: platformJson(img.platform ?? AMD64) })),
    ...attestations.map((att) => ({
      mediaType: att.mediaType,
      digest: att.digest,
      size: att.body.length,
      annotations: { 'vnd.docker.reference.digest': att.subject, 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    })),
  ];
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }, null, 2);
  const top: BuiltManifest = {
    digest: sha256Digest(body),
    mediaType: OCI_INDEX,
    body,
    size: Math.max(...images.map((i) => i.size)),
    role: 'index',
    children: entries.map((e) => e.digest),
  };
  return { top, others: [...images, ...attestations] };
}

function imageManifest(seed: string, platform: Platform, mediaType: string, labels: Record<string, string>): BuiltManifest {
  const p = formatPlatform(platform);
  const layerDigests = [0, 1, 2].map((i) => sha256Digest(`${seed}|layer${i}|${p}`));
  const configBody = JSON.stringify({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['node', 'server.js'], Labels: labels },
    rootfs: { type: 'layers', diff_ids: layerDigests.map((d) => sha256Digest(`diff|${d}`)) },
  });
  const config = { mediaType: OCI_CONFIG, digest: sha256Digest(configBody), size: configBody.length };
  const layers = layerDigests.map((digest, i) => ({ mediaType: mediaType === DOCKER_MANIFEST ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : OCI_LAYER, digest, size: [3_400_000, 18_700_000, 2_100_000][i] ?? 1 }));
  const body = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType,
      config: mediaType === DOCKER_MANIFEST ? { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' } : config,
      layers,
    },
    null,
    2,
  );
  return { digest: sha256Digest(body), mediaType, body, size: layers.reduce((n, l) => n + l.size, 0), role: 'image', platform, config: { digest: config.digest, body: configBody } };
}

function attestationManifest(seed: string, subject: BuiltManifest): BuiltManifest {
  const body = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256Digest(`${seed}|att-config|${subject.digest}`), size: 167 },
      layers: [
        {
          mediaType: IN_TOTO,
          digest: sha256Digest(`${seed}|provenance|${subject.digest}`),
          size: 1_423,
          annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
        },
      ],
    },
    null,
    2,
  );
  return { digest: sha256Digest(body), mediaType: OCI_MANIFEST, body, size: 1_590, role: 'attestation', subject: subject.digest };
}

function platformJson(p: Platform): Record<string, string> {
  return p.variant !== undefined ? { architecture: p.architecture, os: p.os, variant: p.variant } : { architecture: p.architecture, os: p.os };
}
