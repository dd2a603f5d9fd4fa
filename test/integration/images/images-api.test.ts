import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type LifeboatApp } from '../../../src/app.js';
import { DrillRuntime } from '../../../src/adapters/drill/index.js';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { loadShippedRegistry } from '../../support/router.js';
import { testPrefix, testRedisUrl } from '../../support/redis.js';
import { until } from '../../support/wait.js';

const TOKEN = 'api-token-0123456789abcdef';

describe('GET /api/images (drill account, real Redis and HTTP)', () => {
  let app: LifeboatApp | undefined;
  afterAll(async () => app?.stop());

  it('serves the newest fleet-wide report as JSON to bearer-token holders only', async () => {
    const port = await freePort();
    const loaded = loadConfig({ LIFEBOAT_PORT: String(port), LIFEBOAT_HOST: '127.0.0.1', LIFEBOAT_REDIS_PREFIX: testPrefix('imgapi').replace(/:/g, '-'), LIFEBOAT_API_TOKEN: TOKEN });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const runtime = new DrillRuntime({ clock: new ManualClock(Date.UTC(2026, 2, 2)) });
    app = buildApp({ config: loaded.config, redisUrl: testRedisUrl(), redisWhere: 'test', role: 'all', logger: silentLogger, clock: runtime.clock, version: 't', registry: await loadShippedRegistry(['check-images']), runbooks: [], world: { kind: 'drill', runtime }, serveHttp: true });
    await app.start();
    await runtime.start('ecr-lifecycle-expiry');
    const url = `http://127.0.0.1:${port}/api/images`;
    const auth = { authorization: `Bearer ${TOKEN}` };

    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: auth })).status).toBe(404); // no full scan yet

    await app.router.handleCommand({ text: 'check images', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    const response = await until(async () => {
      const r = await fetch(url, { headers: auth });
      return r.status === 200 ? r : undefined;
    }, 'the report');
    const report = (await response.json()) as { totals: { missing: number; services: number }; services: { service: string; status: string }[] };
    expect(report.totals).toMatchObject({ services: 2, missing: 1 });
    expect(report.services.find((s) => s.service === 'api')?.status).toBe('missing');
  });
});
