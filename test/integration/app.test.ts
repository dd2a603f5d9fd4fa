import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type LifeboatApp } from '../../src/app.js';
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
import { appHomeOpenedBody, slashCommandBody } from './slack/fixtures.js';
import { sendSigned } from './slack/signed-request.js';

const SECRET = '0123456789abcdef0123456789abcdef';

/**
 * The whole app as `lifeboat start` builds it, in Slack HTTP mode: real Bolt receiver on the one
 * HTTP server, real Redis and BullMQ, Slack's Web API answered by a local stand-in.
 */
describe('Lifeboat app (Slack HTTP mode, real Redis)', () => {
  let standIn: SlackStandIn;
  let app: LifeboatApp;
  let base: string;
  let release: () => void = () => {};
  let runs = 0;

  beforeAll(async () => {
    standIn = await SlackStandIn.start();
    const port = await freePort();
    const loaded = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: standIn.apiUrl,
      LIFEBOAT_PORT: String(port),
      LIFEBOAT_HOST: '127.0.0.1',
      LIFEBOAT_MAX_BODY_BYTES: '4096',
      LIFEBOAT_PROGRESS_INTERVAL_MS: '50',
      LIFEBOAT_REDIS_PREFIX: testPrefix('app').replace(/:/g, '-'),
    }, 'images: { guardEveryMinutes: 0 }\n');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const gate = () => new Promise<void>((resolve) => (release = resolve));
    const handlers: JobHandlers = {
      'check-images': async (data, ctx) => {
        runs++;
        await ctx.progress(textMessage(`checking ${(typeof data.target === 'string' ? data.target : 'everything')}`));
        await gate();
        return textMessage(`checked ${(typeof data.target === 'string' ? data.target : 'everything')}: 0 missing`, 'success');
      },
    };
    app = buildApp({
      config: loaded.config,
      redisUrl: testRedisUrl(),
      redisWhere: 'test redis',
      role: 'all',
      logger: silentLogger,
      clock: systemClock,
      version: '9.9.9',
      registry: await loadShippedRegistry(Object.keys(handlers)),
      handlers,
      runbooks: [],
      serveHttp: true,
    });
    await app.start();
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    release();
    await app?.stop();
    await standIn?.close();
  });

  it('answers /healthz, /readyz and 404 for unknown routes', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, checks: [{ name: 'redis', ok: true }, { name: 'slack', ok: true }] });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('acks /lifeboat status at once and posts the answer in the thread of the echoed command', async () => {
    const answer = await sendSigned(`${base}/slack/events`, slashCommandBody({ text: 'status', channelId: 'C0STATUS' }), { secret: SECRET });
    expect(answer.status).toBe(200);
    expect(answer.elapsedMs).toBeLessThan(3000);
    const reply = await until(() => standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0STATUS' && c.params.thread_ts !== undefined)[0], 'status reply');
    const parent = standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0STATUS' && c.params.thread_ts === undefined)[0];
    expect(parent).toBeDefined();
    expect(JSON.stringify(reply.params)).toContain('Lifeboat 9.9.9');
  });

  it('rejects a request with a bad signature with 401 and runs nothing', async () => {
    const before = standIn.calls.length;
    const answer = await sendSigned(`${base}/slack/events`, slashCommandBody({ text: 'status', channelId: 'C0BAD' }), { secret: 'f'.repeat(32) });
    expect(answer.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(standIn.calls.slice(before).filter((c) => c.params.channel === 'C0BAD')).toEqual([]);
  });

  it('refuses an oversized body with 413 before Slack code sees it', async () => {
    const big = slashCommandBody({ text: 'x'.repeat(10_000) });
    const answer = await sendSigned(`${base}/slack/events`, big, { secret: SECRET });
    expect(answer.status).toBe(413);
  });

  it('runs a command as a job whose progress and result land in the thread; a second request attaches', async () => {
    const first = await sendSigned(`${base}/slack/events`, slashCommandBody({ text: 'check images prod', channelId: 'C0JOBS' }), { secret: SECRET });
    expect(first.status).toBe(200);
    await until(() => standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0JOBS' && JSON.stringify(c.params).includes('checking prod'))[0], 'progress message');
    await sendSigned(`${base}/slack/events`, slashCommandBody({ text: 'check images prod', channelId: 'C0JOBS' }), { secret: SECRET });
    await until(() => standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0JOBS' && JSON.stringify(c.params).includes('Already running: joined job'))[0], 'attached reply');
    release();
    const result = await until(
      () => [...standIn.delivered('chat.postMessage'), ...standIn.delivered('chat.update')].find((c) => c.params.channel === 'C0JOBS' && JSON.stringify(c.params).includes('checked prod: 0 missing')),
      'job result',
    );
    expect(result.params.thread_ts ?? result.params.ts).toBeDefined();
    expect(runs).toBe(1);
  });

  it('exposes commands, jobs by state and Slack API calls in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/lifeboat_commands_total\{command="status"\} [1-9]/);
    expect(text).toMatch(/lifeboat_jobs\{state="completed"\} [1-9]/);
    expect(text).toMatch(/lifeboat_slack_api_calls_total\{method="chat.postMessage",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/lifeboat_http_requests_total\{route="\/slack\/events",status="401"\} 1/);
  });

  it('shows open incidents and the job queue on App Home', async () => {
    const answer = await sendSigned(`${base}/slack/events`, appHomeOpenedBody('U0HOME'), { secret: SECRET, contentType: 'application/json' });
    expect(answer.status).toBe(200);
    const view = await until(() => standIn.delivered('views.publish', (c) => c.params.user_id === 'U0HOME')[0], 'views.publish');
    const text = JSON.stringify(view.params);
    expect(text).toContain('No open incidents');
    expect(text).toMatch(/running \d+, waiting \d+/);
  });

  it('shows the command to complete where no modal exists (a runbook\'s missing inputs in the terminal)', async () => {
    const reply = await app.router.handleAction({ actionId: 'fill-in-command', value: 'runbook start queue-backlog with queue=…', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    expect(reply?.blocks).toContainEqual({ type: 'code', text: 'runbook start queue-backlog with queue=…' });
  });

  it('records every attempt in the audit log', async () => {
    const reply = await app.router.handleCommand({ text: 'audit 50', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    const text = JSON.stringify(reply);
    expect(text).toContain('check images prod');
    expect(text).toContain('status');
  });
});
