/**
 * The OCI registry client against a local `node:http` stand-in that behaves like GHCR: every
 * manifest request needs a bearer token, anonymous tokens for public repositories, HTTP Basic at
 * the token endpoint for private ones (corpus oci/ghcr-token-challenge.http.txt).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OciRegistryClient } from '../../../src/adapters/registry/oci-registry-client.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/aws/oci/${name}`, import.meta.url), 'utf8');
const INDEX = fixture('buildkit-attestation-image-index.example.json');
const INDEX_DIGEST = `sha256:${createHash('sha256').update(INDEX).digest('hex')}`;
const AMD64 = 'sha256:23678f31b3b3586c4fb318aecfe64a96a1f0916ba8faf9b2be2abee63fa9e827';
const ERROR_BODY = fixture('registry-error-body.CONSTRUCTED.json');
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let server: Server;
let base: string;
const requests: { method: string; url: string; accept?: string; authorization?: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', base);
  requests.push({ method: req.method ?? '', url: url.pathname + url.search, accept: req.headers.accept, authorization: req.headers.authorization });
  if (url.pathname === '/token') {
    const scope = url.searchParams.get('scope') ?? '';
    const name = scope.split(':')[1] ?? '';
    if (name === 'org/private' && req.headers.authorization !== `Basic ${Buffer.from('bot:pat').toString('base64')}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `tok-${name}`, expires_in: 300 }));
    return;
  }
  const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const [, name = '', reference = ''] = match;
  if (req.headers.authorization !== `Bearer tok-${name}`) {
    // The corpus GHCR challenge, pointed at this stand-in's token endpoint.
    res
      .writeHead(401, {
        'content-type': 'application/json',
        'docker-distribution-api-version': 'registry/2.0',
        'www-authenticate': `Bearer realm="${base}/token",service="ghcr.io",scope="repository:${name}:pull"`,
      })
      .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    return;
  }
  if (name === 'org/busy') {
    res.writeHead(429, { 'retry-after': '30', 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
    return;
  }
  const known = (name === 'org/app' || name === 'org/private') && (reference === 'v1' || reference === INDEX_DIGEST);
  const child = name === 'org/app' && reference === AMD64;
  if (!known && !child) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : ERROR_BODY);
    return;
  }
  const body = known ? INDEX : '{"schemaVersion":2}';
  const headers = { 'content-type': known ? OCI_INDEX : 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': known ? INDEX_DIGEST : AMD64 };
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
});

function client(credentials?: Record<string, { username: string; password: string }>) {
  return new OciRegistryClient({ fetch, baseUrl: () => base, credentials: (host) => credentials?.[host], userAgent: 'lifeboat-test' });
}

describe('OCI registry client', () => {
  it('answers a 401 Bearer challenge with an anonymous token, sends every manifest type in Accept, and reuses the token', async () => {
    const registry = client();
    const head = await registry.headManifest({ host: 'ghcr.io', repository: 'org/app', reference: 'v1' });
    expect(head).toEqual({ kind: 'found', digest: INDEX_DIGEST, mediaType: OCI_INDEX });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'HEAD /v2/org/app/manifests/v1',
      'GET /token?service=ghcr.io&scope=repository%3Aorg%2Fapp%3Apull',
      'HEAD /v2/org/app/manifests/v1',
    ]);
    expect(requests[0]?.accept).toBe(
      'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(requests[1]?.authorization).toBeUndefined();

    const child = await registry.headManifest({ host: 'ghcr.io', repository: 'org/app', reference: AMD64 });
    expect(child).toMatchObject({ kind: 'found', digest: AMD64 });
    expect(requests.filter((r) => r.url.startsWith('/token'))).toHaveLength(1);
  });

  it('fetches an index by digest and checks the content hashes to it', async () => {
    const got = await client().getManifest({ host: 'ghcr.io', repository: 'org/app', reference: INDEX_DIGEST });
    expect(got).toMatchObject({ kind: 'found', digest: INDEX_DIGEST, mediaType: OCI_INDEX });
    expect(got.kind === 'found' && JSON.parse(got.body ?? '{}')).toMatchObject({ mediaType: OCI_INDEX });
  });

  it('reports a deleted child as not found, with the registry error code when there is a body', async () => {
    const registry = client();
    const gone = `sha256:${'0'.repeat(64)}`;
    expect(await registry.headManifest({ host: 'ghcr.io', repository: 'org/app', reference: gone })).toEqual({ kind: 'not-found' });
    expect(await registry.getManifest({ host: 'ghcr.io', repository: 'org/app', reference: gone })).toEqual({ kind: 'not-found', code: 'MANIFEST_UNKNOWN' });
  });

  it('uses configured credentials as HTTP Basic at the token endpoint for private images', async () => {
    const anonymous = await client().headManifest({ host: 'ghcr.io', repository: 'org/private', reference: 'v1' });
    expect(anonymous).toMatchObject({ kind: 'denied', detail: 'the token service of ghcr.io refused anonymous access (HTTP 401)' });
    const withPat = await client({ 'ghcr.io': { username: 'bot', password: 'pat' } }).headManifest({ host: 'ghcr.io', repository: 'org/private', reference: 'v1' });
    expect(withPat).toMatchObject({ kind: 'found', digest: INDEX_DIGEST });
  });

  it('reports rate limiting and unreachable registries as such, never as found', async () => {
    expect(await client().headManifest({ host: 'ghcr.io', repository: 'org/busy', reference: 'v1' })).toEqual({ kind: 'rate-limited', detail: 'ghcr.io answered 429, retry after 30 s' });
    const down = new OciRegistryClient({ fetch, baseUrl: () => 'http://127.0.0.1:1', timeoutMs: 2_000 });
    expect(await down.headManifest({ host: 'ghcr.io', repository: 'org/app', reference: 'v1' })).toMatchObject({ kind: 'error' });
  });

  it('refuses a token realm on plain HTTP when the registry is HTTPS', async () => {
    const calls: string[] = [];
    const fakeFetch = ((input: string | URL) => {
      calls.push(String(input));
      return Promise.resolve(new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://evil.example/token",service="x"' } }));
    }) as typeof fetch;
    const registry = new OciRegistryClient({ fetch: fakeFetch });
    expect(await registry.headManifest({ host: 'ghcr.io', repository: 'org/app', reference: 'v1' })).toEqual({ kind: 'denied', detail: 'ghcr.io named a token realm that is not https' });
    expect(calls).toEqual(['https://ghcr.io/v2/org/app/manifests/v1']);
  });
});
