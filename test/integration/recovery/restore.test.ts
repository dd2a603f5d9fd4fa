/**
 * `restore` end to end at the AWS client boundary: the real job on the real `SdkEcrRestoreOps`
 * and `SdkEcrReader`, over real `ECRClient`s — one per Region, us-east-1 the repository restored
 * into, us-west-2 its replica — mocked at `send` by a small ECR per Region that keeps state (images
 * and their storage class, blobs, uploads) and answers like ECR does (corpus payload shapes, SDK
 * exception classes). Layer downloads go to a real local HTTP server, as presigned S3 URLs would.
 * Time is a `ManualClock` that `sleep` moves, so waiting for an archive restore takes no time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageNotFoundException,
  InitiateLayerUploadCommand,
  InvalidLayerException,
  InvalidLayerPartException,
  LayerAlreadyExistsException,
  LayersNotFoundException,
  PutImageCommand,
  ReferencedImagesNotFoundException,
  RepositoryNotFoundException,
  UpdateImageStorageClassCommand,
  UploadLayerPartCommand,
  UploadNotFoundException,
  type BatchCheckLayerAvailabilityRequest,
  type BatchCheckLayerAvailabilityResponse,
  type BatchGetImageRequest,
  type BatchGetImageResponse,
  type CompleteLayerUploadRequest,
  type CompleteLayerUploadResponse,
  type DescribeImagesRequest,
  type DescribeImagesResponse,
  type DescribeRegistryResponse,
  type GetDownloadUrlForLayerRequest,
  type GetDownloadUrlForLayerResponse,
  type ImageDetail,
  type ImageIdentifier,
  type InitiateLayerUploadRequest,
  type InitiateLayerUploadResponse,
  type PutImageRequest,
  type PutImageResponse,
  type ReplicationConfiguration,
  type UpdateImageStorageClassRequest,
  type UpdateImageStorageClassResponse,
  type UploadLayerPartRequest,
  type UploadLayerPartResponse,
} from '@aws-sdk/client-ecr';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkEcrReader } from '../../../src/adapters/aws/sdk-ecr-reader.js';
import { SdkEcrRestoreOps } from '../../../src/adapters/aws/sdk-ecr-restore-ops.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { JobContext, JobResult } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { shortDigest } from '../../../src/images/image-reference.js';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../../src/images/oci-index.js';
import { abortReason } from '../../../src/jobs/run-job.js';
import type { RecoveryDeps } from '../../../src/recovery/deps.js';
import { MemoryScaleRecordStore } from '../../../src/recovery/memory-scale-records.js';
import { createRestoreJob } from '../../../src/recovery/restore.js';
import { recoverySettingsSchema } from '../../../src/recovery/settings.js';
import { ecrError, fixture } from '../aws/support.js';

const ACCOUNT = '123456789012';
const EAST = 'us-east-1';
const WEST = 'us-west-2';
const REPO = 'shop/api';
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
/** How long ECR takes, here, to bring an image back from the archive. */
const ACTIVATION_MS = 2 * 60_000;
const KiB = 1024;
const REVISION = '3f9c2ab6d1e0c4b8a7f5e2d9c1b0a3f4e5d6c7b8';
/** What ECR's presigned S3 URLs carry: a credential in the query string. */
const SECRET_QUERY = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=SECRET-SESSION-TOKEN&X-Amz-Signature=0123abcd';

const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// ── content ──────────────────────────────────────────────────────────────────────────────────

/** A single-platform image, archived by a lifecycle `transition` rule: the corpus's BatchGetImage manifest. */
const ARCHIVED_MANIFEST = fixture<BatchGetImageResponse>('ecr/api-responses/batch-get-image.response.json').images?.[0]?.imageManifest ?? '';
const ARCHIVED = sha256(ARCHIVED_MANIFEST);

interface Manifest {
  digest: string;
  body: string;
  mediaType: string;
  /** Config and layers, in manifest order. */
  blobs: Buffer[];
}

function imageConfig(architecture: string, variant?: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      ...(variant !== undefined ? { variant } : {}),
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production'], Cmd: ['node', 'server.js'], WorkingDir: '/app', Labels: { 'org.opencontainers.image.revision': REVISION } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
      history: [{ created: '2026-03-01T09:00:00Z', created_by: 'ADD rootfs.tar.gz / # buildkit' }, { created: '2026-03-01T09:00:05Z', created_by: 'COPY . /app # buildkit' }],
    }),
  );
}

function imageManifest(config: Buffer, layers: { bytes: Buffer; mediaType: string; annotations?: Record<string, string> }[], configType = 'application/vnd.oci.image.config.v1+json'): Manifest {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: configType, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.bytes), size: l.bytes.length, ...(l.annotations ? { annotations: l.annotations } : {}) })),
  });
  return { digest: sha256(body), body, mediaType: OCI_MANIFEST, blobs: [config, ...layers.map((l) => l.bytes)] };
}

const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
// The app layer (`COPY . /app`) is the same bytes on both platforms; the base layers differ.
const APP_LAYER = randomBytes(90 * KiB + 13);
const AMD64 = imageManifest(imageConfig('amd64'), [
  { bytes: randomBytes(200 * KiB + 1), mediaType: GZIP_LAYER },
  { bytes: APP_LAYER, mediaType: GZIP_LAYER },
]);
const ARM64 = imageManifest(imageConfig('arm64', 'v8'), [
  { bytes: randomBytes(180 * KiB + 3), mediaType: GZIP_LAYER },
  { bytes: APP_LAYER, mediaType: GZIP_LAYER },
]);
// BuildKit's provenance attestation: an `unknown/unknown` manifest whose layer is an in-toto statement.
const PROVENANCE = Buffer.from(
  JSON.stringify({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: `pkg:docker/${ACCOUNT}.dkr.ecr.${EAST}.amazonaws.com/${REPO}@v42?platform=linux%2Famd64`, digest: { sha256: AMD64.digest.slice(7) } }],
    predicate: { builder: { id: '' }, buildType: 'https://mobyproject.org/buildkit@v1', metadata: { 'https://mobyproject.org/buildkit@v1#metadata': { vcs: { revision: REVISION } } } },
  }),
);
const ATTESTATION = imageManifest(Buffer.from(JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(PROVENANCE)] } })), [
  { bytes: PROVENANCE, mediaType: 'application/vnd.in-toto+json', annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } },
]);
const CHILDREN = [AMD64, ARM64, ATTESTATION];

