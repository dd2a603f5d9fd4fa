/**
 * `RegistryClient` over the OCI distribution API, for GHCR, Docker Hub, ECR Public and other
 * registries: `HEAD`/`GET /v2/<name>/manifests/<reference>` with an `Accept` list of every manifest
 * type (otherwise a registry may answer with a legacy single-platform manifest, or 404 for an
 * index-only tag), and the anonymous token flow for `401` Bearer challenges — even public GHCR
 * images need a token (corpus oci/ghcr-token-challenge.http.txt). Configured credentials go to the
 * token endpoint as HTTP Basic, which is what GHCR and Docker Hub expect.
 *
 * Tags are listed (`GET /v2/<name>/tags/list`, `Link` pages on the same origin) only for the
 * retention warnings about untagged index children.
 *
 * `fetch` is injected: the composition root passes the global one, tests a local stand-in's.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock.js';
import { ACCEPTED_MANIFEST_TYPES } from '../../images/oci-index.js';
import type { ManifestLookup, ManifestRef, RegistryClient, TagListing } from '../../images/ports.js';
import { parseChallenge } from './www-authenticate.js';

/** Username and password / token for one registry host. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Options of `OciRegistryClient`; `fetch` is required (no silent default). */
export interface OciRegistryClientOptions {
  fetch: typeof fetch;
  /** Credentials for a registry host, when configured; anonymous otherwise. */
  credentials?: (host: string) => RegistryCredentials | undefined;
  /** Base URL of a registry host. Default `https://<host>`. */
  baseUrl?: (host: string) => string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  userAgent?: string;
  clock?: Clock;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const REFERENCE = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[0-9a-f]{64})$/;
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Tags a listing page asks for, and the most pages followed (10,000 tags). */
const TAG_PAGE = 1000;
const MAX_TAG_PAGES = 10;
/** Tokens without `expires_in` are good for at least 60 s (distribution token spec). */
const DEFAULT_TOKEN_TTL_S = 60;

/** `RegistryClient` over HTTP; registry problems are results, never exceptions. */
export class OciRegistryClient implements RegistryClient {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly clock: Clock;

