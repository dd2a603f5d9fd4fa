import { describe, expect, it } from 'vitest';
import { DrillAccount } from '../../../src/adapters/drill/account.js';
import { ECR_REPLICATION_DELAY_MS } from '../../../src/adapters/drill/ecr.js';
import type { EventBridgeEventJson } from '../../../src/adapters/drill/events.js';
import { AMD64, ARM64 } from '../../../src/adapters/drill/manifests.js';
import { drillPorts, drillScanDeps } from '../../../src/adapters/drill/port-set.js';
import { SEVEN_DAY_POLICY } from '../../../src/adapters/drill/scenarios/ecr-lifecycle-expiry.js';
import { parseEventBridgeEvent } from '../../../src/intake/index.js';
import { T0, clockAt } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACCOUNT = '000000000000';

/** An account whose `payments*` repositories replicate from us-east-1 to us-west-2. */
function replicated() {
  const a = new DrillAccount({ clock: clockAt(), seed: 'replication-test' });
  const replica = a.replicateEcr('us-west-2', ['payments']);
  a.ecr.createRepository('payments-api', { policy: SEVEN_DAY_POLICY });
  a.ecr.createRepository('web');
  a.events.drain();
  return { a, replica };
}

function logged(a: DrillAccount, kind: string): EventBridgeEventJson[] {
  return a.events.ofKind(kind).flatMap((e) => (e.payload.transport === 'eventbridge' ? [e.payload.event] : []));
}

