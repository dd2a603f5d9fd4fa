import { describe, expect, it } from 'vitest';
import { readJsonPayload } from '../../../src/intake/shared/payload.js';
import { regionFromDisplayName } from '../../../src/intake/shared/regions.js';
import { isZeroTime, tryParseTimestamp } from '../../../src/intake/shared/time.js';
import { IntakeError } from '../../../src/intake/errors.js';

describe('tryParseTimestamp', () => {
  it.each<[unknown, number | undefined]>([
    ['2019-02-15T23:53:45.093+0000', Date.parse('2019-02-15T23:53:45.093Z')], // CloudWatch: offset without colon
    ['2026-11-21T23:24:43.736928529Z', Date.parse('2026-11-21T23:24:43.736Z')], // Alertmanager: nanoseconds
    ['2018-03-07T06:33:21.873077559-05:00', Date.parse('2018-03-07T11:33:21.873Z')], // offset with colon
    ['2025-10-10T19:13:02.74Z', Date.parse('2025-10-10T19:13:02.740Z')], // ECR: two fraction digits
    ['2019-10-02T17:04:40Z', Date.parse('2019-10-02T17:04:40Z')],
    [1584042813000, 1584042813000], // epoch ms
    [1584042813, 1584042813000], // epoch seconds
    ['yesterday', undefined],
    ['2019-13-45T99:00:00Z', undefined],
    [null, undefined],
  ])('%s → %s', (value, expected) => {
    expect(tryParseTimestamp(value)).toBe(expected);
  });

  it('knows Go zero time', () => {
    expect(isZeroTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(isZeroTime(undefined)).toBe(true);
    expect(isZeroTime('2026-11-21T23:25:03Z')).toBe(false);
  });
});

describe('regionFromDisplayName', () => {
  it.each([
    ['EU (Ireland)', 'eu-west-1'],
    ['Europe (Ireland)', 'eu-west-1'],
    ['US East (N. Virginia)', 'us-east-1'],
    ['Asia Pacific (Seoul)', 'ap-northeast-2'],
    ['AWS GovCloud (US-West)', 'us-gov-west-1'],
    ['Atlantis (Central)', undefined],
  ])('%s → %s', (name, code) => {
    expect(regionFromDisplayName(name)).toBe(code);
  });
});

describe('readJsonPayload', () => {
  const fail = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof IntakeError) return `${err.status} ${err.code}`;
      throw err;
    }
    return 'no error';
  };

  it('passes parsed JSON through and parses strings and bytes', () => {
    const obj = { a: 1 };
    expect(readJsonPayload(obj)).toBe(obj);
    expect(readJsonPayload('{"a":1}')).toEqual(obj);
    expect(readJsonPayload(new TextEncoder().encode('{"a":1}'))).toEqual(obj);
  });

  it('refuses empty, broken and oversized bodies', () => {
    expect(fail(() => readJsonPayload(''))).toBe('400 INVALID_JSON');
    expect(fail(() => readJsonPayload(null))).toBe('400 INVALID_JSON');
    expect(fail(() => readJsonPayload('{'))).toBe('400 INVALID_JSON');
    expect(fail(() => readJsonPayload('{"a":1}', 6))).toBe('413 TOO_LARGE');
    // Multi-byte characters count as bytes, not characters.
    expect(fail(() => readJsonPayload(`"${'€'.repeat(10)}"`, 25))).toBe('413 TOO_LARGE');
    expect(fail(() => readJsonPayload(Buffer.alloc(11), 10))).toBe('413 TOO_LARGE');
  });
});
