import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../../src/chat/ports.js';
import { textMessage } from '../../../src/core/message.js';
import type { ApiCallOutcome } from '../../../src/adapters/slack/index.js';
import { DEFAULT_RATE_POLICIES, SlackApiError } from '../../../src/adapters/slack/index.js';
import type { Harness } from './harness.js';
import { startHarness } from './harness.js';

const inChannel = (channel: string, threadTs?: string): Conversation => ({ surface: 'slack', channel, ...(threadTs ? { threadTs } : {}) });

describe('the Slack Web API outbox (Bolt client → local stand-in)', () => {
  let h: Harness | undefined;
  let outcomes: [string, ApiCallOutcome][];
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(extra: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
    outcomes = [];
    h = await startHarness({ onApiCall: (method, outcome) => outcomes.push([method, outcome]), userGroups: false, ...extra });
    return h;
  }

  it('waits out a 429 on one channel and delivers the message after Retry-After, while another channel goes through at once', async () => {
    const { standIn, slack } = await start();
    standIn.rateLimit({ method: 'chat.postMessage', channel: 'C0AAA', times: 1, retryAfterSec: 1 });

    const postA = slack.surface.post(inChannel('C0AAA'), textMessage('to A'));
    const throttled = await standIn.waitForCall((c) => c.status === 429);
    // Channel A is now waiting; B must not be held up behind it.
    const refB = await slack.surface.post(inChannel('C0BBB'), textMessage('to B'));
    const deliveredB = standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0BBB');
    expect(deliveredB).toHaveLength(1);
    expect(deliveredB[0]!.at - throttled.at).toBeLessThan(500);
    expect(refB).toMatchObject({ surface: 'slack', channel: 'C0BBB' });

    const refA = await postA;
    const attemptsA = standIn.callsTo('chat.postMessage', (c) => c.params.channel === 'C0AAA');
    expect(attemptsA.map((c) => c.status)).toEqual([429, 200]);
    expect(attemptsA[1]!.at - throttled.at).toBeGreaterThanOrEqual(1000);
    expect(attemptsA[1]!.params.text).toBe('to A');
    expect(refA.ts).toEqual(expect.stringMatching(/^\d+\.\d{6}$/));

    expect(outcomes.filter(([m]) => m === 'chat.postMessage')).toEqual([
      ['chat.postMessage', 'rate_limited'],
      ['chat.postMessage', 'ok'],
      ['chat.postMessage', 'ok'],
    ]);
  });

  it('keeps the order of messages in a channel across a 429 (a parent before its replies)', async () => {
    const { standIn, slack } = await start();
    standIn.rateLimit({ method: 'chat.postMessage', channel: 'C0AAA', times: 1, retryAfterSec: 1 });
    await Promise.all([
      slack.surface.post(inChannel('C0AAA'), textMessage('first')),
      slack.surface.post(inChannel('C0AAA', '1.000001'), textMessage('second')),
      slack.surface.post(inChannel('C0AAA', '1.000001'), textMessage('third')),
    ]);
    expect(standIn.delivered('chat.postMessage').map((c) => c.params.text)).toEqual(['first', 'second', 'third']);
  });

  it('collapses queued updates of one message into the newest while the channel waits out a 429', async () => {
    const { standIn, slack } = await start();
    standIn.rateLimit({ method: 'chat.update', channel: 'C0AAA', times: 1, retryAfterSec: 1 });
    const ref = { surface: 'slack' as const, channel: 'C0AAA', ts: '1700000000.000100' };
    const first = slack.surface.update(ref, textMessage('progress 10%'));
    await standIn.waitForCall((c) => c.status === 429);
    await Promise.all([first, slack.surface.update(ref, textMessage('progress 50%')), slack.surface.update(ref, textMessage('progress 90%'))]);

    const updates = standIn.callsTo('chat.update');
    expect(updates.map((c) => [c.status, c.params.text])).toEqual([
      [429, 'progress 10%'],
      [200, 'progress 90%'],
    ]);
  });

  it('paces posts to one channel and leaves other channels unpaced', async () => {
    const { standIn, slack } = await start({ ratePolicies: { 'chat.postMessage': { perMinute: 600, burst: 1, scope: 'channel' } } });
    await Promise.all([
      ...[1, 2, 3, 4].map((n) => slack.surface.post(inChannel('C0AAA'), textMessage(`a${n}`))),
      slack.surface.post(inChannel('C0BBB'), textMessage('b1')),
    ]);
    const a = standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0AAA').map((c) => c.at);
    const gaps = a.slice(1).map((at, i) => at - a[i]!);
    // 600/min = one send per 100 ms. Arrival times jitter a little around the send times;
    // unpaced, the gaps would be a few milliseconds.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(80);
    expect(a[3]! - a[0]!).toBeGreaterThanOrEqual(280);
    const b = standIn.delivered('chat.postMessage', (c) => c.params.channel === 'C0BBB')[0]!;
    // B went out before A's second post: its channel has its own budget.
    expect(b.at).toBeLessThan(a[1]!);
  });

  it('defaults to about one post per second per channel and Tier 3 for chat.update', () => {
    expect(DEFAULT_RATE_POLICIES['chat.postMessage']).toMatchObject({ perMinute: 60, scope: 'channel' });
    expect(DEFAULT_RATE_POLICIES['chat.update']).toMatchObject({ perMinute: 50, scope: 'workspace' });
  });

  it('gives up with SLACK_API_ERROR after too many 429s for one call', async () => {
    const { standIn, slack } = await start({ maxRateLimitRetries: 2 });
    standIn.rateLimit({ method: 'chat.postMessage', channel: 'C0AAA', times: 10, retryAfterSec: 0 });
    const failure = await slack.surface.post(inChannel('C0AAA'), textMessage('never')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({ code: 'SLACK_API_ERROR', slackError: 'ratelimited', retryable: true });
    expect(standIn.callsTo('chat.postMessage')).toHaveLength(3);
  });

  it("reports Slack's refusal code and counts it as an error", async () => {
    const { standIn, slack } = await start();
    standIn.failWith({ method: 'chat.postMessage', times: 1, error: 'invalid_blocks' });
    const failure = await slack.surface.post(inChannel('C0AAA'), textMessage('x')).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'SLACK_API_ERROR', slackError: 'invalid_blocks', retryable: false });
    expect(outcomes).toContainEqual(['chat.postMessage', 'error']);
    // The next call on the same channel is not affected.
    await slack.surface.post(inChannel('C0AAA'), textMessage('y'));
    expect(standIn.delivered('chat.postMessage', (c) => c.params.text === 'y')).toHaveLength(1);
  });

  it('posts Block Kit with link previews and name linking off', async () => {
    const { standIn, slack } = await start();
    await slack.surface.post(inChannel('C0AAA', '1.000001'), textMessage('see https://console.aws.amazon.com/ecs'));
    const call = standIn.delivered('chat.postMessage')[0]!;
    expect(call.params).toMatchObject({ channel: 'C0AAA', thread_ts: '1.000001', unfurl_links: 'false', unfurl_media: 'false', link_names: 'false' });
    expect(call.token).toBe('xoxb-lifeboat-test');
  });
});
