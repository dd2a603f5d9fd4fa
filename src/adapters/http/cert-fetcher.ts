/**
 * The two outbound requests SNS intake ever makes: fetching a signing certificate
 * (`SnsVerifier`'s `fetchCert`, cached by the verifier) and GETting a `SubscribeURL` to confirm a
 * subscription. Both are requests a stranger can try to steer, so both are deliberately narrow:
 *
 * - the URL is re-checked here (SNS host, https, `.pem` / `Action=ConfirmSubscription`) even though
 *   the verifier checked it already — a second, independent gate in front of the network;
 * - GET only, no credentials, no cookies, **no redirects** (a redirect could lead anywhere);
 * - a short timeout covering the whole exchange, body included;
 * - a size cap, enforced while streaming (a certificate is ~2 KB, a confirmation answer < 1 KB).
 *
 * `fetch` is injected (the composition root passes `globalThis.fetch`), so tests count requests.
 */
import type { Clock } from '../../core/clock.js';
import { checkSigningCertUrl, isSnsSubscribeUrl, SnsVerifier, type FetchCert } from '../../intake/index.js';

/** The subset of WHATWG `fetch` used here. */
export type HttpFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface SnsFetchOptions {
  fetch: HttpFetch;
  /** Whole-request timeout (default 5 s): SNS waits on us, and retries if we answer 503. */
  timeoutMs?: number;
  /** Largest accepted response body (default 64 KiB). */
  maxBytes?: number;
}

export const DEFAULT_SNS_FETCH_TIMEOUT_MS = 5_000;
export const DEFAULT_SNS_FETCH_MAX_BYTES = 64 * 1024;

/** Why an outbound SNS request failed (the cause of the verifier's `CERT_UNAVAILABLE`). */
export class SnsFetchError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SnsFetchError';
  }
}

/** `fetchCert` for `SnsVerifier`: the PEM text of an SNS signing certificate. */
export function createCertFetcher(options: SnsFetchOptions): FetchCert {
  return async (url: string) => {
    const check = checkSigningCertUrl(url);
    if (!check.ok) throw new SnsFetchError(`refusing to fetch the certificate: ${check.reason}`);
    const text = await httpsGet(url, options, 'certificate');
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new SnsFetchError('the certificate response is not a PEM certificate');
    return text;
  };
}

/**
 * `confirmSubscription` for the SNS route: GETs a `SubscribeURL` that passed
 * `shouldConfirmSubscription`. Resolves when SNS answered 200; rejects otherwise (the route then
 * answers 503 and SNS re-sends the confirmation).
 */
export function createSubscriptionConfirmer(options: SnsFetchOptions): (subscribeUrl: string) => Promise<void> {
  return async (subscribeUrl: string) => {
    if (!isSnsSubscribeUrl(subscribeUrl)) throw new SnsFetchError('refusing to fetch: not an SNS ConfirmSubscription URL');
    await httpsGet(subscribeUrl, options, 'subscription confirmation');
  };
}

async function httpsGet(url: string, options: SnsFetchOptions, what: string): Promise<string> {
  if (!url.startsWith('https://')) throw new SnsFetchError(`refusing to fetch the ${what} over anything but https`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SNS_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_SNS_FETCH_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      redirect: 'error',
      credentials: 'omit',
      headers: { accept: '*/*', 'user-agent': 'lifeboat-sns-intake' },
      signal,
    });
  } catch (err) {
    throw new SnsFetchError(`the ${what} request failed (${describe(err, timeoutMs)})`, { cause: err });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new SnsFetchError(`the ${what} request answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new SnsFetchError(`the ${what} response is ${declared} bytes; the limit is ${maxBytes}`);
  }
  try {
    return await readCapped(response, maxBytes, what);
  } catch (err) {
    if (err instanceof SnsFetchError) throw err;
    throw new SnsFetchError(`the ${what} response could not be read (${describe(err, timeoutMs)})`, { cause: err });
  }
}

async function readCapped(response: Response, maxBytes: number, what: string): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new SnsFetchError(`the ${what} response is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

/**
 * Everything `registerIntakeRoutes` needs for SNS, built from one place so the verifier's topic
 * allow-list and the route's settings cannot drift apart. One verifier per process: it holds the
 * certificate cache.
 */
export function createSnsHttpDeps(options: SnsFetchOptions & { topicArns: readonly string[]; clock: Clock }): {
  snsVerifier: SnsVerifier;
  confirmSubscription: (subscribeUrl: string) => Promise<void>;
} {
  return {
    snsVerifier: new SnsVerifier({ allowedTopicArns: options.topicArns, fetchCert: createCertFetcher(options), clock: options.clock }),
    confirmSubscription: createSubscriptionConfirmer(options),
  };
}
