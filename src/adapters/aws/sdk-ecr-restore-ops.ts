/**
 * `EcrRestoreOps` on the AWS SDK v3 ECR client: restore an archived image, read a registry's
 * replication rules, and copy one manifest between repositories (another Region, another
 * account's registry) through the ECR API — the push protocol, blob by blob, so the manifest
 * keeps its bytes and therefore its digest.
 *
 * Blobs travel from a presigned download URL (`GetDownloadUrlForLayer`) straight into
 * `UploadLayerPart`s: at most one part is held in memory, and each blob's sha256 is computed on
 * the way and compared before `CompleteLayerUpload`, so ECR never receives a blob, or a manifest,
 * whose digest differs from what was asked for. Presigned URLs carry credentials: they are never
 * put in a message or an error cause.
 */
import { createHash } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UpdateImageStorageClassCommand,
  UploadLayerPartCommand,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { LifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import { ACCEPTED_MANIFEST_TYPES, isIndexMediaType } from '../../images/oci-index.js';
import type { CopyResult, EcrLocation, EcrRestoreOps, ReplicationDestination } from '../../recovery/ports.js';
import { isObject, parseObject } from './json-object.js';
import { describeReplicationDestinations } from './ecr-replication.js';
import { opsCall, type OpsCallContext } from './ops-call.js';

/** Options of `SdkEcrRestoreOps`. */
export interface SdkEcrRestoreOpsOptions {
  /** `globalThis.fetch` in production. */
  fetch: typeof fetch;
  /**
   * Longest wait for a blob download's response, and then for each next chunk of its body.
   * A stall, not a total: a large layer may take minutes, as long as bytes keep coming. Default 30 s.
   */
  timeoutMs?: number;
  /** Size of each `UploadLayerPart`. Default: the part size `InitiateLayerUpload` answers, else 20 MiB. */
  partBytes?: number;
  /**
   * Where a registry replicates to, asked with the credentials of the account that owns it (the
   * image scan's, per target). Default: `DescribeRegistry` with this adapter's own clients, which
   * sees only the recovery account's registry.
   */
  replication?: (registryId: string, region: string) => Promise<ReplicationDestination[]>;
}

/** Every operation `SdkEcrRestoreOps` can send, as IAM actions. */
export const SDK_ECR_RESTORE_ACTIONS = [
  'ecr:UpdateImageStorageClass',
  'ecr:DescribeRegistry',
  'ecr:BatchGetImage',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
] as const;

const DEFAULT_PART_BYTES = 20 * 1024 * 1024;
/** `BatchCheckLayerAvailability` takes at most 100 digests per call. */
const CHECK_BATCH = 100;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A manifest as `BatchGetImage` answered it. */
interface FetchedManifest {
  body: string;
  mediaType: string | undefined;
}

/**
 * `EcrRestoreOps` on `ECRClient`s, one per Region from `clientFor` (reads go to `from`'s Region,
 * writes to `to`'s). Failures leave as `LifeboatError`; nothing is retried here.
 */
export class SdkEcrRestoreOps implements EcrRestoreOps {
  private readonly clients = new Map<string, ECRClient>();

  constructor(
    private readonly clientFor: (region: string) => ECRClient,
    private readonly options: SdkEcrRestoreOpsOptions,
  ) {}

  async restoreFromArchive(at: EcrLocation, digest: string): Promise<{ status: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' }> {
    const image = `${at.repository}@${digest}`;
    const ctx: OpsCallContext = {
      ...this.ctx('ecr:UpdateImageStorageClass', at),
      notFound: `image ${image} in registry ${at.registryId} (${at.region})`,
      notFoundErrors: ['ImageNotFoundException'],
    };
    try {
      const out = await opsCall(ctx, () =>
        this.client(at.region).send(
          new UpdateImageStorageClassCommand({ registryId: at.registryId, repositoryName: at.repository, imageId: { imageDigest: digest }, targetStorageClass: 'STANDARD' }),
        ),
      );
      return { status: out.imageStatus ?? 'ACTIVATING' };
    } catch (err) {
      if (causeName(err) === 'ImageStorageClassUpdateNotSupportedException') {
        throw new LifeboatError(
          'AWS_ERROR',
          `ECR cannot restore ${image} in registry ${at.registryId} (${at.region}) from the archive storage class (${awsMessage(err) || 'ImageStorageClassUpdateNotSupportedException'}). Rebuild it; or, if a replica still has it, delete the archived image (batch-delete-image) and run restore again with --from <Region>.`,
          { cause: causeOf(err), retryable: false },
        );
      }
      throw err;
    }
  }

  replicationDestinations(registryId: string, region: string): Promise<ReplicationDestination[]> {
    return this.options.replication ? this.options.replication(registryId, region) : describeReplicationDestinations(this.client(region), registryId, region);
  }

  async copyImage(from: EcrLocation, to: EcrLocation, digest: string, options: { tag?: string; signal?: AbortSignal } = {}): Promise<CopyResult> {
    const { tag, signal } = options;
    const result: CopyResult = { blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: false };
    if (!SHA256_DIGEST.test(digest)) throw new LifeboatError('COMMAND_ARGS_INVALID', `${digest} is not a sha256 image digest; Lifeboat copies images by digest only.`);
    signal?.throwIfAborted();

    // 1. Already there (with the tag, when one is asked for): a retry changes nothing.
    const present = await this.presence(to, digest, tag);
    if (present.digest && (tag === undefined || present.tag)) return result;

    // 2. The exact bytes, checked against the digest before anything is written.
    signal?.throwIfAborted();
    const manifest = await this.sourceManifest(from, digest);
    const actual = `sha256:${createHash('sha256').update(manifest.body, 'utf8').digest('hex')}`;
    if (actual !== digest) {
      throw new LifeboatError(
        'AWS_ERROR',
        `ECR answered a manifest for ${describe(from, digest)} whose bytes hash to ${actual}; Lifeboat will not copy it, since the copy would not be ${digest}.`,
        { retryable: false },
      );
    }

    // 3. Blobs: an index has none of its own (its children are manifests, copied separately); a
    //    manifest the target already holds under another tag needs none either.
    if (!present.digest) {
      const blobs = blobsOf(manifest, from, digest);
      const missing = await this.missingBlobs(to, blobs);
      result.blobsPresent = blobs.length - missing.length;
      for (const blob of missing) {
        signal?.throwIfAborted();
        const copied = await this.copyBlob(from, to, blob, signal);
        if (copied === undefined) {
          result.blobsPresent++;
        } else {
          result.blobsCopied++;
          result.bytesCopied += copied;
        }
      }
    }

    // 4. The manifest, with its digest so ECR checks it too.
    signal?.throwIfAborted();
    result.manifestPut = await this.putManifest(to, digest, manifest, tag);
    return result;
  }

  /** Whether `to` holds the digest, and whether `tag` already names it there. */
  private async presence(to: EcrLocation, digest: string, tag: string | undefined): Promise<{ digest: boolean; tag: boolean }> {
    const imageIds: ImageIdentifier[] = [{ imageDigest: digest }];
    if (tag !== undefined) imageIds.push({ imageTag: tag });
    const out = await opsCall(this.ctx('ecr:BatchGetImage', to), () =>
      this.client(to.region).send(
        new BatchGetImageCommand({ registryId: to.registryId, repositoryName: to.repository, imageIds, acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES] }),
      ),
    );
    const images = out.images ?? [];
    return {
      digest: images.some((i) => i.imageId?.imageDigest === digest),
      tag: tag !== undefined && images.some((i) => i.imageId?.imageDigest === digest && i.imageId.imageTag === tag),
    };
  }

  private async sourceManifest(from: EcrLocation, digest: string): Promise<FetchedManifest> {
    const out = await opsCall(this.ctx('ecr:BatchGetImage', from), () =>
      this.client(from.region).send(
        new BatchGetImageCommand({
          registryId: from.registryId,
          repositoryName: from.repository,
          imageIds: [{ imageDigest: digest }],
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
        }),
      ),
    );
    const image = out.images?.find((i) => i.imageId?.imageDigest === digest) ?? out.images?.[0];
    if (image?.imageManifest !== undefined) return { body: image.imageManifest, mediaType: image.imageManifestMediaType };
    const failure = out.failures?.[0];
    if (failure === undefined || failure.failureCode === 'ImageNotFound') {
      throw new LifeboatError('AWS_NOT_FOUND', `Image ${describe(from, digest)} does not exist.`);
    }
    const retryable = failure.failureCode?.startsWith('Upstream') === true && failure.failureCode !== 'UpstreamAccessDenied';
    throw new LifeboatError('AWS_ERROR', `ECR could not read ${describe(from, digest)} (${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? 'no reason given'}).`, { retryable });
  }

  /** The blobs of `digests` that `to` lacks (anything but AVAILABLE). */
  private async missingBlobs(to: EcrLocation, digests: readonly string[]): Promise<string[]> {
    const available = new Set<string>();
    for (let i = 0; i < digests.length; i += CHECK_BATCH) {
      const layerDigests = digests.slice(i, i + CHECK_BATCH);
      const out = await opsCall(this.ctx('ecr:BatchCheckLayerAvailability', to), () =>
        this.client(to.region).send(new BatchCheckLayerAvailabilityCommand({ registryId: to.registryId, repositoryName: to.repository, layerDigests })),
      );
      for (const layer of out.layers ?? []) if (layer.layerDigest && layer.layerAvailability === 'AVAILABLE') available.add(layer.layerDigest);
    }
    return digests.filter((d) => !available.has(d));
  }

  /** Copy one blob; answers the bytes uploaded, or undefined when ECR already had it. */
  private async copyBlob(from: EcrLocation, to: EcrLocation, blob: string, signal: AbortSignal | undefined): Promise<number | undefined> {
    const url = await opsCall(
      { ...this.ctx('ecr:GetDownloadUrlForLayer', from), notFound: `blob ${blob} of ${from.repository} in registry ${from.registryId} (${from.region})`, notFoundErrors: ['LayersNotFoundException'] },
      () => this.client(from.region).send(new GetDownloadUrlForLayerCommand({ registryId: from.registryId, repositoryName: from.repository, layerDigest: blob })),
    );
    if (!url.downloadUrl) throw new LifeboatError('AWS_ERROR', `ECR gave no download URL for blob ${blob} of ${from.repository} (${from.region}).`);

    const download = new Download(this.options.fetch, url.downloadUrl, this.options.timeoutMs ?? 30_000, signal, `blob ${blob} of ${from.repository} (${from.region})`);
    try {
      await download.open();
      const started = await opsCall(this.ctx('ecr:InitiateLayerUpload', to), () =>
        this.client(to.region).send(new InitiateLayerUploadCommand({ registryId: to.registryId, repositoryName: to.repository })),
      );
      const uploadId = started.uploadId;
      if (!uploadId) throw new LifeboatError('AWS_ERROR', `ECR started no layer upload in ${to.repository} (${to.region}).`);
      const partSize = this.options.partBytes ?? (started.partSize !== undefined && started.partSize > 0 ? started.partSize : DEFAULT_PART_BYTES);

      const hash = createHash('sha256');
      const pending = new PartBuffer(partSize);
      let offset = 0;
      const upload = async (part: Uint8Array): Promise<void> => {
        signal?.throwIfAborted();
        const first = offset;
        await opsCall(this.ctx('ecr:UploadLayerPart', to), () =>
          this.client(to.region).send(
            new UploadLayerPartCommand({ registryId: to.registryId, repositoryName: to.repository, uploadId, partFirstByte: first, partLastByte: first + part.byteLength - 1, layerPartBlob: part }),
          ),
        );
        offset += part.byteLength;
      };
      for (let chunk = await download.next(); chunk !== undefined; chunk = await download.next()) {
        hash.update(chunk);
        for (const part of pending.write(chunk)) await upload(part);
      }
      const last = pending.rest();
      if (last) await upload(last);

      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== blob) {
        // Not completed: ECR drops the unfinished upload by itself.
        throw new LifeboatError('AWS_ERROR', `The bytes downloaded for blob ${blob} of ${from.repository} (${from.region}) hash to ${actual}; Lifeboat did not upload them.`, { retryable: false });
      }
      try {
        await opsCall(this.ctx('ecr:CompleteLayerUpload', to), () =>
          this.client(to.region).send(new CompleteLayerUploadCommand({ registryId: to.registryId, repositoryName: to.repository, uploadId, layerDigests: [blob] })),
        );
      } catch (err) {
        // Someone else pushed the same blob meanwhile: same digest, same bytes.
        if (causeName(err) === 'LayerAlreadyExistsException') return undefined;
        throw err;
      }
      return offset;
    } finally {
      download.close();
    }
  }

  /** `PutImage`; false when the target already held exactly this. */
  private async putManifest(to: EcrLocation, digest: string, manifest: FetchedManifest, tag: string | undefined): Promise<boolean> {
    try {
      await opsCall(this.ctx('ecr:PutImage', to), () =>
        this.client(to.region).send(
          new PutImageCommand({
            registryId: to.registryId,
            repositoryName: to.repository,
            imageManifest: manifest.body,
            imageManifestMediaType: manifest.mediaType,
            imageDigest: digest,
            imageTag: tag,
          }),
        ),
      );
      return true;
    } catch (err) {
      switch (causeName(err)) {
        case 'ImageAlreadyExistsException':
          return false;
        case 'ReferencedImagesNotFoundException':
          throw new LifeboatError('AWS_ERROR', `ECR refused index ${describe(to, digest)}: images it lists are not in ${to.repository} (${to.region}); copy the index's child manifests first.`, {
            cause: causeOf(err),
            retryable: false,
          });
        case 'ImageTagAlreadyExistsException':
          throw new LifeboatError(
            'AWS_ERROR',
            `Tag ${tag ?? ''} already names another image in ${to.repository} (${to.region}) and the repository's tags are immutable; copy ${digest} under another tag, or without one.`,
            { cause: causeOf(err), retryable: false },
          );
        default:
          throw err;
      }
    }
  }

  private client(region: string): ECRClient {
    let client = this.clients.get(region);
    if (client === undefined) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    return client;
  }

  private ctx(action: string, at: EcrLocation): OpsCallContext {
    return {
      action,
      resource: `arn:${partitionOf(at.region)}:ecr:${at.region}:${at.registryId}:repository/${at.repository}`,
      notFound: `repository ${at.repository} in registry ${at.registryId} (${at.region})`,
    };
  }
}

