/**
 * Retention warnings for in-use multi-arch images on GHCR, through the real OCI client against a
 * local `node:http` stand-in that behaves like GHCR (bearer tokens even for anonymous pulls,
 * `tags/list` paged with `Link`, children deletable while the index uses them).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OciRegistryClient } from '../../../src/adapters/registry/oci-registry-client.js';
import { runImageScan } from '../../../src/images/scan.js';
import { FakeEcr, FakeEcs } from '../../unit/images/support/fakes.js';
import { addService, scanDeps } from '../../unit/images/support/fleet.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const AMD64_BODY = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":["amd64"]}';
const ARM64_BODY = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":["arm64"]}';
const ATTESTATION_BODY = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":["in-toto"]}';
const AMD64 = sha(AMD64_BODY);
const ARM64 = sha(ARM64_BODY);
const INDEX_BODY = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: AMD64, size: AMD64_BODY.length, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: OCI_MANIFEST, digest: ARM64, size: ARM64_BODY.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    {
      mediaType: OCI_MANIFEST,
      digest: sha(ATTESTATION_BODY),
      size: ATTESTATION_BODY.length,
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': AMD64 },
      platform: { os: 'unknown', architecture: 'unknown' },
    },
  ],
});
const INDEX = sha(INDEX_BODY);

/** The stand-in's state: manifests by digest, tags → digest, whether tags can be listed. */
let manifests: Map<string, { body: string; mediaType: string }>;
let tags: Map<string, string>;
let tagListing: 'paged' | 'absent';
const requests: string[] = [];
let server: Server;
let base: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', base);
  requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
  if (url.pathname === '/token') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'anon', expires_in: 300 }));
    return;
  }
  if (req.headers.authorization !== 'Bearer anon') {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="ghcr.io",scope="repository:org/app:pull"`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    return;
  }
  if (url.pathname === '/v2/org/app/tags/list') {
    if (tagListing === 'absent') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
      return;
    }
    // Two tags a page, like a registry with a small page size, linked with a relative URL.
    const all = [...tags.keys()].sort();
    const last = url.searchParams.get('last');
    const start = last === null ? 0 : all.indexOf(last) + 1;
    const page = all.slice(start, start + 2);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (start + 2 < all.length) headers.link = `</v2/org/app/tags/list?last=${page[page.length - 1] ?? ''}&n=2>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ name: 'org/app', tags: page }));
    return;
  }
  const match = /^\/v2\/org\/app\/manifests\/([^/]+)$/.exec(url.pathname);
  const reference = match?.[1] ?? '';
  const digest = reference.startsWith('sha256:') ? reference : tags.get(reference);
  const manifest = digest !== undefined ? manifests.get(digest) : undefined;
  if (!manifest || digest === undefined) {
    res.writeHead(404, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    return;
  }
  res.writeHead(200, { 'content-type': manifest.mediaType, 'docker-content-digest': digest }).end(req.method === 'HEAD' ? undefined : manifest.body);
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
  tagListing = 'paged';
  manifests = new Map([
    [INDEX, { body: INDEX_BODY, mediaType: OCI_INDEX }],
    [AMD64, { body: AMD64_BODY, mediaType: OCI_MANIFEST }],
    [ARM64, { body: ARM64_BODY, mediaType: OCI_MANIFEST }],
    [sha(ATTESTATION_BODY), { body: ATTESTATION_BODY, mediaType: OCI_MANIFEST }],
  ]);
  tags = new Map([
    ['prod', INDEX],
    ['v1', INDEX],
    ['latest', INDEX],
  ]);
});

/** prod/web runs ghcr.io/org/app:prod on x86 (pinned to the index). */
async function scan(retentionWarningHosts?: ReadonlySet<string>) {
  const ecs = new FakeEcs();
  addService(ecs, 'prod', 'web', [{ desired: 3, containers: [{ name: 'web', image: 'ghcr.io/org/app:prod', digest: INDEX }] }]);
  const registry = new OciRegistryClient({ fetch, baseUrl: () => base });
  return runImageScan(scanDeps(ecs, new FakeEcr(), { registry, ...(retentionWarningHosts ? { retentionWarningHosts } : {}) }));
}

describe('retention warnings on registries Lifeboat cannot protect', () => {
  it('warns that the children of an in-use GHCR image are untagged, after listing every page of tags', async () => {
    const report = await scan();
    expect(report.images[0]).toMatchObject({ status: 'available' });
    expect(report.notes).toEqual([
      {
        kind: 'registry-children-untagged',
        repository: 'ghcr.io/org/app',
        services: ['prod/web'],
        sentence: expect.stringMatching(
          /^ghcr\.io\/org\/app:prod is a multi-arch image whose per-platform children are all untagged \(linux\/amd64, linux\/arm64\/v8\)\. ghcr\.io does not stop a cleanup of untagged versions .* prod\/web would then fail to pull linux\/amd64 sha256:/,
        ),
      },
    ]);
    expect(requests.filter((r) => r.startsWith('GET /v2/org/app/tags/list'))).toEqual(['GET /v2/org/app/tags/list?n=1000', 'GET /v2/org/app/tags/list?last=prod&n=2']);
    // No tag names an architecture: nothing else to look up.
    expect(requests.filter((r) => r.startsWith('HEAD /v2/org/app/manifests/') && !r.includes('sha256'))).toEqual(['HEAD /v2/org/app/manifests/prod']);
  });

  it('stays quiet when per-architecture tags point at the children', async () => {
    tags.set('prod-amd64', AMD64);
    tags.set('prod-arm64', ARM64);
    tags.set('v0-amd64', sha('old'));
    const report = await scan();
    expect(report.notes).toBeUndefined();
    expect(requests).toContain('HEAD /v2/org/app/manifests/prod-amd64');
    expect(requests).not.toContain('HEAD /v2/org/app/manifests/v0-amd64');
  });

  it('warns on any registry when an in-use image has lost children, before the one the service pulls goes too', async () => {
    manifests.delete(ARM64);
    const report = await scan(new Set());
    expect(report.images[0]).toMatchObject({ status: 'available' });
    expect(report.notes).toEqual([
      {
        kind: 'registry-children-missing',
        repository: 'ghcr.io/org/app',
        services: ['prod/web'],
        sentence: expect.stringMatching(/^ghcr\.io\/org\/app:prod has lost 1 of its 2 per-platform children \(linux\/arm64\/v8 sha256:[0-9a-f]{12}…?\): something on ghcr\.io deletes untagged manifests/),
      },
    ]);
    expect(report.calls['registry:GET tags']).toBeUndefined();
  });

  it('does not look for untagged children where tags cannot be listed, or on hosts not named', async () => {
    tagListing = 'absent';
    expect((await scan()).notes).toBeUndefined();
    tagListing = 'paged';
    expect((await scan(new Set(['registry.example.com']))).notes).toBeUndefined();
    expect(requests.filter((r) => r.includes('tags/list'))).toHaveLength(1);
  });
});
