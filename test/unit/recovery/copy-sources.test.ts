import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { copyCandidates, createDigestCopyFinder, describeLocation, type CopySourceDeps } from '../../../src/recovery/copy-sources.js';
import type { ReplicationDestination } from '../../../src/recovery/ports.js';
import { parseRestoreTarget, parseSource } from '../../../src/recovery/restore.js';
import { FakeEcr } from '../images/support/fakes.js';
import { dig, ecrImage } from '../images/support/fleet.js';

const ACCOUNT = '123456789012';
const HOME = { registryId: ACCOUNT, region: 'us-east-1', repository: 'api' };

function world(destinations: ReplicationDestination[] | Error, sources: CopySourceDeps['sources'] = []) {
  const regions = new Map<string, FakeEcr>([
    ['us-east-1', new FakeEcr()],
    ['us-west-2', new FakeEcr()],
    ['eu-west-1', new FakeEcr()],
  ]);
  let describeRegistry = 0;
  const clock = new ManualClock(Date.UTC(2026, 10, 22));
  const deps: CopySourceDeps = {
    restore: {
      replicationDestinations: () => {
        describeRegistry++;
        return destinations instanceof Error ? Promise.reject(destinations) : Promise.resolve(destinations);
      },
    },
    ecrFor: (_id, region) => regions.get(region) ?? new FakeEcr(),
    sources,
    clock,
  };
  return { deps, regions, clock, describeRegistryCalls: () => describeRegistry };
}

describe('copy sources', () => {
  it('lists configured sources first, then replication destinations whose prefix filters take the repository, without the repository itself', async () => {
    const { deps } = world(
      [
        { region: 'us-west-2', registryId: ACCOUNT, repositoryPrefixes: [] },
        { region: 'eu-west-1', registryId: ACCOUNT, repositoryPrefixes: ['team/'] },
        { region: 'us-east-1', registryId: ACCOUNT, repositoryPrefixes: [] },
      ],
      [{ region: 'us-east-1', registryId: '210987654321' }, { region: 'us-west-2' }],
    );
    const { candidates, problems } = await copyCandidates(deps, HOME);
    expect(candidates).toEqual([
      { registryId: '210987654321', region: 'us-east-1', repository: 'api' },
      { registryId: ACCOUNT, region: 'us-west-2', repository: 'api' },
    ]);
    expect(problems).toEqual([]);
  });

  it('reports an unreadable replication configuration and still uses the configured sources', async () => {
    const { deps } = world(new LifeboatError('AWS_ACCESS_DENIED', 'Lifeboat is not allowed ecr:DescribeRegistry.'), [{ region: 'eu-west-1' }]);
    const { candidates, problems } = await copyCandidates(deps, HOME);
    expect(candidates).toEqual([{ registryId: ACCOUNT, region: 'eu-west-1', repository: 'api' }]);
    expect(problems[0]).toMatch(/could not read the replication configuration of registry 123456789012 in us-east-1: .*ecr:DescribeRegistry/);
  });

  it('finds the first location holding the digest ACTIVE; archived copies do not count; the configuration is cached', async () => {
    const { deps, regions, clock, describeRegistryCalls } = world([
      { region: 'eu-west-1', registryId: ACCOUNT, repositoryPrefixes: [] },
      { region: 'us-west-2', registryId: ACCOUNT, repositoryPrefixes: [] },
    ]);
    regions.get('eu-west-1')?.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(1), [], { status: 'ARCHIVED' })] });
    regions.get('us-west-2')?.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(1), ['v42'])] });
    const find = createDigestCopyFinder(deps);
    expect(await find(HOME, dig(1))).toEqual({ registryId: ACCOUNT, region: 'us-west-2', repository: 'api' });
    expect(await find(HOME, dig(2))).toBeUndefined();
    expect(describeRegistryCalls()).toBe(1);
    clock.advance(11 * 60_000);
    await find(HOME, dig(1));
    expect(describeRegistryCalls()).toBe(2);
  });

  it('describes locations the way people say them', () => {
    expect(describeLocation({ ...HOME, region: 'us-west-2' }, HOME)).toBe('the us-west-2 replica');
    expect(describeLocation({ ...HOME, repository: 'api-releases' }, HOME)).toBe('repo api-releases');
    expect(describeLocation({ registryId: '210987654321', region: 'us-east-1', repository: 'api' }, HOME)).toBe('registry 210987654321 (us-east-1) repo api');
  });
});

describe('restore arguments', () => {
  const deps = { account: ACCOUNT, region: 'us-east-1' };
  it('reads a bare repository in the recovery account and Region, and a full ECR URI as its own registry', () => {
    expect(parseRestoreTarget(`team/hooks-worker@${dig(7)}`, deps)).toEqual({ target: { ...HOME, repository: 'team/hooks-worker' }, digest: dig(7) });
    expect(parseRestoreTarget(`210987654321.dkr.ecr.eu-west-1.amazonaws.com/api@${dig(7)}`, deps)).toEqual({ target: { registryId: '210987654321', region: 'eu-west-1', repository: 'api' }, digest: dig(7) });
    expect(() => parseRestoreTarget('api@sha256:abc', deps)).toThrow(/not repository@sha256/);
    expect(() => parseRestoreTarget(`ghcr.io/acme/api@${dig(7)}`, deps)).toThrow(/private ECR only/);
  });

  it('reads --from as a Region, another repository, or a full repository URI', () => {
    expect(parseSource('us-west-2', HOME)).toEqual({ ...HOME, region: 'us-west-2' });
    expect(parseSource('api-releases', HOME)).toEqual({ ...HOME, repository: 'api-releases' });
    expect(parseSource('210987654321.dkr.ecr.eu-west-1.amazonaws.com/dr/api', HOME)).toEqual({ registryId: '210987654321', region: 'eu-west-1', repository: 'dr/api' });
  });
});