/**
 * One blob download: the response, then its body chunk by chunk. `timeoutMs` bounds each wait
 * (headers, then every chunk), not the whole transfer; the caller's signal aborts it too.
 */
class Download {
  private readonly stall = new AbortController();
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly what: string,
  ) {}

  async open(): Promise<void> {
    const signal = this.signal ? AbortSignal.any([this.stall.signal, this.signal]) : this.stall.signal;
    const res = await this.within(() => this.fetchFn(this.url, { signal }));
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      // 403: the presigned URL expired or was refused; a retry asks ECR for a fresh one.
      throw new LifeboatError('AWS_ERROR', `ECR's download URL answered HTTP ${res.status} for ${this.what}.`, { retryable: res.status >= 500 || res.status === 403 || res.status === 429 });
    }
    this.reader = res.body.getReader();
  }

  /** The next chunk, or undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    const reader = this.reader;
    if (!reader) throw new Error('Download.next before open');
    const { done, value } = await this.within(() => reader.read());
    return done ? undefined : value;
  }

  close(): void {
    // Abandoning a body half-read (a failed part upload, a cancel): release the socket.
    if (!this.stall.signal.aborted) this.stall.abort(new Error('download closed'));
    this.reader?.releaseLock();
  }

  private async within<T>(step: () => Promise<T>): Promise<T> {
    const timer = setTimeout(() => this.stall.abort(new Error('download stalled')), this.timeoutMs);
    try {
      return await step();
    } catch (err) {
      this.signal?.throwIfAborted();
      const stalled = this.stall.signal.aborted;
      const why = stalled ? `no data for ${Math.round(this.timeoutMs / 1000)} s` : errorSummary(err);
      // Not the raw error as cause: network errors can quote the URL, and its query string is a credential.
      throw new LifeboatError('AWS_ERROR', `Could not download ${this.what} from ECR (${why}); Lifeboat retries.`, { cause: new Error(redactUrls(errorSummary(err))) });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Fills one upload part at a time straight from the download's chunks: each byte is copied once,
 * into a part-sized array that is handed over when full — never a whole blob, never a part twice.
 */
