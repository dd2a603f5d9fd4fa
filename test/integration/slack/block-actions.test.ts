import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.js';
import { textMessage } from '../../../src/core/message.js';
import { renderBlockKit } from '../../../src/adapters/slack/index.js';
import { blockActionsBody, fixture } from './fixtures.js';
import type { Harness } from './harness.js';
import { RecordingRouter, SIGNING_SECRET, delay, startHarness } from './harness.js';
import { sendSigned } from './signed-request.js';

describe('button presses (block_actions) over Bolt HTTP', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("reach router.handleAction with the button's action id, value and presser, and the answer lands in the thread", async () => {
    const router = new RecordingRouter(undefined, async () => {
      await delay(3500);
      return textMessage('Redeploy of api started.', 'success');
    });
    h = await startHarness({ router });

    const answer = await sendSigned(
      h.eventsUrl,
      blockActionsBody({ actionId: 'confirm:0', value: 'cf-7f3a9c', channelId: 'C0OPS', messageTs: '1700000000.000200', threadTs: '1700000000.000100' }),
      { secret: SIGNING_SECRET },
    );
    expect(answer.status).toBe(200);
    expect(answer.elapsedMs).toBeLessThan(3000);

    const reply = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage', 8000);
    expect(h.router.actions).toEqual([
      {
        actionId: 'confirm',
        value: 'cf-7f3a9c',
        requester: { userId: 'W111', userName: 'primary-owner', groups: [] },
        conversation: { surface: 'slack', channel: 'C0OPS', threadTs: '1700000000.000100' },
      },
    ]);
    expect(reply.params).toMatchObject({ channel: 'C0OPS', thread_ts: '1700000000.000100', text: ':white_check_mark: Redeploy of api started.' });
  });

  it('maps the corpus press byte-for-byte: an action id without an index passes through; a top-level message is its own thread', async () => {
    h = await startHarness();
    const answer = await sendSigned(h.eventsUrl, fixture('block-actions.bolt-python-test.body.raw'), { secret: SIGNING_SECRET });
    expect(answer.status).toBe(200);
    await h.slack.idle();
    expect(h.router.actions).toHaveLength(1);
    expect(h.router.actions[0]).toMatchObject({ actionId: 'a', value: 'click_me_123', requester: { userId: 'W111' }, conversation: { channel: 'C111', threadTs: '111.222' } });
    // The router answered nothing, so nothing was posted.
    expect(h.standIn.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('round-trips every button the renderer emits back to its neutral action id and value', async () => {
    h = await startHarness();
    const confirmation: Message = {
      summary: 'Confirm redeploy of api?',
      tone: 'warning',
      blocks: [
        { type: 'text', text: 'Redeploy api in prod?' },
        {
          type: 'actions',
          actions: [
            { id: 'confirm', label: 'Confirm', value: 'cf-1', style: 'primary' },
            { id: 'cancel', label: 'Cancel', value: 'cf-1' },
            { id: 'confirm', label: 'Confirm other', value: 'cf-2' },
          ],
        },
      ],
    };
    const rendered = renderBlockKit(confirmation);
    const buttons = rendered.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])) as { action_id: string; value: string }[];
    expect(new Set(buttons.map((b) => b.action_id)).size).toBe(3);

    for (const button of buttons) {
      const answer = await sendSigned(h.eventsUrl, blockActionsBody({ actionId: button.action_id, value: button.value }), { secret: SIGNING_SECRET });
      expect(answer.status).toBe(200);
    }
    await h.slack.idle();
    expect(h.router.actions.map((a) => [a.actionId, a.value])).toEqual([
      ['confirm', 'cf-1'],
      ['cancel', 'cf-1'],
      ['confirm', 'cf-2'],
    ]);
  });

  it('refuses an unsigned press without calling the router', async () => {
    h = await startHarness();
    const answer = await sendSigned(h.eventsUrl, blockActionsBody({ actionId: 'confirm:0', value: 'cf-1' }), { secret: 'wrong' });
    expect(answer.status).toBe(401);
    await delay(50);
    await h.slack.idle();
    expect(h.router.actions).toHaveLength(0);
  });
});
