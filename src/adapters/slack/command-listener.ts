import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import type { ChatRouter, Conversation, Requester } from '../../chat/ports.js';
import { userFacingMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Message } from '../../core/message.js';
import { textMessage } from '../../core/message.js';
import { renderCommandEcho } from './command-echo.js';
import type { InFlight } from './in-flight.js';
import { SlackApiError } from './slack-api-error.js';
import type { SlackSurface } from './slack-surface.js';
import type { UserGroupResolver } from './user-groups.js';
import type { PostedMessage, SlackOutbox } from './web-api-outbox.js';

/** What the slash-command listener works with. */
export interface CommandListenerDeps {
  router: ChatRouter;
  outbox: SlackOutbox;
  surface: SlackSurface;
  groups: UserGroupResolver | undefined;
  inFlight: InFlight;
  logger: Logger;
}

/**
 * `/lifeboat <text>`: ack at once (Slack shows the user an error after 3 s), then post a parent
 * line in the channel, run the command with `threadTs` = that parent, and post the reply in its
 * thread, where jobs will also report progress.
 */
export function registerCommandListener(app: App, slashCommand: string, deps: CommandListenerDeps): void {
  app.command(slashCommand, async ({ command, ack, respond }) => {
    await ack();
    await deps.inFlight.run(() => runCommand(command, respond, deps));
  });
}

async function runCommand(command: SlashCommand, respond: RespondFn, deps: CommandListenerDeps): Promise<void> {
  const log = deps.logger.child({ surface: 'slack', slashCommand: command.command, userId: command.user_id, channel: command.channel_id });
  const text = command.text.trim();
  const echo = renderCommandEcho(command.user_id, command.command, text);

  const [posted, groups] = await Promise.all([
    deps.outbox.postMessage({ channel: command.channel_id, ...echo, unfurl_links: false, unfurl_media: false }).then(
      (message) => ({ message }),
      (err: unknown) => ({ err }),
    ),
    deps.groups?.groupsOf(command.user_id) ?? Promise.resolve([]),
  ]);
  if ('err' in posted) {
    // Without a thread there is nowhere to report progress, so nothing is run.
    log.warn({ err: posted.err }, 'Could not post the command thread; the command was not run');
    await tellOnlyTheUser(respond, cannotPostText(posted.err), log);
    return;
  }
  const parent = posted.message;

  const requester: Requester = { userId: command.user_id, userName: command.user_name, groups };
  const conversation: Conversation = { surface: 'slack', channel: parent.channel, threadTs: parent.ts };
  const reply = await routeSafely(() => deps.router.handleCommand({ text, requester, conversation }), log);
  await postReply(deps.surface, conversation, reply, parent, log);
}

async function routeSafely(route: () => Promise<Message>, log: Logger): Promise<Message> {
  try {
    return await route();
  } catch (err) {
    log.error({ err }, 'The router failed on a Slack command');
    return textMessage(userFacingMessage(err), 'danger');
  }
}

async function postReply(surface: SlackSurface, to: Conversation, reply: Message, parent: PostedMessage, log: Logger): Promise<void> {
  try {
    await surface.post(to, reply);
  } catch (err) {
    log.error({ err, threadTs: parent.ts }, 'Could not post the reply to a Slack command');
  }
}

function cannotPostText(err: unknown): string {
  const code = err instanceof SlackApiError ? err.slackError : undefined;
  if (code === 'not_in_channel' || code === 'channel_not_found') {
    return 'Lifeboat is not a member of this conversation, so it cannot start a thread here. Invite it (`/invite @Lifeboat`) and run the command again — nothing was run.';
  }
  return `Lifeboat could not post in this conversation${code ? ` (Slack said \`${code}\`)` : ''}, so nothing was run. Try again in a moment.`;
}

async function tellOnlyTheUser(respond: RespondFn, text: string, log: Logger): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', text });
  } catch (err) {
    log.warn({ err }, 'Could not answer through response_url either');
  }
}
