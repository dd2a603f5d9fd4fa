import { describe, expect, it } from 'vitest';
import { staleness } from '../../../src/triage/stale.js';
import { alarm, stoppedTask, taskStartImpaired } from '../incidents/alerts.js';
import { DAY, harness, HOUR, MINUTE, settingsWith } from '../incidents/harness.js';

const ana = { id: 'UANA', name: 'ana' };

describe('stale-incident rule', () => {
  it('continues an incident open for weeks in a new linked incident that re-notifies, instead of counting the alert', async () => {
    const { ingest, clock, store } = harness();
    const old = await ingest(stoppedTask('api'));
    await ingest(alarm('api-latency', 'ALARM', { service: 'api' }));
    clock.advance(21 * DAY);

    const out = await ingest(taskStartImpaired('api'));
    expect(out).toMatchObject({ kind: 'stale-linked', notify: 'renotify', escalation: 'restart' });
    expect(out.reason).toMatch(/^open for 21 d/);
    const fresh = out.incident!;
    expect(fresh).toMatchObject({ state: 'open', linkedIncidentId: old.incident?.id, class: 'image-pull-failed', counts: { alerts: 3, firing: 3, received: 1 } });
    expect(fresh.id).not.toBe(old.incident?.id);
    expect(out.previous).toMatchObject({ id: old.incident?.id, state: 'resolved', resolution: 'superseded', supersededBy: fresh.id });

    // The stale incident's firing alerts moved over; one active incident per group remains.
    const details = await store.get(fresh.id);
    expect(details?.alerts.map((a) => a.name).sort()).toEqual(['ECS task image pull failed', 'SERVICE_TASK_START_IMPAIRED', 'api-latency']);
    expect(details?.timeline.map((e) => e.kind)).toEqual(['linked', 'opened']);
    expect((await store.listOpen()).map((i) => i.id)).toEqual([fresh.id]);
    const previous = await store.get(old.incident!.id);
    expect(previous?.timeline.at(-1)).toMatchObject({ kind: 'superseded' });

    // Later alerts go to the new incident, which is not stale.
    clock.advance(MINUTE);
    expect(await ingest(stoppedTask('api'))).toMatchObject({ kind: 'attached', notify: 'update-card', incident: { id: fresh.id, counts: { alerts: 3 } } });
  });

  it('re-notifies when an acknowledged incident had no activity for ackedIdleMinutes, even for a repeat of a firing alert', async () => {
    const { ingest, clock, store } = harness();
    const first = await ingest(stoppedTask('api'));
    await store.transition(first.incident!.id, { type: 'ack' }, ana);
    // Stopped tasks keep coming every 4 minutes: within the dedup window, so "duplicates" …
    const outcomes = [];
    for (let i = 0; i < 15; i++) {
      clock.advance(4 * MINUTE);
      outcomes.push(await ingest(stoppedTask('api')));
    }
    // … until the acknowledger has been quiet for an hour (acked at 0:00, 15th task at 1:00).
    expect(outcomes.slice(0, 14).every((o) => o.kind === 'duplicate' && o.notify === 'none')).toBe(true);
    expect(outcomes[14]).toMatchObject({ kind: 'stale-linked', notify: 'renotify', previous: { acknowledgedBy: 'ana' }, reason: 'acknowledged by ana, with no activity for 1 h' });
    expect(outcomes[14]?.incident).toMatchObject({ state: 'open', counts: { alerts: 1, firing: 1 } });
    expect(outcomes[14]?.incident?.acknowledgedBy).toBeUndefined();
  });

  it('counts people’s and jobs’ activity, not alert arrivals, as activity', async () => {
    const { ingest, clock, store } = harness();
    const first = await ingest(stoppedTask('api'));
    await store.transition(first.incident!.id, { type: 'ack' }, ana);
    clock.advance(50 * MINUTE);
    await store.appendTimeline(first.incident!.id, { kind: 'job', text: 'check images prod/api: 1 image missing', by: 'ana' });
    clock.advance(50 * MINUTE);
    expect(await ingest(taskStartImpaired('api'))).toMatchObject({ kind: 'attached', incident: { id: first.incident?.id } });
    clock.advance(11 * MINUTE);
    expect(await ingest(alarm('api-latency', 'ALARM', { service: 'api' }))).toMatchObject({ kind: 'stale-linked' });
  });

  it('waits while an incident is snoozed, and counts the idle time from the end of the snooze', async () => {
    const { ingest, clock, store } = harness();
    const first = await ingest(stoppedTask('api'));
    await store.transition(first.incident!.id, { type: 'snooze', durationMs: 2 * HOUR }, ana);
    clock.advance(90 * MINUTE);
    expect(await ingest(taskStartImpaired('api'))).toMatchObject({ kind: 'attached' });
    clock.advance(60 * MINUTE); // 30 min after the snooze ended
    expect(await ingest(alarm('api-latency', 'ALARM', { service: 'api' }))).toMatchObject({ kind: 'attached' });
    clock.advance(31 * MINUTE);
    expect(await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }))).toMatchObject({ kind: 'stale-linked' });
  });

  it('never applies to resolved alerts', async () => {
    const { ingest, clock } = harness();
    await ingest(alarm('api-latency', 'ALARM', { service: 'api' }));
    await ingest(taskStartImpaired('api'));
    clock.advance(30 * DAY);
    expect(await ingest(alarm('api-latency', 'OK', { service: 'api' }))).toMatchObject({ kind: 'resolved-alert' });
  });

  it('restarts the open-hours clock when an incident reopens', async () => {
    const { ingest, clock } = harness();
    await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    clock.advance(30 * HOUR);
    await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    clock.advance(10 * MINUTE);
    expect(await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }))).toMatchObject({ kind: 'reopened' });
    clock.advance(10 * MINUTE);
    expect(await ingest(taskStartImpaired('api'))).toMatchObject({ kind: 'attached' });
  });

  it('names the rule and the reason', () => {
    const stale = settingsWith({ stale: { ackedIdleMinutes: 30, openHours: 4 } }).stale;
    const base = {
      id: 'inc-test22', version: 1, groupKey: 'g', class: 'other', severity: 'high', state: 'open', title: 't', summary: '', target: {},
      counts: { alerts: 1, firing: 1, received: 1, duplicates: 0, stateChanges: 0 }, flapping: false, createdAt: 0, openedAt: 0, updatedAt: 0,
      lastActivityAt: 0, lastAlertAt: 0, truncatedAlerts: 0, reopenCount: 0, timelineDropped: 0,
    } as const;
    expect(staleness({ ...base }, 3 * HOUR, stale)).toBeUndefined();
    expect(staleness({ ...base }, 4 * HOUR, stale)).toEqual({ rule: 'open-too-long', reason: 'open for 4 h (more than 4 h)' });
    expect(staleness({ ...base, state: 'mitigated', mitigatedBy: 'ana', lastActivityAt: HOUR }, 2 * HOUR, stale)).toEqual({ rule: 'acked-idle', reason: 'mitigated by ana, with no activity for 1 h' });
    expect(staleness({ ...base, state: 'resolved' }, 100 * HOUR, stale)).toBeUndefined();
  });
});
