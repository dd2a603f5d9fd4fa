import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { appHomeOpenedBody, blockActionsBody } from './fixtures.js';
import type { Harness } from './harness.js';
import { SIGNING_SECRET, startHarness } from './harness.js';
import { sendSigned } from './signed-request.js';

/** The corpus view_submission payload, pointed at Lifeboat's command modal with `text` typed in. */
function viewSubmissionBody(text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a corpus payload edited field by field
  const payload = JSON.parse(readFileSync(new URL('../../fixtures/slack/view-submission.payload.bolt-python-test.json', import.meta.url), 'utf8')) as Record<string, any>;
  payload.view.callback_id = 'lifeboat-command';
  payload.view.state = { values: { command: { text: { type: 'plain_text_input', value: text } } } };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

describe('the command modal (interactivity: modals)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('App Home offers "Run a command…", which opens a modal with the press\'s trigger id', async () => {
    h = await startHarness();
    await sendSigned(h.eventsUrl, appHomeOpenedBody('W111'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    const home = await h.standIn.waitForCall((c) => c.method === 'views.publish');
    expect(JSON.stringify(home.params)).toContain('lifeboat-open-command-modal');

    const press = await sendSigned(h.eventsUrl, blockActionsBody({ actionId: 'lifeboat-open-command-modal', value: '' }), { secret: SIGNING_SECRET });
    expect(press.status).toBe(200);
    const opened = await h.standIn.waitForCall((c) => c.method === 'views.open');
    expect(opened.params).toMatchObject({ trigger_id: '111.222.valid', view: { type: 'modal', callback_id: 'lifeboat-command' } });
    expect(h.router.actions).toEqual([]); // the router never sees the Slack-only button
  });

  it('opens the modal with a runbook\'s command filled in when "Fill in the inputs…" is pressed', async () => {
    h = await startHarness();
    const text = 'runbook start image-unavailable for inc-abc123 with ref=v42';
    await sendSigned(h.eventsUrl, blockActionsBody({ actionId: 'fill-in-command:3', value: text }), { secret: SIGNING_SECRET });
    const opened = await h.standIn.waitForCall((c) => c.method === 'views.open');
    expect(JSON.stringify(opened.params)).toContain(`"initial_value":"${text}"`);
    expect(h.router.actions).toEqual([]);
  });

  it('runs the typed text through the router as the submitter and answers in their DM', async () => {
    h = await startHarness();
    const answer = await sendSigned(h.eventsUrl, viewSubmissionBody('check images prod/api'), { secret: SIGNING_SECRET });
    expect(answer.status).toBe(200);
    const reply = await h.standIn.waitForCall((c) => c.method === 'chat.postMessage');
    expect(h.router.commands).toEqual([expect.objectContaining({ text: 'check images prod/api', conversation: { surface: 'slack', channel: 'W111' } })]);
    expect(reply.params.channel).toBe('W111');
    expect(JSON.stringify(reply.params)).toContain('ran check images prod/api');
  });

  it('keeps the modal open with an error when nothing was typed', async () => {
    h = await startHarness();
    const answer = await sendSigned(h.eventsUrl, viewSubmissionBody('  '), { secret: SIGNING_SECRET });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ response_action: 'errors', errors: { command: expect.stringContaining('Type a command') } });
    expect(h.router.commands).toEqual([]);
  });
});
