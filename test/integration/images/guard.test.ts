import { afterAll, describe, expect, it } from 'vitest';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { drillScanDeps } from '../../../src/adapters/drill/port-set.js';
import { RedisDigestIndex } from '../../../src/adapters/redis/redis-digest-index.js';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import { digestIndex, guardAlerts, servicesToRecheck } from '../../../src/images/guard.js';
import { runImageScan } from '../../../src/images/scan.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import type { Alert } from '../../../src/intake/alert.js';
import { defaultTriageSettings } from '../../../src/triage/settings.js';
import { testPrefix, testRedis } from '../../support/redis.js';

const sink = { alerts: [] as Alert[], accept(alerts: readonly Alert[]) { this.alerts.push(...alerts); return Promise.resolve(); } };
const redis = testRedis();
afterAll(() => redis.disconnect());

describe('image guard and deletion tripwire (drill account, real Redis)', () => {
  it('opens an image-unavailable incident when the lifecycle rule deletes a pinned digest, before any task fails', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const drill = createDrill('ecr-lifecycle-expiry', { clock, sink });
    const store = new RedisIncidentStore(redis, { clock, prefix: testPrefix('guard'), retention: defaultTriageSettings.retention });
    const ingest = createIngest({ store, settings: defaultTriageSettings, clock });
    const index = new RedisDigestIndex(redis, `${testPrefix('digests')}`);

    // Before the fault: the guard warns about the rule and records which services use which digest.
    const before = await runImageScan(drillScanDeps(drill.ports, drill.clock));
    await index.record(digestIndex(before));
    const early = guardAlerts(before, clock.now());
    expect(early.filter((a) => a.status === 'firing').map((a) => `${a.name}: ${a.target.service}`)).toEqual(['image at risk: api']);
    expect(early.find((a) => a.status === 'firing')?.description).toMatch(/rule 1/);
    for (const alert of early) await ingest(alert);

    // The nightly lifecycle run expires the pinned digest: CloudTrail's PolicyExecutionEvent arrives.
    const cause = drill.faults.find((f) => f.kind === 'cause')!;
    const impact = drill.faults.find((f) => f.kind === 'impact')!;
    await drill.advanceTo(cause.at + 60_000);
    const expired = sink.alerts.find((a) => a.class === 'image-event' && a.imageEvent?.action === 'expire');
    expect(expired).toBeDefined();

    // The tripwire finds the users of the expired digest and re-checks them at once.
    const recheck = await servicesToRecheck(expired!, (d) => index.lookup(d));
    expect(recheck).toEqual([{ account: '000000000000', region: 'us-east-1', cluster: 'prod', service: 'api' }]);
    const after = await runImageScan(drillScanDeps(drill.ports, drill.clock), { scope: { cluster: 'prod', service: 'api' } });
    const outcomes = [];
    for (const alert of guardAlerts(after, clock.now())) outcomes.push(await ingest(alert));

    const opened = outcomes.find((o) => o.incident?.class === 'image-unavailable');
    expect(opened?.incident).toMatchObject({ class: 'image-unavailable', severity: 'critical', state: 'open' });
    expect(clock.now()).toBeLessThan(impact.at); // no task has failed yet
    const details = await store.get(opened!.incident!.id);
    expect(JSON.stringify(details)).toContain('is gone from repo api');
  });

  it('re-checks the service of a CannotPull "not found" alert, and ignores other pull failures', async () => {
    const target = { account: '111122223333', region: 'eu-west-1', cluster: 'prod', service: 'hooks-worker' };
    const base: Alert = { source: 'eventbridge', deliveryId: 'd', fingerprint: 'f', name: 'ECS Task State Change', status: 'firing', severity: 'high', class: 'image-pull-failed', summary: 's', target, occurredAt: 0 };
    const none = () => Promise.resolve([]);
    expect(await servicesToRecheck({ ...base, pullFailure: 'image-not-found' }, none)).toEqual([target]);
    expect(await servicesToRecheck({ ...base, pullFailure: 'platform-mismatch' }, none)).toEqual([target]);
    expect(await servicesToRecheck({ ...base, pullFailure: 'registry-unreachable' }, none)).toEqual([]);
    expect(await servicesToRecheck({ ...base, pullFailure: 'image-not-found', status: 'resolved' }, none)).toEqual([]);
  });
});
