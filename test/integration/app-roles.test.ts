import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type LifeboatApp, type Role } from '../../src/app.js';
import { freePort } from '../../src/adapters/redis/embedded-redis.js';
import { loadConfig } from '../../src/config/load-config.js';
import { systemClock } from '../../src/core/clock.js';
import type { JobHandlers } from '../../src/core/jobs.js';
import { silentLogger } from '../../src/core/logger.js';
import { textMessage } from '../../src/core/message.js';
import { SlackStandIn } from '../support/slack-standin.js';
import { loadShippedRegistry } from '../support/router.js';
import { testPrefix, testRedisUrl } from '../support/redis.js';
import { until } from '../support/wait.js';
import { slashCommandBody } from './slack/fixtures.js';
import { sendSigned } from './slack/signed-request.js';

const SECRET = 'abcdef0123456789abcdef0123456789';

describe('split roles: a bot process and a worker process on one Redis', () => {
  const apps: LifeboatApp[] = [];
  let standIn: SlackStandIn;
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await standIn?.close();
  });

  it('the bot enqueues, the worker runs the job and posts the result to Slack; the bot runs no handler', async () => {
    standIn = await SlackStandIn.start();
    const prefix = testPrefix('roles').replace(/:/g, '-');
    const ranIn: Role[] = [];
    const build = async (role: Role) => {
      const port = await freePort();
      const loaded = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-roles', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: standIn.apiUrl, LIFEBOAT_PORT: String(port), LIFEBOAT_HOST: '127.0.0.1', LIFEBOAT_REDIS_PREFIX: prefix }, 'images: { guardEveryMinutes: 0 }\n');
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
      const handlers: JobHandlers = {
        'check-images': (data, _ctx) => {
          ranIn.push(role);
          return Promise.resolve(textMessage(`scan of ${typeof data.target === 'string' ? data.target : '?'} done in the ${role} process`, 'success'));
        },
      };
      const app = buildApp({ config: loaded.config, redisUrl: testRedisUrl(), redisWhere: 'test', role, logger: silentLogger, clock: systemClock, version: 't', registry: await loadShippedRegistry(['check-images']), handlers, runbooks: [], serveHttp: true });
      await app.start();
      apps.push(app);
      return { app, port };
    };
    const bot = await build('bot');
    await build('worker');

    const answer = await sendSigned(`http://127.0.0.1:${bot.port}/slack/events`, slashCommandBody({ text: 'check images prod', channelId: 'C0ROLES' }), { secret: SECRET });
    expect(answer.status).toBe(200);
    await until(() => [...standIn.delivered('chat.postMessage'), ...standIn.delivered('chat.update')].find((c) => JSON.stringify(c.params).includes('scan of prod done in the worker process')), 'result from the worker');
    expect(ranIn).toEqual(['worker']);
  });
});