class PartBuffer {
  private part: Uint8Array | undefined;
  private filled = 0;

  constructor(private readonly partSize: number) {}

  /** Copy `chunk` in; answers the parts it completed (fresh arrays, owned by the caller). */
  write(chunk: Uint8Array): Uint8Array[] {
    const full: Uint8Array[] = [];
    let from = 0;
    while (from < chunk.byteLength) {
      this.part ??= new Uint8Array(this.partSize);
      const used = Math.min(chunk.byteLength - from, this.partSize - this.filled);
      this.part.set(chunk.subarray(from, from + used), this.filled);
      this.filled += used;
      from += used;
      if (this.filled === this.partSize) {
        full.push(this.part);
        this.part = undefined;
        this.filled = 0;
      }
    }
    return full;
  }

  /** The last, shorter part (a copy of exactly its bytes), if any bytes are left. */
  rest(): Uint8Array | undefined {
    if (!this.part || this.filled === 0) return undefined;
    const last = this.part.slice(0, this.filled);
    this.part = undefined;
    this.filled = 0;
    return last;
  }
}

/**
 * The blobs an image manifest needs in the target: its config and layers. Foreign layers (with
 * `urls`) live outside the registry and are not copied. An index needs none.
 */
function blobsOf(manifest: FetchedManifest, from: EcrLocation, digest: string): string[] {
  const json = parseObject(manifest.body);
  const unreadable = (why: string): LifeboatError => new LifeboatError('AWS_ERROR', `Lifeboat cannot copy ${describe(from, digest)}: ${why}.`, { retryable: false });
  if (json === undefined) throw unreadable('its manifest is not a JSON object');
  if (isIndexMediaType(manifest.mediaType) || Array.isArray(json.manifests)) return [];
  const descriptors = [json.config, ...(Array.isArray(json.layers) ? (json.layers as unknown[]) : [])];
  const blobs: string[] = [];
  for (const [i, d] of descriptors.entries()) {
    if (!isObject(d) || typeof d.digest !== 'string') {
      if (i === 0) throw unreadable('its manifest has no config descriptor');
      throw unreadable('a layer of its manifest has no digest');
    }
    if (i > 0 && Array.isArray(d.urls) && d.urls.length > 0) continue;
    // Each blob's bytes are checked against its digest, which needs a digest Lifeboat can compute.
    if (!SHA256_DIGEST.test(d.digest)) throw unreadable(`blob ${d.digest} is not addressed by sha256`);
    if (!blobs.includes(d.digest)) blobs.push(d.digest);
  }
  return blobs;
}

