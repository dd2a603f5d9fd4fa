import type { ChatSurface, Conversation, MessageRef } from '../../chat/ports.js';
import { LifeboatError } from '../../core/errors.js';
import type { Message } from '../../core/message.js';
import type { Attention, AttentionSurface } from '../../incidents/notifier-ports.js';
import { renderBlockKit } from './block-kit-renderer.js';
import { withMentions } from './mentions.js';
import type { SlackOutbox } from './web-api-outbox.js';

/**
 * Options sent with every message. Link previews are off because alert text is full of console
 * URLs whose unfurls would bury the message; `link_names: false` keeps bare `@group` text inert.
 */
const POST_OPTIONS = { unfurl_links: false, unfurl_media: false, link_names: false } as const;

/** The Slack `ChatSurface`: renders neutral messages to Block Kit and sends them via the outbox. */
export class SlackSurface implements ChatSurface, AttentionSurface {
  readonly name = 'slack' as const;

  constructor(private readonly outbox: SlackOutbox) {}

  /** Posts into `to.channel`, inside the thread `to.threadTs` when given. */
  async post(to: Conversation, message: Message): Promise<MessageRef> {
    assertSlack(to.surface);
    const rendered = renderBlockKit(message);
    const posted = await this.outbox.postMessage({
      channel: to.channel,
      ...(to.threadTs ? { thread_ts: to.threadTs } : {}),
      ...rendered,
      ...POST_OPTIONS,
    });
    return { surface: 'slack', channel: posted.channel, ts: posted.ts };
  }

  /**
   * Posts with pings: the configured mentions (never anything from the message text, which is
   * escaped as always) and, for a thread reply, `reply_broadcast` so it also shows in the channel.
   */
  async postWithAttention(to: Conversation, message: Message, attention: Attention): Promise<MessageRef> {
    assertSlack(to.surface);
    const rendered = withMentions(renderBlockKit(message), attention.mentions);
    const posted = await this.outbox.postMessage({
      channel: to.channel,
      ...(to.threadTs ? { thread_ts: to.threadTs, ...(attention.broadcast ? { reply_broadcast: true } : {}) } : {}),
      ...rendered,
      ...POST_OPTIONS,
    });
    return { surface: 'slack', channel: posted.channel, ts: posted.ts };
  }

  /** Replaces a posted message in place; queued updates of the same message are coalesced. */
  async update(ref: MessageRef, message: Message): Promise<void> {
    assertSlack(ref.surface);
    await this.outbox.update({ channel: ref.channel, ts: ref.ts, ...renderBlockKit(message), link_names: false });
  }
}

function assertSlack(surface: string): void {
  if (surface !== 'slack') {
    throw new LifeboatError('INTERNAL', `A message for the ${surface} surface was sent to Slack.`);
  }
}
