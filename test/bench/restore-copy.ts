/**
 * Image copy benchmark: `SdkEcrRestoreOps.copyImage` moving one image (a config blob and, by
 * default, layers of 256, 64 and 8 MiB) from one ECR Region to another. The blob downloads go to
 * a real HTTP server on 127.0.0.1 that generates each layer as it sends it (a seeded pseudo-random
 * 1 MiB block, stamped with the block number), so the benchmark itself never holds a layer. The
 * ECR side is a fake registry that consumes each `UploadLayerPart` — hashes it, keeps nothing —
 * and checks the hash and length at `CompleteLayerUpload`, so a copy that drops or reorders bytes
 * fails instead of looking fast. The target Region's `ECRClient` answers it in two ways:
 *
 * - `mock`: aws-sdk-client-mock, as in the integration test (`send` stubbed: the adapter alone);
 * - `wire`: no mock; the SDK serializes and signs each request (the part as base64 in JSON) and
 *   hands it to an in-process request handler instead of a socket: a part's cost in production.
 *
 * Measured per target and part size: wall time of `copyImage`, MiB/s (loopback: context, no
 * target), peak growth of RSS and of JS memory (`heapUsed` + `arrayBuffers`) over a baseline
 * taken after a GC (`process.memoryUsage()` every 20 ms), and `UploadLayerPart` calls. Target:
 * both growths ≤ 4 × partBytes + 64 MiB, i.e. the copy streams instead of buffering a layer. `BENCH_LIVE=1` adds
 * a run per case that collects garbage before each sample: what the copy keeps alive.
 *
 *   npx tsx test/bench/restore-copy.ts
 *   BENCH_LAYERS_MIB=1024,256,8 BENCH_PART_MIB=8,20,100 BENCH_ECR=wire npx tsx test/bench/restore-copy.ts
 *   BENCH_LIVE=1 npx tsx test/bench/restore-copy.ts
 *
 * Exits 1 when a target is missed or the uploaded bytes differ from the blobs.
 */
import { createHash, type Hash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
  type BatchCheckLayerAvailabilityRequest,
  type BatchCheckLayerAvailabilityResponse,
  type BatchGetImageRequest,
  type BatchGetImageResponse,
  type CompleteLayerUploadRequest,
  type CompleteLayerUploadResponse,
  type ECRClientResolvedConfig,
  type GetDownloadUrlForLayerRequest,
  type InitiateLayerUploadResponse,
  type PutImageRequest,
  type PutImageResponse,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type UploadLayerPartRequest,
  type UploadLayerPartResponse,
} from '@aws-sdk/client-ecr';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { SdkEcrRestoreOps } from '../../src/adapters/aws/sdk-ecr-restore-ops.js';
import { OCI_MANIFEST } from '../../src/images/oci-index.js';
import type { EcrLocation } from '../../src/recovery/ports.js';

export const MiB = 1024 * 1024;
const BLOCK = MiB;
const SAMPLE_MS = 20;
const FROM: EcrLocation = { registryId: '012345678910', region: 'us-east-1', repository: 'shop/api' };
const TO: EcrLocation = { registryId: '012345678910', region: 'eu-west-1', repository: 'shop/api' };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface RestoreCopyOptions {
  /** Layer sizes in bytes, in manifest order. */
  layers: readonly number[];
  /** `partBytes` of the adapter, i.e. the size of each `UploadLayerPart`. */
  partBytes: number;
  /**
   * How the target Region's `ECRClient` answers. `mock` (default): aws-sdk-client-mock, as in the
   * integration test — `send` is stubbed, so the part never reaches the SDK's serializer. `wire`:
   * no mock; the full SDK stack (awsJson1_1 serializer, base64 of the part, SigV4 over the body)
   * down to a request handler that answers in-process instead of a socket — what a part costs in
   * production, short of TLS.
   */
  target?: 'mock' | 'wire';
  /**
   * Collect garbage before each memory sample, so the peaks are what the copy keeps alive rather
   * than that plus what V8 has not collected yet. Slows the copy (throughput then means little),
   * but the peaks are steady enough for a pass/fail bench.
   */
  gcBeforeSample?: boolean;
}

