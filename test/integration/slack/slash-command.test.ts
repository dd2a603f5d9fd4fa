import { afterEach, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src/core/errors.js';
import { textMessage } from '../../../src/core/message.js';
import { slashCommandBody } from './fixtures.js';
import type { Harness } from './harness.js';
import { RecordingRouter, SIGNING_SECRET, delay, startHarness } from './harness.js';
import { sendSigned } from './signed-request.js';

describe('the /lifeboat slash command over Bolt HTTP', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('acks within 3 s while the router is still busy, then answers in a thread under a parent line', async () => {
    let routerDone = false;
    const router = new RecordingRouter(async (request) => {
      await delay(4000);
      routerDone = true;
      return textMessage(`status for ${request.text}`, 'success');
    });
    h = await startHarness({ router });

    const answer = await sendSigned(h.eventsUrl, slashCommandBody({ text: '  status  ', channelId: 'C0OPS' }), { secret: SIGNING_SECRET });

    expect(answer.status).toBe(200);
    expect(answer.elapsedMs).toBeLessThan(3000);
    expect(routerDone).toBe(false);

    const parent = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage' && c.params.thread_ts === undefined);
    expect(parent.params.channel).toBe('C0OPS');
    expect(parent.params.text).toBe('<@W111> ran `/lifeboat status`');

    const reply = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage' && c.params.thread_ts !== undefined, 8000);
    expect(routerDone).toBe(true);
    const parentTs = h.standIn.delivered('chat.postMessage')[0]!;
    expect(reply.params.channel).toBe('C0OPS');
    expect(reply.params.text).toBe(':white_check_mark: status for status');
    expect(reply.params.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: status for status', verbatim: true } }]);

    // The router saw the thread it answers in, and who asked.
    const request = h.router.commands[0]!;
    expect(request.text).toBe('status');
    expect(request.requester).toMatchObject({ userId: 'W111', userName: 'primary-owner' });
    expect(request.conversation.surface).toBe('slack');
    expect(request.conversation.channel).toBe('C0OPS');
    const threadTs = request.conversation.threadTs;
    expect(threadTs).toBeDefined();
    expect(reply.params.thread_ts).toBe(threadTs);
    // …and that thread is the parent message the stand-in created.
    expect(parentTs.params.thread_ts).toBeUndefined();
    expect(parentTs.at).toBeLessThanOrEqual(reply.at);
  });

  it('escapes whatever the user typed in the parent line', async () => {
    h = await startHarness();
    await sendSigned(h.eventsUrl, slashCommandBody({ text: '<!channel> `x` <https://evil.example|docs>' }), { secret: SIGNING_SECRET });
    const parent = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage');
    expect(parent.params.text).toBe('<@W111> ran `/lifeboat &lt;!channel&gt; ˋxˋ &lt;https://evil.example|docs&gt;`');
  });

  it('passes the user groups to the router, asking Slack once per cache period', async () => {
    h = await startHarness();
    h.standIn.userGroups = [
      { id: 'S0ONCALL', handle: 'oncall', users: ['W111', 'U222'] },
      { id: 'S0OTHER', handle: 'other', users: ['U333'] },
    ];
    await sendSigned(h.eventsUrl, slashCommandBody({ text: 'help' }), { secret: SIGNING_SECRET });
    // Another channel, so the second thread is not paced behind the first (four posts in one channel would be).
    await sendSigned(h.eventsUrl, slashCommandBody({ text: 'status', channelId: 'C0SECOND' }), { secret: SIGNING_SECRET });
    await h.standIn.waitForCall((c) => c.method === 'chat.postMessage' && c.params.text === 'ran status');
    await h.slack.idle();

    expect(h.router.commands.map((c) => c.requester.groups)).toEqual([['S0ONCALL'], ['S0ONCALL']]);
    expect(h.standIn.callsTo('usergroups.list')).toHaveLength(1);
    expect(h.standIn.callsTo('usergroups.list')[0]!.params.include_users).toBe('true');
  });

  it('runs nothing and tells only the user when Lifeboat is not in the channel', async () => {
    h = await startHarness();
    h.standIn.failWith({ method: 'chat.postMessage', channel: 'C0PRIVATE', times: 1, error: 'not_in_channel' });

    const answer = await sendSigned(h.eventsUrl, slashCommandBody({ text: 'redeploy api', channelId: 'C0PRIVATE', responseUrl: h.standIn.responseUrl('cmd') }), {
      secret: SIGNING_SECRET,
    });
    expect(answer.status).toBe(200);
    await h.slack.idle();

    expect(h.router.commands).toHaveLength(0);
    expect(h.standIn.responseUrlCalls).toHaveLength(1);
    expect(h.standIn.responseUrlCalls[0]!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/invite @Lifeboat') });
  });

  it('answers in the thread with a user-facing sentence when the router throws', async () => {
    const router = new RecordingRouter(() => Promise.reject(new LifeboatError('REDIS_UNAVAILABLE', 'Lifeboat cannot reach Redis right now; try again in a minute.')));
    h = await startHarness({ router });
    await sendSigned(h.eventsUrl, slashCommandBody({ text: 'status' }), { secret: SIGNING_SECRET });
    const reply = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage' && c.params.thread_ts !== undefined);
    expect(reply.params.text).toBe(':rotating_light: Lifeboat cannot reach Redis right now; try again in a minute.');
  });

  it('listens on a configurable command name', async () => {
    h = await startHarness({ slashCommand: '/lb' });
    await sendSigned(h.eventsUrl, slashCommandBody({ command: '/lb', text: 'help' }), { secret: SIGNING_SECRET });
    await h.standIn.waitForCall((c) => c.method === 'chat.postMessage' && c.params.thread_ts !== undefined);
    expect(h.router.commands.map((c) => c.text)).toEqual(['help']);
  });
});
