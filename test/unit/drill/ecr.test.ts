import { describe, expect, it } from 'vitest';
import { DrillAccount } from '../../../src/adapters/drill/account.js';
import type { PushResult } from '../../../src/adapters/drill/ecr.js';
import type { EventBridgeEventJson } from '../../../src/adapters/drill/events.js';
import { AMD64, ARM64 } from '../../../src/adapters/drill/manifests.js';
import { KEEP_30_POLICY } from '../../../src/adapters/drill/scenarios/arm-builds-exhaust-retention.js';
import { SEVEN_DAY_POLICY } from '../../../src/adapters/drill/scenarios/ecr-lifecycle-expiry.js';
import { parseEventBridgeEvent } from '../../../src/intake/index.js';
import { T0, clockAt } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function account(): DrillAccount {
  return new DrillAccount({ clock: clockAt(), seed: 'ecr-test' });
}

function delivered(a: DrillAccount): EventBridgeEventJson[] {
  return a.events.drain().flatMap((p) => (p.transport === 'eventbridge' ? [p.event] : []));
}

describe('simulated ECR lifecycle', () => {
  it('expires a sinceImagePushed 7-day image at the first daily run after it turns 7 days old, not before', async () => {
    const a = account();
    a.ecr.createRepository('api', { policy: SEVEN_DAY_POLICY, lifecycleRunAt: '03:17' });
    // Seven days old at T0 + 1 h: the run at 03:17 that day is the first that may act.
    const pushed = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'v42' }, { tag: 'v42', pushedAt: T0 + HOUR - 7 * DAY });
    a.events.drain();

    await a.scheduler.advanceTo(T0 + 3 * HOUR + 16 * 60_000);
    expect(a.ecr.lookup('api', pushed.digest).kind).toBe('found');

    await a.scheduler.advanceTo(T0 + 3 * HOUR + 17 * 60_000);
    expect(a.ecr.lookup('api', pushed.digest)).toEqual({ kind: 'not-found' });
    expect(a.ecr.lookup('api', 'v42')).toEqual({ kind: 'not-found' });
    expect(a.ecr.lifecycleRuns).toEqual([{ repository: 'api', at: T0 + 3 * HOUR + 17 * 60_000, expired: [pushed.digest], archived: [], refused: [] }]);
  });

  it('records the expiry as a CloudTrail PolicyExecutionEvent that intake reads as an expire image event', async () => {
    const a = account();
    a.ecr.createRepository('api', { policy: SEVEN_DAY_POLICY });
    const pushed = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'v42' }, { tag: 'v42', pushedAt: T0 - 8 * DAY });
    a.events.drain();
    await a.scheduler.advanceTo(T0 + DAY);

    const [event, ...rest] = delivered(a);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ source: 'aws.ecr', 'detail-type': 'AWS Service Event via CloudTrail', account: '000000000000' });
    expect(event?.detail).toMatchObject({
      eventName: 'PolicyExecutionEvent',
      eventType: 'AwsServiceEvent',
      userIdentity: { accountId: '000000000000', invokedBy: 'AWS Internal' },
      serviceEventDetails: {
        repositoryName: 'api',
        lifecycleEventPolicy: { lifecycleEventRules: [{ rulePriority: 1, lifecycleEventSelection: { tagStatus: 'Any', countType: 'Since image pushed', countNumber: 7, countUnit: 'days' }, action: 'expire' }] },
        lifecycleEventImageActions: [{ lifecycleEventImage: { digest: pushed.digest, tagStatus: 'Tagged', tagList: ['v42'], pushedAt: T0 - 8 * DAY }, rulePriority: 1 }],
      },
    });
    const parsed = parseEventBridgeEvent(event);
    expect(parsed.ok && parsed.alerts).toEqual([
      expect.objectContaining({ class: 'image-event', imageEvent: expect.objectContaining({ action: 'expire', repository: 'api', digest: pushed.digest, tags: ['v42'], rulePriority: 1 }) }),
    ]);
  });

  it('lets a count rule expire a whole multi-arch push, index and children together', () => {
    const a = account();
    a.ecr.createRepository('hooks', { policy: KEEP_30_POLICY });
    // 6 single images, then 6 multi-arch pushes of 5 manifests each: 36 images, 30 kept.
    for (let i = 0; i < 6; i++) a.ecr.push('hooks', { platforms: [AMD64], index: false, seed: `old-${i}` }, { tag: `old-${i}`, pushedAt: T0 - (20 - i) * DAY });
    const multi: PushResult[] = [];
    for (let i = 0; i < 6; i++) multi.push(a.ecr.push('hooks', { platforms: [AMD64, ARM64], attestations: true, seed: `arm-${i}` }, { tag: `arm-${i}`, pushedAt: T0 - (10 - i) * DAY }));
    a.events.drain();

    const run = a.ecr.runLifecycle('hooks');
    expect(run.expired).toHaveLength(6);
    expect(run.expired.every((d) => !multi.some((m) => m.digest === d))).toBe(true);
    expect([...a.ecr.repositories.get('hooks')!.images.values()]).toHaveLength(30);

    // Two more ARM pushes: the oldest multi-arch index falls beyond 30 together with its children.
    for (let i = 6; i < 8; i++) multi.push(a.ecr.push('hooks', { platforms: [AMD64, ARM64], attestations: true, seed: `arm-${i}` }, { tag: `arm-${i}`, pushedAt: T0 - (10 - i) * DAY }));
    const second = a.ecr.runLifecycle('hooks');
    const oldest = multi[0]!;
    expect(second.expired).toEqual(expect.arrayContaining([oldest.digest, ...oldest.image.others.map((m) => m.digest)]));
    expect(second.expired).toHaveLength(10);
  });

  it('refuses to expire children an index still references, and says so in CloudTrail (ImageReferencedByManifestList)', () => {
    const a = account();
    const untagged = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }] });
    a.ecr.createRepository('web', { policy: untagged });
    const img = a.ecr.push('web', { platforms: [AMD64, ARM64], attestations: true, seed: 'w' }, { tag: 'v1', pushedAt: T0 - 3 * DAY });
    a.events.drain();
    const run = a.ecr.runLifecycle('web');
    expect(run.expired).toEqual([]);
    expect(run.refused.map((r) => r.digest).sort()).toEqual(img.image.others.map((m) => m.digest).sort());
    const [event] = delivered(a);
    expect(event?.detail).toMatchObject({
      serviceEventDetails: {
        lifecycleEventImageActions: [],
        lifecycleEventFailureDetails: expect.arrayContaining([
          expect.objectContaining({ failureCode: 'ImageReferencedByManifestList', failureReason: `Requested image referenced by manifest list: [${img.digest}]` }),
        ]),
      },
    });
    // Nothing changed, so intake turns it into no alert.
    expect(parseEventBridgeEvent(event)).toMatchObject({ ok: true, alerts: [] });
  });

  it('answers BatchDeleteImage like ECR: by tag removes the tag, by digest the image, a referenced child is refused', () => {
    const a = account();
    a.ecr.createRepository('web');
    const img = a.ecr.push('web', { platforms: [AMD64, ARM64], attestations: true, seed: 'w1' }, { tag: 'v1' });
    a.ecr.tagImage('web', img.digest, 'stable');
    a.events.drain();
    const child = img.image.others[0]!.digest;

    const byTag = a.ecr.batchDeleteImage('web', [{ tag: 'stable' }]);
    expect(byTag.deleted).toEqual([{ digest: img.digest, tag: 'stable' }]);
    expect(a.ecr.lookup('web', img.digest).kind).toBe('found');

    const refused = a.ecr.batchDeleteImage('web', [{ digest: child }]);
    expect(refused.failures).toEqual([{ id: { digest: child }, code: 'ImageReferencedByManifestList', reason: `Requested image referenced by manifest list: [${img.digest}]` }]);

    const gone = a.ecr.batchDeleteImage('web', [{ digest: img.digest }, { digest: img.digest }]);
    expect(gone.deleted).toEqual([{ digest: img.digest, tag: 'v1' }]);
    expect(gone.failures).toEqual([{ id: { digest: img.digest }, code: 'ImageNotFound', reason: 'Requested image not found' }]);

    const events = delivered(a);
    expect(events.map((e) => e.detail['action-type'])).toEqual(['DELETE', 'DELETE']);
    const parsed = parseEventBridgeEvent(events[1]);
    expect(parsed.ok && parsed.alerts[0]?.imageEvent).toMatchObject({ action: 'delete', repository: 'web', digest: img.digest, tags: ['v1'] });
  });

  it('emits an ECR Image Action PUSH for every manifest of a multi-arch push, the tag only on the index', () => {
    const a = account();
    a.ecr.createRepository('web');
    const img = a.ecr.push('web', { platforms: [AMD64, ARM64], attestations: true, seed: 'w1' }, { tag: 'v1' });
    const events = delivered(a);
    expect(events).toHaveLength(5);
    expect(events.filter((e) => e.detail['image-tag'] === 'v1').map((e) => e.detail['image-digest'])).toEqual([img.digest]);
    for (const e of events) {
      const parsed = parseEventBridgeEvent(e);
      expect(parsed.ok && parsed.alerts[0]?.imageEvent?.action).toBe('push');
    }
  });

  it('makes an archived image unpullable until it is restored', async () => {
    const a = account();
    a.ecr.createRepository('batch');
    const img = a.ecr.push('batch', { platforms: [AMD64], index: false, seed: 'b' }, { tag: 'nightly' });
    a.ecr.archive('batch', img.digest);
    expect(a.ecr.lookup('batch', img.digest)).toEqual({ kind: 'archived' });
    a.ecr.restore('batch', img.digest, 20 * 60_000);
    expect(a.ecr.repositories.get('batch')?.images.get(img.digest)?.status).toBe('ACTIVATING');
    await a.scheduler.advanceTo(T0 + 20 * 60_000);
    expect(a.ecr.lookup('batch', img.digest).kind).toBe('found');
    const actions = delivered(a).filter((e) => e.detail['action-type'] === 'UPDATE_STORAGE_CLASS').map((e) => parseEventBridgeEvent(e));
    expect(actions.map((r) => r.ok && r.alerts[0]?.imageEvent?.action)).toEqual(['archive', 'restore']);
  });

  it('content-addresses manifests: a rebuild of the same commit gets new digests', () => {
    const a = account();
    a.ecr.createRepository('api');
    const first = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'api|abc|build-1', revision: 'abc' }, { tag: 'v1' });
    const again = a.ecr.push('api', { platforms: [AMD64], index: false, seed: 'api|abc|build-2', revision: 'abc' }, { tag: 'v1' });
    expect(again.digest).not.toBe(first.digest);
    expect(a.ecr.resolveTag('api', 'v1')).toBe(again.digest);
    // The older image lost its tag but stays, untagged, until something deletes it.
    expect(a.ecr.repositories.get('api')?.images.get(first.digest)?.tags).toEqual([]);
  });
});
