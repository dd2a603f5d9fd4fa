/** `GET /api/incidents` and `GET /api/incidents/:id` on a real HTTP server over real Redis. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatHttpServer } from '../../../src/adapters/http/http-server.js';
import { registerIncidentsApi } from '../../../src/adapters/http/incidents-api.js';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { IncidentDetailsJson, IncidentListJson } from '../../../src/incidents/read-model.js';
import { testPrefix, testRedis } from '../../support/redis.js';
import { alarm, stoppedTask } from '../../unit/incidents/alerts.js';
import { redisIngest } from './support.js';

const TOKEN = 'api-token-0123456789abcdef';
const NEXT = 'api-token-next-0123456789abcdef';

let redis: Redis;
let server: LifeboatHttpServer;
let base: string;
let ids: { api: string; alb: string };
const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));

beforeAll(async () => {
  redis = testRedis();
  const { store, ingest } = redisIngest(redis, clock, { prefix: testPrefix('api') });
  const api = await ingest(stoppedTask('api', { summary: '<!channel> api: task could not pull its image & <https://x|y>' }));
  clock.advance(60_000);
  await ingest(stoppedTask('api'));
  const alb = await ingest(alarm('alb-5xx', 'ALARM'));
  await ingest(alarm('alb-5xx', 'OK'));
  ids = { api: api.incident!.id, alb: alb.incident!.id };
  const port = await freePort();
  server = new LifeboatHttpServer({ host: '127.0.0.1', port, maxBodyBytes: 4096, logger: silentLogger, readiness: [], metrics: () => Promise.resolve('') });
  expect(registerIncidentsApi(server, { store, tokens: [TOKEN, NEXT], logger: silentLogger })).toEqual({ mounted: true });
  await server.listen();
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.close();
  redis.disconnect();
});

const get = (path: string, token = TOKEN, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

describe('read API', () => {
  it('refuses requests without the bearer token (401 + WWW-Authenticate), and takes any configured token', async () => {
    const none = await get('/api/incidents', '');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="lifeboat"');
    expect(await none.json()).toEqual({ error: 'Authorization header is missing', code: 'MISSING_TOKEN' });
    expect((await get('/api/incidents', 'wrong-token-0123456789abcdef')).status).toBe(401);
    expect((await get(`/api/incidents/${ids.api}`, 'x')).status).toBe(401);
    expect((await get('/api/incidents', NEXT)).status).toBe(200);
  });

  it('lists active incidents by default, all or one state on request, newest first, with a limit', async () => {
    const active = (await (await get('/api/incidents')).json()) as IncidentListJson;
    expect(active.incidents.map((i) => i.id)).toEqual([ids.api]);
    const all = (await (await get('/api/incidents?state=all')).json()) as IncidentListJson;
    expect(all.incidents.map((i) => i.id)).toEqual([ids.alb, ids.api]);
    expect(all.count).toBe(2);
    const resolved = (await (await get('/api/incidents?state=resolved')).json()) as IncidentListJson;
    expect(resolved.incidents.map((i) => [i.id, i.state, i.resolved?.resolution])).toEqual([[ids.alb, 'resolved', 'all-alerts-resolved']]);
    expect(((await (await get('/api/incidents?state=all&limit=1')).json()) as IncidentListJson).count).toBe(1);
  });

  it('answers 400 for a bad filter', async () => {
    expect((await get('/api/incidents?state=open,resolved')).status).toBe(400);
    expect((await get('/api/incidents?limit=0')).status).toBe(400);
    expect((await get('/api/incidents?limit=9999')).status).toBe(400);
    expect((await get(`/api/incidents/${ids.api}?timeline=-1`)).status).toBe(400);
  });

  it('shows one incident with its state, class, alerts and timeline — alert text as data, not escaped', async () => {
    const res = await get(`/api/incidents/${ids.api.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as IncidentDetailsJson;
    expect(body).toMatchObject({ id: ids.api, state: 'open', class: 'image-pull-failed', pullFailure: 'image-not-found', severity: 'high', counts: { received: 2, duplicates: 1 }, url: `/api/incidents/${ids.api}` });
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]).toMatchObject({ status: 'firing', source: 'eventbridge', received: 2 });
    expect(body.summary).toBe('<!channel> api: task could not pull its image & <https://x|y>');
    expect(body.timeline[0]).toMatchObject({ kind: 'opened', by: null, at: '2026-03-02T09:00:00.000Z' });
    expect(body.timelineDropped).toBe(0);
  });

  it('answers 304 to a poller whose ETag is current', async () => {
    const first = await get(`/api/incidents/${ids.api}`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"inc-\w{6}-v\d+-t50"$/);
    expect((await get(`/api/incidents/${ids.api}`, TOKEN, { 'if-none-match': etag! })).status).toBe(304);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expect((await get('/api/incidents/inc-zzzzzz')).status).toBe(404);
    expect((await get('/api/incidents/not-an-id')).status).toBe(404);
    expect((await get(`/api/incidents/${ids.api}/alerts`)).status).toBe(404);
  });

  it('is not mounted without a token', async () => {
    const port = await freePort();
    const bare = new LifeboatHttpServer({ host: '127.0.0.1', port, maxBodyBytes: 4096, logger: silentLogger, readiness: [], metrics: () => Promise.resolve('') });
    const report = registerIncidentsApi(bare, { store: { get: () => Promise.resolve(undefined), list: () => Promise.resolve([]) }, tokens: [''], logger: silentLogger });
    expect(report.mounted).toBe(false);
    expect(report.warning).toContain('LIFEBOAT_API_TOKEN');
    await bare.listen();
    try {
      expect((await fetch(`http://127.0.0.1:${port}/api/incidents`, { headers: { authorization: 'Bearer anything' } })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