describe('simulated ECR cross-Region replication', () => {
  it('copies every manifest of a multi-arch push, tag on the index, into the replica a minute later — not before', async () => {
    const { a, replica } = replicated();
    const pushed = a.ecr.push('payments-api', { platforms: [AMD64, ARM64], attestations: true, seed: 'p1' }, { tag: 'v1' });
    const all = [...pushed.image.others, pushed.image.top].map((m) => m.digest);

    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS - 1);
    expect(replica.repositories.get('payments-api')).toBeUndefined();

    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    const repo = replica.repositories.get('payments-api')!;
    expect([...repo.images.keys()].sort()).toEqual([...all].sort());
    expect(replica.resolveTag('payments-api', 'v1')).toBe(pushed.digest);
    // The same bytes: a pull of the replica gets the digest the source had.
    const source = a.ecr.repositories.get('payments-api')!.images.get(pushed.digest)!;
    expect(repo.images.get(pushed.digest)).toMatchObject({ body: source.body, mediaType: source.mediaType, childDigests: source.childDigests, pushedAt: T0 + ECR_REPLICATION_DELAY_MS });
    // ECR created the repository in the replica Region, with no lifecycle policy.
    expect(repo.policy).toBeUndefined();
    expect(repo.arn).toBe(`arn:aws:ecr:us-west-2:${ACCOUNT}:repository/payments-api`);
  });

  it('re-tagging an index by PutImage of the same manifest replicates its children too, like a tag push', async () => {
    const a = new DrillAccount({ clock: clockAt(), seed: 'replication-test' });
    a.ecr.createRepository('payments-api');
    // Pushed before replication existed: the replica has nothing of it.
    const pushed = a.ecr.push('payments-api', { platforms: [AMD64, ARM64], seed: 'p1' }, { tag: 'v1' });
    const replica = a.replicateEcr('us-west-2', ['payments']);
    const index = a.ecr.repositories.get('payments-api')!.images.get(pushed.digest)!;
    a.ecr.putImage('payments-api', { digest: index.digest, body: index.body, mediaType: index.mediaType, childDigests: index.childDigests ?? [], size: index.size }, { tag: 'v1-restored' });

    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    const repo = replica.repositories.get('payments-api')!;
    expect([...repo.images.keys()].sort()).toEqual([...pushed.image.others, pushed.image.top].map((m) => m.digest).sort());
    expect(replica.resolveTag('payments-api', 'v1-restored')).toBe(pushed.digest);
  });

  it('records an ECR Replication Action per manifest in the replica Region, which Lifeboat’s us-east-1 rules do not deliver', async () => {
    const { a } = replicated();
    const pushed = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'p1' }, { tag: 'v1' });
    expect(a.events.drain().map((p) => (p.transport === 'eventbridge' ? p.event['detail-type'] : 'sns'))).toEqual(['ECR Image Action']);
    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);

    const [event, ...rest] = logged(a, 'ECR Replication Action');
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      source: 'aws.ecr',
      region: 'us-west-2',
      account: ACCOUNT,
      resources: [`arn:aws:ecr:us-west-2:${ACCOUNT}:repository/payments-api`],
      detail: { result: 'SUCCESS', 'repository-name': 'payments-api', 'image-digest': pushed.digest, 'source-account': ACCOUNT, 'action-type': 'REPLICATE', 'source-region': 'us-east-1', 'image-tag': 'v1' },
    });
    expect(a.events.ofKind('ECR Replication Action').map((e) => e.delivered)).toEqual([false]);
    expect(a.events.drain()).toEqual([]);
    // The shape is the real one: intake reads it as a replicate image event for us-west-2.
    const parsed = parseEventBridgeEvent(event);
    expect(parsed.ok && parsed.alerts[0]).toMatchObject({ target: { region: 'us-west-2' }, imageEvent: { action: 'replicate', repository: 'payments-api', digest: pushed.digest } });
  });

  it('replicates only repositories the prefix filters take', async () => {
    const { a, replica } = replicated();
    a.ecr.push('web', { platforms: [AMD64], index: false, seed: 'w1' }, { tag: 'v1' });
    await a.scheduler.advanceTo(T0 + HOUR);
    expect(replica.repositories.has('web')).toBe(false);
    expect(a.ecr.replicationRegions('web')).toEqual([]);
    expect(a.ecr.replicationRegions('payments-worker')).toEqual(['us-west-2']);
  });

  it('moves a tag in the replica when it moves in the source (a re-push and a PutImage tag)', async () => {
    const { a, replica } = replicated();
    const first = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'b1' }, { tag: 'stable' });
    const second = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'b2' }, { tag: 'stable' });
    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    expect(replica.resolveTag('payments-api', 'stable')).toBe(second.digest);
    expect(replica.repositories.get('payments-api')!.images.get(first.digest)?.tags).toEqual([]);

    a.ecr.tagImage('payments-api', first.digest, 'stable');
    expect(replica.resolveTag('payments-api', 'stable')).toBe(second.digest);
    await a.scheduler.advanceTo(T0 + 2 * ECR_REPLICATION_DELAY_MS);
    expect(replica.resolveTag('payments-api', 'stable')).toBe(first.digest);
  });

  it('does not replicate deletions or lifecycle expiries: the replica keeps what the source lost', async () => {
    const { a, replica } = replicated();
    const old = a.ecr.push('payments-api', { platforms: [AMD64, ARM64], attestations: true, seed: 'old' }, { tag: 'v1', pushedAt: T0 - 8 * DAY });
    const deleted = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'del' }, { tag: 'tmp' });
    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    a.ecr.batchDeleteImage('payments-api', [{ digest: deleted.digest }]);

    const run = a.ecr.runLifecycle('payments-api');
    expect(run.expired).toHaveLength(5);
    expect(a.ecr.lookup('payments-api', old.digest)).toEqual({ kind: 'not-found' });
    expect(a.ecr.lookup('payments-api', deleted.digest)).toEqual({ kind: 'not-found' });

    await a.scheduler.advanceTo(T0 + 2 * DAY);
    for (const digest of [old.digest, ...old.image.others.map((m) => m.digest), deleted.digest]) expect(replica.lookup('payments-api', digest).kind).toBe('found');
    expect(replica.resolveTag('payments-api', 'v1')).toBe(old.digest);
    // The daily runs in us-east-1 went on; us-west-2 has no policy, so nothing ran there.
    expect(replica.lifecycleRuns).toEqual([]);
  });

  it('replicates the scenario’s history at once and silently: a past push is already in the replica', () => {
    const { a, replica } = replicated();
    const past = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'past' }, { tag: 'v0', pushedAt: T0 - 10 * DAY });
    expect(replica.repositories.get('payments-api')?.images.get(past.digest)?.pushedAt).toBe(T0 - 10 * DAY + ECR_REPLICATION_DELAY_MS);
    expect(a.events.log).toEqual([]);
  });

  it('refuses a replication destination the drill has no registry for, another account, or the source Region', () => {
    const a = new DrillAccount({ clock: clockAt(), seed: 'replication-test' });
    a.addEcrRegion('us-west-2');
    const rule = (region: string, registryId = ACCOUNT) => [{ destinations: [{ region, registryId }], repositoryPrefixes: [] }];
    expect(() => a.ecr.putReplicationConfiguration(rule('eu-west-1'))).toThrow(/InvalidParameterException: the drill has no registry in eu-west-1/);
    expect(() => a.ecr.putReplicationConfiguration(rule('us-west-2', '111122223333'))).toThrow(/registry 111122223333 is not in the drill/);
    expect(() => a.ecr.putReplicationConfiguration(rule('us-east-1'))).toThrow(/us-east-1 is the source Region/);
    expect(a.ecr.replicationRules).toEqual([]);
  });

  it('changes nothing for an account without replication: one registry, one Region', () => {
    const a = new DrillAccount({ clock: clockAt(), seed: 'replication-test' });
    expect(a.ecrIn('us-east-1')).toBe(a.ecr);
    expect(a.ecrIn('us-west-2')).toBeUndefined();
    expect(a.ecr.replicationRegions('anything')).toEqual([]);
  });
});

