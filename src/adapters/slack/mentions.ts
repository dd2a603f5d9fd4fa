import type { types } from '@slack/bolt';
import type { Mention } from '../../incidents/notifier-ports.js';
import { SLACK_LIMITS, type BlockKitMessage } from './block-kit-renderer.js';

const USER_GROUP_ID = /^S[A-Z0-9]{2,20}$/;
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/**
 * Slack's markup for one configured mention, or undefined for an id that does not look like one.
 * This is the only place Lifeboat writes `<!…>` or `<@…>`: mentions come from
 * `notifications.mentions` (validated ids), never from message text, which the renderer escapes.
 */
export function mentionMarkup(mention: Mention): string | undefined {
  switch (mention.type) {
    case 'here':
      return '<!here>';
    case 'channel':
      return '<!channel>';
    case 'usergroup':
      return USER_GROUP_ID.test(mention.id) ? `<!subteam^${mention.id}>` : undefined;
    case 'user':
      return USER_ID.test(mention.id) ? `<@${mention.id}>` : undefined;
  }
}

/**
 * Adds the mentions to a rendered message: a first section block with only the mentions (so they
 * notify), and the same in front of the fallback text (push notifications). The block cap is kept.
 */
export function withMentions(rendered: BlockKitMessage, mentions: readonly Mention[]): BlockKitMessage {
  const markup = [...new Set(mentions.map(mentionMarkup).filter((m): m is string => m !== undefined))].join(' ');
  if (!markup) return rendered;
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: markup } }, ...rendered.blocks];
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) {
    // Drop the last content block (never the buttons) to stay within 50.
    const index = blocks.map((b) => b.type).lastIndexOf('section');
    blocks.splice(index > 0 ? index : blocks.length - 1, 1);
  }
  return { text: `${markup} ${rendered.text}`.slice(0, SLACK_LIMITS.topLevelText), blocks };
}
