/**
 * Shared-secret checks for senders that cannot sign: the EventBridge API destination (a connection
 * with an API-key header) and Alertmanager (`http_config.authorization` → `Authorization: Bearer`).
 *
 * Comparison is constant-time: both sides are hashed to 32 bytes first, so neither the content nor
 * the length of the configured secret leaks through timing. Several secrets may be configured so a
 * secret can be rotated without downtime; every one is compared (no early exit).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AUTH_OK, denied, type AuthResult } from './auth-result.js';

/** Constant-time string equality (length-independent). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** True when `presented` equals any of `secrets`; compares against all of them. */
export function matchesAnySecret(presented: string, secrets: readonly string[]): boolean {
  let match = false;
  for (const secret of secrets) {
    if (secret !== '' && safeEqual(presented, secret)) match = true;
  }
  return match;
}

/** A header as Node hands it over: absent, once, or repeated. */
export type HeaderValue = string | readonly string[] | undefined;

function single(header: HeaderValue): string | undefined | null {
  if (header === undefined) return undefined;
  if (typeof header === 'string') return header;
  // A repeated auth header is ambiguous; refuse rather than guess which copy counts.
  return header.length === 1 ? header[0] : null;
}

/**
 * Checks a shared-secret header (e.g. `X-Lifeboat-Token` set on the EventBridge connection).
 * `headerName` appears in the reason so the operator knows which header to set.
 */
export function verifySharedSecret(header: HeaderValue, secrets: readonly string[], headerName: string): AuthResult {
  if (secrets.every((s) => s === '')) return denied('BAD_TOKEN', 'no shared secret is configured for this endpoint');
  const value = single(header);
  if (value === null) return denied('BAD_TOKEN', `${headerName} was sent more than once`);
  if (value === undefined || value.trim() === '') return denied('MISSING_TOKEN', `${headerName} header is missing`);
  return matchesAnySecret(value.trim(), secrets) ? AUTH_OK : denied('BAD_TOKEN', `${headerName} does not match`);
}

/** Checks `Authorization: Bearer <token>` (Alertmanager `http_config.authorization`). */
export function verifyBearerToken(authorization: HeaderValue, tokens: readonly string[]): AuthResult {
  if (tokens.every((t) => t === '')) return denied('BAD_TOKEN', 'no bearer token is configured for this endpoint');
  const value = single(authorization);
  if (value === null) return denied('BAD_TOKEN', 'Authorization was sent more than once');
  if (value === undefined || value.trim() === '') return denied('MISSING_TOKEN', 'Authorization header is missing');
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  if (!match?.[1]) return denied('MISSING_TOKEN', 'Authorization must be "Bearer <token>"');
  return matchesAnySecret(match[1], tokens) ? AUTH_OK : denied('BAD_TOKEN', 'bearer token does not match');
}
