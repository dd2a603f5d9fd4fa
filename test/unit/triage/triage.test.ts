import { describe, expect, it } from 'vitest';
import { alarm, alertmanager, stoppedTask, steadyState, taskStartImpaired } from '../incidents/alerts.js';
import { harness, MINUTE, settingsWith } from '../incidents/harness.js';

describe('triage: grouping into incidents', () => {
  it('joins a service’s backlog alarm, stopped tasks and start-impaired event into one incident of the most specific class', async () => {
    const { ingest, store } = harness();
    const first = await ingest(alarm('api-latency-high', 'ALARM', { service: 'api' }));
    expect(first).toMatchObject({ kind: 'opened', notify: 'new-card', escalation: 'start', incident: { class: 'other', title: 'prod/api: api-latency-high' } });

    const impaired = await ingest(taskStartImpaired('api'));
    expect(impaired).toMatchObject({ kind: 'attached', notify: 'update-card', incident: { id: first.incident?.id, class: 'task-fails-to-start' } });

    const pull = await ingest(stoppedTask('api'));
    expect(pull.incident).toMatchObject({
      id: first.incident?.id,
      class: 'image-pull-failed',
      pullFailure: 'image-not-found',
      title: 'prod/api: image pull failed (image not found)',
      severity: 'high',
      counts: { alerts: 3, firing: 3, received: 3 },
    });
    // A later, vaguer alert never downgrades the class.
    const later = await ingest(taskStartImpaired('api', { fingerprint: 'ecs/x/y/prod/service:api/task-placement-failed', name: 'SERVICE_TASK_PLACEMENT_FAILURE' }));
    expect(later.incident?.class).toBe('image-pull-failed');
    expect(await store.listOpen()).toHaveLength(1);
  });

  it('keeps the highest severity and the largest truncatedAlerts seen', async () => {
    const { ingest } = harness();
    await ingest(alertmanager('DiskFull', 'firing', { truncatedAlerts: 3 }));
    const out = await ingest(alertmanager('DiskFull', 'firing', { fingerprint: 'alertmanager:DiskFull:other', severity: 'critical', truncatedAlerts: 1 }));
    expect(out.incident).toMatchObject({ severity: 'critical', truncatedAlerts: 3 });
  });

  it('ignores ECR image events: they feed the image graph', async () => {
    const { ingest, store } = harness();
    const out = await ingest(stoppedTask('api', { class: 'image-event' }));
    expect(out).toMatchObject({ kind: 'ignored', notify: 'none' });
    expect(store.incidents.size).toBe(0);
  });
});

describe('triage: duplicates', () => {
  it('stores the same delivery once, however often it is delivered', async () => {
    const { ingest, store } = harness();
    const alert = stoppedTask('api');
    const outcomes = [await ingest(alert), await ingest(alert), await ingest(alert)];
    expect(outcomes.map((o) => o.kind)).toEqual(['opened', 'duplicate-delivery', 'duplicate-delivery']);
    expect(outcomes[2]).toMatchObject({ notify: 'none', incident: { id: outcomes[0]?.incident?.id, counts: { received: 1 } } });
    expect(store.incidents.size).toBe(1);
  });

  it('only counts an already-firing alert seen again within the dedup window', async () => {
    const { ingest, clock, store } = harness();
    const opened = await ingest(stoppedTask('api'));
    clock.advance(2 * MINUTE);
    const dup = await ingest(stoppedTask('api'));
    expect(dup).toMatchObject({ kind: 'duplicate', notify: 'none', incident: { counts: { alerts: 1, received: 2, duplicates: 1 } } });
    const details = await store.get(opened.incident!.id);
    expect(details?.timeline.map((e) => e.kind)).toEqual(['opened']);
    expect(details?.alerts[0]?.received).toBe(2);
  });

  it('records an alert still firing after the dedup window on the timeline, without pinging', async () => {
    const { ingest, clock } = harness();
    await ingest(stoppedTask('api'));
    clock.advance(6 * MINUTE);
    const again = await ingest(stoppedTask('api'));
    expect(again).toMatchObject({ kind: 'attached', notify: 'update-card', incident: { counts: { duplicates: 0, received: 2 } } });
  });
});

describe('triage: resolving', () => {
  it('resolves the fingerprint of a resolved alert and auto-resolves the incident when its last alert resolves', async () => {
    const { ingest, clock } = harness();
    const opened = await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    await ingest(taskStartImpaired('api'));
    clock.advance(MINUTE);
    const one = await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    expect(one).toMatchObject({ kind: 'resolved-alert', notify: 'update-card', incident: { state: 'open', counts: { firing: 1, stateChanges: 1 } } });
    const last = await ingest(steadyState('api'));
    expect(last).toMatchObject({
      kind: 'auto-resolved',
      notify: 'update-card',
      escalation: 'stop',
      incident: { id: opened.incident?.id, state: 'resolved', resolution: 'all-alerts-resolved', resolvedBy: 'lifeboat', counts: { firing: 0 } },
    });
  });

  it('lets SERVICE_STEADY_STATE resolve the stopped-task condition it names in resolvesFingerprints', async () => {
    const { ingest } = harness();
    await ingest(stoppedTask('api'));
    const out = await ingest(steadyState('api'));
    expect(out).toMatchObject({ kind: 'auto-resolved', incident: { counts: { firing: 0, alerts: 1 } } });
  });

  it('keeps the incident open when autoResolve is off', async () => {
    const { ingest } = harness(settingsWith({ autoResolve: false }));
    await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    const out = await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    expect(out).toMatchObject({ kind: 'resolved-alert', incident: { state: 'open', counts: { firing: 0 } } });
  });

  it('ignores a resolve for nothing firing, and stores nothing', async () => {
    const { ingest, store } = harness();
    expect(await ingest(alarm('api-5xx', 'OK', { service: 'api' }))).toMatchObject({ kind: 'ignored', reason: 'no incident for this group' });
    await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    expect(await ingest(alarm('api-5xx', 'OK', { service: 'api' }))).toMatchObject({ kind: 'ignored', reason: 'nothing firing to resolve' });
    expect(store.incidents.size).toBe(1);
  });
});

describe('triage: after an incident resolved', () => {
  it('reopens it when an alert fires again within the reopen window, re-notifying and restarting escalation', async () => {
    const { ingest, clock } = harness();
    const opened = await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    clock.advance(20 * MINUTE);
    const again = await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    expect(again).toMatchObject({ kind: 'reopened', notify: 'renotify', escalation: 'restart', incident: { id: opened.incident?.id, state: 'open', reopenCount: 1, counts: { firing: 1, stateChanges: 2 } } });
    expect(again.incident?.resolvedAt).toBeUndefined();
  });

  it('opens a new incident after the reopen window', async () => {
    const { ingest, clock } = harness();
    const opened = await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    clock.advance(61 * MINUTE);
    const again = await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    expect(again).toMatchObject({ kind: 'opened', notify: 'new-card' });
    expect(again.incident?.id).not.toBe(opened.incident?.id);
  });

  it('reopens a manually resolved incident whose alert is still firing when it is seen again', async () => {
    const { ingest, store, clock } = harness();
    const opened = await ingest(stoppedTask('api'));
    await store.transition(opened.incident!.id, { type: 'resolve' }, { id: 'U1', name: 'ana' });
    clock.advance(MINUTE);
    const next = await ingest(stoppedTask('api'));
    expect(next).toMatchObject({ kind: 'reopened', notify: 'renotify', incident: { id: opened.incident?.id, state: 'open' } });
  });
});