export interface RestoreCopyResult {
  layers: readonly number[];
  partBytes: number;
  target: 'mock' | 'wire';
  gcBeforeSample: boolean;
  /** Config and layers, as `copyImage` reported them. */
  blobsCopied: number;
  bytesCopied: number;
  ms: number;
  mibPerSecond: number;
  uploadLayerParts: number;
  /** `UploadLayerPart` calls per blob, config first. */
  partsPerBlob: number[];
  /** ⌈size ÷ partBytes⌉ summed over the blobs: what a streaming copy sends. */
  expectedParts: number;
  /** Largest part received. */
  largestPart: number;
  /** Blobs whose uploaded bytes hashed to their digest, with the expected length, in order. */
  verifiedBlobs: number;
  /** What went wrong with the uploaded bytes, if anything. */
  dataErrors: string[];
  baseline: NodeJS.MemoryUsage;
  peak: MemoryPeak;
  /** Peak − baseline, bytes. */
  growth: { rss: number; heapUsed: number; arrayBuffers: number; external: number; js: number };
  /** 4 × partBytes + 64 MiB. */
  targetBytes: number;
  samples: number;
}

/** A blob the server can send: its length and, each time, its bytes afresh. */
interface SourceBlob {
  size: number;
  digest: string;
  body: () => Iterable<Buffer>;
}

/** A 1 MiB pseudo-random block (xorshift32), the same for the same seed. */
function baseBlock(seed: number): Buffer {
  const block = Buffer.allocUnsafe(BLOCK);
  const words = new Uint32Array(block.buffer, block.byteOffset, BLOCK / 4);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return block;
}

/**
 * The blob's bytes block by block, each a fresh buffer (a socket may still hold the previous one):
 * the base block with the block number in its first 4 bytes, so no two blocks are alike.
 */
function* blocks(seed: number, size: number): Generator<Buffer> {
  const base = baseBlock(seed);
  for (let offset = 0, n = 0; offset < size; offset += BLOCK, n++) {
    const length = Math.min(BLOCK, size - offset);
    const block = Buffer.allocUnsafe(length);
    base.copy(block, 0, 0, length);
    if (length >= 4) block.writeUInt32BE(n, 0);
    yield block;
  }
}

const digests = new Map<string, string>();

/** A generated layer; its digest from hashing the same stream the server will send (once per seed and size). */
function generatedBlob(seed: number, size: number): SourceBlob {
  let digest = digests.get(`${seed}/${size}`);
  if (digest === undefined) {
    const hash = createHash('sha256');
    for (const block of blocks(seed, size)) hash.update(block);
    digest = `sha256:${hash.digest('hex')}`;
    digests.set(`${seed}/${size}`, digest);
  }
  return { size, digest, body: () => blocks(seed, size) };
}

function fixedBlob(bytes: Buffer): SourceBlob {
  return { size: bytes.length, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, body: () => [bytes] };
}

/** Serves `/blobs/<digest>` as a stream generated on the fly, with backpressure, like S3 behind a presigned URL. */
async function startBlobServer(byDigest: ReadonlyMap<string, SourceBlob>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const digest = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/blobs\//, '');
    const blob = byDigest.get(digest);
    if (!blob) {
      res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.size });
    // A client that hangs up midway (an aborted copy) only ends this response.
    pipeline(Readable.from(blob.body(), { objectMode: false }), res).catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** `global.gc`, exposed at run time when node was not started with --expose-gc. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Per-field peaks of `process.memoryUsage()`, and of `heapUsed + arrayBuffers` in one sample. */
export type MemoryPeak = NodeJS.MemoryUsage & { js: number };

