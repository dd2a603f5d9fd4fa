import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import type { DigestLocation } from '../../../src/images/ports.js';
import { runImageScan } from '../../../src/images/scan.js';
import { FakeEcr, FakeEcs } from './support/fakes.js';
import { ACCOUNT, REGION, addService, dig, ecrImage, ecrRef, scanDeps } from './support/fleet.js';

const REPLICA: DigestLocation = { registryId: ACCOUNT, region: 'us-west-2', repository: 'api' };

/** api pins dig(1), which is gone (its tag moved to dig(2)); worker pins dig(3), gone with its tag. */
function fleet() {
  const ecs = new FakeEcs();
  const ecr = new FakeEcr();
  addService(ecs, 'prod', 'api', [{ desired: 4, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] }]);
  addService(ecs, 'prod', 'api-canary', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] }]);
  ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['v42'])] });
  addService(ecs, 'prod', 'worker', [{ desired: 2, containers: [{ name: 'app', image: ecrRef('worker', 'v9', '999999999999', 'eu-west-1'), digest: dig(3) }] }]);
  ecr.add('999999999999', 'worker', { images: [] });
  return { ecs, ecr };
}

describe('image scan: copies of missing digests', () => {
  it('offers restore of the exact digest when a replica still holds it, in preference to a redeploy onto the moved tag', async () => {
    const { ecs, ecr } = fleet();
    const asked: string[] = [];
    const report = await runImageScan(
      scanDeps(ecs, ecr, {
        findCopy: (missing, digest) => {
          asked.push(`${missing.registryId}/${missing.region}/${missing.repository}@${digest}`);
          return Promise.resolve(digest === dig(1) ? REPLICA : undefined);
        },
      }),
    );
    const api = report.services.find((s) => s.service === 'api');
    expect(api?.findings[0]?.next).toBe(`restore api@${dig(1)}`);
    expect(api?.findings[0]?.sentence).toMatch(/is still in the us-west-2 replica, so it can be restored exactly/);
    // Asked once per distinct digest, though two services pin it.
    expect(asked.filter((a) => a.endsWith(dig(1)))).toEqual([`${ACCOUNT}/${REGION}/api@${dig(1)}`]);
    // No copy: the next command stays a rebuild.
    const worker = report.services.find((s) => s.service === 'worker');
    expect(worker?.findings[0]?.next).toBe('rebuild worker:v9');
    expect(asked).toContain(`999999999999/eu-west-1/worker@${dig(3)}`);
  });

  it('names an image of another account or Region in full, so restore acts on the right registry', async () => {
    const { ecs, ecr } = fleet();
    const report = await runImageScan(scanDeps(ecs, ecr, { findCopy: () => Promise.resolve({ registryId: '999999999999', region: 'eu-west-2', repository: 'worker' }) }));
    const worker = report.services.find((s) => s.service === 'worker');
    expect(worker?.findings[0]?.next).toBe(`restore 999999999999.dkr.ecr.eu-west-1.amazonaws.com/worker@${dig(3)}`);
    expect(worker?.findings[0]?.sentence).toMatch(/still in the eu-west-2 replica/);
  });

  it('names the registry in full for a service of a second target too: a bare name would mean the recovery account', async () => {
    const { ecs, ecr } = fleet();
    const other = new FakeEcs();
    addService(other, 'prod', 'billing', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('billing', 'v2', '222222222222'), digest: dig(8) }] }], '222222222222');
    ecr.add('222222222222', 'billing', { images: [] });
    const report = await runImageScan(
      scanDeps(ecs, ecr, {
        targets: [{ account: ACCOUNT, region: REGION, ecs }, { account: '222222222222', region: REGION, ecs: other }],
        findCopy: (missing) => Promise.resolve(missing.repository === 'billing' ? { ...missing, region: 'us-west-2' } : undefined),
      }),
    );
    const billing = report.services.find((s) => s.service === 'billing');
    expect(billing?.findings[0]?.next).toBe(`restore 222222222222.dkr.ecr.us-east-1.amazonaws.com/billing@${dig(8)}`);
  });

  it('looks for copies under the scan’s ECR budget: a throttled lookup is retried, not read as "no copy"', async () => {
    const { ecs, ecr } = fleet();
    let attempts = 0;
    const report = await runImageScan(
      scanDeps(ecs, ecr, {
        findCopy: (missing, digest, _signal, read) => {
          if (!read || digest !== dig(1)) return Promise.resolve(undefined);
          return read('ecr:DescribeImages', () => (++attempts === 1 ? Promise.reject(new LifeboatError('AWS_THROTTLED', 'ECR is throttling Lifeboat')) : Promise.resolve(REPLICA)));
        },
      }),
    );
    expect(attempts).toBe(2);
    expect(report.services.find((s) => s.service === 'api')?.findings[0]?.next).toBe(`restore api@${dig(1)}`);
  });

  it('treats a failing lookup as no copy: the scan still answers, with rebuild or redeploy', async () => {
    const { ecs, ecr } = fleet();
    const report = await runImageScan(scanDeps(ecs, ecr, { findCopy: () => Promise.reject(new Error('DescribeRegistry denied')) }));
    expect(report.services.find((s) => s.service === 'api')?.findings[0]?.next).toBe('redeploy prod/api');
    expect(report.services.find((s) => s.service === 'worker')?.findings[0]?.next).toBe('rebuild worker:v9');
  });

  it('never looks for copies of available images', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'web', [{ desired: 2, containers: [{ name: 'app', image: ecrRef('web', 'v1'), digest: dig(5) }] }]);
    ecr.add(ACCOUNT, 'web', { images: [ecrImage('web', dig(5), ['v1'])] });
    let calls = 0;
    const report = await runImageScan(
      scanDeps(ecs, ecr, {
        findCopy: () => {
          calls++;
          return Promise.resolve(undefined);
        },
      }),
    );
    expect(report.totals.available).toBe(1);
    expect(calls).toBe(0);
  });
});
