import type { App, BlockAction, BlockElementAction } from '@slack/bolt';
import type { ActionRequest, ChatRouter, Conversation } from '../../chat/ports.js';
import { userFacingMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Message } from '../../core/message.js';
import { FILL_IN_COMMAND_ACTION, textMessage } from '../../core/message.js';
import { decodeActionId } from './action-ids.js';
import { OPEN_COMMAND_MODAL, openCommandModal } from './command-modal.js';
import type { InFlight } from './in-flight.js';
import type { SlackSurface } from './slack-surface.js';
import type { UserGroupResolver } from './user-groups.js';
import type { SlackOutbox } from './web-api-outbox.js';

/** What the button listener works with. */
export interface ActionListenerDeps {
  router: ChatRouter;
  surface: SlackSurface;
  outbox: SlackOutbox;
  groups: UserGroupResolver | undefined;
  inFlight: InFlight;
  logger: Logger;
}

/**
 * Button presses (`block_actions`): ack at once, turn the press back into an `ActionRequest`
 * (`action_id` `confirm:0` → `actionId` `confirm`, see `action-ids.ts`; `value` as sent), hand it
 * to the router, and post its answer in the thread the button lives in. The original message is
 * left alone: the router decides what a second press means (a confirmation can be taken once).
 */
export function registerActionListener(app: App, deps: ActionListenerDeps): void {
  app.action<BlockAction>({ type: 'block_actions' }, async ({ ack, body, action }) => {
    await ack();
    const fillIn = decodeActionId(action.action_id) === FILL_IN_COMMAND_ACTION;
    if (action.action_id === OPEN_COMMAND_MODAL || fillIn) {
      const initial = fillIn && 'value' in action && typeof action.value === 'string' ? action.value : undefined;
      await openCommandModal(deps.outbox, body.trigger_id, initial).catch((err: unknown) => deps.logger.error({ err }, 'Could not open the command modal'));
      return;
    }
    await deps.inFlight.run(() => runAction(body, action, deps));
  });
}

async function runAction(body: BlockAction, action: BlockElementAction, deps: ActionListenerDeps): Promise<void> {
  const log = deps.logger.child({ surface: 'slack', actionId: action.action_id, userId: body.user.id });
  const request: ActionRequest = {
    actionId: decodeActionId(action.action_id),
    value: 'value' in action && typeof action.value === 'string' ? action.value : '',
    requester: {
      userId: body.user.id,
      userName: body.user.username || body.user.name,
      groups: (await deps.groups?.groupsOf(body.user.id)) ?? [],
    },
    conversation: conversationOf(body),
  };
  let reply: Message | undefined;
  try {
    reply = await deps.router.handleAction(request);
  } catch (err) {
    log.error({ err }, 'The router failed on a Slack button press');
    reply = textMessage(userFacingMessage(err), 'danger');
  }
  if (!reply) return;
  try {
    await deps.surface.post(request.conversation, reply);
  } catch (err) {
    log.error({ err }, 'Could not post the answer to a Slack button press');
  }
}

/**
 * Where the answer goes: the thread of the message holding the button (its parent's thread when
 * the button is itself a reply). Buttons outside messages (App Home) answer in the app's DM with
 * the user, which `chat.postMessage` opens when given a user id as channel.
 */
function conversationOf(body: BlockAction): Conversation {
  const container = body.container as { channel_id?: unknown; message_ts?: unknown };
  const channel = body.channel?.id ?? (typeof container.channel_id === 'string' ? container.channel_id : undefined);
  if (!channel) return { surface: 'slack', channel: body.user.id };
  const message = body.message;
  const threadTs =
    (typeof message?.thread_ts === 'string' ? message.thread_ts : undefined) ??
    message?.ts ??
    (typeof container.message_ts === 'string' ? container.message_ts : undefined);
  return { surface: 'slack', channel, ...(threadTs ? { threadTs } : {}) };
}