describe('ECR readers per Region over the drill account', () => {
  it('answers for the replica Region through ecrFor, with the replica’s images and no lifecycle policy', async () => {
    const { a } = replicated();
    const pushed = a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'r1' }, { tag: 'v1' });
    await a.scheduler.advanceTo(T0 + ECR_REPLICATION_DELAY_MS);
    a.ecr.batchDeleteImage('payments-api', [{ digest: pushed.digest }]);

    const ports = drillPorts(() => a);
    const scan = drillScanDeps(ports, a.scheduler.clock);
    expect(scan.ecrFor(ACCOUNT, 'us-east-1')).toBe(ports.ecrReader);
    const west = scan.ecrFor(ACCOUNT, 'us-west-2');
    expect(west).toBe(ports.ecrReaderIn('us-west-2'));

    const there = await west.describeImages(ACCOUNT, 'payments-api', [{ digest: pushed.digest }]);
    expect(there.images).toEqual([expect.objectContaining({ registryId: ACCOUNT, repository: 'payments-api', digest: pushed.digest, tags: ['v1'], status: 'ACTIVE' })]);
    expect((await west.getManifests(ACCOUNT, 'payments-api', [pushed.digest])).manifests.map((m) => m.digest)).toEqual([pushed.digest]);
    expect(await west.getLifecyclePolicy(ACCOUNT, 'payments-api')).toBeNull();

    const here = await scan.ecrFor(ACCOUNT, 'us-east-1').describeImages(ACCOUNT, 'payments-api', [{ digest: pushed.digest }]);
    expect(here.failures).toEqual([{ id: { digest: pushed.digest }, code: 'ImageNotFound', reason: 'Requested image not found' }]);
  });

  it('has no repositories in a Region the drill has no registry in, and denies other registries there too', async () => {
    const { a } = replicated();
    const scan = drillScanDeps(drillPorts(() => a), a.scheduler.clock);
    await expect(scan.ecrFor(ACCOUNT, 'eu-west-1').listImages(ACCOUNT, 'payments-api')).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'Repository payments-api in registry 000000000000 (eu-west-1) does not exist.',
    });
    await expect(scan.ecrFor('111122223333', 'us-west-2').listImages('111122223333', 'payments-api')).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: expect.stringContaining('arn:aws:ecr:us-west-2:111122223333:repository/payments-api'),
    });
    await expect(scan.ecrFor(ACCOUNT, 'us-west-2').listImages(ACCOUNT, 'web')).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'Repository web in registry 000000000000 (us-west-2) does not exist.',
    });
  });

  it('applies deny to the replica Region’s reader with that Region’s ARN', async () => {
    const { a } = replicated();
    a.ecr.push('payments-api', { platforms: [AMD64], index: false, seed: 'r1' }, { tag: 'v1', pushedAt: T0 - HOUR });
    const ports = drillPorts(() => a, { deny: ['ecr:DescribeImages'] });
    await expect(ports.ecrReaderIn('us-west-2').listImages(ACCOUNT, 'payments-api')).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: expect.stringContaining('ecr:DescribeImages on arn:aws:ecr:us-west-2:000000000000:repository/payments-api'),
    });
  });
});
