import { describe, expect, it } from 'vitest';
import { alertsPerMinute, isStorm } from '../../../src/triage/storm.js';
import { stoppedTask } from '../incidents/alerts.js';
import { harness, MINUTE, settingsWith } from '../incidents/harness.js';

describe('storm detection', () => {
  it('estimates alerts per minute from two clock-minute buckets, weighting the previous one by overlap', () => {
    const minuteStart = Date.UTC(2026, 2, 2, 9, 0, 0);
    expect(alertsPerMinute({ thisMinute: 10, lastMinute: 100 }, minuteStart)).toBe(110);
    expect(alertsPerMinute({ thisMinute: 10, lastMinute: 100 }, minuteStart + 45_000)).toBe(35);
    expect(alertsPerMinute({ thisMinute: 0, lastMinute: 0 }, minuteStart + 59_999)).toBe(0);
  });

  it('is a storm only above the threshold', () => {
    const storm = settingsWith({ storm: { alertsPerMinute: 60 } }).storm;
    expect(isStorm(60, storm)).toBe(false);
    expect(isStorm(61, storm)).toBe(true);
  });

  it('says storm: true once more alerts than the threshold arrive within a minute, across groups, and calms down after', async () => {
    const { ingest, clock } = harness(settingsWith({ storm: { alertsPerMinute: 20 } }));
    const storms: boolean[] = [];
    for (let i = 0; i < 30; i++) {
      const out = await ingest(stoppedTask(`svc-${i % 6}`));
      storms.push(out.storm);
      clock.advance(1000);
    }
    expect(storms.indexOf(true)).toBe(20);
    expect(storms.slice(20).every(Boolean)).toBe(true);
    clock.advance(2 * MINUTE);
    expect((await ingest(stoppedTask('svc-1'))).storm).toBe(false);
  });

  it('does not count duplicate deliveries towards the storm', async () => {
    const { ingest } = harness(settingsWith({ storm: { alertsPerMinute: 2 } }));
    const alert = stoppedTask('api');
    for (let i = 0; i < 5; i++) await ingest(alert);
    expect(await ingest(alert)).toMatchObject({ kind: 'duplicate-delivery', storm: false, alertsPerMinute: 1 });
  });
});