/** A buildx index, shaped like the corpus example: two platforms and the attestation of one. */
const INDEX: Manifest = (() => {
  const template = fixture<{ manifests: Record<string, unknown>[] }>('oci/buildkit-attestation-image-index.example.json');
  const [platformEntry, attestationEntry] = template.manifests;
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...platformEntry, digest: AMD64.digest, size: AMD64.body.length, platform: { architecture: 'amd64', os: 'linux' } },
      { ...platformEntry, digest: ARM64.digest, size: ARM64.body.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { ...attestationEntry, digest: ATTESTATION.digest, size: ATTESTATION.body.length, annotations: { 'vnd.docker.reference.digest': AMD64.digest, 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  });
  return { digest: sha256(body), body, mediaType: OCI_INDEX, blobs: [] };
})();

/** Every blob the index needs, once each, in the order a copy meets them. */
const INDEX_BLOBS = [...new Set(CHILDREN.flatMap((m) => m.blobs.map((b) => sha256(b))))];

// ── a small ECR, one per Region ──────────────────────────────────────────────────────────────

type Status = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';

interface StoredImage {
  body: string;
  mediaType: string;
  tags: string[];
  status: Status;
  pushedAt: number;
  lastArchivedAt?: number;
  lastActivatedAt?: number;
  /** While ACTIVATING: when ECR is done. */
  activeAt?: number;
}

interface StoredRepo {
  images: Map<string, StoredImage>;
  /** Layers and configs, AVAILABLE in this repository. */
  blobs: Map<string, Buffer>;
}

const DETAIL_TEMPLATE: ImageDetail = fixture<DescribeImagesResponse>('ecr/api-responses/describe-images.response.json').imageDetails?.[0] ?? {};

/**
 * One Region's registry in account ACCOUNT, behind `aws-sdk-client-mock`: the handlers read and
 * change `repos` as ECR would (and refuse what ECR refuses), so a wrong order or a wrong byte fails.
 */
class Registry {
  readonly repos = new Map<string, StoredRepo>();
  replication: ReplicationConfiguration = { rules: [] };
  /** Operations answered with AccessDeniedException. */
  readonly denied = new Set<string>();
  private readonly uploads = new Map<string, { repository: string; parts: Buffer[]; received: number }>();
  private uploadSeq = 0;

  constructor(
    readonly region: string,
    mock: AwsClientStub<ECRClient>,
  ) {
    mock.on(DescribeImagesCommand).callsFake(this.guard('DescribeImages', (i: DescribeImagesRequest) => this.describeImages(i)));
    mock.on(BatchGetImageCommand).callsFake(this.guard('BatchGetImage', (i: BatchGetImageRequest) => this.batchGetImage(i)));
    mock.on(DescribeRegistryCommand).callsFake(this.guard('DescribeRegistry', (): DescribeRegistryResponse => ({ registryId: ACCOUNT, replicationConfiguration: structuredClone(this.replication) })));
    mock.on(UpdateImageStorageClassCommand).callsFake(this.guard('UpdateImageStorageClass', (i: UpdateImageStorageClassRequest) => this.updateStorageClass(i)));
    mock.on(BatchCheckLayerAvailabilityCommand).callsFake(this.guard('BatchCheckLayerAvailability', (i: BatchCheckLayerAvailabilityRequest) => this.checkLayers(i)));
    mock.on(GetDownloadUrlForLayerCommand).callsFake(this.guard('GetDownloadUrlForLayer', (i: GetDownloadUrlForLayerRequest) => this.downloadUrl(i)));
    mock.on(InitiateLayerUploadCommand).callsFake(this.guard('InitiateLayerUpload', (i: InitiateLayerUploadRequest) => this.initiateUpload(i)));
    mock.on(UploadLayerPartCommand).callsFake(this.guard('UploadLayerPart', (i: UploadLayerPartRequest) => this.uploadPart(i)));
    mock.on(CompleteLayerUploadCommand).callsFake(this.guard('CompleteLayerUpload', (i: CompleteLayerUploadRequest) => this.completeUpload(i)));
    mock.on(PutImageCommand).callsFake(this.guard('PutImage', (i: PutImageRequest) => this.putImage(i)));
  }

  createRepository(name: string): StoredRepo {
    const repo: StoredRepo = { images: new Map(), blobs: new Map() };
    this.repos.set(name, repo);
    return repo;
  }

  /** Put a manifest (and its blobs) here as a push would, in a given storage state. */
  seed(repository: string, m: Manifest, opts: { tags?: string[]; status?: Status } = {}): void {
    const repo = this.repos.get(repository) ?? this.createRepository(repository);
    for (const b of m.blobs) repo.blobs.set(sha256(b), b);
    const status = opts.status ?? 'ACTIVE';
    repo.images.set(m.digest, {
      body: m.body,
      mediaType: m.mediaType,
      tags: opts.tags ?? [],
      status,
      pushedAt: T0 - 200 * 86_400_000,
      ...(status === 'ARCHIVED' ? { lastArchivedAt: T0 - 60 * 86_400_000 } : {}),
    });
  }

  image(repository: string, digest: string): StoredImage | undefined {
    return this.repos.get(repository)?.images.get(digest);
  }

