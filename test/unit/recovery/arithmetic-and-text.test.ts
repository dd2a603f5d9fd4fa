import { describe, expect, it } from 'vitest';
import { desiredTasks, overdueScaleRecords } from '../../../src/recovery/scale.js';
import { formatDuration, sparkline } from '../../../src/recovery/text.js';
import { withDigest } from '../../../src/recovery/redeploy.js';
import type { ScaleRecord } from '../../../src/recovery/ports.js';

describe('desiredTasks', () => {
  it('sizes the incident backlog: 7,770 messages at 65/min per task over 30 min is 4 tasks', () => {
    const a = desiredTasks(7770, 65, 30, 1, 8);
    expect(a).toMatchObject({ perTask: 1950, needed: 4, desired: 4 });
    expect(a.text).toBe('7,770 messages ÷ (65 msgs/min × 30 min = 1,950 per task) = 3.98 → 4; clamp(4, current 1, max 8) = 4 tasks');
  });

  it('never goes above max', () => {
    expect(desiredTasks(100_000, 65, 30, 1, 8).desired).toBe(8);
  });

  it('never scales in: the current count is the floor, even above max', () => {
    expect(desiredTasks(10, 65, 30, 3, 8).desired).toBe(3);
    expect(desiredTasks(100_000, 65, 30, 12, 8).desired).toBe(12);
  });

  it('rounds up: one message more than a task can drain needs another task', () => {
    expect(desiredTasks(1951, 65, 30, 1, 8).needed).toBe(2);
    expect(desiredTasks(0, 65, 30, 0, 8).desired).toBe(0);
  });
});

describe('sparkline', () => {
  it('draws a draining backlog from the top to the floor', () => {
    expect(sparkline([7770, 5200, 2600, 900, 0])).toBe('█▆▃▂▁');
  });
  it('is flat for an empty queue and keeps the newest values', () => {
    expect(sparkline([0, 0, 0])).toBe('▁▁▁');
    expect(sparkline([1, 2, 3, 4], 2)).toBe('▆█');
  });
});

describe('formatDuration', () => {
  it.each([
    [42_000, '42 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('withDigest', () => {
  it('replaces a tag (not a registry port) with the digest', () => {
    expect(withDigest('123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42', 'sha256:ab')).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:ab');
    expect(withDigest('localhost:5000/api', 'sha256:ab')).toBe('localhost:5000/api@sha256:ab');
    expect(withDigest('ghcr.io/o/api:v1@sha256:00', 'sha256:ab')).toBe('ghcr.io/o/api@sha256:ab');
  });
});

describe('overdueScaleRecords', () => {
  it('lists records past their restore-by time, oldest first; fixed scaling never becomes overdue', () => {
    const base = { account: 'a', region: 'r', cluster: 'c', original: { desiredCount: 1 }, scaledTo: 3, jobId: 'j', scaledAt: 0 };
    const records: ScaleRecord[] = [
      { ...base, key: 'x', service: 'x', reason: 'queue', restoreBy: 200 },
      { ...base, key: 'y', service: 'y', reason: 'queue', restoreBy: 100 },
      { ...base, key: 'z', service: 'z', reason: 'fixed' },
      { ...base, key: 'w', service: 'w', reason: 'queue', restoreBy: 999 },
    ];
    expect(overdueScaleRecords(records, 500).map((r) => r.key)).toEqual(['y', 'x']);
  });
});
