import { describe, expect, it } from 'vitest';
import { DrillAccount } from '../../../src/adapters/drill/account.js';
import { ARCHIVE_RESTORE_MS, ECR_REPLICATION_DELAY_MS, manifestBlobs } from '../../../src/adapters/drill/ecr.js';
import type { EventBridgeEventJson } from '../../../src/adapters/drill/events.js';
import { AMD64, ARM64 } from '../../../src/adapters/drill/manifests.js';
import { drillPorts } from '../../../src/adapters/drill/port-set.js';
import { parseEventBridgeEvent } from '../../../src/intake/index.js';
import type { EcrLocation } from '../../../src/recovery/ports.js';
import { T0, clockAt } from './support.js';

const ACCOUNT = '000000000000';
const EAST: EcrLocation = { registryId: ACCOUNT, region: 'us-east-1', repository: 'api' };
const WEST: EcrLocation = { registryId: ACCOUNT, region: 'us-west-2', repository: 'api' };

function delivered(a: DrillAccount): EventBridgeEventJson[] {
  return a.events.drain().flatMap((p) => (p.transport === 'eventbridge' ? [p.event] : []));
}

/** `api` replicated to us-west-2; `build` is pushed in us-east-1, replicated, then deleted there. */
function lostInEast(build: { multiArch: boolean }) {
  const a = new DrillAccount({ clock: clockAt(), seed: 'restore-test' });
  const replica = a.replicateEcr('us-west-2', ['api']);
  a.ecr.createRepository('api');
  const pushed = build.multiArch
    ? a.ecr.push('api', { platforms: [AMD64, ARM64], attestations: true, seed: 'api|v42' }, { tag: 'v42', pushedAt: T0 - 86_400_000 })
    : a.ecr.push('api', { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: 'api|v42' }, { tag: 'v42', pushedAt: T0 - 86_400_000 });
  const gone = a.ecr.batchDeleteImage('api', [{ digest: pushed.digest }]);
  if (build.multiArch) a.ecr.batchDeleteImage('api', pushed.image.others.map((m) => ({ digest: m.digest })));
  expect(gone.failures).toEqual([]);
  a.events.drain();
  return { a, replica, pushed, ops: drillPorts(() => a).restore };
}

describe('DrillEcrRestoreOps.restoreFromArchive', () => {
  function archived() {
    const a = new DrillAccount({ clock: clockAt(), seed: 'restore-test' });
    a.ecr.createRepository('api');
    const img = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'a1' }, { tag: 'v1', pushedAt: T0 - 40 * 86_400_000 });
    a.ecr.archive('api', img.digest);
    a.events.drain();
    return { a, img, ops: drillPorts(() => a).restore };
  }

  it('answers ACTIVATING right after the call, and the image is pullable only once it is ACTIVE, 20 minutes later', async () => {
    const { a, img, ops } = archived();
    expect(await ops.restoreFromArchive(EAST, img.digest)).toEqual({ status: 'ACTIVATING' });
    expect(a.ecr.lookup('api', img.digest)).toEqual({ kind: 'archived' });

    await a.scheduler.advanceTo(T0 + ARCHIVE_RESTORE_MS - 1);
    expect(await ops.restoreFromArchive(EAST, img.digest)).toEqual({ status: 'ACTIVATING' });
    expect(a.ecr.lookup('api', img.digest).kind).toBe('archived');

    await a.scheduler.advanceTo(T0 + ARCHIVE_RESTORE_MS);
    expect(a.ecr.lookup('api', img.digest).kind).toBe('found');
    expect(a.ecr.repositories.get('api')!.images.get(img.digest)).toMatchObject({ status: 'ACTIVE', lastActivatedAt: T0 + ARCHIVE_RESTORE_MS });
    expect(await ops.restoreFromArchive(EAST, img.digest)).toEqual({ status: 'ACTIVE' });

    // One restore, announced when it completes (the second call while ACTIVATING started nothing).
    const events = delivered(a);
    expect(events.map((e) => [e.detail['action-type'], e.detail['target-storage-class'], e.time])).toEqual([['UPDATE_STORAGE_CLASS', 'STANDARD', '2026-01-01T00:20:00Z']]);
    const parsed = parseEventBridgeEvent(events[0]);
    expect(parsed.ok && parsed.alerts[0]?.imageEvent).toMatchObject({ action: 'restore', repository: 'api', digest: img.digest });
  });

  it('answers AWS_NOT_FOUND for a digest or repository that is not there, in the Region asked', async () => {
    const { ops } = archived();
    const other = 'sha256:' + 'e'.repeat(64);
    await expect(ops.restoreFromArchive(EAST, other)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: `Image ${other} in repository api (us-east-1) does not exist.` });
    await expect(ops.restoreFromArchive({ ...EAST, repository: 'nope' }, other)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Repository nope in registry 000000000000 (us-east-1) does not exist.' });
    await expect(ops.restoreFromArchive(WEST, other)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Repository api in registry 000000000000 (us-west-2) does not exist.' });
  });

  it('is refused without ecr:UpdateImageStorageClass, naming the recovery policy, and leaves the image archived', async () => {
    const { a, img } = archived();
    const ops = drillPorts(() => a, { deny: ['ecr:UpdateImageStorageClass'] }).restore;
    await expect(ops.restoreFromArchive(EAST, img.digest)).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: expect.stringMatching(/^Lifeboat is not allowed ecr:UpdateImageStorageClass on arn:aws:ecr:us-east-1:000000000000:repository\/api; add it to Lifeboat's recovery IAM policy/),
    });
    expect(a.ecr.repositories.get('api')!.images.get(img.digest)?.status).toBe('ARCHIVED');
  });
});

