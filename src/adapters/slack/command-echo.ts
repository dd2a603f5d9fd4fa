import type { BlockKitMessage } from './block-kit-renderer.js';
import { SLACK_LIMITS } from './block-kit-renderer.js';
import { escapeMrkdwn, fitPrepared, prepareInlineCode } from './mrkdwn.js';

// Slack user ids: U… (workspace) or W… (Enterprise Grid). Anything else is not turned into a mention.
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * The thread parent posted for every slash command: "@user ran `/lifeboat <text>`". Replies,
 * progress and results then go into its thread, so a channel shows one line per command.
 * The mention is the only markup we build ourselves, and only from a well-formed user id; the
 * typed text is cleaned, escaped and kept inside its code span.
 */
export function renderCommandEcho(userId: string, command: string, text: string): BlockKitMessage {
  const who = USER_ID.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
  const typed = text.trim().length > 0 ? `${command} ${text.trim()}` : command;
  // Room for the mention, " ran ", and the two backticks.
  const code = fitPrepared(prepareInlineCode(typed), SLACK_LIMITS.sectionText - who.length - 8);
  const line = `${who} ran \`${code}\``;
  return { text: line, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line, verbatim: true } }] };
}
