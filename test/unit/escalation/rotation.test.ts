import { describe, expect, it } from 'vitest';
import { fromWallClock, parseDateTime, Rotation, wallClock } from '../../../src/escalation/rotation.js';
import { rotationSchema } from '../../../src/escalation/settings.js';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
const rotation = (input: Record<string, unknown>) => new Rotation(rotationSchema.parse({ id: 'primary', people: [{ slack: 'U01ANA', name: 'ana' }, { slack: 'U02BO', name: 'bo' }, 'U03CY'], ...input }));

describe('time zones', () => {
  it('converts local wall-clock times to instants across daylight saving', () => {
    expect(iso(parseDateTime('2026-03-28T09:00', 'Europe/Berlin'))).toBe('2026-03-28T08:00Z'); // CET
    expect(iso(parseDateTime('2026-03-30T09:00', 'Europe/Berlin'))).toBe('2026-03-30T07:00Z'); // CEST
    expect(iso(parseDateTime('2026-03-08T09:00', 'America/New_York'))).toBe('2026-03-08T13:00Z'); // EDT from 02:00 that day
    expect(iso(parseDateTime('2026-03-01T09:00Z', 'Europe/Berlin'))).toBe('2026-03-01T09:00Z');
    // 02:30 does not exist in Berlin on 2026-03-29: it maps just after the gap.
    expect(iso(parseDateTime('2026-03-29T02:30', 'Europe/Berlin'))).toBe('2026-03-29T01:30Z');
    const t = Date.UTC(2026, 6, 1, 12, 0);
    expect(fromWallClock(wallClock(t, 'Asia/Kolkata'), 'Asia/Kolkata')).toBe(t);
  });
});

describe('on-call rotation', () => {
  it('hands over weekly at the same local time, also across the switch to summer time', () => {
    const r = rotation({ handover: 'weekly', start: '2026-01-05T09:00', timezone: 'Europe/Berlin' });
    // Week 12 (index 11 → 11 mod 3 = 2 → U03CY) runs Mon 2026-03-23 09:00 CET to Mon 2026-03-30 09:00 CEST.
    const shift = r.at(Date.UTC(2026, 2, 29, 12));
    expect({ who: shift.person.slack, from: iso(shift.from), until: iso(shift.until) }).toEqual({ who: 'U03CY', from: '2026-03-23T08:00Z', until: '2026-03-30T07:00Z' });
    expect(r.at(Date.UTC(2026, 2, 30, 6, 59)).person.slack).toBe('U03CY');
    expect(r.at(Date.UTC(2026, 2, 30, 7, 0)).person.slack).toBe('U01ANA');
    expect(r.describe()).toBe('weekly, hands over Mondays 09:00 Europe/Berlin');
  });

  it('hands over daily, and cycles through the people before the start too', () => {
    const r = rotation({ handover: 'daily', start: '2026-03-01T08:00', timezone: 'UTC' });
    const who = (d: number, h: number) => r.at(Date.UTC(2026, 2, d, h)).person.slack;
    expect([who(1, 7), who(1, 8), who(2, 8), who(3, 8), who(4, 7), who(4, 8)]).toEqual(['U03CY', 'U01ANA', 'U02BO', 'U03CY', 'U03CY', 'U01ANA']);
    expect(r.describe()).toBe('daily, hands over at 08:00 UTC');
  });

  it('applies overrides (the last one wins) and tells who is next', () => {
    const r = rotation({
      handover: 'weekly', start: '2026-03-02T09:00', timezone: 'UTC',
      overrides: [
        { slack: 'U09DAN', name: 'dan', from: '2026-03-03T12:00', until: '2026-03-05T12:00', reason: 'ana at a conference' },
        { slack: 'U08EVE', name: 'eve', from: '2026-03-04T00:00', until: '2026-03-04T06:00' },
      ],
    });
    const at = (iso: string) => {
      const s = r.nowAndNext(Date.parse(iso));
      return `${s.now.person.name ?? s.now.person.slack} since ${new Date(s.now.from).toISOString().slice(5, 16)} → ${s.next.person.name ?? s.next.person.slack} from ${new Date(s.next.from).toISOString().slice(5, 16)}${s.now.override ? ` (override${s.now.override.reason ? `: ${s.now.override.reason}` : ''})` : ''}`;
    };
    expect(at('2026-03-02T10:00Z')).toBe('ana since 03-02T09:00 → dan from 03-03T12:00');
    expect(at('2026-03-03T13:00Z')).toBe('dan since 03-03T12:00 → eve from 03-04T00:00 (override: ana at a conference)');
    expect(at('2026-03-04T01:00Z')).toBe('eve since 03-04T00:00 → dan from 03-04T06:00 (override)');
    expect(at('2026-03-05T13:00Z')).toBe('ana since 03-05T12:00 → bo from 03-09T09:00');
    // An override across a hand-over: dan has been on since the override began.
    const long = rotation({ handover: 'weekly', start: '2026-03-02T09:00', timezone: 'UTC', overrides: [{ slack: 'U09DAN', name: 'dan', from: '2026-03-06T12:00', until: '2026-03-10T12:00' }] });
    const s = long.at(Date.parse('2026-03-09T10:00Z'));
    expect([s.person.name, iso(s.from), iso(s.until)]).toEqual(['dan', '2026-03-06T12:00Z', '2026-03-10T12:00Z']);
  });
});
