import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type LifeboatApp } from '../../src/app.js';
import { freePort } from '../../src/adapters/redis/embedded-redis.js';
import { loadConfig } from '../../src/config/load-config.js';
import { systemClock } from '../../src/core/clock.js';
import type { JobHandlers } from '../../src/core/jobs.js';
import { silentLogger } from '../../src/core/logger.js';
import { textMessage } from '../../src/core/message.js';
import { loadShippedRegistry } from '../support/router.js';
import { testPrefix, testRedisUrl } from '../support/redis.js';
import { until } from '../support/wait.js';

describe('scheduled image guard', () => {
  const apps: LifeboatApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.stop();
  });

  it('queues a full check by itself, once across two processes on one Redis', async () => {
    const prefix = testPrefix('guard').replace(/:/g, '-');
    const runs: string[] = [];
    for (const name of ['a', 'b']) {
      const loaded = loadConfig({ LIFEBOAT_PORT: String(await freePort()), LIFEBOAT_HOST: '127.0.0.1', LIFEBOAT_REDIS_PREFIX: prefix }, 'images: { guardEveryMinutes: 60 }\n');
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
      const handlers: JobHandlers = {
        'check-images': async (data) => {
          runs.push(`${name}:${JSON.stringify(data)}`);
          await new Promise((r) => setTimeout(r, 300));
          return textMessage('0 missing', 'success');
        },
      };
      const app = buildApp({ config: loaded.config, redisUrl: testRedisUrl(), redisWhere: 'test', role: 'all', logger: silentLogger, clock: systemClock, version: 't', registry: await loadShippedRegistry(['check-images']), handlers, runbooks: [], serveHttp: true });
      await app.start();
      apps.push(app);
    }
    await until(() => runs.length > 0, 'the guard to run a check');
    await new Promise((r) => setTimeout(r, 1500));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^[ab]:\{\}$/); // a full check: no target
  });
});
