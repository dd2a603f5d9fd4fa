/**
 * `GET /api/images`: the newest full `check images` report as JSON (the same document as
 * `lifeboat run "check images --json"`), for scripts and dashboards. The same bearer tokens as
 * `/api/incidents`; with none configured the route is not mounted. 404 until a full scan ran.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyBearerToken } from '../../intake/index.js';
import type { LifeboatHttpServer } from './http-server.js';

export const IMAGES_API_PATH = '/api/images';

export function registerImagesApi(server: Pick<LifeboatHttpServer, 'mount'>, deps: { latest: () => Promise<string | undefined>; tokens: readonly string[] }): { mounted: boolean } {
  const tokens = deps.tokens.filter((t) => t !== '');
  if (tokens.length === 0) return { mounted: false };
  server.mount('GET', IMAGES_API_PATH, async (req: IncomingMessage, res: ServerResponse) => {
    const auth = verifyBearerToken(req.headers.authorization, tokens);
    if (!auth.ok) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="lifeboat"' });
      res.end(JSON.stringify({ error: auth.error.reason, code: auth.error.code }));
      return;
    }
    const report = await deps.latest();
    if (!report) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no full image check has run yet: run `check images` (or wait for the scheduled guard)' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(report);
  });
  return { mounted: true };
}
