import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { buildApp, type LifeboatApp } from '../../../src/app.js';
import { createLogger } from '../../../src/cli/logger.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { systemClock } from '../../../src/core/clock.js';
import type { JobHandlers } from '../../../src/core/jobs.js';
import { textMessage } from '../../../src/core/message.js';
import { testPrefix, testRedisUrl } from '../../support/redis.js';
import { loadShippedRegistry } from '../../support/router.js';
import type { RecordedCall } from '../../support/slack-standin.js';
import { SlackStandIn } from '../../support/slack-standin.js';
import { SocketModeStandIn } from '../../support/socket-mode-standin.js';
import { until } from '../../support/wait.js';
import { blockActionsBody, slashCommandBody } from './fixtures.js';

// Random per run, so finding it in the log can only mean it leaked from this run.
const APP_TOKEN = `xapp-1-A0LIFEBOAT-1-${randomBytes(16).toString('hex')}`;
const BOT_TOKEN = `xoxb-1-2-${randomBytes(12).toString('hex')}`;
/** The user in the corpus slash command and button press (bolt-python's fixtures). */
const OPERATOR = 'W111';

/**
 * The whole app as `lifeboat start` builds it with `SLACK_APP_TOKEN` set, i.e. in Socket Mode:
 * Bolt's `SocketModeReceiver` asks `apps.connections.open` (at `SLACK_API_URL`) for a WebSocket
 * URL and takes slash commands and button presses as envelopes over that socket, while replies
 * still go out through the Web API. Slack is two local stand-ins: the Socket Mode side (WebSocket
 * + `apps.connections.open`) in front of the Web API stand-in. Real Redis and BullMQ; the
 * `check-images` job is a test handler held until the test lets it finish.
 */
