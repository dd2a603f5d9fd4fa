import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createSlackApp } from '../../../src/adapters/slack/index.js';
import { SlackStandIn } from '../../support/slack-standin.js';
import { fixture, slashCommandBody } from './fixtures.js';
import type { Harness } from './harness.js';
import { BOT_TOKEN, RecordingRouter, SIGNING_SECRET, delay, startHarness } from './harness.js';
import { sendSigned, slackSignature } from './signed-request.js';

describe('the test signer', () => {
  it("reproduces Slack's published signature for the docs example", () => {
    const vector = JSON.parse(fixture('signing-golden-vector.json')) as Record<string, string>;
    const body = fixture(vector.raw_body_file!);
    expect(slackSignature(vector.signing_secret!, vector.x_slack_request_timestamp!, body)).toBe(vector.expected_x_slack_signature);
  });
});

describe('Slack HTTP mode request verification (Bolt HTTPReceiver on the shared server)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const body = () => slashCommandBody({ text: 'status' });

  async function expectRefused(answer: Promise<{ status: number }>): Promise<void> {
    const commandsBefore = h.router.commands.length;
    const postsBefore = h.standIn.callsTo('chat.postMessage').length;
    expect((await answer).status).toBe(401);
    // Give a wrongly dispatched listener the chance to show itself before asserting it did not.
    await delay(50);
    await h.slack.idle();
    expect(h.router.commands.length).toBe(commandsBefore);
    expect(h.standIn.callsTo('chat.postMessage').length).toBe(postsBefore);
  }

  it('accepts a correctly signed command (the control case)', async () => {
    const answer = await sendSigned(h.eventsUrl, body(), { secret: SIGNING_SECRET });
    expect(answer.status).toBe(200);
    await h.slack.idle();
    expect(h.router.commands.map((c) => c.text)).toContain('status');
  });

  it('answers 401 and runs nothing when the signature is wrong', async () => {
    await expectRefused(sendSigned(h.eventsUrl, body(), { secret: 'not-the-signing-secret' }));
  });

  it('answers 401 and runs nothing when the signature header is garbage', async () => {
    await expectRefused(sendSigned(h.eventsUrl, body(), { secret: SIGNING_SECRET, signature: 'v0=00' }));
  });

  it('answers 401 and runs nothing for a correctly signed request older than 5 minutes', async () => {
    await expectRefused(sendSigned(h.eventsUrl, body(), { secret: SIGNING_SECRET, timestamp: Math.floor(Date.now() / 1000) - 5 * 60 - 5 }));
  });

  it('answers 401 and runs nothing for a correctly signed request dated more than 5 minutes ahead', async () => {
    await expectRefused(sendSigned(h.eventsUrl, body(), { secret: SIGNING_SECRET, timestamp: Math.floor(Date.now() / 1000) + 5 * 60 + 5 }));
  });

  it('answers 401 and runs nothing when the body was changed after signing', async () => {
    const signed = body();
    const changed = signed.replace('text=status', 'text=redeploy+api');
    expect(changed).not.toBe(signed);
    await expectRefused(sendSigned(h.eventsUrl, changed, { secret: SIGNING_SECRET, signedBody: signed }));
  });

  it("answers 401 to Slack's own docs example replayed today (valid signature, 2018 timestamp)", async () => {
    const vector = JSON.parse(fixture('signing-golden-vector.json')) as Record<string, string>;
    await expectRefused(
      sendSigned(h.eventsUrl, fixture(vector.raw_body_file!), {
        secret: vector.signing_secret!,
        timestamp: Number(vector.x_slack_request_timestamp),
        signature: vector.expected_x_slack_signature!,
      }),
    );
  });

  it('answers an ssl_check with 200 without running the command', async () => {
    const before = h.router.commands.length;
    const answer = await sendSigned(h.eventsUrl, fixture('slash-command.bolt-python-test.ssl-check.body.raw'), { secret: 'unsigned-is-fine', signature: '' });
    expect(answer.status).toBe(200);
    await h.slack.idle();
    expect(h.router.commands.length).toBe(before);
  });

  it('answers 413 to a body over the 256 KiB cap without running anything', async () => {
    const huge = slashCommandBody({ text: 'x'.repeat(300 * 1024) });
    const before = h.router.commands.length;
    expect((await sendSigned(h.eventsUrl, huge, { secret: SIGNING_SECRET })).status).toBe(413);
    await h.slack.idle();
    expect(h.router.commands.length).toBe(before);
  });

  it('leaves the rest of the shared server alone', async () => {
    const response = await fetch(h.healthUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});

describe('mounting behind a server that has already read the body', () => {
  it('verifies and handles the request from req.rawBody, and still refuses a bad signature', async () => {
    const standIn = await SlackStandIn.start();
    const router = new RecordingRouter();
    const slack = createSlackApp({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, router, logger: silentLogger, webApiUrl: standIn.apiUrl });
    // Like a shared server that buffers every body to enforce its own size cap first.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks);
        slack.requestHandler!(req, res);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    try {
      await slack.start();
      expect((await sendSigned(url, slashCommandBody({ text: 'help' }), { secret: SIGNING_SECRET })).status).toBe(200);
      expect((await sendSigned(url, slashCommandBody({ text: 'scale api 0' }), { secret: 'wrong' })).status).toBe(401);
      await slack.idle();
      expect(router.commands.map((c) => c.text)).toEqual(['help']);
    } finally {
      await slack.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standIn.close();
    }
  });
});
