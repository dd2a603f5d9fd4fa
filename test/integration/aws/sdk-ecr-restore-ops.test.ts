import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  DescribeRegistryCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ImageNotFoundException,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UpdateImageStorageClassCommand,
  UploadLayerPartCommand,
  type BatchCheckLayerAvailabilityRequest,
  type BatchGetImageRequest,
  type CompleteLayerUploadRequest,
  type GetDownloadUrlForLayerRequest,
  type PutImageRequest,
  type UploadLayerPartRequest,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SDK_ECR_RESTORE_ACTIONS, SdkEcrRestoreOps } from '../../../src/adapters/aws/sdk-ecr-restore-ops.js';
import { OCI_INDEX, OCI_MANIFEST } from '../../../src/images/oci-index.js';
import type { EcrLocation } from '../../../src/recovery/ports.js';
import { ecrError, fixtureText } from './support.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
// The replica lives in us-east-1; the repository to restore into is in eu-west-1, in the same account.
const source = new ECRClient({ region: 'us-east-1', credentials });
const target = new ECRClient({ region: 'eu-west-1', credentials });
const sourceMock = mockClient(source);
const targetMock = mockClient(target);
const clientFor = (region: string): ECRClient => {
  if (region === 'us-east-1') return source;
  if (region === 'eu-west-1') return target;
  throw new Error(`no client for ${region}`);
};

const FROM: EcrLocation = { registryId: '012345678910', region: 'us-east-1', repository: 'shop/api' };
const TO: EcrLocation = { registryId: '012345678910', region: 'eu-west-1', repository: 'shop/api' };
const KiB = 1024;
/** What ECR's presigned S3 URLs carry: a credential in the query string. */
const SECRET_QUERY = 'X-Amz-Security-Token=SECRET-SESSION-TOKEN&X-Amz-Signature=0123abcd';

const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// A small, realistic image: an OCI config blob and two gzip-ish layers, the second not a whole number of parts.
const config = Buffer.from(
  JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['node', 'server.js'], Labels: { 'org.opencontainers.image.revision': '3f9c2ab6d1e0c4b8a7f5e2d9c1b0a3f4e5d6c7b8' } },
    rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
    history: [{ created: '2026-03-01T09:00:00Z', created_by: 'ADD rootfs.tar.gz / # buildkit' }, { created: '2026-03-01T09:00:05Z', created_by: 'COPY . /app # buildkit' }],
  }),
);
const layer1 = randomBytes(300 * KiB);
const layer2 = randomBytes(150 * KiB + 7);
const blobs = new Map<string, Buffer>([config, layer1, layer2].map((b) => [sha256(b), b]));
const [CONFIG, LAYER1, LAYER2] = [...blobs.keys()] as [string, string, string];
const manifest = JSON.stringify(
  {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: CONFIG },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer1.length, digest: LAYER1 },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer2.length, digest: LAYER2 },
    ],
  },
  null,
  3,
);
const DIGEST = sha256(manifest);

