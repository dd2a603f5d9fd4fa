/**
 * SNS HTTP(S) message authenticity (fact 14). Pure apart from two injected dependencies: how a
 * certificate is fetched (`fetchCert`) and what time it is (`clock`).
 *
 * `verify` checks, in this order, and stops at the first failure:
 * 1. the body is an SNS envelope (400);
 * 2. `TopicArn` is in the configured allow-list (403) — an empty list allows nothing;
 * 3. `SignatureVersion` is "1" (SHA1withRSA) or "2" (SHA256withRSA), `Signature` is base64 (401);
 * 4. `SigningCertURL` passes `checkSigningCertUrl` (401, `CERT_URL_REJECTED`);
 * 5. the certificate is fetched (or taken from the bounded cache), is RSA and valid now (503 when it
 *    cannot be fetched or read: the message may be genuine and SNS should retry; 401 when expired);
 * 6. the signature verifies over the canonical string (401).
 * Steps 1–4 happen before any fetch, so a rejected URL or topic never causes an outbound request.
 *
 * Canonical string (sns-string-to-sign.aws-docs.txt): `Name\nValue\n` pairs in byte order —
 * Notification: Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type;
 * SubscriptionConfirmation/UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp,
 * Token, TopicArn, Type. Values are used exactly as received (already JSON-unescaped).
 */
import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { IntakeError } from '../errors.js';
import { readJsonPayload } from '../shared/payload.js';
import { describeIssues } from '../shared/validate.js';
import { SnsEnvelopeSchema, type SnsEnvelope } from '../sns/envelope.js';
import { BoundedCache } from './bounded-cache.js';
import { checkSigningCertUrl, isSnsSubscribeUrl } from './sns-cert-url.js';

/** Fetches a PEM certificate. The composition root passes an HTTPS GET with a short timeout. */
export type FetchCert = (url: string) => Promise<string>;

export interface SnsVerifierOptions {
  /** Topic ARNs whose messages are accepted; compared exactly. */
  allowedTopicArns: readonly string[];
  fetchCert: FetchCert;
  clock: Clock;
  /** How many certificates to keep (default 16). */
  certCacheSize?: number;
}

/** An envelope that passed every check. Only `SnsVerifier.verify` produces one. */
export type VerifiedSnsEnvelope = SnsEnvelope & { readonly [verified]: true };
declare const verified: unique symbol;

export type SnsVerification = { ok: true; envelope: VerifiedSnsEnvelope } | { ok: false; error: IntakeError };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HASH_BY_VERSION: Record<string, 'sha1' | 'sha256'> = { '1': 'sha1', '2': 'sha256' };

/** Verifies SNS messages; one instance per process so the certificate cache is shared. */
export class SnsVerifier {
  private readonly allowed: ReadonlySet<string>;
  private readonly certs: BoundedCache<string, Promise<X509Certificate>>;

  constructor(private readonly options: SnsVerifierOptions) {
    this.allowed = new Set(options.allowedTopicArns);
    this.certs = new BoundedCache(options.certCacheSize ?? 16);
  }

  /** Runs every check (see the module comment). Never throws for bad input. */
  async verify(payload: unknown): Promise<SnsVerification> {
    try {
      const envelope = await this.check(payload);
      return { ok: true, envelope };
    } catch (err) {
      if (err instanceof IntakeError) return { ok: false, error: err };
      throw err;
    }
  }

