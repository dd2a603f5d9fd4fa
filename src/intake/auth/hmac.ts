/**
 * HMAC signatures for the generic endpoint, modelled on Slack's request signing (fact 19):
 *
 *   X-Lifeboat-Timestamp: <unix seconds>
 *   X-Lifeboat-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
 *
 * The timestamp is inside the signed string and must be within 5 minutes of Lifeboat's clock
 * (either direction), so a captured request cannot be replayed later. The signature header may
 * list several comma-separated `v1=` values (a sender rotating its secret); any match passes.
 * The raw body must be the exact bytes received — re-serialised JSON will not verify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AUTH_OK, denied, type AuthResult } from './auth-result.js';
import type { HeaderValue } from './shared-secret.js';

export const SIGNATURE_HEADER = 'x-lifeboat-signature';
export const TIMESTAMP_HEADER = 'x-lifeboat-timestamp';
export const SIGNATURE_VERSION = 'v1';
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v1=([0-9a-f]{64})$/;

/** The `X-Lifeboat-Signature` value for a body (what a sender computes; used by tests and docs). */
export function signGenericBody(secret: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  return `${SIGNATURE_VERSION}=${hmacHex(secret, String(timestampSeconds), rawBody)}`;
}

export interface GenericSignatureInput {
  rawBody: string | Uint8Array;
  timestamp: HeaderValue;
  signature: HeaderValue;
  /** Accepted secrets (several during rotation). */
  secrets: readonly string[];
  clock: Clock;
  toleranceMs?: number;
}

/** Verifies the generic endpoint's HMAC signature and timestamp. */
export function verifyGenericSignature(input: GenericSignatureInput): AuthResult {
  const secrets = input.secrets.filter((s) => s !== '');
  if (secrets.length === 0) return denied('BAD_SIGNATURE', 'no signing secret is configured for this endpoint');
  const timestamp = one(input.timestamp);
  const signature = one(input.signature);
  if (!timestamp) return denied('BAD_SIGNATURE', `${TIMESTAMP_HEADER} header is missing or repeated`);
  if (!signature) return denied('BAD_SIGNATURE', `${SIGNATURE_HEADER} header is missing or repeated`);
  if (!TIMESTAMP.test(timestamp)) return denied('BAD_SIGNATURE', `${TIMESTAMP_HEADER} must be unix seconds`);

  const skew = Math.abs(input.clock.now() - Number(timestamp) * 1000);
  if (skew > (input.toleranceMs ?? DEFAULT_TOLERANCE_MS)) {
    return denied('STALE_SIGNATURE', `${TIMESTAMP_HEADER} is more than 5 minutes away from Lifeboat's clock`);
  }

  const presented = signature
    .split(',')
    .map((part) => SIGNATURE.exec(part.trim())?.[1])
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => Buffer.from(hex, 'hex'));
  if (presented.length === 0) return denied('BAD_SIGNATURE', `${SIGNATURE_HEADER} must be "v1=<64 hex digits>"`);

  let match = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, timestamp, input.rawBody), 'hex');
    for (const candidate of presented) {
      if (timingSafeEqual(expected, candidate)) match = true;
    }
  }
  return match ? AUTH_OK : denied('BAD_SIGNATURE', 'the signature does not match the body');
}

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${SIGNATURE_VERSION}:${timestamp}:`).update(rawBody).digest('hex');
}

function one(header: HeaderValue): string | undefined {
  if (typeof header === 'string') return header.trim() || undefined;
  if (header && header.length === 1) return header[0]?.trim() || undefined;
  return undefined;
}