describe('DrillEcrRestoreOps.copyImage', () => {
  it('copies the exact manifest back from the replica: same digest, same body, same config blob, the tag applied', async () => {
    const { a, replica, pushed, ops } = lostInEast({ multiArch: false });
    const source = replica.repositories.get('api')!.images.get(pushed.digest)!;

    const result = await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' });
    const blobs = manifestBlobs(source.body);
    expect(blobs).toHaveLength(4);
    expect(result).toEqual({ blobsCopied: 4, blobsPresent: 0, bytesCopied: blobs.reduce((n, b) => n + b.size, 0), manifestPut: true });
    expect(result.bytesCopied).toBeGreaterThan(source.size);

    const copy = a.ecr.repositories.get('api')!.images.get(pushed.digest)!;
    expect(copy).toMatchObject({ digest: pushed.digest, body: source.body, mediaType: source.mediaType, size: source.size, config: source.config, tags: ['v42'], status: 'ACTIVE', pushedAt: T0 });
    expect(a.ecr.lookup('api', 'v42')).toMatchObject({ kind: 'found', digest: pushed.digest });

    // Like a push: an ECR Image Action PUSH for the target, which intake reads as a push.
    const [event, ...rest] = delivered(a);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ region: 'us-east-1', 'detail-type': 'ECR Image Action', detail: { 'action-type': 'PUSH', 'repository-name': 'api', 'image-digest': pushed.digest, 'image-tag': 'v42' } });
    const parsed = parseEventBridgeEvent(event);
    expect(parsed.ok && parsed.alerts[0]?.imageEvent).toMatchObject({ action: 'push', repository: 'api', digest: pushed.digest, tags: ['v42'] });
  });

  it('puts nothing the second time (manifestPut false, every blob already there), so a retry is safe', async () => {
    const { a, pushed, ops } = lostInEast({ multiArch: false });
    await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' });
    a.events.drain();
    expect(await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' })).toEqual({ blobsCopied: 0, blobsPresent: 4, bytesCopied: 0, manifestPut: false });
    expect(delivered(a)).toEqual([]);
    // A new tag on a manifest already there still moves the tag, without putting the manifest again.
    expect(await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42-restored' })).toMatchObject({ manifestPut: false });
    expect(a.ecr.repositories.get('api')!.images.get(pushed.digest)?.tags).toEqual(['v42', 'v42-restored']);
  });

  it('refuses an index whose children are not in the target yet, and takes it once they are', async () => {
    const { a, replica, pushed, ops } = lostInEast({ multiArch: true });
    const children = replica.repositories.get('api')!.images.get(pushed.digest)!.childDigests!;
    expect(children).toHaveLength(4);

    await expect(ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' })).rejects.toMatchObject({
      code: 'AWS_ERROR',
      retryable: false,
      userMessage: expect.stringContaining('ReferencedImagesNotFoundException'),
    });
    expect(a.ecr.repositories.get('api')!.images.size).toBe(0);

    // One child is not enough.
    await ops.copyImage(WEST, EAST, children[0]!);
    await expect(ops.copyImage(WEST, EAST, pushed.digest)).rejects.toMatchObject({ userMessage: expect.stringContaining('references 3 images not in the repository') });

    for (const child of children.slice(1)) expect((await ops.copyImage(WEST, EAST, child)).manifestPut).toBe(true);
    expect(await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' })).toEqual({ blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: true });
    expect(a.ecr.resolveTag('api', 'v42')).toBe(pushed.digest);
    // The children stay untagged: the tag is on the index, as the original push had it.
    expect(children.map((c) => a.ecr.repositories.get('api')!.images.get(c)?.tags)).toEqual([[], [], [], []]);
  });

  it('counts the blobs the target already has: layers another image there shares are not uploaded again', async () => {
    const { a, pushed, ops } = lostInEast({ multiArch: false });
    // The same layers under another config (a rebuild with a revision label): only the config blob is new.
    const sibling = a.ecr.push('api', { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: 'api|v42', revision: 'abc123' }, { tag: 'v42-rebuilt' });
    expect(sibling.digest).not.toBe(pushed.digest);
    const config = manifestBlobs(pushed.image.top.body)[0]!;
    expect(await ops.copyImage(WEST, EAST, pushed.digest)).toEqual({ blobsCopied: 1, blobsPresent: 3, bytesCopied: config.size, manifestPut: true });
  });

  it('replicates what it puts, like any push: the new tag reaches the replica a minute later', async () => {
    const { a, replica, pushed, ops } = lostInEast({ multiArch: false });
    await ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42-restored' });
    expect(replica.resolveTag('api', 'v42-restored')).toBeUndefined();
    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    expect(replica.resolveTag('api', 'v42-restored')).toBe(pushed.digest);
  });

  it('answers not found for a digest the source does not have, or has only archived', async () => {
    const { replica, pushed, ops } = lostInEast({ multiArch: false });
    await expect(ops.copyImage(EAST, WEST, pushed.digest)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: `Image ${pushed.digest} in repository api (us-east-1) does not exist.` });
    replica.archive('api', pushed.digest);
    await expect(ops.copyImage(WEST, EAST, pushed.digest)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: expect.stringContaining('is archived') });
    await expect(ops.copyImage(WEST, { ...EAST, repository: 'nope' }, pushed.digest)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
  });

  it('is refused without ecr:PutImage, naming the action and the target, and puts nothing', async () => {
    const { a, pushed } = lostInEast({ multiArch: false });
    const ops = drillPorts(() => a, { deny: ['ecr:PutImage'] }).restore;
    await expect(ops.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' })).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      retryable: false,
      userMessage: expect.stringMatching(/^Lifeboat is not allowed ecr:PutImage on arn:aws:ecr:us-east-1:000000000000:repository\/api; add it to Lifeboat's recovery IAM policy/),
    });
    expect(a.ecr.lookup('api', pushed.digest)).toEqual({ kind: 'not-found' });
    expect(delivered(a)).toEqual([]);
  });

  it('needs the layer permissions only for image manifests: an index is a PutImage alone', async () => {
    const { a, replica, pushed } = lostInEast({ multiArch: true });
    const open = drillPorts(() => a).restore;
    const children = replica.repositories.get('api')!.images.get(pushed.digest)!.childDigests!;
    for (const child of children) await open.copyImage(WEST, EAST, child);
    const noLayers = drillPorts(() => a, { deny: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload'] }).restore;
    expect(await noLayers.copyImage(WEST, EAST, pushed.digest, { tag: 'v42' })).toMatchObject({ manifestPut: true });
    a.ecr.batchDeleteImage('api', [{ digest: pushed.digest }, ...children.map((digest) => ({ digest }))]);
    await expect(noLayers.copyImage(WEST, EAST, children[0]!)).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED', userMessage: expect.stringContaining('ecr:BatchCheckLayerAvailability') });
  });

  it('is refused reading from the source without ecr:BatchGetImage, and for a registry outside the drill', async () => {
    const { a, pushed } = lostInEast({ multiArch: false });
    const ops = drillPorts(() => a, { deny: ['ecr:BatchGetImage'] }).restore;
    await expect(ops.copyImage(WEST, EAST, pushed.digest)).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED', userMessage: expect.stringContaining('ecr:BatchGetImage on arn:aws:ecr:us-west-2:000000000000:repository/api') });
    const open = drillPorts(() => a).restore;
    await expect(open.copyImage({ ...WEST, registryId: '111122223333' }, EAST, pushed.digest)).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
  });

  it('stops before doing anything when the signal is aborted', async () => {
    const { a, pushed, ops } = lostInEast({ multiArch: false });
    const abort = new AbortController();
    abort.abort();
    await expect(ops.copyImage(WEST, EAST, pushed.digest, { signal: abort.signal })).rejects.toThrow();
    expect(a.ecr.lookup('api', pushed.digest)).toEqual({ kind: 'not-found' });
  });
});

describe('DrillEcrRestoreOps.replicationDestinations', () => {
  it('answers the registry’s replication rules per Region: the primary’s, and none for the replica or other Regions', async () => {
    const { a, ops } = lostInEast({ multiArch: false });
    expect(await ops.replicationDestinations(ACCOUNT, 'us-east-1')).toEqual([{ region: 'us-west-2', registryId: ACCOUNT, repositoryPrefixes: ['api'] }]);
    expect(await ops.replicationDestinations(ACCOUNT, 'us-west-2')).toEqual([]);
    expect(await ops.replicationDestinations(ACCOUNT, 'eu-west-1')).toEqual([]);
    await expect(ops.replicationDestinations('111122223333', 'us-east-1')).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    const denied = drillPorts(() => a, { deny: ['ecr:DescribeRegistry'] }).restore;
    await expect(denied.replicationDestinations(ACCOUNT, 'us-east-1')).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED', userMessage: expect.stringContaining('ecr:DescribeRegistry') });
  });
});