  private guard<I extends { repositoryName?: string | undefined }, O>(operation: string, fn: (input: I) => O): (input: I) => O {
    return (input) => {
      if (this.denied.has(operation)) {
        const resource = input.repositoryName !== undefined ? `arn:aws:ecr:${this.region}:${ACCOUNT}:repository/${input.repositoryName}` : '*';
        throw ecrError(
          'AccessDeniedException',
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/lifeboat-recovery/lifeboat is not authorized to perform: ecr:${operation} on resource: ${resource} because no identity-based policy allows the ecr:${operation} action`,
        );
      }
      return fn(input);
    };
  }

  private repo(name: string | undefined): StoredRepo {
    const repo = this.repos.get(name ?? '');
    if (!repo) throw new RepositoryNotFoundException({ message: `The repository with name '${name ?? ''}' does not exist in the registry with id '${ACCOUNT}'`, $metadata: { httpStatusCode: 400 } });
    // An archive restore finishes on ECR's schedule, seen by whoever looks next.
    for (const image of repo.images.values()) {
      if (image.status === 'ACTIVATING' && image.activeAt !== undefined && clock.now() >= image.activeAt) {
        image.status = 'ACTIVE';
        image.lastActivatedAt = image.activeAt;
        delete image.activeAt;
      }
    }
    return repo;
  }

  private find(repo: StoredRepo, id: ImageIdentifier): [string, StoredImage] | undefined {
    if (id.imageDigest !== undefined) {
      const image = repo.images.get(id.imageDigest);
      return image && (id.imageTag === undefined || image.tags.includes(id.imageTag)) ? [id.imageDigest, image] : undefined;
    }
    return [...repo.images.entries()].find(([, i]) => id.imageTag !== undefined && i.tags.includes(id.imageTag));
  }

  private describeImages(input: DescribeImagesRequest): DescribeImagesResponse {
    const repo = this.repo(input.repositoryName);
    const detail = ([digest, i]: [string, StoredImage]): ImageDetail => ({
      ...structuredClone(DETAIL_TEMPLATE),
      registryId: ACCOUNT,
      repositoryName: input.repositoryName,
      imageDigest: digest,
      ...(i.tags.length > 0 ? { imageTags: [...i.tags] } : { imageTags: undefined }),
      imageSizeInBytes: i.body.length,
      imagePushedAt: new Date(i.pushedAt),
      imageManifestMediaType: i.mediaType,
      imageStatus: i.status,
      ...(i.lastArchivedAt !== undefined ? { lastArchivedAt: new Date(i.lastArchivedAt) } : {}),
      ...(i.lastActivatedAt !== undefined ? { lastActivatedAt: new Date(i.lastActivatedAt) } : {}),
    });
    if (input.imageIds === undefined) {
      const wanted = input.filter?.imageStatus ?? 'ACTIVE';
      return { imageDetails: [...repo.images.entries()].filter(([, i]) => wanted === 'ANY' || i.status === wanted).map(detail) };
    }
    // By id, ECR fails the whole call naming one missing id (SdkEcrReader asks again for the rest).
    const found = input.imageIds.map((id) => {
      const hit = this.find(repo, id);
      if (!hit) {
        throw new ImageNotFoundException({
          message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${input.repositoryName ?? ''}' in the registry with id '${ACCOUNT}'`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      return hit;
    });
    return { imageDetails: found.map(detail) };
  }

  private batchGetImage(input: BatchGetImageRequest): BatchGetImageResponse {
    const repo = this.repo(input.repositoryName);
    const out: Required<Pick<BatchGetImageResponse, 'images' | 'failures'>> = { images: [], failures: [] };
    for (const id of input.imageIds ?? []) {
      const hit = this.find(repo, id);
      // An archived (or still activating) image cannot be pulled: ECR answers it as not found.
      if (!hit || hit[1].status !== 'ACTIVE') {
        out.failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      const [digest, image] = hit;
      out.images.push({
        registryId: ACCOUNT,
        repositoryName: input.repositoryName,
        imageId: { imageDigest: digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
        imageManifest: image.body,
        imageManifestMediaType: image.mediaType,
      });
    }
    return out;
  }

  private updateStorageClass(input: UpdateImageStorageClassRequest): UpdateImageStorageClassResponse {
    const repo = this.repo(input.repositoryName);
    const hit = input.imageId ? this.find(repo, input.imageId) : undefined;
    if (!hit) throw new ImageNotFoundException({ message: `The image with imageId {imageDigest:'${input.imageId?.imageDigest ?? 'null'}', imageTag:'null'} does not exist`, $metadata: { httpStatusCode: 400 } });
    const [digest, image] = hit;
    if (input.targetStorageClass !== 'STANDARD') throw new Error(`this registry only restores (asked for ${input.targetStorageClass ?? '?'})`);
    if (image.status === 'ARCHIVED') {
      image.status = 'ACTIVATING';
      image.activeAt = clock.now() + ACTIVATION_MS;
    }
    return { registryId: ACCOUNT, repositoryName: input.repositoryName, imageId: { imageDigest: digest }, imageStatus: image.status };
  }

  private checkLayers(input: BatchCheckLayerAvailabilityRequest): BatchCheckLayerAvailabilityResponse {
    const repo = this.repo(input.repositoryName);
    const digests = input.layerDigests ?? [];
    return {
      layers: digests.filter((d) => repo.blobs.has(d)).map((d) => ({ layerDigest: d, layerAvailability: 'AVAILABLE', layerSize: repo.blobs.get(d)?.length })),
      failures: digests.filter((d) => !repo.blobs.has(d)).map((d) => ({ layerDigest: d, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' })),
    };
  }

  private downloadUrl(input: GetDownloadUrlForLayerRequest): GetDownloadUrlForLayerResponse {
    const repo = this.repo(input.repositoryName);
    const digest = input.layerDigest ?? '';
    if (!repo.blobs.has(digest)) throw new LayersNotFoundException({ message: `The layer with digest ${digest} was not found in the repository`, $metadata: { httpStatusCode: 400 } });
    return { downloadUrl: `${blobBase}/${this.region}/${encodeURIComponent(input.repositoryName ?? '')}/${digest}?${SECRET_QUERY}`, layerDigest: digest };
  }

  private initiateUpload(input: InitiateLayerUploadRequest): InitiateLayerUploadResponse {
    this.repo(input.repositoryName);
    const uploadId = `${this.region}-upload-${++this.uploadSeq}`;
    this.uploads.set(uploadId, { repository: input.repositoryName ?? '', parts: [], received: 0 });
    return { uploadId, partSize: 10_485_760 };
  }

  private uploadPart(input: UploadLayerPartRequest): UploadLayerPartResponse {
    const upload = this.uploads.get(input.uploadId ?? '');
    if (!upload) throw new UploadNotFoundException({ message: `The upload ${input.uploadId ?? ''} could not be found`, $metadata: { httpStatusCode: 400 } });
    if (input.partFirstByte !== upload.received) {
      throw new InvalidLayerPartException({ message: 'The layer part is not in sequence', lastValidByteReceived: upload.received - 1, $metadata: { httpStatusCode: 400 } });
    }
    const part = Buffer.from(input.layerPartBlob ?? new Uint8Array());
    upload.parts.push(part);
    upload.received += part.length;
    return { registryId: ACCOUNT, repositoryName: input.repositoryName, uploadId: input.uploadId, lastByteReceived: upload.received - 1 };
  }

  private completeUpload(input: CompleteLayerUploadRequest): CompleteLayerUploadResponse {
    const repo = this.repo(input.repositoryName);
    const upload = this.uploads.get(input.uploadId ?? '');
    if (!upload) throw new UploadNotFoundException({ message: `The upload ${input.uploadId ?? ''} could not be found`, $metadata: { httpStatusCode: 400 } });
    const digest = input.layerDigests?.[0] ?? '';
    const bytes = Buffer.concat(upload.parts);
    if (sha256(bytes) !== digest) throw new InvalidLayerException({ message: `The layer digest ${digest} does not match the uploaded bytes`, $metadata: { httpStatusCode: 400 } });
    this.uploads.delete(input.uploadId ?? '');
    if (repo.blobs.has(digest)) throw new LayerAlreadyExistsException({ message: 'The layer already exists', $metadata: { httpStatusCode: 400 } });
    repo.blobs.set(digest, bytes);
    return { registryId: ACCOUNT, repositoryName: input.repositoryName, uploadId: input.uploadId, layerDigest: digest };
  }

  private putImage(input: PutImageRequest): PutImageResponse {
    const repo = this.repo(input.repositoryName);
    const body = input.imageManifest ?? '';
    const digest = sha256(body);
    if (input.imageDigest !== undefined && input.imageDigest !== digest) throw new ImageDigestDoesNotMatchException({ message: `The specified digest ${input.imageDigest} does not match the manifest (${digest})`, $metadata: { httpStatusCode: 400 } });
    const json = JSON.parse(body) as { mediaType?: string; manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    if (Array.isArray(json.manifests)) {
      const missing = json.manifests.filter((m) => repo.images.get(m.digest)?.status !== 'ACTIVE');
      if (missing.length > 0) throw new ReferencedImagesNotFoundException({ message: 'Some of the images referenced in the manifest list are not found', $metadata: { httpStatusCode: 400 } });
    } else {
      const blobs = [json.config?.digest ?? '', ...(json.layers ?? []).map((l) => l.digest)];
      if (blobs.some((b) => !repo.blobs.has(b))) throw new LayersNotFoundException({ message: 'The image manifest references layers that are not in the repository', $metadata: { httpStatusCode: 400 } });
    }
    const tag = input.imageTag;
    const existing = repo.images.get(digest);
    if (existing?.status === 'ACTIVE' && (tag === undefined || existing.tags.includes(tag))) {
      throw new ImageAlreadyExistsException({ message: `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists in the repository`, $metadata: { httpStatusCode: 400 } });
    }
    // A mutable repository: the tag moves to this image.
    if (tag !== undefined) for (const i of repo.images.values()) i.tags = i.tags.filter((t) => t !== tag);
    const image: StoredImage = existing ?? { body, mediaType: input.imageManifestMediaType ?? json.mediaType ?? DOCKER_MANIFEST, tags: [], status: 'ACTIVE', pushedAt: clock.now() };
    image.status = 'ACTIVE';
    if (tag !== undefined) image.tags.push(tag);
    repo.images.set(digest, image);
    return { image: { registryId: ACCOUNT, repositoryName: input.repositoryName, imageId: { imageDigest: digest, ...(tag !== undefined ? { imageTag: tag } : {}) }, imageManifest: body, imageManifestMediaType: image.mediaType } };
  }
}

// ── clients, blob server, job context ───────────────────────────────────────────────────────

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const clients: Record<string, ECRClient> = { [EAST]: new ECRClient({ region: EAST, credentials }), [WEST]: new ECRClient({ region: WEST, credentials }) };
const eastMock = mockClient(clients[EAST]!);
const westMock = mockClient(clients[WEST]!);
const clientFor = (region: string): ECRClient => {
  const client = clients[region];
  if (!client) throw new Error(`no ECR client for ${region}`);
  return client;
};

let clock: ManualClock;
let east: Registry;
let west: Registry;
const registries = (): Record<string, Registry> => ({ [EAST]: east, [WEST]: west });
/** Every wait the job asked for, in ms. */
const sleeps: number[] = [];
/** Blob digests the local "S3" served. */
const downloads: string[] = [];

let server: Server;
let blobBase: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, region = '', repository = '', digest = ''] = new URL(req.url ?? '/', 'http://x').pathname.split('/');
    const bytes = registries()[region]?.repos.get(decodeURIComponent(repository))?.blobs.get(decodeURIComponent(digest));
    if (!bytes) {
      res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    downloads.push(decodeURIComponent(digest));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    for (let i = 0; i < bytes.length; i += 40 * KiB) res.write(bytes.subarray(i, i + 40 * KiB));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  blobBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  clock = new ManualClock(T0);
  east = new Registry(EAST, eastMock);
  west = new Registry(WEST, westMock);
  sleeps.length = 0;
  downloads.length = 0;
});

/** A port restore must never touch: any call fails the test loudly. */
function unused<T extends object>(port: string): T {
  return new Proxy({} as T, {
    get: (_target, prop) =>
      prop === 'then'
        ? undefined
        : () => {
            throw new Error(`restore used ${port}.${String(prop)}`);
          },
  });
}

function deps(): RecoveryDeps {
  const where = { account: ACCOUNT, region: EAST };
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    sleeps.push(ms);
    clock.advance(ms);
    return Promise.resolve();
  };
  return {
    ...where,
    ecs: unused('ecs'),
    codebuild: unused('codebuild'),
    queues: unused('queues'),
    scaling: unused('scaling'),
    imageConfig: unused('imageConfig'),
    restore: new SdkEcrRestoreOps(clientFor, { fetch: globalThis.fetch, partBytes: 64 * KiB, timeoutMs: 5_000 }),
    images: {
      targets: [{ ...where, ecs: unused('images.targets[0].ecs') }],
      ecrFor: (_registryId, region) => new SdkEcrReader(clientFor(region), { region }),
      taskDefinitions: new MemoryCache(),
      manifests: new MemoryCache(),
      revisions: new MemoryCache(),
      clock,
      sleep,
      random: () => 0.5,
    },
    scaleRecords: new MemoryScaleRecordStore(),
    settings: recoverySettingsSchema.parse({}),
    clock,
    sleep,
    random: () => 0.5,
  };
}

/** Thrown by the checkpoint store: the worker died right after recording a step. */
class WorkerKilled extends Error {
  constructor(readonly after: string) {
    super(`worker killed after checkpoint ${after}`);
  }
}

/** One job whose checkpoints survive worker restarts: each `context()` is another worker's run. */
class Job {
  readonly checkpoints = new Map<string, string>();
  readonly progress: Message[] = [];

  constructor(readonly jobId = 'job-1') {}

  context(opts: { killAfter?: string; shutdownWhen?: (m: Message) => boolean } = {}): JobContext {
    const controller = new AbortController();
    return {
      jobId: this.jobId,
      signal: controller.signal,
      progress: (m) => {
        this.progress.push(m);
        if (opts.shutdownWhen?.(m) === true && !controller.signal.aborted) controller.abort(abortReason('shutdown'));
        return Promise.resolve();
      },
      checkpoint: {
        get: <T>(key: string) => Promise.resolve(this.checkpoints.has(key) ? (JSON.parse(this.checkpoints.get(key) ?? 'null') as T) : undefined),
        set: (key: string, value: unknown) => {
          this.checkpoints.set(key, JSON.stringify(value ?? null));
          return key === opts.killAfter ? Promise.reject(new WorkerKilled(key)) : Promise.resolve();
        },
      },
      log: silentLogger,
    };
  }
}

function restore(data: Record<string, unknown>, job = new Job(), opts?: Parameters<Job['context']>[0]): Promise<JobResult> {
  return createRestoreJob(deps())(data, job.context(opts));
}

/** Every text of a message, for assertions. */
function text(m: Message): string {
  return [
    m.summary,
    ...m.blocks.map((b) => ('text' in b ? b.text : 'fields' in b ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n') : 'items' in b ? b.items.join('\n') : '')),
  ].join('\n');
}

function commandName(call: { args: unknown[] }): string {
  return (call.args[0] as object).constructor.name.replace(/Command$/, '');
}

/** Operations sent to one Region's client, in order. */
function sent(mock: AwsClientStub<ECRClient>): string[] {
  return mock.calls().map(commandName);
}

const MUTATING = new Set(['UpdateImageStorageClass', 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload', 'PutImage']);

/** Every command that changes something, in either Region. */
function mutationsSent(): string[] {
  return [...sent(eastMock).map((c) => `${EAST} ${c}`), ...sent(westMock).map((c) => `${WEST} ${c}`)].filter((c) => MUTATING.has(c.split(' ')[1] ?? ''));
}

// ── scenarios ───────────────────────────────────────────────────────────────────────────────

/** The pinned image was archived by a lifecycle `transition` rule in us-east-1. */
function archivedInEast(): void {
  east.seed(REPO, { digest: ARCHIVED, body: ARCHIVED_MANIFEST, mediaType: DOCKER_MANIFEST, blobs: [] }, { tags: ['v41'], status: 'ARCHIVED' });
}

/** us-east-1 replicates `shop/` to us-west-2, where no lifecycle rule took the index the primary expired. */
function goneFromEastKeptInWest(opts: { replicaHasIt?: boolean; replicaStatus?: Status } = {}): void {
  // The repository still holds an older release; the index lost nothing of it.
  east.seed(REPO, { digest: ARCHIVED, body: ARCHIVED_MANIFEST, mediaType: DOCKER_MANIFEST, blobs: [] }, { tags: ['v41'] });
  east.replication = { rules: [{ destinations: [{ region: WEST, registryId: ACCOUNT }], repositoryFilters: [{ filter: 'shop/', filterType: 'PREFIX_MATCH' }] }] };
  west.createRepository(REPO);
  if (opts.replicaHasIt === false) return;
  for (const child of CHILDREN) west.seed(REPO, child, { status: opts.replicaStatus ?? 'ACTIVE' });
  west.seed(REPO, INDEX, { tags: ['v42'], status: opts.replicaStatus ?? 'ACTIVE' });
}

// ── tests ───────────────────────────────────────────────────────────────────────────────────

describe('restore from the archive storage class', () => {
  it('asks ECR once to move an archived image to STANDARD, polls until it is ACTIVE, and says it can be pulled', async () => {
    archivedInEast();
    const job = new Job();

    const result = await restore({ image: `${REPO}@${ARCHIVED}` }, job);

    expect(eastMock.commandCalls(UpdateImageStorageClassCommand).map((c) => c.args[0].input)).toEqual([
      { registryId: ACCOUNT, repositoryName: REPO, imageId: { imageDigest: ARCHIVED }, targetStorageClass: 'STANDARD' },
    ]);
    // ACTIVATING for two minutes: polled every 30 s (the default) until ECR said ACTIVE, then read back.
    expect(sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
    expect(sent(eastMock)).toEqual([
      'DescribeImages', // plan
      'DescribeImages', // re-read before acting
      'UpdateImageStorageClass',
      'DescribeImages', // t+0 s ACTIVATING
      'DescribeImages', // t+30 s
      'DescribeImages', // t+60 s
      'DescribeImages', // t+90 s
      'DescribeImages', // t+120 s ACTIVE
      'BatchGetImage', // an index? (its children would be checked)
      'BatchGetImage', // pullable?
    ]);
    expect(east.image(REPO, ARCHIVED)).toMatchObject({ status: 'ACTIVE', lastActivatedAt: T0 + ACTIVATION_MS, tags: ['v41'] });
    expect(result.outputs).toEqual({ restored: true, image: `${REPO}@${ARCHIVED}`, from: 'the archive', copied: 0, fromArchive: 1, tags: [] });
    expect(result.tone).toBe('success');
    expect(result.summary).toBe(`Restored ${REPO}@${shortDigest(ARCHIVED)} from the archive: it can be pulled again`);
    expect(text(result)).toContain('Manifests: 1 from the archive, 0 copied, 0 already there');
    // Nothing was copied, so no replica was looked for.
    expect(westMock.calls()).toHaveLength(0);
    expect(eastMock.commandCalls(DescribeRegistryCommand)).toHaveLength(0);
    expect(downloads).toEqual([]);
    expect(job.progress.map((m) => m.summary)).toEqual([
      `restore ${REPO}@${shortDigest(ARCHIVED)}: restore it from ECR’s archive storage class (UpdateImageStorageClass → STANDARD), then wait until ACTIVE`,
      `Restoring ${shortDigest(ARCHIVED)} from the archive…`,
      ...['0 s', '30 s', '1 min 00 s', '1 min 30 s'].map((waited) => `Waiting for ECR: ${shortDigest(ARCHIVED)} is being restored from the archive (${waited} so far)…`),
    ]);
  });

  it('resumes after the worker dies without asking ECR to restore the image again', async () => {
    archivedInEast();
    const job = new Job();

    // 1. The worker dies right after recording the plan: nothing was asked of ECR yet.
    await expect(restore({ image: `${REPO}@${ARCHIVED}` }, job, { killAfter: 'restore.plan' })).rejects.toBeInstanceOf(WorkerKilled);
    expect(eastMock.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
    expect(job.checkpoints.has('restore.plan')).toBe(true);

    // 2. The next worker asks for the restore, then shuts down while ECR is ACTIVATING.
    const shutdown = await restore({ image: `${REPO}@${ARCHIVED}` }, job, { shutdownWhen: (m) => m.summary.startsWith('Waiting for ECR') }).catch((e: unknown) => e);
    expect(shutdown).toMatchObject({ code: 'JOB_CANCELLED', retryable: true });
    expect(eastMock.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(1);
    expect(east.image(REPO, ARCHIVED)?.status).toBe('ACTIVATING');

    // 3. A minute later another worker picks it up: it sees ACTIVATING, only waits, and finishes.
    clock.advance(60_000);
    sleeps.length = 0;
    const result = await restore({ image: `${REPO}@${ARCHIVED}` }, job);
    expect(eastMock.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(1);
    expect(sleeps).toEqual([30_000, 30_000]);
    expect(east.image(REPO, ARCHIVED)?.status).toBe('ACTIVE');
    expect(result.outputs).toMatchObject({ restored: true, from: 'the archive', fromArchive: 1, copied: 0 });
    expect(result.summary).toContain('it can be pulled again');
  });
});

describe('restore by copying from a replica Region', () => {
  it('copies a multi-arch index from the us-west-2 replica: children first, exact bytes, each blob once', async () => {
    goneFromEastKeptInWest();
    const job = new Job();

    const result = await restore({ image: `${REPO}@${INDEX.digest}` }, job);

    // The three children, in index order, then the index — each with its exact bytes and digest;
    // then the index's tag in the replica (no image here holds it), put on the same manifest.
    const put = (m: Manifest, imageTag?: string) => ({ registryId: ACCOUNT, repositoryName: REPO, imageManifest: m.body, imageManifestMediaType: m.mediaType, imageDigest: m.digest, imageTag });
    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input)).toEqual([...CHILDREN.map((m) => put(m)), put(INDEX), put(INDEX, 'v42')]);
    for (const m of CHILDREN) expect(east.image(REPO, m.digest)).toMatchObject({ body: m.body, status: 'ACTIVE', tags: [] });
    expect(east.image(REPO, INDEX.digest)).toMatchObject({ body: INDEX.body, status: 'ACTIVE', tags: ['v42'] });

    // The app layer both platforms share went up with amd64; arm64's availability check found it there.
    const completed = eastMock.commandCalls(CompleteLayerUploadCommand).map((c) => c.args[0].input.layerDigests);
    expect(completed).toEqual(INDEX_BLOBS.map((d) => [d]));
    expect(eastMock.commandCalls(BatchCheckLayerAvailabilityCommand)[1]?.args[0].input.layerDigests).toEqual(ARM64.blobs.map((b) => sha256(b)));
    expect(downloads).toEqual(INDEX_BLOBS);
    expect(eastMock.commandCalls(InitiateLayerUploadCommand)).toHaveLength(INDEX_BLOBS.length);
    for (const b of CHILDREN.flatMap((m) => m.blobs)) expect(east.repos.get(REPO)?.blobs.get(sha256(b))?.equals(b)).toBe(true);

    expect(result.outputs).toEqual({ restored: true, image: `${REPO}@${INDEX.digest}`, from: 'the us-west-2 replica', copied: 4, fromArchive: 0, tags: ['v42'] });
    expect(result.summary).toBe(`Restored ${REPO}@${shortDigest(INDEX.digest)} from the us-west-2 replica: it can be pulled again`);
    expect(text(result)).toContain('Index: 3 children, every one pullable');
    // The plan said where it found the copy.
    expect(text(job.progress[0]!)).toContain('the us-west-2 replica: has it');

    // The replica was only read.
    expect([...new Set(sent(westMock))].sort()).toEqual(['BatchGetImage', 'DescribeImages', 'GetDownloadUrlForLayer']);
    expect([...(west.repos.get(REPO)?.images.keys() ?? [])]).toEqual([...CHILDREN, INDEX].map((m) => m.digest));
    expect(west.image(REPO, INDEX.digest)?.tags).toEqual(['v42']);
    expect(JSON.stringify(job.progress) + JSON.stringify(result)).not.toContain('SECRET');
  });

  it('copies only the children an ACTIVE index lost (a registry cleanup of untagged children), found in the replica', async () => {
    goneFromEastKeptInWest();
    // The index and amd64 survived here; arm64 and the attestation were cleaned up as "untagged".
    east.seed(REPO, AMD64, {});
    east.seed(REPO, INDEX, { tags: ['v42'] });
    const job = new Job();

    const result = await restore({ image: `${REPO}@${INDEX.digest}` }, job);

    expect(text(job.progress[0]!)).toMatch(/2 children of it are gone/);
    const puts = eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageDigest);
    expect(puts).toEqual([ARM64.digest, ATTESTATION.digest]);
    expect(result.outputs).toMatchObject({ restored: true, copied: 2, fromArchive: 0 });
    for (const m of [...CHILDREN, INDEX]) expect(east.image(REPO, m.digest)?.status).toBe('ACTIVE');
  });

  it('puts --tag on the index, and on no child', async () => {
    goneFromEastKeptInWest();
    const job = new Job();

    const result = await restore({ image: `${REPO}@${INDEX.digest}`, tag: 'v42-restored' }, job);

    const puts = eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input);
    expect(puts.filter((p) => p.imageDigest !== INDEX.digest).map((p) => [p.imageDigest, p.imageTag])).toEqual(CHILDREN.map((m) => [m.digest, undefined]));
    expect(puts.filter((p) => p.imageTag === 'v42-restored').map((p) => [p.imageDigest, p.imageManifest])).toEqual([[INDEX.digest, INDEX.body]]);
    expect(east.image(REPO, INDEX.digest)?.tags.sort()).toEqual(['v42', 'v42-restored']);
    expect(result.outputs).toMatchObject({ restored: true, copied: 4, from: 'the us-west-2 replica', tags: ['v42-restored', 'v42'] });
    expect(text(job.progress[0]!)).toContain('Tag: v42-restored');
  });

  it('leaves the replica’s tag where it is when it names another image here now', async () => {
    goneFromEastKeptInWest();
    // Since the index expired here, v42 was pushed again as another image.
    east.seed(REPO, { digest: ARCHIVED, body: ARCHIVED_MANIFEST, mediaType: DOCKER_MANIFEST, blobs: [] }, { tags: ['v41', 'v42'] });

    const result = await restore({ image: `${REPO}@${INDEX.digest}` });

    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual([undefined, undefined, undefined, undefined]);
    expect(east.image(REPO, ARCHIVED)?.tags).toEqual(['v41', 'v42']);
    expect(east.image(REPO, INDEX.digest)?.tags).toEqual([]);
    expect(result.outputs).toMatchObject({ restored: true, copied: 4, tags: [] });
    expect(text(result)).toContain(`Tag v42 now names ${shortDigest(ARCHIVED)}, so it was left there`);
  });

  it('refuses --tag when the tag names another image here: it never leaves that one untagged', async () => {
    goneFromEastKeptInWest();
    const job = new Job();

    await expect(restore({ image: `${REPO}@${INDEX.digest}`, tag: 'v41' }, job)).rejects.toThrow(/Tag v41 names .* restore does not move a tag off another image/);

    expect(mutationsSent()).toEqual([]);
    expect(east.image(REPO, ARCHIVED)?.tags).toEqual(['v41']);
  });

  it('copies a child an index lists twice only once', async () => {
    goneFromEastKeptInWest();
    const twice = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [AMD64, AMD64].map((m) => ({ mediaType: OCI_MANIFEST, digest: m.digest, size: m.body.length, platform: { architecture: 'amd64', os: 'linux' } })) });
    const dup: Manifest = { digest: sha256(twice), body: twice, mediaType: OCI_INDEX, blobs: [] };
    west.seed(REPO, dup, { tags: ['dup'] });

    await restore({ image: `${REPO}@${dup.digest}` });
    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageDigest)).toEqual([AMD64.digest, dup.digest, dup.digest]);
    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual([undefined, undefined, 'dup']);
  });

  it('resumes a copy after a worker shutdown without putting or uploading anything twice', async () => {
    goneFromEastKeptInWest();
    const job = new Job();

    // The worker shuts down as the index is about to be put: its children are already here.
    const shutdown = await restore({ image: `${REPO}@${INDEX.digest}` }, job, { shutdownWhen: (m) => m.summary.startsWith(`Copying ${shortDigest(INDEX.digest)}`) }).catch((e: unknown) => e);
    expect(shutdown).toMatchObject({ code: 'JOB_CANCELLED', retryable: true });
    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageDigest)).toEqual(CHILDREN.map((m) => m.digest));

    const result = await restore({ image: `${REPO}@${INDEX.digest}` }, job);

    expect(eastMock.commandCalls(PutImageCommand).map((c) => [c.args[0].input.imageDigest, c.args[0].input.imageTag])).toEqual([
      ...CHILDREN.map((m) => [m.digest, undefined]),
      [INDEX.digest, undefined],
      [INDEX.digest, 'v42'],
    ]);
    expect(eastMock.commandCalls(CompleteLayerUploadCommand).map((c) => c.args[0].input.layerDigests?.[0])).toEqual(INDEX_BLOBS);
    expect(downloads).toEqual(INDEX_BLOBS);
    expect(result.outputs).toMatchObject({ restored: true, copied: 1, from: 'the us-west-2 replica' });
    expect(text(result)).toContain('Manifests: 0 from the archive, 1 copied, 3 already there');
  });

  it('refuses, saying where it looked and to rebuild, when the replica does not have the digest either', async () => {
    goneFromEastKeptInWest({ replicaHasIt: false });
    const job = new Job();

    const err: unknown = await restore({ image: `${REPO}@${INDEX.digest}` }, job).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringContaining(`${REPO}@${shortDigest(INDEX.digest)} is gone from repo ${REPO} and no copy of it was found. Looked in the us-west-2 replica (not there).`),
    });
    expect((err as { userMessage: string }).userMessage).toMatch(/Rebuild the image instead \(`rebuild <cluster\/service>`/);
    expect(mutationsSent()).toEqual([]);
    expect(downloads).toEqual([]);
    expect(job.progress.map((m) => m.tone)).toEqual(['warning']);
    expect(job.checkpoints.size).toBe(0);
  });

  it('refuses to copy from a replica that only has the digest archived', async () => {
    goneFromEastKeptInWest({ replicaStatus: 'ARCHIVED' });

    await expect(restore({ image: `${REPO}@${INDEX.digest}` })).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringContaining('Looked in the us-west-2 replica (archived there, so it cannot be copied until restored there).'),
    });
    expect(mutationsSent()).toEqual([]);
  });

