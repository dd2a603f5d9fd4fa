import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { DigestUse } from '../../../src/images/guard.js';
import { ImageGuard, IMAGE_GUARD_TIMER } from '../../../src/images/guard-runner.js';
import type { Alert } from '../../../src/intake/alert.js';
import { RecordingDispatcher } from '../../support/fakes.js';

const api: DigestUse = { account: '111122223333', region: 'eu-west-1', cluster: 'prod', service: 'api' };
const DIGEST = `sha256:${'a'.repeat(64)}`;

function guard() {
  const jobs = new RecordingDispatcher();
  const index = new Map<string, DigestUse[]>([[DIGEST, [api]]]);
  const g = new ImageGuard({
    jobs,
    digests: { record: () => Promise.resolve(), lookup: (d) => Promise.resolve(index.get(d) ?? []) },
    reports: { save: () => Promise.resolve() },
    sink: { accept: () => Promise.resolve() },
    clock: new ManualClock(),
  });
  return { g, jobs };
}

const expired: Alert = {
  source: 'eventbridge', deliveryId: 'd1', fingerprint: 'f1', name: 'ECR lifecycle expiry', status: 'firing', severity: 'info', class: 'image-event',
  summary: 'expired', target: { repository: 'api' }, occurredAt: 0,
  imageEvent: { action: 'expire', repository: 'api', digest: DIGEST, tags: ['v42'], result: 'success' },
};

describe('image guard runner', () => {
  it('queues a background check of exactly the services that run an expired digest, under the shared dedup key', async () => {
    const { g, jobs } = guard();
    await g.recheck([expired, { ...expired, imageEvent: { ...expired.imageEvent!, digest: `sha256:${'b'.repeat(64)}` } }]);
    expect(jobs.requests).toEqual([
      expect.objectContaining({ kind: 'check-images', dedupKey: 'check-images:target=prod/api', data: { target: 'prod/api', account: '111122223333', region: 'eu-west-1' } }),
    ]);
    expect(jobs.requests[0]).not.toHaveProperty('replyTo');
  });

  it('queues a full check when its timer fires, and ignores other timers', async () => {
    const { g, jobs } = guard();
    expect(await g.handleTimer({ payload: { kind: 'sweep' } })).toBe(false);
    expect(await g.handleTimer({ payload: { kind: IMAGE_GUARD_TIMER } })).toBe(true);
    expect(jobs.requests.map((r) => [r.kind, r.dedupKey])).toEqual([['check-images', 'check-images:*']]);
  });
});