// The download URLs point at a real HTTP server, so streaming, chunking and aborts are the real thing.
let server: Server;
let base: string;
const requested: string[] = [];
const corrupt = new Set<string>();
const status = new Map<string, number>();
const stall = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const digest = url.pathname.replace(/^\/blobs\//, '');
    requested.push(digest);
    const bytes = blobs.get(digest);
    if (stall.has(digest)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(bytes?.subarray(0, 1000));
      return; // and never another byte
    }
    if (!bytes || status.has(digest)) {
      res.writeHead(status.get(digest) ?? 404).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    const body = Buffer.from(bytes);
    if (corrupt.has(digest)) body[body.length - 1] = (body.at(-1) ?? 0) ^ 0xff;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    // Chunks that do not line up with parts.
    for (let i = 0; i < body.length; i += 48 * KiB) res.write(body.subarray(i, i + 48 * KiB));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const ops = (timeoutMs = 5_000): SdkEcrRestoreOps => new SdkEcrRestoreOps(clientFor, { fetch: globalThis.fetch, partBytes: 100 * KiB, timeoutMs });

beforeEach(() => {
  sourceMock.reset();
  targetMock.reset();
  requested.length = 0;
  corrupt.clear();
  status.clear();
  stall.clear();

  sourceMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageRequest) => ({
    images: [{ registryId: input.registryId, repositoryName: input.repositoryName, imageId: { imageDigest: DIGEST, imageTag: 'v42' }, imageManifest: manifest, imageManifestMediaType: OCI_MANIFEST }],
    failures: [],
  }));
  sourceMock.on(GetDownloadUrlForLayerCommand).callsFake((input: GetDownloadUrlForLayerRequest) => ({
    downloadUrl: `${base}/blobs/${input.layerDigest}?${SECRET_QUERY}`,
    layerDigest: input.layerDigest,
  }));

  targetMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageRequest) => ({
    images: [],
    failures: (input.imageIds ?? []).map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })),
  }));
  targetMock.on(BatchCheckLayerAvailabilityCommand).callsFake((input: BatchCheckLayerAvailabilityRequest) => ({
    layers: [],
    failures: (input.layerDigests ?? []).map((layerDigest) => ({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' })),
  }));
  let uploads = 0;
  targetMock.on(InitiateLayerUploadCommand).callsFake(() => ({ uploadId: `upload-${++uploads}`, partSize: 10_485_760 }));
  targetMock.on(UploadLayerPartCommand).callsFake((input: UploadLayerPartRequest) => ({ ...where(input), uploadId: input.uploadId, lastByteReceived: input.partLastByte }));
  targetMock.on(CompleteLayerUploadCommand).callsFake((input: CompleteLayerUploadRequest) => ({ ...where(input), uploadId: input.uploadId, layerDigest: input.layerDigests?.[0] }));
  targetMock.on(PutImageCommand).callsFake((input: PutImageRequest) => ({
    image: { ...where(input), imageId: { imageDigest: input.imageDigest, imageTag: input.imageTag }, imageManifest: input.imageManifest, imageManifestMediaType: input.imageManifestMediaType },
  }));
});

function where(input: { registryId?: string | undefined; repositoryName?: string | undefined }): { registryId?: string | undefined; repositoryName?: string | undefined } {
  return { registryId: input.registryId, repositoryName: input.repositoryName };
}

/** Each upload's parts, keyed by the digest it was completed as (or its upload id when it never was). */
function uploadedParts(): Map<string, UploadLayerPartRequest[]> {
  const digestOf = new Map(targetMock.commandCalls(CompleteLayerUploadCommand).map((c) => [c.args[0].input.uploadId, c.args[0].input.layerDigests?.[0]]));
  const parts = new Map<string, UploadLayerPartRequest[]>();
  for (const c of targetMock.commandCalls(UploadLayerPartCommand)) {
    const input = c.args[0].input;
    const key = digestOf.get(input.uploadId) ?? input.uploadId ?? '';
    parts.set(key, [...(parts.get(key) ?? []), input]);
  }
  return parts;
}

function sent(): string[] {
  const name = (c: { args: [object, ...unknown[]] }): string => `ecr:${c.args[0].constructor.name.replace(/Command$/, '')}`;
  return [...sourceMock.calls().map((c) => `us-east-1 ${name(c as never)}`), ...targetMock.calls().map((c) => `eu-west-1 ${name(c as never)}`)];
}

describe('SdkEcrRestoreOps.copyImage', () => {
  it('copies config and layers part by part with verified bytes, then puts the exact manifest under its digest', async () => {
    const got = await ops().copyImage(FROM, TO, DIGEST, { tag: 'v42' });

    expect(got).toEqual({ blobsCopied: 3, blobsPresent: 0, bytesCopied: config.length + layer1.length + layer2.length, manifestPut: true });
    const parts = uploadedParts();
    const ranges = (digest: string): [number | undefined, number | undefined][] => (parts.get(digest) ?? []).map((p) => [p.partFirstByte, p.partLastByte]);
    expect(ranges(CONFIG)).toEqual([[0, config.length - 1]]);
    expect(ranges(LAYER1)).toEqual([
      [0, 102_399],
      [102_400, 204_799],
      [204_800, 307_199],
    ]);
    expect(ranges(LAYER2)).toEqual([
      [0, 102_399],
      [102_400, 153_606],
    ]);
    for (const [digest, bytes] of blobs) {
      expect(Buffer.concat((parts.get(digest) ?? []).map((p) => p.layerPartBlob ?? new Uint8Array())).equals(bytes)).toBe(true);
    }
    expect(targetMock.commandCalls(CompleteLayerUploadCommand).map((c) => c.args[0].input.layerDigests)).toEqual([[CONFIG], [LAYER1], [LAYER2]]);
    expect(targetMock.commandCalls(PutImageCommand).map((c) => c.args[0].input)).toEqual([
      { registryId: '012345678910', repositoryName: 'shop/api', imageManifest: manifest, imageManifestMediaType: OCI_MANIFEST, imageDigest: DIGEST, imageTag: 'v42' },
    ]);
    expect(requested).toEqual([CONFIG, LAYER1, LAYER2]);
    // Reads from the replica's Region, writes to the target's; nothing outside the declared actions.
    expect(sent()).toEqual([
      'us-east-1 ecr:BatchGetImage',
      'us-east-1 ecr:GetDownloadUrlForLayer',
      'us-east-1 ecr:GetDownloadUrlForLayer',
      'us-east-1 ecr:GetDownloadUrlForLayer',
      'eu-west-1 ecr:BatchGetImage',
      'eu-west-1 ecr:BatchCheckLayerAvailability',
      'eu-west-1 ecr:InitiateLayerUpload',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:CompleteLayerUpload',
      'eu-west-1 ecr:InitiateLayerUpload',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:CompleteLayerUpload',
      'eu-west-1 ecr:InitiateLayerUpload',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:UploadLayerPart',
      'eu-west-1 ecr:CompleteLayerUpload',
      'eu-west-1 ecr:PutImage',
    ]);
    expect(sent().every((s) => (SDK_ECR_RESTORE_ACTIONS as readonly string[]).includes(s.split(' ')[1] ?? ''))).toBe(true);
    expect(targetMock.commandCalls(BatchCheckLayerAvailabilityCommand)[0]?.args[0].input.layerDigests).toEqual([CONFIG, LAYER1, LAYER2]);
  });

  it("uses ECR's part size when none is configured", async () => {
    targetMock.on(InitiateLayerUploadCommand).resolves({ uploadId: 'u', partSize: 128 * KiB });
    await new SdkEcrRestoreOps(clientFor, { fetch: globalThis.fetch }).copyImage(FROM, TO, DIGEST);
    const fullParts = targetMock
      .commandCalls(UploadLayerPartCommand)
      .map((c) => c.args[0].input)
      .filter((p) => p.layerPartBlob?.byteLength === 128 * KiB);
    expect(fullParts).toHaveLength(3);
  });

  it('does not download a blob the target already has', async () => {
    targetMock.on(BatchCheckLayerAvailabilityCommand).resolves({
      layers: [{ layerDigest: LAYER1, layerAvailability: 'AVAILABLE', layerSize: layer1.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
      failures: [
        { layerDigest: CONFIG, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' },
        { layerDigest: LAYER2, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' },
      ],
    });
    const got = await ops().copyImage(FROM, TO, DIGEST);
    expect(got).toEqual({ blobsCopied: 2, blobsPresent: 1, bytesCopied: config.length + layer2.length, manifestPut: true });
    expect(requested).toEqual([CONFIG, LAYER2]);
    expect(sourceMock.commandCalls(GetDownloadUrlForLayerCommand).map((c) => c.args[0].input.layerDigest)).toEqual([CONFIG, LAYER2]);
  });

  it('changes nothing when the target already holds the manifest, so a retry is safe', async () => {
    targetMock.on(BatchGetImageCommand).resolves({ images: [{ registryId: TO.registryId, repositoryName: TO.repository, imageId: { imageDigest: DIGEST }, imageManifest: manifest, imageManifestMediaType: OCI_MANIFEST }], failures: [] });
    const got = await ops().copyImage(FROM, TO, DIGEST);
    expect(got).toEqual({ blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: false });
    expect(sent()).toEqual(['eu-west-1 ecr:BatchGetImage']);
    expect(requested).toEqual([]);
  });

  it('only adds the tag when the target holds the manifest without it', async () => {
    targetMock.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: DIGEST }, imageManifest: manifest, imageManifestMediaType: OCI_MANIFEST }],
      failures: [{ imageId: { imageTag: 'v42' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }],
    });
    const got = await ops().copyImage(FROM, TO, DIGEST, { tag: 'v42' });
    expect(got).toEqual({ blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: true });
    expect(targetMock.commandCalls(BatchGetImageCommand)[0]?.args[0].input.imageIds).toEqual([{ imageDigest: DIGEST }, { imageTag: 'v42' }]);
    expect(sent()).toEqual(['us-east-1 ecr:BatchGetImage', 'eu-west-1 ecr:BatchGetImage', 'eu-west-1 ecr:PutImage']);

    targetMock.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: DIGEST, imageTag: 'v42' }, imageManifest: manifest }], failures: [] });
    expect((await ops().copyImage(FROM, TO, DIGEST, { tag: 'v42' })).manifestPut).toBe(false);
  });

  it('refuses a manifest whose bytes do not hash to the digest, and puts nothing', async () => {
    sourceMock.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: DIGEST }, imageManifest: `${manifest}\n`, imageManifestMediaType: OCI_MANIFEST }], failures: [] });
    await expect(ops().copyImage(FROM, TO, DIGEST)).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: false, userMessage: expect.stringContaining(`would not be ${DIGEST}`) });
    expect(targetMock.commandCalls(PutImageCommand)).toHaveLength(0);
    expect(targetMock.commandCalls(InitiateLayerUploadCommand)).toHaveLength(0);
  });

  it('names the source image when it does not exist', async () => {
    sourceMock.on(BatchGetImageCommand).resolves({ images: [], failures: [{ imageId: { imageDigest: DIGEST }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] });
    await expect(ops().copyImage(FROM, TO, DIGEST)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: `Image shop/api@${DIGEST} in registry 012345678910 (us-east-1) does not exist.` });
  });

  it('never completes a blob whose downloaded bytes differ from its digest', async () => {
    corrupt.add(LAYER1);
    const err: unknown = await ops()
      .copyImage(FROM, TO, DIGEST)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AWS_ERROR', retryable: false, userMessage: expect.stringContaining(`blob ${LAYER1}`) });
    expect(targetMock.commandCalls(CompleteLayerUploadCommand).map((c) => c.args[0].input.layerDigests)).toEqual([[CONFIG]]);
    expect(targetMock.commandCalls(PutImageCommand)).toHaveLength(0);
    expect(JSON.stringify(err) + String(err)).not.toContain('SECRET');
  });

  it('keeps the presigned query string out of errors when the download URL is refused', async () => {
    status.set(CONFIG, 403);
    const err: unknown = await ops()
      .copyImage(FROM, TO, DIGEST)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AWS_ERROR', retryable: true, userMessage: expect.stringContaining('HTTP 403') });
    expect(`${String(err)} ${String((err as Error).cause)}`).not.toMatch(/SECRET|X-Amz/);
    expect(targetMock.commandCalls(InitiateLayerUploadCommand)).toHaveLength(0);
  });

  it('gives up on a download that stops sending, and stops at once when the caller cancels', async () => {
    stall.add(CONFIG);
    const err: unknown = await ops(300)
      .copyImage(FROM, TO, DIGEST)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AWS_ERROR', retryable: true, userMessage: expect.stringContaining('no data for') });
    expect(`${String(err)} ${String((err as Error).cause)}`).not.toMatch(/SECRET|X-Amz/);
    expect(targetMock.commandCalls(CompleteLayerUploadCommand)).toHaveLength(0);

    const cancel = new AbortController();
    const reason = new Error('cancelled by ana');
    setTimeout(() => cancel.abort(reason), 100);
    await expect(ops().copyImage(FROM, TO, DIGEST, { signal: cancel.signal })).rejects.toBe(reason);
  });

  it('puts an index without blobs, and says to copy its children first when ECR lacks them', async () => {
    const index = fixtureText('oci/oci-image-index.example.json');
    const indexDigest = sha256(index);
    sourceMock.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: indexDigest }, imageManifest: index, imageManifestMediaType: OCI_INDEX }], failures: [] });
    const got = await ops().copyImage(FROM, TO, indexDigest);
    expect(got).toEqual({ blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: true });
    expect(sent()).toEqual(['us-east-1 ecr:BatchGetImage', 'eu-west-1 ecr:BatchGetImage', 'eu-west-1 ecr:PutImage']);
    expect(targetMock.commandCalls(PutImageCommand)[0]?.args[0].input).toMatchObject({ imageManifest: index, imageManifestMediaType: OCI_INDEX, imageDigest: indexDigest });

    targetMock.on(PutImageCommand).rejects(ecrError('ReferencedImagesNotFoundException', 'Some of the images referenced in the manifest list are not found'));
    await expect(ops().copyImage(FROM, TO, indexDigest)).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: false, userMessage: expect.stringContaining("copy the index's child manifests first") });
  });

  it('treats a manifest or blob that appeared meanwhile as already there', async () => {
    targetMock.on(CompleteLayerUploadCommand).rejects(ecrError('LayerAlreadyExistsException', 'The layer already exists'));
    targetMock.on(PutImageCommand).rejects(ecrError('ImageAlreadyExistsException', 'Image with digest and tag already exists'));
    const got = await ops().copyImage(FROM, TO, DIGEST);
    expect(got).toEqual({ blobsCopied: 0, blobsPresent: 3, bytesCopied: 0, manifestPut: false });
  });

  it('names the immutable tag that is taken', async () => {
    targetMock.on(PutImageCommand).rejects(ecrError('ImageTagAlreadyExistsException', "The image tag 'v42' already exists in the 'shop/api' repository and cannot be overwritten because the repository is immutable."));
    await expect(ops().copyImage(FROM, TO, DIGEST, { tag: 'v42' })).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: false, userMessage: expect.stringMatching(/^Tag v42 already names another image in shop\/api \(eu-west-1\)/) });
  });

  it('names ecr:PutImage on the target repository when it is denied', async () => {
    targetMock
      .on(PutImageCommand)
      .rejects(ecrError('AccessDeniedException', 'User: arn:aws:sts::012345678910:assumed-role/lifeboat/x is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:eu-west-1:012345678910:repository/shop/api'));
    await expect(ops().copyImage(FROM, TO, DIGEST)).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: expect.stringContaining('not allowed ecr:PutImage on arn:aws:ecr:eu-west-1:012345678910:repository/shop/api'),
    });
  });
});

