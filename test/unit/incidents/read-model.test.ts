import { describe, expect, it } from 'vitest';
import { incidentDetailsToJson, incidentListToJson, incidentToJson } from '../../../src/incidents/read-model.js';
import { alarm, stoppedTask } from './alerts.js';
import { harness, MINUTE } from './harness.js';

describe('incident read model (GET /api/incidents)', () => {
  it('gives every key, ISO times and null for what is unknown', async () => {
    const { ingest, store, clock } = harness();
    const out = await ingest(stoppedTask('api'));
    clock.advance(MINUTE);
    const acked = await store.transition(out.incident!.id, { type: 'ack' }, { id: 'UANA', name: 'ana' });
    const json = incidentToJson(acked.ok ? acked.incident : out.incident!);
    expect(json).toEqual({
      id: 'inc-test22',
      version: 2,
      state: 'acknowledged',
      class: 'image-pull-failed',
      pullFailure: 'image-not-found',
      severity: 'high',
      title: 'prod/api: image pull failed (image not found)',
      summary: expect.stringContaining('could not pull its image'),
      groupKey: 'service:111122223333/us-west-2/prod/api',
      target: { account: '111122223333', region: 'us-west-2', cluster: 'prod', service: 'api', repository: 'api', imageTag: 'latest' },
      counts: { alerts: 1, firing: 1, received: 1, duplicates: 0, stateChanges: 0 },
      flapping: false,
      flappingUntil: null,
      createdAt: '2026-03-02T09:00:30.000Z',
      openedAt: '2026-03-02T09:00:30.000Z',
      updatedAt: '2026-03-02T09:01:30.000Z',
      lastActivityAt: '2026-03-02T09:01:30.000Z',
      lastAlertAt: '2026-03-02T09:00:30.000Z',
      acknowledged: { by: 'ana', at: '2026-03-02T09:01:30.000Z' },
      mitigated: null,
      resolved: null,
      snoozedUntil: null,
      linkedIncidentId: null,
      supersededBy: null,
      truncatedAlerts: 0,
      reopenCount: 0,
      url: '/api/incidents/inc-test22',
    });
  });

  it('adds alerts and the timeline for one incident, and counts a list', async () => {
    const { ingest, store, clock } = harness();
    const out = await ingest(stoppedTask('api'));
    clock.advance(MINUTE);
    await ingest(alarm('api-latency', 'ALARM', { service: 'api' }));
    const details = incidentDetailsToJson((await store.get(out.incident!.id))!);
    expect(details.alerts.map((a) => [a.name, a.status, a.received])).toEqual([
      ['ECS task image pull failed', 'firing', 1],
      ['api-latency', 'firing', 1],
    ]);
    expect(details.timeline.map((e) => [e.kind, e.by])).toEqual([
      ['opened', null],
      ['alert', null],
    ]);
    expect(details.timelineDropped).toBe(0);
    expect(JSON.parse(JSON.stringify(details))).toEqual(details);
    expect(incidentListToJson(await store.listOpen())).toMatchObject({ count: 1, incidents: [{ id: out.incident?.id }] });
  });
});
