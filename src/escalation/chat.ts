import type { ChatSurface, Conversation, MessageRef, SurfaceName } from '../chat/ports.js';
import type { Message } from '../core/message.js';
import type { Incident } from '../incidents/model.js';
import type { EscalationChat, Mention } from './ports.js';

/** A surface that can ping (the Slack surface's `postWithAttention`, shared with the notifier). */
export interface AttentionPoster {
  postWithAttention(to: Conversation, message: Message, attention: { mentions: readonly Mention[]; broadcast?: boolean }): Promise<MessageRef>;
}

export interface EscalationChatDeps {
  /** Where an incident's card is (the notifier's card store: `cards.get(incidentId)`). */
  cardOf: (incidentId: string) => Promise<{ surface: SurfaceName; channel: string; ts: string } | undefined>;
  /** Surfaces by name; a surface with `postWithAttention` gets real pings. */
  surfaces: Readonly<Partial<Record<SurfaceName, ChatSurface>>>;
  /** Where to speak about an incident that has no card (yet): the notifier's incident channel. */
  fallback?: Conversation;
}

/**
 * `EscalationChat` over the chat surfaces: posts in the thread under the incident's card (or the
 * fallback channel), with pings through `postWithAttention` where the surface has it; direct
 * messages go through Slack (`chat.postMessage` to a user id opens the app's DM with them).
 */
export function createEscalationChat(deps: EscalationChatDeps): EscalationChat {
  return {
    async toIncident(incident: Incident, message: Message, options: { mentions?: readonly Mention[]; broadcast?: boolean } = {}): Promise<void> {
      const card = await deps.cardOf(incident.id);
      const to: Conversation | undefined = card ? { surface: card.surface, channel: card.channel, threadTs: card.ts } : deps.fallback;
      if (!to) throw new Error(`no card and no channel for ${incident.id}`);
      const surface = deps.surfaces[to.surface];
      if (!surface) throw new Error(`the ${to.surface} surface is not connected`);
      const mentions = options.mentions ?? [];
      if ((mentions.length || options.broadcast) && hasAttention(surface)) {
        await surface.postWithAttention(to, message, { mentions, ...(options.broadcast ? { broadcast: true } : {}) });
        return;
      }
      await surface.post(to, mentions.length ? withMentionNames(message, mentions) : message);
    },
    async toUser(userId: string, message: Message): Promise<void> {
      const slack = deps.surfaces.slack;
      if (slack) {
        await slack.post({ surface: 'slack', channel: userId }, message);
        return;
      }
      const terminal = deps.surfaces.console;
      if (!terminal) throw new Error('no surface can reach a person directly');
      await terminal.post({ surface: 'console', channel: 'terminal' }, { ...message, summary: `(DM to ${userId}) ${message.summary}` });
    },
  };
}

function hasAttention(surface: ChatSurface): surface is ChatSurface & AttentionPoster {
  return typeof (surface as Partial<AttentionPoster>).postWithAttention === 'function';
}

/** For surfaces without pings (the terminal): who would have been pinged, as plain words. */
function withMentionNames(message: Message, mentions: readonly Mention[]): Message {
  const names = mentions.map((m) => (m.type === 'here' || m.type === 'channel' ? `@${m.type}` : `@${m.name ?? m.id}`)).join(' ');
  return { ...message, blocks: [{ type: 'context', text: names }, ...message.blocks] };
}