  it('names ecr:PutImage on the target repository when PutImage is denied, and does not retry it', async () => {
    goneFromEastKeptInWest();
    east.denied.add('PutImage');

    await expect(restore({ image: `${REPO}@${INDEX.digest}` })).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      retryable: false,
      userMessage: expect.stringContaining(`not allowed ecr:PutImage on arn:aws:ecr:${EAST}:${ACCOUNT}:repository/${REPO}`),
    });
    expect(eastMock.commandCalls(PutImageCommand)).toHaveLength(1);
    expect([...(east.repos.get(REPO)?.images.keys() ?? [])]).toEqual([ARCHIVED]);
  });

  it('copies from --from us-west-2 without reading the replication configuration, even when that is denied', async () => {
    goneFromEastKeptInWest();
    east.denied.add('DescribeRegistry');
    west.denied.add('DescribeRegistry');

    const result = await restore({ image: `${REPO}@${INDEX.digest}`, from: WEST });

    expect(eastMock.commandCalls(DescribeRegistryCommand)).toHaveLength(0);
    expect(westMock.commandCalls(DescribeRegistryCommand)).toHaveLength(0);
    expect(result.outputs).toEqual({ restored: true, image: `${REPO}@${INDEX.digest}`, from: 'the us-west-2 replica', copied: 4, fromArchive: 0, tags: ['v42'] });
    expect(eastMock.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageDigest)).toEqual([...CHILDREN, INDEX, INDEX].map((m) => m.digest));
  });

  it('without --from, reports a denied DescribeRegistry and suggests naming the copy', async () => {
    goneFromEastKeptInWest();
    east.denied.add('DescribeRegistry');
    const job = new Job();

    await expect(restore({ image: `${REPO}@${INDEX.digest}` }, job)).rejects.toMatchObject({ code: 'JOB_FAILED', userMessage: expect.stringContaining('name a copy with --from') });
    expect(text(job.progress[0]!)).toContain(`could not read the replication configuration of registry ${ACCOUNT} in ${EAST}: Lifeboat is not allowed ecr:DescribeRegistry`);
    expect(mutationsSent()).toEqual([]);
  });
});

