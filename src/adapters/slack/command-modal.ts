import type { App, ViewSubmitAction } from '@slack/bolt';
import type { ChatRouter, Conversation } from '../../chat/ports.js';
import { userFacingMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { textMessage, type Message } from '../../core/message.js';
import type { InFlight } from './in-flight.js';
import type { SlackSurface } from './slack-surface.js';
import type { UserGroupResolver } from './user-groups.js';
import type { SlackOutbox } from './web-api-outbox.js';

/** The App Home button that opens the command modal (Slack-side only; the router never sees it). */
export const OPEN_COMMAND_MODAL = 'lifeboat-open-command-modal';
const CALLBACK_ID = 'lifeboat-command';
const BLOCK_ID = 'command';
const INPUT_ID = 'text';

/** The actions block App Home shows under its sections. */
export function commandModalButton(): object {
  return { type: 'actions', elements: [{ type: 'button', action_id: OPEN_COMMAND_MODAL, text: { type: 'plain_text', text: 'Run a command…' }, style: 'primary' }] };
}

/**
 * Opens the "Run a command" modal for a button press (needs the press's trigger id, valid for
 * 3 s), optionally with text to complete (a runbook's missing inputs).
 */
export async function openCommandModal(outbox: SlackOutbox, triggerId: string, initialText?: string): Promise<void> {
  await outbox.call('views.open', {
    trigger_id: triggerId,
    view: {
      type: 'modal',
      callback_id: CALLBACK_ID,
      title: { type: 'plain_text', text: 'Lifeboat' },
      submit: { type: 'plain_text', text: 'Run' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        {
          type: 'input',
          block_id: BLOCK_ID,
          label: { type: 'plain_text', text: 'What you would type after /lifeboat' },
          element: {
            type: 'plain_text_input',
            action_id: INPUT_ID,
            ...(initialText ? { initial_value: initialText.slice(0, 3000) } : { placeholder: { type: 'plain_text', text: 'check images prod/api' } }),
          },
        },
      ],
    },
  });
}

/**
 * The modal's submission: ack (closing the modal), run the text through the same router as the
 * slash command, and answer in the app's DM with the person — a modal has no channel of its own.
 */
export function registerCommandModal(app: App, deps: { router: ChatRouter; surface: SlackSurface; groups: UserGroupResolver | undefined; inFlight: InFlight; logger: Logger }): void {
  app.view<ViewSubmitAction>(CALLBACK_ID, async ({ ack, body, view }) => {
    const text = view.state.values[BLOCK_ID]?.[INPUT_ID]?.value?.trim() ?? '';
    if (text === '') {
      await ack({ response_action: 'errors', errors: { [BLOCK_ID]: 'Type a command, for example: status' } });
      return;
    }
    await ack();
    await deps.inFlight.run(async () => {
      const conversation: Conversation = { surface: 'slack', channel: body.user.id };
      let reply: Message;
      try {
        reply = await deps.router.handleCommand({
          text,
          requester: { userId: body.user.id, userName: body.user.name, groups: (await deps.groups?.groupsOf(body.user.id)) ?? [] },
          conversation,
        });
      } catch (err) {
        deps.logger.error({ err }, 'The router failed on a command from the modal');
        reply = textMessage(userFacingMessage(err), 'danger');
      }
      await deps.surface.post(conversation, reply).catch((err: unknown) => deps.logger.error({ err }, 'Could not answer a command from the modal'));
    });
  });
}
