/**
 * The two outbound SNS requests: narrow by construction (URL re-checked, GET, no redirects,
 * timeout, size cap). `fetch` is a stand-in that records what it was asked.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCertFetcher, createSubscriptionConfirmer, type HttpFetch } from '../../../src/adapters/http/cert-fetcher.js';

const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem';
const CN_CERT_URL = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem';
const SUBSCRIBE_URL = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:123456789012:t&Token=abc';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function recording(answer: (url: string, init: RequestInit) => Response | Promise<Response> = () => new Response(PEM)) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn<HttpFetch>(async (url, init) => {
    calls.push({ url, init });
    return answer(url, init);
  });
  return { fetch, calls };
}

describe('createCertFetcher', () => {
  it('GETs an SNS certificate URL without following redirects and returns the PEM', async () => {
    const { fetch, calls } = recording();
    expect(await createCertFetcher({ fetch })(CERT_URL)).toBe(PEM);
    expect(await createCertFetcher({ fetch })(CN_CERT_URL)).toBe(PEM);
    expect(calls[0]).toMatchObject({ url: CERT_URL, init: { method: 'GET', redirect: 'error', credentials: 'omit' } });
    expect(calls[0]!.init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ['http', CERT_URL.replace('https://', 'http://')],
    ['foreign host', 'https://example.com/SimpleNotificationService-1.pem'],
    ['not .pem', 'https://sns.eu-west-1.amazonaws.com/cert.crt'],
    ['query string', `${CERT_URL}?x=1`],
    ['userinfo', 'https://sns.eu-west-1.amazonaws.com@evil.com/x.pem'],
  ])('refuses %s without a request', async (_name, url) => {
    const { fetch } = recording();
    await expect(createCertFetcher({ fetch })(url)).rejects.toThrow(/refusing/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('fails on a non-200 answer (a redirect never reaches here: fetch refuses it)', async () => {
    const { fetch } = recording(() => new Response('moved', { status: 404 }));
    await expect(createCertFetcher({ fetch })(CERT_URL)).rejects.toThrow(/HTTP 404/);
  });

  it('fails when the answer is not a PEM certificate', async () => {
    const { fetch } = recording(() => new Response('<html>hello</html>'));
    await expect(createCertFetcher({ fetch })(CERT_URL)).rejects.toThrow(/not a PEM/);
  });

  it('caps the size: by Content-Length and while streaming', async () => {
    const declared = recording(() => new Response('x', { headers: { 'content-length': '999999' } }));
    await expect(createCertFetcher({ fetch: declared.fetch, maxBytes: 1024 })(CERT_URL)).rejects.toThrow(/limit/);
    const streamed = recording(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              controller.enqueue(new Uint8Array(512));
            },
          }),
        ),
    );
    await expect(createCertFetcher({ fetch: streamed.fetch, maxBytes: 4096 })(CERT_URL)).rejects.toThrow(/over the limit of 4096/);
  });

  it('gives up after the timeout', async () => {
    const { fetch } = recording(
      (_url, init) =>
        new Promise<Response>((_, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
        }),
    );
    const started = Date.now();
    await expect(createCertFetcher({ fetch, timeoutMs: 100 })(CERT_URL)).rejects.toThrow(/no answer within 100 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('createSubscriptionConfirmer', () => {
  it('GETs an SNS ConfirmSubscription URL', async () => {
    const { fetch, calls } = recording(() => new Response('<ConfirmSubscriptionResponse/>'));
    await createSubscriptionConfirmer({ fetch })(SUBSCRIBE_URL);
    expect(calls).toMatchObject([{ url: SUBSCRIBE_URL, init: { method: 'GET', redirect: 'error' } }]);
  });

  it.each([
    ['an UnsubscribeURL', 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:t:1'],
    ['a foreign host', 'https://evil.example.com/?Action=ConfirmSubscription&Token=abc'],
    ['http', SUBSCRIBE_URL.replace('https://', 'http://')],
  ])('never fetches %s', async (_name, url) => {
    const { fetch } = recording();
    await expect(createSubscriptionConfirmer({ fetch })(url)).rejects.toThrow(/refusing/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('rejects when SNS refuses the confirmation, without putting the URL (its token) in the error', async () => {
    const { fetch } = recording(() => new Response('denied', { status: 403 }));
    const err = await createSubscriptionConfirmer({ fetch })(SUBSCRIBE_URL).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/HTTP 403/);
    expect(err.message).not.toContain('Token=');
    expect(err.name).toBe('SnsFetchError');
  });
});