describe('restore --dry-run', () => {
  it('shows the archive restore it would ask for and changes nothing', async () => {
    archivedInEast();
    const job = new Job();

    const result = await restore({ image: `${REPO}@${ARCHIVED}`, dryRun: true }, job);

    const answer = text(result);
    expect(result.summary).toBe(`Dry run: restore ${REPO}@${shortDigest(ARCHIVED)}: restore it from ECR’s archive storage class (UpdateImageStorageClass → STANDARD), then wait until ACTIVE`);
    expect(answer).toContain(`✎ ecr:UpdateImageStorageClass {"registryId":"${ACCOUNT}","repositoryName":"${REPO}","imageId":{"imageDigest":"${ARCHIVED}"},"targetStorageClass":"STANDARD"}`);
    expect(answer).toContain('ecr:DescribeImages');
    expect(answer).toContain('Dry run: nothing was changed.');
    expect(mutationsSent()).toEqual([]);
    expect(east.image(REPO, ARCHIVED)?.status).toBe('ARCHIVED');
    expect(sleeps).toEqual([]);
    expect(job.checkpoints.size).toBe(0);
  });

  it('shows the copy from the replica it would make and changes nothing', async () => {
    goneFromEastKeptInWest();
    const job = new Job();

    const result = await restore({ image: `${REPO}@${INDEX.digest}`, dryRun: true, tag: 'v42-restored' }, job);

    const answer = text(result);
    expect(result.summary).toContain('copy the exact manifest and its blobs from the us-west-2 replica');
    for (const action of ['ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer']) expect(answer).toContain(`· ${action}`);
    for (const action of ['ecr:InitiateLayerUpload', 'ecr:PutImage']) expect(answer).toContain(`✎ ${action}`);
    // The copy puts the exact manifest; the tag follows as a PutImage of the same manifest.
    expect(answer).toContain(`"imageDigest":"${INDEX.digest}","imageManifest":"<the exact manifest bytes>"}`);
    expect(answer).toContain(`"imageDigest":"${INDEX.digest}","imageManifest":"<the same manifest>","imageTag":"v42-restored"`);
    expect(answer).toContain('Dry run: nothing was changed.');
    expect(mutationsSent()).toEqual([]);
    expect(downloads).toEqual([]);
    expect(sent(westMock)).not.toContain('GetDownloadUrlForLayer');
    expect([...(east.repos.get(REPO)?.images.keys() ?? [])]).toEqual([ARCHIVED]);
    expect(job.checkpoints.size).toBe(0);
  });
});
