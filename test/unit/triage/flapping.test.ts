import { describe, expect, it } from 'vitest';
import { isAlertFlapping, recordChange } from '../../../src/triage/flapping.js';
import { alarm } from '../incidents/alerts.js';
import { harness, MINUTE, settingsWith } from '../incidents/harness.js';

const flap = settingsWith().flap;

describe('flap detection', () => {
  it('keeps only the newest flap.changes change times of an alert', () => {
    let changes: number[] = [];
    for (let t = 1; t <= 10; t++) changes = recordChange(changes, t, flap);
    expect(changes).toEqual([7, 8, 9, 10]);
  });

  it('calls an alert flapping when its last N changes fall within the window', () => {
    expect(isAlertFlapping([0, MINUTE, 2 * MINUTE], 3 * MINUTE, flap)).toBe(false);
    expect(isAlertFlapping([0, MINUTE, 2 * MINUTE, 3 * MINUTE], 3 * MINUTE, flap)).toBe(true);
    expect(isAlertFlapping([0, MINUTE, 2 * MINUTE, 31 * MINUTE], 31 * MINUTE, flap)).toBe(false);
  });

  it('marks the incident flapping after 4 changes in 30 minutes, holds notifications, keeps counting, and lets go after the window', async () => {
    const { ingest, clock, store } = harness();
    const states: ('ALARM' | 'OK')[] = ['ALARM', 'OK', 'ALARM', 'OK', 'ALARM', 'OK', 'ALARM'];
    const outcomes = [];
    for (const state of states) {
      outcomes.push(await ingest(alarm('api-5xx', state, { service: 'api' })));
      clock.advance(3 * MINUTE);
    }
    expect(outcomes.map((o) => [o.kind, o.notify, o.flapping])).toEqual([
      ['opened', 'new-card', false],
      ['auto-resolved', 'update-card', false],
      ['reopened', 'renotify', false],
      ['auto-resolved', 'update-card', false],
      // 4th change: flapping starts — shown once on the card, nobody pinged.
      ['reopened', 'update-card', true],
      ['auto-resolved', 'update-card', true],
      ['reopened', 'update-card', true],
    ]);
    const last = outcomes.at(-1)?.incident;
    expect(last).toMatchObject({ flapping: true, counts: { stateChanges: 6, received: 7 }, reopenCount: 3 });
    const details = await store.get(last!.id);
    expect(details?.timeline.filter((e) => e.kind === 'flapping')).toHaveLength(1);

    clock.advance(31 * MINUTE);
    const calm = await ingest(alarm('api-5xx', 'OK', { service: 'api' }));
    expect(calm).toMatchObject({ kind: 'auto-resolved', flapping: false });
  });

  it('holds the update for a flapping alert that fires again while the incident stays open', async () => {
    const { ingest, clock } = harness();
    await ingest(alarm('api-latency', 'ALARM', { service: 'api' }));
    await ingest(alarm('api-5xx', 'ALARM', { service: 'api' }));
    const kinds = [];
    for (const state of ['OK', 'ALARM', 'OK', 'ALARM', 'OK', 'ALARM'] as const) {
      clock.advance(MINUTE);
      const o = await ingest(alarm('api-5xx', state, { service: 'api' }));
      kinds.push(`${o.kind}/${o.notify}/${o.flapping}`);
    }
    expect(kinds).toEqual([
      'resolved-alert/update-card/false',
      'attached/update-card/false',
      'resolved-alert/update-card/false',
      'attached/update-card/true',
      'resolved-alert/none/true',
      'attached/none/true',
    ]);
  });
});

describe('flapping and escalation', () => {
  it('does not stop or restart escalation with every flap, so a flapping incident still escalates', async () => {
    const { ingest, clock } = harness();
    const escalations = [];
    for (const state of ['ALARM', 'OK', 'ALARM', 'OK', 'ALARM', 'OK', 'ALARM'] as const) {
      escalations.push((await ingest(alarm('api-5xx', state, { service: 'api' }))).escalation);
      clock.advance(2 * MINUTE);
    }
    expect(escalations).toEqual(['start', 'stop', 'restart', 'stop', 'keep', 'keep', 'keep']);
  });
});