  private async check(payload: unknown): Promise<VerifiedSnsEnvelope> {
    const parsed = SnsEnvelopeSchema.safeParse(readJsonPayload(payload));
    if (!parsed.success) throw new IntakeError('INVALID_PAYLOAD', `SNS message: ${describeIssues(parsed.error.issues)}`);
    const envelope = parsed.data;

    if (!this.allowed.has(envelope.TopicArn)) {
      throw new IntakeError('TOPIC_NOT_ALLOWED', `topic ${envelope.TopicArn} is not in the allowed topic list`);
    }
    const hash = HASH_BY_VERSION[envelope.SignatureVersion ?? ''];
    if (!hash) {
      throw new IntakeError('BAD_SIGNATURE', `SignatureVersion ${JSON.stringify(envelope.SignatureVersion ?? null)} is not supported; expected "1" or "2"`);
    }
    const signature = envelope.Signature ?? '';
    if (!BASE64.test(signature)) throw new IntakeError('BAD_SIGNATURE', 'Signature is missing or not base64');
    const urlCheck = checkSigningCertUrl(envelope.SigningCertURL);
    if (!urlCheck.ok) throw new IntakeError('CERT_URL_REJECTED', urlCheck.reason);
    const stringToSign = snsStringToSign(envelope);

    const cert = await this.certificate(envelope.SigningCertURL ?? '');
    const now = this.options.clock.now();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      throw new IntakeError('BAD_SIGNATURE', 'the signing certificate is not valid at this time');
    }
    const key: KeyObject = cert.publicKey;
    if (!verifySignature(hash, Buffer.from(stringToSign, 'utf8'), key, Buffer.from(signature, 'base64'))) {
      throw new IntakeError('BAD_SIGNATURE', 'the signature does not match the message');
    }
    return envelope as VerifiedSnsEnvelope;
  }

  /** Cached by URL; a concurrent burst shares one fetch; a failure is not cached. */
  private async certificate(url: string): Promise<X509Certificate> {
    let pending = this.certs.get(url);
    if (!pending) {
      pending = this.load(url);
      this.certs.set(url, pending);
      const loading = pending;
      // A failed fetch must not stick: drop it so the next message retries (unless already replaced).
      void loading.catch(() => {
        if (this.certs.get(url) === loading) this.certs.delete(url);
      });
    }
    return pending;
  }

  private async load(url: string): Promise<X509Certificate> {
    let pem: string;
    try {
      pem = await this.options.fetchCert(url);
    } catch (err) {
      throw new IntakeError('CERT_UNAVAILABLE', 'the SNS signing certificate could not be fetched', { cause: err });
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      throw new IntakeError('CERT_UNAVAILABLE', 'the SNS signing certificate could not be read', { cause: err });
    }
    if (cert.publicKey.asymmetricKeyType !== 'rsa') {
      throw new IntakeError('CERT_UNAVAILABLE', 'the SNS signing certificate does not hold an RSA key');
    }
    return cert;
  }
}

export function createSnsVerifier(options: SnsVerifierOptions): SnsVerifier {
  return new SnsVerifier(options);
}

/** The canonical string SNS signs (see the module comment). Throws 400 if a signed field is missing. */
export function snsStringToSign(envelope: SnsEnvelope): string {
  const fields: [string, string | null | undefined][] =
    envelope.Type === 'Notification'
      ? [
          ['Message', envelope.Message],
          ['MessageId', envelope.MessageId],
          ...(envelope.Subject !== undefined && envelope.Subject !== null ? [['Subject', envelope.Subject] as [string, string]] : []),
          ['Timestamp', envelope.Timestamp],
          ['TopicArn', envelope.TopicArn],
          ['Type', envelope.Type],
        ]
      : [
          ['Message', envelope.Message],
          ['MessageId', envelope.MessageId],
          ['SubscribeURL', envelope.SubscribeURL],
          ['Timestamp', envelope.Timestamp],
          ['Token', envelope.Token],
          ['TopicArn', envelope.TopicArn],
          ['Type', envelope.Type],
        ];
  let out = '';
  for (const [name, value] of fields) {
    if (value === undefined || value === null) throw new IntakeError('INVALID_PAYLOAD', `SNS ${envelope.Type}: ${name} is missing`);
    out += `${name}\n${value}\n`;
  }
  return out;
}

/** What to do with a SubscriptionConfirmation. */
export type SubscriptionDecision = { confirm: true; subscribeUrl: string } | { confirm: false; reason: string; error?: IntakeError };

/**
 * Returns the `SubscribeURL` to GET only for a `SubscriptionConfirmation` that passed the signature
 * and topic checks and whose URL is an SNS ConfirmSubscription URL. Never anything for
 * `UnsubscribeConfirmation` (its SubscribeURL would re-subscribe) and never the `UnsubscribeURL`.
 */
export async function shouldConfirmSubscription(payload: unknown, verifier: SnsVerifier): Promise<SubscriptionDecision> {
  const result = await verifier.verify(payload);
  if (!result.ok) return { confirm: false, reason: result.error.reason, error: result.error };
  const { envelope } = result;
  if (envelope.Type !== 'SubscriptionConfirmation') return { confirm: false, reason: `${envelope.Type} is not a subscription confirmation` };
  if (!isSnsSubscribeUrl(envelope.SubscribeURL)) {
    return { confirm: false, reason: 'SubscribeURL is not an SNS ConfirmSubscription URL' };
  }
  return { confirm: true, subscribeUrl: envelope.SubscribeURL };
}
