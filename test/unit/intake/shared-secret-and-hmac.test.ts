import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { signGenericBody, verifyGenericSignature } from '../../../src/intake/auth/hmac.js';
import { safeEqual, verifyBearerToken, verifySharedSecret } from '../../../src/intake/auth/shared-secret.js';

const outcome = (r: { ok: boolean; error?: { code: string; status: number } }) => (r.ok ? 'ok' : `${r.error!.status} ${r.error!.code}`);

describe('safeEqual', () => {
  it('compares by value regardless of length', () => {
    expect(safeEqual('s3cret', 's3cret')).toBe(true);
    expect(safeEqual('s3cret', 's3cret!')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});

describe('verifySharedSecret (EventBridge API destination header)', () => {
  const secrets = ['current-secret', 'previous-secret'];
  it.each<[string, string | string[] | undefined, string]>([
    ['the current secret', 'current-secret', 'ok'],
    ['the previous secret during rotation', 'previous-secret', 'ok'],
    ['surrounding whitespace', '  current-secret ', 'ok'],
    ['a wrong secret', 'guess', '401 BAD_TOKEN'],
    ['no header', undefined, '401 MISSING_TOKEN'],
    ['an empty header', '', '401 MISSING_TOKEN'],
    ['the header twice', ['current-secret', 'guess'], '401 BAD_TOKEN'],
  ])('%s → %s', (_name, header, expected) => {
    expect(outcome(verifySharedSecret(header, secrets, 'X-Lifeboat-Token'))).toBe(expected);
  });

  it('names the header in the reason and fails closed without a configured secret', () => {
    const missing = verifySharedSecret(undefined, secrets, 'X-Lifeboat-Token');
    expect(missing.ok || missing.error.reason).toBe('X-Lifeboat-Token header is missing');
    expect(outcome(verifySharedSecret('', [''], 'X-Lifeboat-Token'))).toBe('401 BAD_TOKEN');
  });
});

describe('verifyBearerToken (Alertmanager)', () => {
  it.each<[string | undefined, string]>([
    ['Bearer am-token', 'ok'],
    ['bearer am-token', 'ok'],
    ['Bearer wrong', '401 BAD_TOKEN'],
    ['Basic YTpi', '401 MISSING_TOKEN'],
    ['Bearer', '401 MISSING_TOKEN'],
    ['Bearer am-token extra', '401 MISSING_TOKEN'],
    [undefined, '401 MISSING_TOKEN'],
  ])('%s → %s', (header, expected) => {
    expect(outcome(verifyBearerToken(header, ['am-token']))).toBe(expected);
  });
});

describe('generic HMAC signature', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 10, 0, 0));
  const now = Math.floor(clock.now() / 1000);
  const body = '{"key":"nightly-export","status":"firing","summary":"Nightly export did not finish"}';
  const check = (over: Partial<Parameters<typeof verifyGenericSignature>[0]>) =>
    outcome(verifyGenericSignature({ rawBody: body, timestamp: String(now), signature: signGenericBody('k1', now, body), secrets: ['k1'], clock, ...over }));

  it('signs as documented: v1=hex(HMAC-SHA256(secret, "v1:<ts>:<body>"))', () => {
    // Known answer, computed independently: printf 'v1:1700000000:{}' | openssl dgst -sha256 -hmac secret
    expect(signGenericBody('secret', 1700000000, '{}')).toBe('v1=14ea7fd0a36d8557c745d82072f653f4e553e593c57ac365fab425da48e1c495');
  });

  it.each<[string, Partial<Parameters<typeof verifyGenericSignature>[0]>, string]>([
    ['a valid signature', {}, 'ok'],
    ['a valid signature over bytes', { rawBody: Buffer.from(body) }, 'ok'],
    ['one of several signatures (sender rotating)', { signature: `v1=${'0'.repeat(64)}, ${signGenericBody('k1', now, body)}` }, 'ok'],
    ['a second configured secret (receiver rotating)', { secrets: ['k2', 'k1'] }, 'ok'],
    ['4 minutes old', { timestamp: String(now - 240), signature: signGenericBody('k1', now - 240, body) }, 'ok'],
    ['6 minutes old', { timestamp: String(now - 360), signature: signGenericBody('k1', now - 360, body) }, '401 STALE_SIGNATURE'],
    ['6 minutes in the future', { timestamp: String(now + 360), signature: signGenericBody('k1', now + 360, body) }, '401 STALE_SIGNATURE'],
    ['a tampered body', { rawBody: body.replace('firing', 'resolved') }, '401 BAD_SIGNATURE'],
    ['a timestamp changed after signing', { timestamp: String(now - 1) }, '401 BAD_SIGNATURE'],
    ['the wrong secret', { secrets: ['k2'] }, '401 BAD_SIGNATURE'],
    ['no signature header', { signature: undefined }, '401 BAD_SIGNATURE'],
    ['no timestamp header', { timestamp: undefined }, '401 BAD_SIGNATURE'],
    ['a malformed signature', { signature: 'sha256=abc' }, '401 BAD_SIGNATURE'],
    ['a timestamp in ms', { timestamp: String(clock.now()) + '0' }, '401 BAD_SIGNATURE'],
    ['no configured secret', { secrets: [] }, '401 BAD_SIGNATURE'],
  ])('%s → %s', (_name, over, expected) => {
    expect(check(over)).toBe(expected);
  });
});