function describe(at: EcrLocation, digest: string): string {
  return `${at.repository}@${digest} in registry ${at.registryId} (${at.region})`;
}

/** The SDK error behind a mapped LifeboatError (opsCall keeps it as `cause`). */
function causeOf(err: unknown): unknown {
  return err instanceof LifeboatError ? (err.cause ?? err) : err;
}

function causeName(err: unknown): string | undefined {
  const cause = causeOf(err);
  return typeof cause === 'object' && cause !== null && 'name' in cause && typeof cause.name === 'string' ? cause.name : undefined;
}

function awsMessage(err: unknown): string {
  const cause = causeOf(err);
  return cause instanceof Error ? cause.message.trim().slice(0, 300) : '';
}

/** Name, code and message of a network error, its URLs' query strings cut. */
function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) return 'network error';
  const inner = err.cause instanceof Error ? err.cause : undefined;
  const code = inner && 'code' in inner && typeof inner.code === 'string' ? inner.code : undefined;
  return redactUrls([err.message, code ?? inner?.message].filter(Boolean).join(': ')) || err.name;
}

/** Presigned URLs authenticate by their query string: keep the host and path, drop the rest. */
function redactUrls(text: string): string {
  return text.replace(/(https?:\/\/[^\s?#"']*)[?#][^\s"']*/g, '$1?…');
}