/** Samples `process.memoryUsage()` every 20 ms; `stop` (once or more) answers the peaks. */
function sampleMemory(gc: (() => void) | undefined): { stop: () => { peak: MemoryPeak; samples: number } } {
  const first = process.memoryUsage();
  const peak: MemoryPeak = { ...first, js: first.heapUsed + first.arrayBuffers };
  let samples = 1;
  let stopped = false;
  const take = (): void => {
    gc?.();
    const m = process.memoryUsage();
    samples++;
    for (const key of Object.keys(m) as (keyof NodeJS.MemoryUsage)[]) peak[key] = Math.max(peak[key], m[key]);
    peak.js = Math.max(peak.js, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(take, SAMPLE_MS);
  return {
    stop: () => {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        take();
      }
      return { peak, samples };
    },
  };
}

/** One upload in the fake target registry: the parts' running hash, never the parts. */
interface Upload {
  hash: Hash;
  received: number;
  parts: number;
  error?: string;
}

/**
 * The target Region's ECR, as far as a copy needs it: nothing there yet; each upload hashed as
 * its parts arrive (in order, contiguous) and checked against the digest and length at
 * `CompleteLayerUpload`; the manifest `PutImage` received.
 */
function fakeTargetRegistry(partBytes: number, blobs: ReadonlyMap<string, SourceBlob>) {
  const registry = {
    uploads: new Map<string, Upload>(),
    /** Digests completed with the right bytes, in order. */
    completed: [] as string[],
    dataErrors: [] as string[],
    put: [] as PutImageRequest[],
    uploadLayerParts: 0,
    largestPart: 0,
    BatchGetImage: (input: BatchGetImageRequest): BatchGetImageResponse => ({
      images: [],
      failures: (input.imageIds ?? []).map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })),
    }),
    BatchCheckLayerAvailability: (input: BatchCheckLayerAvailabilityRequest): BatchCheckLayerAvailabilityResponse => ({
      layers: [],
      failures: (input.layerDigests ?? []).map((layerDigest) => ({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' })),
    }),
    InitiateLayerUpload: (): InitiateLayerUploadResponse => {
      const uploadId = `upload-${registry.uploads.size + 1}`;
      registry.uploads.set(uploadId, { hash: createHash('sha256'), received: 0, parts: 0 });
      return { uploadId, partSize: partBytes };
    },
    /** `chunks`: the part's bytes when they did not come as `layerPartBlob` (decoded from the wire piece by piece). */
    UploadLayerPart: (input: UploadLayerPartRequest, chunks: Iterable<Uint8Array> = input.layerPartBlob ? [input.layerPartBlob] : []): UploadLayerPartResponse => {
      registry.uploadLayerParts++;
      const upload = registry.uploads.get(input.uploadId ?? '');
      if (!upload) throw new Error(`UploadLayerPart of unknown upload ${input.uploadId}`);
      let length = 0;
      for (const chunk of chunks) {
        upload.hash.update(chunk);
        length += chunk.byteLength;
      }
      if (length === 0) throw new Error('UploadLayerPart without a part');
      if (input.partFirstByte !== upload.received || input.partLastByte !== upload.received + length - 1) {
        upload.error ??= `part ${input.partFirstByte}–${input.partLastByte} (${length} bytes) after ${upload.received} bytes`;
      }
      upload.received += length;
      upload.parts++;
      registry.largestPart = Math.max(registry.largestPart, length);
      return { registryId: input.registryId, repositoryName: input.repositoryName, uploadId: input.uploadId, lastByteReceived: upload.received - 1 };
    },
    CompleteLayerUpload: (input: CompleteLayerUploadRequest): CompleteLayerUploadResponse => {
      const upload = registry.uploads.get(input.uploadId ?? '');
      const layerDigest = input.layerDigests?.[0] ?? '';
      if (!upload) throw new Error(`CompleteLayerUpload of unknown upload ${input.uploadId}`);
      const actual = `sha256:${upload.hash.digest('hex')}`;
      const size = blobs.get(layerDigest)?.size;
      if (upload.error) registry.dataErrors.push(`${layerDigest}: ${upload.error}`);
      else if (actual !== layerDigest) registry.dataErrors.push(`${layerDigest}: the uploaded bytes hash to ${actual}`);
      else if (upload.received !== size) registry.dataErrors.push(`${layerDigest}: ${upload.received} bytes uploaded, ${size} expected`);
      else registry.completed.push(layerDigest);
      return { registryId: input.registryId, repositoryName: input.repositoryName, uploadId: input.uploadId, layerDigest };
    },
    PutImage: (input: PutImageRequest): PutImageResponse => {
      registry.put.push(input);
      return {
        image: { registryId: input.registryId, repositoryName: input.repositoryName, imageId: { imageDigest: input.imageDigest }, imageManifest: input.imageManifest, imageManifestMediaType: input.imageManifestMediaType },
      };
    },
  };
  return registry;
}

type FakeRegistry = ReturnType<typeof fakeTargetRegistry>;
const WIRE_OPERATIONS = ['BatchGetImage', 'BatchCheckLayerAvailability', 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload', 'PutImage'] as const;

const PART_KEY = Buffer.from('"layerPartBlob":"');

/** Base64 text decoded 1 MiB of text at a time, so the handler never holds a decoded part of its own. */
function* base64Chunks(text: Buffer): Generator<Buffer> {
  for (let i = 0; i < text.length; i += MiB) yield Buffer.from(text.subarray(i, i + MiB).toString('latin1'), 'base64');
}

/**
 * An SDK request handler answering ECR's awsJson1_1 requests from `registry`, in-process: the
 * request arrives serialized and signed (the part as base64 inside the JSON body), as it would
 * leave for a socket. An `UploadLayerPart` body is not parsed whole: its base64 is decoded and
 * hashed a slice at a time, so the handler adds little to what the SDK itself holds.
 */
function inProcessHandler(registry: FakeRegistry): Record<string, unknown> {
  const json = (statusCode: number, body: unknown) => ({
    response: { statusCode, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(JSON.stringify(body)) },
  });
  const answer = (headers: Record<string, string>, raw: unknown): unknown => {
    const operation = WIRE_OPERATIONS.find((o) => o === (headers['x-amz-target'] ?? '').split('.')[1]);
    if (!operation) return json(400, { __type: 'InvalidParameterException', message: `unexpected ${headers['x-amz-target']}` });
    const body = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : Buffer.from(typeof raw === 'string' ? raw : '{}');
    if (operation === 'UploadLayerPart') {
      const from = body.indexOf(PART_KEY) + PART_KEY.length;
      const to = body.indexOf(0x22, from); // base64 has no quote
      if (from < PART_KEY.length || to < 0) return json(400, { __type: 'InvalidParameterException', message: 'no layerPartBlob' });
      const rest = JSON.parse(Buffer.concat([body.subarray(0, from), body.subarray(to)]).toString('utf8')) as UploadLayerPartRequest;
      return json(200, registry.UploadLayerPart({ ...rest, layerPartBlob: undefined }, base64Chunks(body.subarray(from, to))));
    }
    return json(200, registry[operation](JSON.parse(body.toString('utf8')) as never));
  };
  return {
    handle: (request: { headers: Record<string, string>; body?: unknown }) => {
      try {
        return Promise.resolve(answer(request.headers, request.body));
      } catch (err) {
        return Promise.resolve(json(400, { __type: 'InvalidParameterException', message: String(err) }));
      }
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
}

/** Builds the image, the blob server and the mocked clients, copies the image once, checks and measures it. */
export async function runRestoreCopy(options: RestoreCopyOptions): Promise<RestoreCopyResult> {
  const gc = collector();
  const config = fixedBlob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['node', 'server.js'] }, rootfs: { type: 'layers', diff_ids: options.layers.map((_, i) => `sha256:${String(i % 10).repeat(64)}`) } })));
  const layers = options.layers.map((size, i) => generatedBlob(0x5eed + i * 7919, size));
  const blobs = [config, ...layers];
  const byDigest = new Map(blobs.map((b) => [b.digest, b]));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.size, digest: config.digest },
    layers: layers.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: b.size, digest: b.digest })),
  });
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

  const { server, base } = await startBlobServer(byDigest);
  const wire = options.target === 'wire';
  const source = new ECRClient({ region: FROM.region, credentials });
  let target = new ECRClient({ region: TO.region, credentials });
  let targetMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, ECRClientResolvedConfig> | undefined;
  const sourceMock = mockClient(source);
  try {
    sourceMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageRequest) => ({
      images: [{ registryId: input.registryId, repositoryName: input.repositoryName, imageId: { imageDigest: digest }, imageManifest: manifest, imageManifestMediaType: OCI_MANIFEST }],
      failures: [],
    }));
    sourceMock.on(GetDownloadUrlForLayerCommand).callsFake((input: GetDownloadUrlForLayerRequest) => ({
      downloadUrl: `${base}/blobs/${input.layerDigest}?X-Amz-Signature=bench`,
      layerDigest: input.layerDigest,
    }));

    const registry = fakeTargetRegistry(options.partBytes, byDigest);
    if (wire) {
      // Every part goes through the SDK's serializer to this handler, never to a socket.
      target = new ECRClient({ region: TO.region, credentials, maxAttempts: 1, requestHandler: inProcessHandler(registry) });
    } else {
      targetMock = mockClient(target);
      const mock = targetMock;
      mock.on(BatchGetImageCommand).callsFake(registry.BatchGetImage);
      mock.on(BatchCheckLayerAvailabilityCommand).callsFake(registry.BatchCheckLayerAvailability);
      mock.on(InitiateLayerUploadCommand).callsFake(registry.InitiateLayerUpload);
      mock.on(UploadLayerPartCommand).callsFake((input: UploadLayerPartRequest) => {
        const out = registry.UploadLayerPart(input);
        // sinon (under aws-sdk-client-mock) records every call: its args, and an Error whose
        // unformatted stack keeps the calling closures alive, the adapter's `part` among them.
        // Kept, that history holds every part of every layer and the benchmark measures the mock.
        // Dropped once this call is over (sinon refuses a reset while it is invoking the fake).
        queueMicrotask(() => mock.resetHistory());
        return out;
      });
      mock.on(CompleteLayerUploadCommand).callsFake(registry.CompleteLayerUpload);
      mock.on(PutImageCommand).callsFake(registry.PutImage);
    }

    const clientFor = (region: string): ECRClient => {
      if (region === FROM.region) return source;
      if (region === TO.region) return target;
      throw new Error(`no client for ${region}`);
    };
    const ops = new SdkEcrRestoreOps(clientFor, { fetch: globalThis.fetch, partBytes: options.partBytes });

    gc();
    gc();
    const baseline = process.memoryUsage();
    const sampler = sampleMemory(options.gcBeforeSample ? gc : undefined);
    const started = performance.now();
    const copied = await ops.copyImage(FROM, TO, digest).finally(() => sampler.stop());
    const ms = performance.now() - started;
    const { peak, samples } = sampler.stop();

    const { completed, dataErrors, put } = registry;
    const order = blobs.map((b) => b.digest);
    const verifiedBlobs = completed.filter((d, i) => d === order[i]).length;
    if (completed.length !== order.length || verifiedBlobs !== order.length) dataErrors.push(`blobs completed in order: ${verifiedBlobs} of ${order.length}`);
    if (put.length !== 1 || put[0]?.imageManifest !== manifest || put[0].imageDigest !== digest) dataErrors.push(`PutImage: ${put.length} calls, not the exact manifest once`);
    const expectedParts = blobs.reduce((sum, b) => sum + Math.ceil(b.size / options.partBytes), 0);

    return {
      layers: options.layers,
      partBytes: options.partBytes,
      target: wire ? 'wire' : 'mock',
      gcBeforeSample: options.gcBeforeSample === true,
      blobsCopied: copied.blobsCopied,
      bytesCopied: copied.bytesCopied,
      ms,
      mibPerSecond: copied.bytesCopied / MiB / (ms / 1000),
      uploadLayerParts: registry.uploadLayerParts,
      partsPerBlob: [...registry.uploads.values()].map((u) => u.parts),
      expectedParts,
      largestPart: registry.largestPart,
      verifiedBlobs,
      dataErrors,
      baseline,
      peak,
      growth: {
        rss: peak.rss - baseline.rss,
        heapUsed: peak.heapUsed - baseline.heapUsed,
        arrayBuffers: peak.arrayBuffers - baseline.arrayBuffers,
        external: peak.external - baseline.external,
        js: peak.js - baseline.heapUsed - baseline.arrayBuffers,
      },
      targetBytes: 4 * options.partBytes + 64 * MiB,
      samples,
    };
  } finally {
    sourceMock.restore();
    targetMock?.restore();
    source.destroy();
    target.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Whether the copy streamed: peak growth of RSS, and of JS memory (`heapUsed` + `arrayBuffers`: a
 * part lives in both, as bytes and as base64 text), each within 4 × partBytes + 64 MiB.
 */
export function memoryTargetMet(r: RestoreCopyResult): boolean {
  return r.growth.rss <= r.targetBytes && r.growth.js <= r.targetBytes;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const sizes = (layers: readonly number[]): string => layers.map((b) => `${+(b / MiB).toFixed(2)}`).join(' + ');

/** The memory line: sampled peaks, or with `gcBeforeSample` what the copy keeps alive. */
function memoryLine(r: RestoreCopyResult): string {
  const what = r.gcBeforeSample
    ? `live memory growth (GC before each of ${r.samples} samples, every ${SAMPLE_MS} ms; copy slowed to ${r.mibPerSecond.toFixed(0)} MiB/s)`
    : `memory growth over baseline, peak of ${r.samples} samples every ${SAMPLE_MS} ms`;
  return `  ${what}: RSS ${mib(r.growth.rss)} MiB (peak RSS ${mib(r.peak.rss)} MiB); JS ${mib(r.growth.js)} MiB (heapUsed ${mib(r.growth.heapUsed)}, arrayBuffers ${mib(r.growth.arrayBuffers)})`;
}

export function formatRestoreCopy(r: RestoreCopyResult): string[] {
  return [
    `  ${r.blobsCopied} blobs, ${mib(r.bytesCopied)} MiB (layers ${sizes(r.layers)} MiB + config) in ${(r.ms / 1000).toFixed(2)} s = ${r.mibPerSecond.toFixed(0)} MiB/s (loopback, no target)`,
    `  UploadLayerPart calls: ${r.uploadLayerParts} (${r.partsPerBlob.join(' + ')}; ⌈size ÷ part⌉ = ${r.expectedParts}), largest part ${mib(r.largestPart)} MiB`,
    memoryLine(r),
    `  target: RSS and JS growth ≤ 4 × part + 64 MiB = ${mib(r.targetBytes)} MiB → ${memoryTargetMet(r) ? 'met' : 'NOT met'}`,
    `  uploaded bytes: ${r.verifiedBlobs} of ${r.blobsCopied} blobs hash to their digest${r.dataErrors.length ? `; ERRORS: ${r.dataErrors.join('; ')}` : ''}`,
  ];
}

/** "256,64,8" → bytes; fractions allowed ("0.5"). */
export function mibList(text: string): number[] {
  const values = text.split(',').map((s) => Math.round(Number(s.trim()) * MiB));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`not a list of sizes in MiB: ${text}`);
  return values;
}

const TARGET_LABEL = { mock: 'target ECRClient mocked with aws-sdk-client-mock', wire: 'target ECRClient unmocked: SDK serializer + SigV4 to an in-process handler' } as const;

async function main(): Promise<void> {
  const layers = mibList(process.env.BENCH_LAYERS_MIB ?? '256,64,8');
  const parts = mibList(process.env.BENCH_PART_MIB ?? '8,20');
  const targets = (process.env.BENCH_ECR ?? 'mock,wire').split(',').map((t) => t.trim());
  for (const t of targets) if (t !== 'mock' && t !== 'wire') throw new Error(`BENCH_ECR: ${t} is neither mock nor wire`);
  const live = process.env.BENCH_LIVE === '1';
  console.log(`Node ${process.version}; source ECRClient mocked with aws-sdk-client-mock; blobs from an HTTP server on 127.0.0.1 (generated as sent)`);
  // Warm-up (JIT, undici's first fetch, the SDK's serializer): not measured.
  await runRestoreCopy({ layers: [4 * MiB], partBytes: MiB });
  await runRestoreCopy({ layers: [4 * MiB], partBytes: MiB, target: 'wire' });
  let failed = false;
  for (const target of targets as ('mock' | 'wire')[]) {
    for (const partBytes of parts) {
      const r = await runRestoreCopy({ layers, partBytes, target });
      console.log(`
copyImage, layers ${sizes(layers)} MiB, partBytes ${mib(partBytes)} MiB, ${TARGET_LABEL[target]}`);
      for (const line of formatRestoreCopy(r)) console.log(line);
      if (live) console.log(memoryLine(await runRestoreCopy({ layers, partBytes, target, gcBeforeSample: true })));
      failed ||= !memoryTargetMet(r) || r.dataErrors.length > 0;
    }
  }
  if (failed) {
    console.log('\nTARGET MISSED');
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