describe('Lifeboat app in Slack Socket Mode (real Bolt SocketModeReceiver, real Redis)', () => {
  let webApi: SlackStandIn;
  let slack: SocketModeStandIn;
  let app: LifeboatApp | undefined;
  let base: string;
  let logDir: string;
  let logFile: string;
  let stopped = false;
  const gates = new Map<string, () => void>();
  const cancelledTargets: string[] = [];

  beforeAll(async () => {
    webApi = await SlackStandIn.start();
    slack = await SocketModeStandIn.start(webApi);
    logDir = await mkdtemp(join(tmpdir(), 'lifeboat-socket-mode-'));
    logFile = join(logDir, 'lifeboat.log');
    const port = await freePort();
    const loaded = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        LIFEBOAT_PORT: String(port),
        LIFEBOAT_HOST: '127.0.0.1',
        LIFEBOAT_PROGRESS_INTERVAL_MS: '50',
        LIFEBOAT_LOG_LEVEL: 'debug',
        LIFEBOAT_REDIS_PREFIX: testPrefix('socket-mode').replace(/:/g, '-'),
      },
      `images: { guardEveryMinutes: 0 }\naccess: { operate: { users: [${OPERATOR}] } }\n`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.slack.mode).toBe('socket');

    const handlers: JobHandlers = {
      'check-images': async (data, ctx) => {
        const target = typeof data.target === 'string' ? data.target : 'everything';
        await ctx.progress(textMessage(`checking ${target}`));
        await new Promise<void>((resolve) => {
          gates.set(target, resolve);
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        if (ctx.signal.aborted) {
          cancelledTargets.push(target);
          throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
        }
        return textMessage(`checked ${target}: 0 missing`, 'success');
      },
    };
    app = buildApp({
      config: loaded.config,
      redisUrl: testRedisUrl(),
      redisWhere: 'test redis',
      role: 'all',
      // The real root logger (with its redaction) at debug level, as `LIFEBOAT_LOG_LEVEL=debug` gives.
      logger: createLogger({ level: loaded.config.log.level, file: logFile }),
      clock: systemClock,
      version: '9.9.9',
      registry: await loadShippedRegistry(Object.keys(handlers)),
      handlers,
      runbooks: [],
      serveHttp: true,
    });
    await startOverSocketMode(app, slack);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const release of gates.values()) release();
    if (!stopped) await app?.stop();
    await slack?.close();
    await webApi?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('asks SLACK_API_URL for a WebSocket URL with the app token, connects, and reports Slack ready', async () => {
    expect(slack.opens).toHaveLength(1);
    expect(slack.opens[0]!.token).toBe(APP_TOKEN);
    expect(slack.openConnections).toBe(1);
    // The bot token is checked (auth.test) before the socket opens, and only the bot token is used for it.
    const authTest = webApi.callsTo('auth.test');
    expect(authTest.length).toBeGreaterThanOrEqual(1);
    expect(authTest.every((c) => c.token === BOT_TOKEN)).toBe(true);
    expect(authTest[0]!.at).toBeLessThanOrEqual(slack.opens[0]!.at);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, checks: expect.arrayContaining([{ name: 'slack', ok: true }]) });
    // No HTTP receiver in Socket Mode: the public port takes no Slack events.
    const post = await fetch(`${base}/slack/events`, { method: 'POST', body: 'token=x' });
    expect(post.status).toBe(404);
  });

  it('acks a /lifeboat help envelope with its envelope id, then answers in a thread through the Web API', async () => {
    const envelopeId = slack.slashCommand(slashCommand({ text: ' help ', channelId: 'C0HELP' }));

    const ack = await slack.waitForAck(envelopeId);
    expect(ack).toMatchObject({ envelopeId, connection: 1 });
    // A bare ack: the answer goes to the channel through the Web API, not in the ack's payload.
    expect(ack.payload).toEqual({});

    const parent = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0HELP' && c.params.thread_ts === undefined)[0], 'the command echo');
    expect(parent.params.text).toBe('<@W111> ran `/lifeboat help`');
    const reply = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0HELP' && c.params.thread_ts !== undefined)[0], 'the help reply');
    expect(reply.params.thread_ts).toBe(parent.response?.ts);
    expect(JSON.stringify(reply.params.blocks)).toContain('check images');
    // The ack went out before the answer was posted (Slack shows an error after 3 s without one).
    expect(ack.at).toBeLessThanOrEqual(parent.at);
    // Replies use the bot token; the app token is only ever sent to apps.connections.open.
    expect([parent, reply].map((c) => c.token)).toEqual([BOT_TOKEN, BOT_TOKEN]);
  });

  it('runs `check images prod` as a job whose start, progress and result are posted to the thread', async () => {
    const envelopeId = slack.slashCommand(slashCommand({ text: 'check images prod', channelId: 'C0JOBS' }));
    await slack.waitForAck(envelopeId);

    const started = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0JOBS' && textOf(c).includes('Started job'))[0], 'the job-started reply');
    const threadTs = started.params.thread_ts;
    expect(threadTs).toBeDefined();
    const progress = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0JOBS' && c.params.text === 'checking prod')[0], 'the progress message');
    expect(progress.params.thread_ts).toBe(threadTs);

    (await until(() => gates.get('prod'), 'the job to run'))();
    const result = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0JOBS' && c.params.text === ':white_check_mark: checked prod: 0 missing')[0], 'the job result', 15_000);
    expect(result.params.thread_ts).toBe(threadTs);
    const closed = await until(() => webApi.delivered('chat.update', (c) => c.params.ts === progress.response?.ts && textOf(c).includes('· finished'))[0], 'the progress message marked finished');
    expect(buttonsOf(closed)).toEqual([]);
  });

  it("acks a button press (block_actions envelope) and acts on it: Cancel on Lifeboat's own job message stops the job", async () => {
    const envelopeId = slack.slashCommand(slashCommand({ text: 'check images staging', channelId: 'C0CANCEL' }));
    await slack.waitForAck(envelopeId);
    const started = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0CANCEL' && textOf(c).includes('Started job'))[0], 'the job-started reply');
    await until(() => gates.get('staging'), 'the job to run');

    // Press the Cancel button exactly as Lifeboat rendered it in the message it posted.
    const cancel = buttonsOf(started).find((b) => b.text.text.startsWith('Cancel'));
    if (!cancel) throw new Error(`no Cancel button in ${JSON.stringify(started.params.blocks)}`);
    const press = blockActions({
      actionId: cancel.action_id,
      value: cancel.value,
      channelId: 'C0CANCEL',
      messageTs: String(started.response?.ts),
      threadTs: String(started.params.thread_ts),
    });
    const pressId = slack.interactive(press);

    const ack = await slack.waitForAck(pressId);
    expect(ack.envelopeId).toBe(pressId);
    const answer = await until(() => posts('C0CANCEL').find((c) => textOf(c).includes('to stop')), 'the answer to the press');
    expect(answer.params.thread_ts).toBe(started.params.thread_ts);
    const report = await until(() => posts('C0CANCEL').find((c) => c.params.text === ':warning: Cancelled: check images staging'), 'the cancelled job report', 15_000);
    expect(report.params.thread_ts).toBe(started.params.thread_ts);
    expect(cancelledTargets).toEqual(['staging']);
    // The progress message is closed off: marked cancelled, its Cancel button gone.
    const progress = webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0CANCEL' && c.params.text === 'checking staging')[0]!;
    expect(buttonsOf(progress).map((b) => b.text.text)).toEqual(['Cancel']);
    const closed = await until(() => webApi.delivered('chat.update', (c) => c.params.ts === progress.response?.ts && textOf(c).includes('· cancelled'))[0], 'the progress message marked cancelled');
    expect(buttonsOf(closed)).toEqual([]);
  });

  it('reconnects on disconnect/refresh_requested through a new apps.connections.open, and keeps answering', async () => {
    slack.requestRefresh('refresh_requested');
    // Bolt's client closes the socket, waits (5 s by default) and asks for a fresh URL: tickets are single-use.
    await slack.waitForConnections(2, 15_000);
    expect(slack.opens).toHaveLength(2);
    expect(slack.opens[1]!.token).toBe(APP_TOKEN);
    // The client closed the old socket itself, normally, before opening the new one.
    expect(slack.closes).toMatchObject([{ connection: 1, code: 1000 }]);
    expect(slack.openConnections).toBe(1);

    const envelopeId = slack.slashCommand(slashCommand({ text: 'status', channelId: 'C0AFTER' }));
    const ack = await slack.waitForAck(envelopeId);
    expect(ack.connection).toBe(2);
    const reply = await until(() => webApi.delivered('chat.postMessage', (c) => c.params.channel === 'C0AFTER' && c.params.thread_ts !== undefined)[0], 'the status reply');
    expect(textOf(reply)).toContain('Lifeboat 9.9.9');
    expect(textOf(reply)).toContain('slack (socket mode) connected');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('stops cleanly: Lifeboat closes the WebSocket itself, with a normal closure, and does not reconnect', async () => {
    const opensBefore = slack.opens.length;
    stopped = true;
    await app?.stop();
    // stop() waits for the close: once it returns, the server has seen the socket go.
    expect(slack.openConnections).toBe(0);
    expect(slack.closes.at(-1)).toMatchObject({ connection: 2, code: 1000 });
    // Longer than the client's reconnect delay (5 s after a drop): still no new connection.
    await new Promise((r) => setTimeout(r, 5_500));
    expect(slack.opens).toHaveLength(opensBefore);
  }, 15_000);

  it('sends the app token only to apps.connections.open and never writes a token to the log, even at debug level', async () => {
    expect(slack.opens.length).toBeGreaterThanOrEqual(2);
    expect(slack.opens.every((o) => o.token === APP_TOKEN)).toBe(true);
    expect(webApi.calls.length).toBeGreaterThan(10);
    expect(webApi.calls.filter((c) => c.token !== BOT_TOKEN)).toEqual([]);

    // The file is written asynchronously; wait for the Socket Mode client's last line (at stop).
    const log = await until(async () => {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.includes('Manually disconnecting this Socket Mode client') ? text : undefined;
    }, 'the log to be written');
    // Not vacuous: the log covers the call that carries the app token and the frames on the socket.
    expect(log).toContain("apiCall('apps.connections.open')");
    expect(log).toContain('Received a message on the WebSocket');
    expect(log).not.toContain(APP_TOKEN);
    expect(log).not.toContain(APP_TOKEN.slice('xapp-'.length));
    expect(log).not.toContain(BOT_TOKEN);
    // The WebSocket URL's ticket opens the app's socket for anyone who has it: never logged either.
    expect(log).toContain('ticket=[redacted]');
    expect(log).not.toMatch(/ticket=(?!\[redacted\])/);
  });

  function posts(channel: string): RecordedCall[] {
    return [...webApi.delivered('chat.postMessage'), ...webApi.delivered('chat.update')].filter((c) => c.params.channel === channel);
  }
});

/**
 * Starts the app and fails fast, with the reason, when the Socket Mode client never asks
 * `SLACK_API_URL` for a WebSocket URL (it would otherwise retry elsewhere for minutes).
 */
async function startOverSocketMode(app: LifeboatApp, slack: SocketModeStandIn): Promise<void> {
  const starting = app.start();
  const asked = until(() => slack.opens.length > 0, 'apps.connections.open', 5000).catch(() => {
    throw new Error(
      `Socket Mode never called apps.connections.open at SLACK_API_URL (${slack.apiUrl}): the SocketModeClient's own WebClient is not pointed at the configured Web API URL`,
    );
  });
  await Promise.race([starting, asked]);
  await starting;
}

/** A slash command as Socket Mode delivers it: the corpus HTTP form fields, as a JSON object. */
function slashCommand(fields: { text: string; channelId: string }): Record<string, unknown> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody({ ...fields, userId: OPERATOR })));
}

/** A block_actions payload as Socket Mode delivers it: the corpus payload, not form-encoded. */
function blockActions(fields: Parameters<typeof blockActionsBody>[0]): Record<string, unknown> {
  const payload = new URLSearchParams(blockActionsBody(fields)).get('payload');
  if (!payload) throw new Error('no payload');
  return JSON.parse(payload) as Record<string, unknown>;
}

interface RenderedButton {
  action_id: string;
  value: string;
  text: { text: string };
}

function buttonsOf(call: RecordedCall): RenderedButton[] {
  const blocks = (call.params.blocks ?? []) as { type: string; elements?: RenderedButton[] }[];
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

function textOf(call: RecordedCall): string {
  return JSON.stringify({ text: call.params.text, blocks: call.params.blocks });
}