describe('SdkEcrRestoreOps.restoreFromArchive', () => {
  it('moves the image to STANDARD in its own Region and answers the status ECR reports', async () => {
    sourceMock.on(UpdateImageStorageClassCommand).resolves({ registryId: FROM.registryId, repositoryName: FROM.repository, imageId: { imageDigest: DIGEST }, imageStatus: 'ACTIVATING' });
    expect(await ops().restoreFromArchive(FROM, DIGEST)).toEqual({ status: 'ACTIVATING' });
    expect(sourceMock.commandCalls(UpdateImageStorageClassCommand)[0]?.args[0].input).toEqual({
      registryId: '012345678910',
      repositoryName: 'shop/api',
      imageId: { imageDigest: DIGEST },
      targetStorageClass: 'STANDARD',
    });
    sourceMock.on(UpdateImageStorageClassCommand).resolves({ imageStatus: 'ACTIVE' });
    expect(await ops().restoreFromArchive(FROM, DIGEST)).toEqual({ status: 'ACTIVE' });
    expect(targetMock.calls()).toHaveLength(0);
  });

  it('names the missing image, and says when ECR cannot restore it', async () => {
    sourceMock.on(UpdateImageStorageClassCommand).rejects(new ImageNotFoundException({ message: 'The image does not exist', $metadata: { httpStatusCode: 400 } }));
    await expect(ops().restoreFromArchive(FROM, DIGEST)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: `Image shop/api@${DIGEST} in registry 012345678910 (us-east-1) does not exist.` });
    sourceMock.on(UpdateImageStorageClassCommand).rejects(ecrError('RepositoryNotFoundException', 'The repository does not exist'));
    await expect(ops().restoreFromArchive(FROM, DIGEST)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: expect.stringContaining(`shop/api@${DIGEST}`) });
    sourceMock.on(UpdateImageStorageClassCommand).rejects(ecrError('ImageStorageClassUpdateNotSupportedException', 'The requested image storage class update is not supported.'));
    await expect(ops().restoreFromArchive(FROM, DIGEST)).rejects.toMatchObject({
      code: 'AWS_ERROR',
      retryable: false,
      userMessage: expect.stringMatching(/^ECR cannot restore shop\/api@sha256:[0-9a-f]{64} in registry 012345678910 \(us-east-1\) from the archive storage class/),
    });
  });
});

