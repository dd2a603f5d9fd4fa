/**
 * Which `SigningCertURL`s Lifeboat will fetch (fact 14). The URL decides whose key verifies the
 * message, so it is checked *before* anything is fetched, against the raw string:
 * - `https://` only;
 * - host exactly `sns.<region>.amazonaws.com` or `sns.<region>.amazonaws.com.cn` — no userinfo
 *   (`https://sns.us-east-1.amazonaws.com@evil.com/`), no port, no lookalike suffix
 *   (`sns.us-east-1.amazonaws.com.evil.com`), lowercase;
 * - path a single segment ending in `.pem` (real ones are `/SimpleNotificationService-<hex>.pem`),
 *   no query, no fragment.
 * The raw string is matched rather than a `URL` object because URL parsing normalises away
 * exactly the tricks we want to refuse (an explicit `:443`, percent-encoding, backslashes).
 */
const CERT_URL = /^https:\/\/(sns\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com(?:\.cn)?)\/([A-Za-z0-9._-]+\.pem)$/;
const SUBSCRIBE_URL = /^https:\/\/sns\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com(?:\.cn)?\/\?[^#\s]*$/;

export type CertUrlCheck = { ok: true } | { ok: false; reason: string };

export function checkSigningCertUrl(url: string | undefined): CertUrlCheck {
  if (!url) return { ok: false, reason: 'SigningCertURL is missing' };
  if (!url.startsWith('https://')) return { ok: false, reason: 'SigningCertURL must use https' };
  if (!CERT_URL.test(url)) {
    return { ok: false, reason: 'SigningCertURL must be https://sns.<region>.amazonaws.com[.cn]/<name>.pem' };
  }
  return { ok: true };
}

/**
 * The same host rule for `SubscribeURL`, checked even after the signature: it is the one URL
 * Lifeboat ever GETs on a sender's behalf, so a second, independent check costs nothing.
 */
export function isSnsSubscribeUrl(url: string | undefined): url is string {
  return url !== undefined && SUBSCRIBE_URL.test(url) && /[?&]Action=ConfirmSubscription(?:&|$)/.test(url);
}
