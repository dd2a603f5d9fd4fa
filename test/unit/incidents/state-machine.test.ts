import { describe, expect, it } from 'vitest';
import type { Incident, IncidentState } from '../../../src/incidents/model.js';
import { planTransition, type IncidentAction } from '../../../src/incidents/state-machine.js';

const NOW = Date.UTC(2026, 2, 2, 9, 0);
const ana = { id: 'UANA', name: 'ana' };

function incident(state: IncidentState, extra: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-7f3a2c', version: 3, groupKey: 'service:1/r/prod/api', class: 'image-pull-failed', severity: 'high', state, title: 'prod/api: image pull failed', summary: 's',
    target: {}, counts: { alerts: 2, firing: 0, received: 5, duplicates: 1, stateChanges: 2 }, flapping: false, createdAt: NOW - 3600_000, openedAt: NOW - 3600_000,
    updatedAt: NOW - 60_000, lastActivityAt: NOW - 3600_000, lastAlertAt: NOW - 60_000, truncatedAlerts: 0, reopenCount: 0, timelineDropped: 0, ...extra,
  };
}

const ACTIONS: IncidentAction[] = [{ type: 'ack' }, { type: 'mitigate' }, { type: 'resolve' }, { type: 'reopen' }, { type: 'snooze', durationMs: 30 * 60_000 }];

describe('incident state machine', () => {
  it('allows exactly these transitions', () => {
    const table: Record<string, Record<string, string>> = {};
    for (const state of ['open', 'acknowledged', 'mitigated', 'resolved'] as const) {
      table[state] = {};
      for (const action of ACTIONS) {
        const r = planTransition(incident(state), action, ana, { now: NOW });
        table[state][action.type] = r.ok ? r.incident.state : `refused: ${r.refusal.code}`;
      }
    }
    expect(table).toEqual({
      open: { ack: 'acknowledged', mitigate: 'mitigated', resolve: 'resolved', reopen: 'refused: not-resolved', snooze: 'acknowledged' },
      acknowledged: { ack: 'refused: already-acknowledged', mitigate: 'mitigated', resolve: 'resolved', reopen: 'refused: not-resolved', snooze: 'acknowledged' },
      mitigated: { ack: 'refused: already-mitigated', mitigate: 'refused: already-mitigated', resolve: 'resolved', reopen: 'open', snooze: 'mitigated' },
      resolved: { ack: 'refused: already-resolved', mitigate: 'refused: already-resolved', resolve: 'refused: already-resolved', reopen: 'open', snooze: 'refused: already-resolved' },
    });
  });

  it('records who acknowledged and when, with a timeline entry, and counts it as activity', () => {
    const r = planTransition(incident('open'), { type: 'ack' }, ana, { now: NOW });
    expect(r).toMatchObject({ ok: true, incident: { acknowledgedBy: 'ana', acknowledgedAt: NOW, lastActivityAt: NOW, updatedAt: NOW }, entry: { at: NOW, kind: 'state', text: 'Acknowledged by ana.', by: 'ana' } });
  });

  it('says who got there first', () => {
    const r = planTransition(incident('resolved', { resolvedBy: 'bo' }), { type: 'ack' }, ana, { now: NOW });
    expect(r).toEqual({ ok: false, refusal: { code: 'already-resolved', message: 'inc-7f3a2c is already resolved by bo. Use reopen if it is not over.' } });
    const acked = planTransition(incident('acknowledged', { acknowledgedBy: 'bo' }), { type: 'ack' }, ana, { now: NOW });
    expect(acked).toMatchObject({ ok: false, refusal: { message: 'inc-7f3a2c is already acknowledged by bo.' } });
  });

  it('warns on a manual resolve while alerts still fire', () => {
    const r = planTransition(incident('acknowledged', { counts: { alerts: 2, firing: 2, received: 2, duplicates: 0, stateChanges: 0 } }), { type: 'resolve' }, ana, { now: NOW });
    expect(r.ok && r.entry.text).toBe('Resolved by ana while 2 of its alerts were still firing at the source; if one fires again the incident reopens.');
    expect(r.ok && r.incident).toMatchObject({ resolution: 'manual', resolvedBy: 'ana', resolvedAt: NOW });
  });

  it('snoozes for at most 24 h, acknowledging an open incident', () => {
    const r = planTransition(incident('open'), { type: 'snooze', durationMs: 2 * 3600_000 }, ana, { now: NOW });
    expect(r).toMatchObject({ ok: true, incident: { state: 'acknowledged', snoozedUntil: NOW + 2 * 3600_000, acknowledgedBy: 'ana' } });
    expect(planTransition(incident('open'), { type: 'snooze', durationMs: 25 * 3600_000 }, ana, { now: NOW })).toMatchObject({ ok: false, refusal: { code: 'invalid-duration' } });
    expect(planTransition(incident('open'), { type: 'snooze', durationMs: 0 }, ana, { now: NOW })).toMatchObject({ ok: false, refusal: { code: 'invalid-duration' } });
  });

  it('reopens with a clean slate: no ack, no snooze, the open clock restarted', () => {
    const resolved = incident('resolved', { acknowledgedBy: 'bo', acknowledgedAt: 1, resolvedBy: 'bo', resolvedAt: 2, resolution: 'manual', snoozedUntil: NOW + 1 });
    const r = planTransition(resolved, { type: 'reopen' }, ana, { now: NOW });
    expect(r.ok && r.incident).toMatchObject({ state: 'open', openedAt: NOW, reopenCount: 1 });
    for (const field of ['acknowledgedBy', 'acknowledgedAt', 'resolvedBy', 'resolvedAt', 'resolution', 'snoozedUntil'] as const) expect(r.ok && r.incident[field]).toBeUndefined();
  });

  it('refuses to reopen an incident when a newer one covers its group, or one that was superseded', () => {
    expect(planTransition(incident('resolved'), { type: 'reopen' }, ana, { now: NOW, groupPointer: 'inc-newer2' })).toMatchObject({ ok: false, refusal: { code: 'newer-incident' } });
    const superseded = incident('resolved', { resolution: 'superseded', supersededBy: 'inc-newer2' });
    expect(planTransition(superseded, { type: 'reopen' }, ana, { now: NOW, groupPointer: 'inc-newer2' })).toMatchObject({ ok: false, refusal: { code: 'superseded', message: 'inc-7f3a2c was continued by inc-newer2; work on that one instead.' } });
    expect(planTransition(incident('resolved'), { type: 'reopen' }, ana, { now: NOW, groupPointer: 'inc-7f3a2c' })).toMatchObject({ ok: true });
  });

  it('does not change the incident it was given', () => {
    const before = incident('open');
    const copy = structuredClone(before);
    planTransition(before, { type: 'ack' }, ana, { now: NOW });
    expect(before).toEqual(copy);
  });
});
