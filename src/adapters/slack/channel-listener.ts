import type { App } from '@slack/bolt';
import type { Logger } from '../../core/logger.js';
import type { ChannelAttachment, ChannelMessage, ChannelTriage } from '../../incidents/channel-triage.js';
import type { InFlight } from './in-flight.js';

/**
 * Alert-channel triage's ear: `message` events (`message.channels`, `message.groups`) from the
 * configured alert channels are reduced to a neutral {@link ChannelMessage} and handed to the
 * triage. Needs the `channels:history` (public) / `groups:history` (private) scopes and the bot
 * in the channel (docs/slack.md). Bolt already drops Lifeboat's own messages (`ignoreSelf`); the
 * bot and user ids from `auth.test` are passed on so the triage can check again.
 *
 * The event is acknowledged by the receiver at once; the alert is stored afterwards. A failure is
 * logged: Slack does not retry an acknowledged event, and the integration's next repeat of the
 * same alert is stored as usual.
 */
export function registerChannelListener(app: App, deps: { triage: ChannelTriage; inFlight: InFlight; logger: Logger }): void {
  const channels = new Set(deps.triage.channels);
  if (channels.size === 0) return;
  app.event('message', async ({ event, context }) => {
    const raw = event as unknown as Record<string, unknown>;
    if (typeof raw.channel !== 'string' || !channels.has(raw.channel)) return;
    const message = toChannelMessage(raw);
    if (!message) return;
    const self = { ...(context.botId ? { botId: context.botId } : {}), ...(context.botUserId ? { userId: context.botUserId } : {}) };
    await deps.inFlight.run(async () => {
      try {
        await deps.triage.handle(message, self);
      } catch (err) {
        deps.logger.warn({ err, channel: message.channel, ts: message.ts }, 'Could not store an alert-channel message as an alert');
      }
    });
  });
}

/** The parts of a Slack `message` event triage reads; undefined when it is not a message. */
export function toChannelMessage(raw: Record<string, unknown>): ChannelMessage | undefined {
  const channel = str(raw.channel);
  const ts = str(raw.ts);
  if (!channel || !ts) return undefined;
  const profile = raw.bot_profile as { name?: unknown } | undefined;
  const message: ChannelMessage = {
    channel,
    ts,
    text: str(raw.text) ?? '',
    attachments: Array.isArray(raw.attachments) ? (raw.attachments as unknown[]).flatMap(attachment) : [],
    blockTexts: Array.isArray(raw.blocks) ? (raw.blocks as unknown[]).flatMap(blockTexts) : [],
  };
  const threadTs = str(raw.thread_ts);
  const subtype = str(raw.subtype);
  const botId = str(raw.bot_id);
  const userId = str(raw.user);
  const botName = str(raw.username) ?? str(profile?.name);
  if (threadTs) message.threadTs = threadTs;
  if (subtype) message.subtype = subtype;
  if (botId) message.botId = botId;
  if (userId) message.userId = userId;
  if (botName) message.botName = botName;
  return message;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function attachment(raw: unknown): ChannelAttachment[] {
  if (!raw || typeof raw !== 'object') return [];
  const a = raw as Record<string, unknown>;
  const out: ChannelAttachment = {};
  const set = (key: keyof Omit<ChannelAttachment, 'fields'>, value: unknown): void => {
    const s = str(value);
    if (s) out[key] = s;
  };
  set('title', a.title);
  set('titleLink', a.title_link);
  set('pretext', a.pretext);
  set('text', a.text);
  set('fallback', a.fallback);
  set('color', a.color);
  set('footer', a.footer);
  set('authorName', a.author_name);
  if (Array.isArray(a.fields)) {
    out.fields = (a.fields as unknown[]).flatMap((f) => {
      if (!f || typeof f !== 'object') return [];
      const field = f as Record<string, unknown>;
      const title = str(field.title);
      const value = str(field.value);
      return [{ ...(title ? { title } : {}), ...(value ? { value } : {}) }];
    });
  }
  // Newer senders put blocks inside the attachment.
  if (!out.text && Array.isArray(a.blocks)) {
    const text = (a.blocks as unknown[]).flatMap(blockTexts).join('\n');
    if (text) out.text = text;
  }
  return [out];
}

/** Plain text of one Block Kit block: header/section text and fields, context elements, rich text. */
function blockTexts(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object') return [];
  const block = raw as Record<string, unknown>;
  const textOf = (t: unknown): string | undefined => (t && typeof t === 'object' ? str((t as Record<string, unknown>).text) : undefined);
  const out: string[] = [];
  const main = textOf(block.text);
  if (main) out.push(main);
  if (Array.isArray(block.fields)) for (const f of block.fields as unknown[]) { const t = textOf(f); if (t) out.push(t); }
  if (block.type === 'context' && Array.isArray(block.elements)) for (const e of block.elements as unknown[]) { const t = textOf(e); if (t) out.push(t); }
  if (block.type === 'rich_text' && Array.isArray(block.elements)) out.push(richText(block.elements as unknown[]));
  return out.filter((t) => t.length > 0);
}

function richText(elements: unknown[]): string {
  return elements
    .map((e) => {
      if (!e || typeof e !== 'object') return '';
      const el = e as Record<string, unknown>;
      if (Array.isArray(el.elements)) return richText(el.elements as unknown[]);
      return str(el.text) ?? str(el.url) ?? '';
    })
    .join('');
}