  constructor(private readonly options: OciRegistryClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  headManifest(ref: ManifestRef): Promise<ManifestLookup> {
    return this.manifest('HEAD', ref);
  }

  getManifest(ref: ManifestRef): Promise<ManifestLookup> {
    return this.manifest('GET', ref);
  }

  /**
   * `GET /v2/<name>/tags/list?n=1000`, following `Link: <…>; rel="next"` on the same origin for at
   * most `MAX_TAG_PAGES` pages. Same token flow as manifests (the `pull` scope covers it).
   */
  async listTags(ref: { host: string; repository: string }): Promise<TagListing> {
    if (!NAME.test(ref.repository)) return { kind: 'error', detail: `not a valid repository name: ${ref.repository}` };
    const base = (this.options.baseUrl ?? ((h: string) => `https://${h}`))(ref.host);
    const scope = `repository:${ref.repository}:pull`;
    const cacheKey = `${ref.host} ${scope}`;
    const tags: string[] = [];
    let url: URL | undefined = new URL(`${base}/v2/${ref.repository}/tags/list?n=${TAG_PAGE}`);
    try {
      for (let page = 0; url !== undefined && page < MAX_TAG_PAGES; page++) {
        let response = await this.request('GET', url.href, this.cachedAuthorization(cacheKey), 'application/json');
        if (response.status === 401) {
          const authorization = await this.authorize(response, ref.host, scope, cacheKey, base);
          if (typeof authorization !== 'string') return { kind: 'denied', detail: authorization.kind === 'denied' ? authorization.detail : `${ref.host} refused access` };
          response = await this.request('GET', url.href, authorization, 'application/json');
        }
        if (response.status !== 200) {
          const error = await errorCode(response);
          const detail = `${ref.host} answered HTTP ${response.status}${error?.code ? ` ${error.code}` : ''} to a tag listing`;
          if (response.status === 404) return { kind: 'not-found', detail };
          if (response.status === 401 || response.status === 403) return { kind: 'denied', detail };
          if (response.status === 429) return { kind: 'rate-limited', detail };
          return { kind: 'error', detail };
        }
        const body = (await response.json()) as { tags?: unknown };
        if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
        url = nextPage(response.headers.get('link'), url);
      }
      return { kind: 'tags', tags, complete: url === undefined };
    } catch (err) {
      return { kind: 'error', detail: `${ref.host} did not answer: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private async manifest(method: 'HEAD' | 'GET', ref: ManifestRef): Promise<ManifestLookup> {
    // References come from parsed image references; anything else must not reach a URL path.
    if (!REFERENCE.test(ref.reference) || !NAME.test(ref.repository)) {
      return { kind: 'error', detail: `not a valid manifest reference: ${ref.repository}:${ref.reference}` };
    }
    const base = (this.options.baseUrl ?? ((h: string) => `https://${h}`))(ref.host);
    const url = `${base}/v2/${ref.repository}/manifests/${ref.reference}`;
    const scope = `repository:${ref.repository}:pull`;
    const cacheKey = `${ref.host} ${scope}`;
    try {
      let response = await this.request(method, url, this.cachedAuthorization(cacheKey));
      if (response.status === 401) {
        const authorization = await this.authorize(response, ref.host, scope, cacheKey, base);
        if (typeof authorization !== 'string') return authorization;
        response = await this.request(method, url, authorization);
      }
      return await this.interpret(method, ref, response);
    } catch (err) {
      return { kind: 'error', detail: `${ref.host} did not answer: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private request(method: 'HEAD' | 'GET', url: string, authorization: string | undefined, accept: string = ACCEPTED_MANIFEST_TYPES.join(', ')): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    if (authorization) headers.Authorization = authorization;
    return this.options.fetch(url, { method, headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  }

  private cachedAuthorization(cacheKey: string): string | undefined {
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAt > this.clock.now()) return `Bearer ${cached.token}`;
    return undefined;
  }

  /** Answer a 401 challenge: an Authorization header value, or the lookup result to give up with. */
  private async authorize(response: Response, host: string, scope: string, cacheKey: string, base: string): Promise<string | ManifestLookup> {
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    await response.body?.cancel();
    const credentials = this.options.credentials?.(host);
    const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` : undefined;
    if (challenge?.scheme === 'basic') {
      return basic ?? { kind: 'denied', detail: `${host} wants credentials and none are configured` };
    }
    const realm = challenge?.scheme === 'bearer' ? challenge.params.realm : undefined;
    if (!realm) return { kind: 'denied', detail: `${host} answered 401 without a usable challenge` };
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      return { kind: 'denied', detail: `${host} named an invalid token realm` };
    }
    // Never send credentials (or ask for tokens) over plain HTTP unless the registry itself is plain HTTP.
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && base.startsWith('http:'))) {
      return { kind: 'denied', detail: `${host} named a token realm that is not https` };
    }
    if (challenge?.params.service) realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', challenge?.params.scope ?? scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (basic) headers.Authorization = basic;
    const tokenResponse = await this.options.fetch(realmUrl, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    if (!tokenResponse.ok) {
      await tokenResponse.body?.cancel();
      return { kind: 'denied', detail: `the token service of ${host} refused ${credentials ? 'the configured credentials' : 'anonymous access'} (HTTP ${tokenResponse.status})` };
    }
    const body = (await tokenResponse.json()) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) return { kind: 'denied', detail: `the token service of ${host} returned no token` };
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_TTL_S;
    // Renew a little early so a token never expires between check and use.
    this.tokens.set(cacheKey, { token, expiresAt: this.clock.now() + Math.max(1, ttl - 10) * 1000 });
    return `Bearer ${token}`;
  }

  private async interpret(method: 'HEAD' | 'GET', ref: ManifestRef, response: Response): Promise<ManifestLookup> {
    const status = response.status;
    if (status === 200) {
      const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim();
      const headerDigest = response.headers.get('docker-content-digest') ?? undefined;
      const found: ManifestLookup & { kind: 'found' } = { kind: 'found' };
      if (mediaType) found.mediaType = mediaType;
      if (method === 'GET') {
        const bytes = Buffer.from(await response.arrayBuffer());
        const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        // Content fetched by digest must hash to it; anything else is not the image asked for.
        if (ref.reference.startsWith('sha256:') && computed !== ref.reference) {
          return { kind: 'error', detail: `${ref.host} returned content whose digest is ${computed}, not ${ref.reference}` };
        }
        found.body = bytes.toString('utf8');
        found.digest = headerDigest ?? computed;
      } else {
        await response.body?.cancel();
        if (headerDigest) found.digest = headerDigest;
      }
      return found;
    }
    const error = method === 'GET' || response.headers.get('content-type')?.includes('json') ? await errorCode(response) : undefined;
    if (method === 'HEAD') await response.body?.cancel();
    if (status === 404) return error?.code ? { kind: 'not-found', code: error.code } : { kind: 'not-found' };
    if (status === 401 || status === 403) return { kind: 'denied', detail: `${ref.host} answered ${status}${error?.code ? ` ${error.code}` : ''}` };
    if (status === 429) {
      const retryAfter = response.headers.get('retry-after');
      return { kind: 'rate-limited', detail: `${ref.host} answered 429${retryAfter ? `, retry after ${retryAfter} s` : ''}` };
    }
    return { kind: 'error', detail: `${ref.host} answered HTTP ${status}${error?.code ? ` ${error.code}` : ''}` };
  }
}

/**
 * The `rel="next"` target of a `Link` header, resolved against the current page; only on the same
 * origin, so a token is never sent to another host.
 */
function nextPage(link: string | null, current: URL): URL | undefined {
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link) : null;
  if (!match?.[1]) return undefined;
  try {
    const next = new URL(match[1], current);
    return next.origin === current.origin ? next : undefined;
  } catch {
    return undefined;
  }
}

/** The first `errors[].code` of a distribution-spec error body, if there is one. */
async function errorCode(response: Response): Promise<{ code?: string } | undefined> {
  try {
    const body = (await response.json()) as { errors?: { code?: unknown }[] };
    const code = body.errors?.[0]?.code;
    return typeof code === 'string' ? { code } : {};
  } catch {
    return undefined;
  }
}
