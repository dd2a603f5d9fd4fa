import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createSlackApp } from '../../../src/adapters/slack/index.js';
import { SlackStandIn } from '../../support/slack-standin.js';
import { appHomeOpenedBody, slashCommandBody } from './fixtures.js';
import type { Harness } from './harness.js';
import { BOT_TOKEN, RecordingRouter, SIGNING_SECRET, delay, startHarness } from './harness.js';
import { sendSigned } from './signed-request.js';

describe('App Home', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('publishes the home sections when a user opens the Home tab', async () => {
    h = await startHarness({
      homeSections: () =>
        Promise.resolve({
          summary: 'Lifeboat',
          blocks: [
            { type: 'header', text: 'Open incidents' },
            { type: 'list', items: ['INC-1 api <5xx> spike'] },
            { type: 'header', text: 'Running jobs' },
            { type: 'list', items: [] },
          ],
        }),
    });
    const answer = await sendSigned(h.eventsUrl, appHomeOpenedBody('W111'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(answer.status).toBe(200);
    const publish = await h.standIn.waitForCall((c) => c.method === 'views.publish');
    expect(publish.params.user_id).toBe('W111');
    expect(publish.params.view).toEqual({
      type: 'home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Open incidents', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: '• INC-1 api &lt;5xx&gt; spike', verbatim: true } },
        { type: 'header', text: { type: 'plain_text', text: 'Running jobs', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: '(none)', verbatim: true } },
        { type: 'actions', elements: [{ type: 'button', action_id: 'lifeboat-open-command-modal', text: { type: 'plain_text', text: 'Run a command…' }, style: 'primary' }] },
      ],
    });
  });

  it('shows the placeholder sections by default and ignores the Messages tab', async () => {
    h = await startHarness();
    await sendSigned(h.eventsUrl, appHomeOpenedBody('W111', 'messages'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    await delay(50);
    await h.slack.idle();
    expect(h.standIn.callsTo('views.publish')).toHaveLength(0);

    await sendSigned(h.eventsUrl, appHomeOpenedBody('W111'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    const publish = await h.standIn.waitForCall((c) => c.method === 'views.publish');
    expect(JSON.stringify(publish.params.view)).toContain('Open incidents');
    expect(JSON.stringify(publish.params.view)).toContain('Running jobs');
  });
});

describe('starting the Slack app', () => {
  const base = { botToken: BOT_TOKEN, router: new RecordingRouter(), logger: silentLogger };

  it.each(['', '   '])('refuses HTTP mode with an empty signing secret (%j), naming the setting', (signingSecret) => {
    expect(() => createSlackApp({ ...base, signingSecret })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('SLACK_SIGNING_SECRET') }));
    expect(() => createSlackApp({ ...base })).toThrow(/SLACK_SIGNING_SECRET is empty/);
  });

  it('uses Socket Mode when an app token is set: no signing secret needed and no HTTP handler', () => {
    const slack = createSlackApp({ ...base, appToken: 'xapp-1-A111-1-abc' });
    expect(slack.mode).toBe('socket');
    expect(slack.requestHandler).toBeUndefined();
    expect(slack.isReady()).toBe(false);
  });

  it('fails start() with a clear error when Slack rejects the bot token', async () => {
    const standIn = await SlackStandIn.start();
    try {
      standIn.failWith({ method: 'auth.test', times: 1, error: 'invalid_auth' });
      const slack = createSlackApp({ ...base, signingSecret: SIGNING_SECRET, webApiUrl: standIn.apiUrl });
      await expect(slack.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('invalid_auth') });
      expect(slack.isReady()).toBe(false);
    } finally {
      await standIn.close();
    }
  });

  it('answers 503 until started, then serves requests', async () => {
    const standIn = await SlackStandIn.start();
    const router = new RecordingRouter();
    const slack = createSlackApp({ ...base, router, signingSecret: SIGNING_SECRET, webApiUrl: standIn.apiUrl });
    const server = createServer((req, res) => slack.requestHandler!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slack/events`;
    try {
      expect((await sendSigned(url, slashCommandBody({ text: 'help' }), { secret: SIGNING_SECRET })).status).toBe(503);
      expect(router.commands).toHaveLength(0);

      await slack.start();
      expect(slack.isReady()).toBe(true);
      expect((await sendSigned(url, slashCommandBody({ text: 'help' }), { secret: SIGNING_SECRET })).status).toBe(200);
      await slack.idle();
      expect(router.commands.map((c) => c.text)).toEqual(['help']);
      // A path Bolt does not own gets a 404 rather than an exception.
      expect((await fetch(url.replace('/slack/events', '/elsewhere'), { method: 'POST' })).status).toBe(404);
    } finally {
      await slack.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standIn.close();
    }
  });
});
