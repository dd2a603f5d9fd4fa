import { describe, expect, it } from 'vitest';
import { parseGenericAlert } from '../../../src/intake/generic/generic.js';
import { onlyAlert, refusal } from './fixtures.js';

const NOW = Date.UTC(2026, 2, 2, 10, 0, 0);
const parse = (payload: unknown) => parseGenericAlert(payload, { receivedAt: NOW });

const valid = {
  key: 'nightly-export',
  status: 'firing',
  severity: 'high',
  summary: 'Nightly export did not finish',
  service: 'exporter',
  cluster: 'prod',
  links: [{ label: 'Logs', url: 'https://logs.example.com/q?x=1' }],
};

describe('generic alert', () => {
  it('parses the documented shape', () => {
    expect(onlyAlert(parse(JSON.stringify(valid)))).toMatchObject({
      source: 'generic',
      fingerprint: 'generic/nightly-export',
      name: 'nightly-export',
      status: 'firing',
      severity: 'high',
      class: 'other',
      summary: 'Nightly export did not finish',
      target: { service: 'exporter', cluster: 'prod' },
      occurredAt: NOW,
      links: [{ label: 'Logs', url: 'https://logs.example.com/q?x=1' }],
    });
  });

  it('defaults severity to warning and leaves out what was not sent', () => {
    const alert = onlyAlert(parse({ key: 'k', status: 'resolved', summary: 's' }));
    expect(alert).toMatchObject({ severity: 'warning', status: 'resolved', target: {} });
    expect(alert.links).toBeUndefined();
  });

  it('derives a stable deliveryId from the content, or uses the sender id', () => {
    const a = onlyAlert(parse(valid));
    expect(onlyAlert(parse(JSON.stringify(valid))).deliveryId).toBe(a.deliveryId);
    expect(onlyAlert(parse({ ...valid, summary: 'changed' })).deliveryId).not.toBe(a.deliveryId);
    expect(onlyAlert(parse({ ...valid, id: 'run-42' })).deliveryId).toBe('generic/run-42');
  });

  it.each<[string, unknown, RegExp]>([
    ['missing key', { status: 'firing', summary: 's' }, /key: .*expected string/],
    ['bad status', { key: 'k', status: 'open', summary: 's' }, /status: must be "firing" or "resolved"/],
    ['bad severity', { key: 'k', status: 'firing', summary: 's', severity: 'sev1' }, /severity: must be one of critical, high, warning, info/],
    ['empty summary', { key: 'k', status: 'firing', summary: '  ' }, /summary: must not be empty/],
    ['typo field', { key: 'k', status: 'firing', summary: 's', sevrity: 'high' }, /Unrecognized key.*sevrity/],
    ['javascript link', { key: 'k', status: 'firing', summary: 's', links: [{ label: 'x', url: 'javascript:alert(1)' }] }, /links\.0\.url: must be an absolute http\(s\) URL/],
    ['key with spaces', { key: 'two words', status: 'firing', summary: 's' }, /key: must not contain spaces/],
    ['not an object', [1, 2], /expected object/],
  ])('refuses %s with a 400 naming the field', (_name, payload, reason) => {
    const r = refusal(parse(payload));
    expect(r).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD' });
    expect(r.reason).toMatch(reason);
  });

  it('refuses invalid JSON and oversized bodies', () => {
    expect(refusal(parse('{key:'))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    expect(refusal(parse(''))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    expect(refusal(parse(Buffer.alloc(1024 * 1024 + 10, 0x20)))).toMatchObject({ status: 413 });
  });
});