describe('SdkEcrRestoreOps.replicationDestinations', () => {
  it("maps each rule's destinations with its prefix filters, leaving out the registry itself", async () => {
    sourceMock.on(DescribeRegistryCommand).resolves({
      registryId: '012345678910',
      replicationConfiguration: {
        rules: [
          { destinations: [{ region: 'eu-west-1', registryId: '012345678910' }, { region: 'us-east-1', registryId: '012345678910' }], repositoryFilters: [{ filter: 'shop', filterType: 'PREFIX_MATCH' }, { filter: 'base/', filterType: 'PREFIX_MATCH' }] },
          { destinations: [{ region: 'us-east-1', registryId: '210987654321' }] },
        ],
      },
    });
    expect(await ops().replicationDestinations('012345678910', 'us-east-1')).toEqual([
      { region: 'eu-west-1', registryId: '012345678910', repositoryPrefixes: ['shop', 'base/'] },
      { region: 'us-east-1', registryId: '210987654321', repositoryPrefixes: [] },
    ]);
    expect(sourceMock.commandCalls(DescribeRegistryCommand)[0]?.args[0].input).toEqual({});
  });

  it("answers [] when it replicates nowhere, and for another account's registry it cannot see", async () => {
    sourceMock.on(DescribeRegistryCommand).resolves({ registryId: '012345678910', replicationConfiguration: { rules: [] } });
    expect(await ops().replicationDestinations('012345678910', 'us-east-1')).toEqual([]);
    sourceMock.on(DescribeRegistryCommand).resolves({ registryId: '012345678910' });
    expect(await ops().replicationDestinations('012345678910', 'us-east-1')).toEqual([]);
    sourceMock.on(DescribeRegistryCommand).resolves({ registryId: '012345678910', replicationConfiguration: { rules: [{ destinations: [{ region: 'eu-west-1', registryId: '012345678910' }] }] } });
    expect(await ops().replicationDestinations('999999999999', 'us-east-1')).toEqual([]);
  });
});
