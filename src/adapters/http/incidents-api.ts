/**
 * The read API for dashboards and scripts (docs/notifications.md, "Read API"):
 *
 * | route | answer |
 * |---|---|
 * | `GET /api/incidents?state=active&limit=50` | `{ incidents: [...], count }` (`incidentListToJson`), newest first |
 * | `GET /api/incidents/<id>?timeline=50` | one incident with `alerts`, `timeline`, `timelineDropped` (`incidentDetailsToJson`) |
 *
 * `Authorization: Bearer <token>`, compared in constant time against every configured token
 * (`notifications.api.tokenEnv`, default `LIFEBOAT_API_TOKEN`). With no token configured the routes
 * are **not mounted** (404 like any unknown path) rather than open. Read-only: there is nothing to
 * change here; state changes go through commands, where they are authorised and audited.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { normalizeIncidentId } from '../../incidents/ids.js';
import { INCIDENT_STATES } from '../../incidents/model.js';
import type { IncidentQuery, IncidentStore } from '../../incidents/ports.js';
import { incidentDetailsToJson, incidentListToJson } from '../../incidents/read-model.js';
import { verifyBearerToken } from '../../intake/index.js';
import type { LifeboatHttpServer } from './http-server.js';

export const INCIDENTS_API_PATH = '/api/incidents';

export interface IncidentsApiDeps {
  store: Pick<IncidentStore, 'get' | 'list'>;
  /** Accepted bearer tokens (`resolveNotificationsSettings(...).apiTokens`). Empty: not mounted. */
  tokens: readonly string[];
  logger: Logger;
}

export interface IncidentsApiReport {
  mounted: boolean;
  /** Why it is not mounted, for the startup log. */
  warning?: string;
}

const STATE_FILTERS = new Set<string>([...INCIDENT_STATES, 'active', 'all']);
const MAX_LIMIT = 500;
const MAX_TIMELINE = 500;

/** Mounts `GET /api/incidents` and `GET /api/incidents/<id>` when a token is configured. */
export function registerIncidentsApi(server: Pick<LifeboatHttpServer, 'mount'>, deps: IncidentsApiDeps): IncidentsApiReport {
  const tokens = deps.tokens.filter((t) => t !== '');
  if (tokens.length === 0) return { mounted: false, warning: `GET ${INCIDENTS_API_PATH} is not mounted: no API token is set (LIFEBOAT_API_TOKEN, or notifications.api.tokenEnv)` };
  const handler = (req: IncomingMessage, res: ServerResponse): Promise<void> => handle(req, res, { ...deps, tokens });
  server.mount('GET', INCIDENTS_API_PATH, handler);
  server.mount('GET', `${INCIDENTS_API_PATH}/`, handler);
  return { mounted: true };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: IncidentsApiDeps): Promise<void> {
  const auth = verifyBearerToken(req.headers.authorization, deps.tokens);
  if (!auth.ok) {
    return send(res, 401, { error: auth.error.reason, code: auth.error.code }, { 'www-authenticate': 'Bearer realm="lifeboat"' });
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '');
  if (path === INCIDENTS_API_PATH) return list(url, res, deps);
  const rest = path.slice(INCIDENTS_API_PATH.length + 1);
  const id = normalizeIncidentId(decodeURIComponent(rest));
  if (!id || rest.includes('/')) return send(res, 404, { error: `no route ${url.pathname}; incident ids look like inc-7f3a2c` });
  return details(id, url, req, res, deps);
}

async function list(url: URL, res: ServerResponse, deps: IncidentsApiDeps): Promise<void> {
  const state = url.searchParams.get('state') ?? 'active';
  if (!STATE_FILTERS.has(state)) return send(res, 400, { error: `state must be one of ${[...STATE_FILTERS].join(', ')}` });
  const limit = intParam(url, 'limit', 50, MAX_LIMIT);
  if (limit === undefined) return send(res, 400, { error: `limit must be a whole number from 1 to ${MAX_LIMIT}` });
  const incidents = await deps.store.list({ state: state as IncidentQuery['state'], limit });
  send(res, 200, incidentListToJson(incidents));
}

async function details(id: string, url: URL, req: IncomingMessage, res: ServerResponse, deps: IncidentsApiDeps): Promise<void> {
  const timeline = intParam(url, 'timeline', 50, MAX_TIMELINE);
  if (timeline === undefined) return send(res, 400, { error: `timeline must be a whole number from 1 to ${MAX_TIMELINE}` });
  const found = await deps.store.get(id, { timelineLimit: timeline });
  if (!found) return send(res, 404, { error: `there is no incident ${id} (resolved incidents are kept for a limited time)` });
  // The version changes with every change (alerts included): a cheap ETag for pollers.
  const etag = `"${id}-v${found.incident.version}-t${timeline}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'cache-control': 'no-cache' });
    res.end();
    return;
  }
  send(res, 200, incidentDetailsToJson(found), { etag });
}

function intParam(url: URL, name: string, fallback: number, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,6}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 && value <= max ? value : undefined;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...headers });
  res.end(JSON.stringify(body));
}
