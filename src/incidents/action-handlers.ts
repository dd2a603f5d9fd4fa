import type { ActionHandler, ActionRequest } from '../chat/ports.js';
import { textMessage, type Message } from '../core/message.js';
import { incidentActionCommand } from './actions.js';
import { INCIDENT_ACTIONS } from './card.js';
import { normalizeIncidentId } from './ids.js';

/** The durations the Snooze button offers (each at most 24 h, the snooze limit). */
export const SNOOZE_CHOICES = ['30m', '1h', '4h', '24h'] as const;

/**
 * The incident card's buttons, for the router's `actionHandlers`:
 *
 * - **Acknowledge** / **Resolve** run `ack <id>` / `resolve <id>` through `router.handleCommand`,
 *   so a press is authorised (operate, or `access.commands.ack`) and audited exactly like typing
 *   it. The card itself updates through the incident builtins' `onChange` → `notifier.refresh`.
 * - **Snooze** (value = the incident id) answers with a small choice of durations; each choice is
 *   again `incident-snooze`, with value `<id>:<duration>`, which runs `snooze <id> <duration>`.
 *
 * The reply goes to the card's thread (the Slack action listener posts it there). A successful
 * change answers with its one line ("inc-7f3a2c: Acknowledged by ana."), not a second copy of the
 * card — the card above it is already up to date.
 */
export function incidentActionHandlers(): Record<string, ActionHandler> {
  const run: ActionHandler = async (request, router) => {
    const command = incidentActionCommand(request.actionId, request.value);
    if (!command) return stale();
    const reply = await router.handleCommand({ text: command, requester: request.requester, conversation: request.conversation });
    return withoutCard(reply);
  };
  return {
    [INCIDENT_ACTIONS.ack]: run,
    [INCIDENT_ACTIONS.resolve]: run,
    [INCIDENT_ACTIONS.snooze]: (request, router) => {
      const [rawId = '', duration] = request.value.split(':', 2);
      const id = normalizeIncidentId(rawId);
      if (!id) return Promise.resolve(stale());
      if (!duration) return Promise.resolve(snoozeChoice(id, request));
      return run(request, router);
    },
  };
}

/** "Snooze inc-7f3a2c for how long?" with one button per duration. */
export function snoozeChoice(id: string, _request?: ActionRequest): Message {
  return {
    summary: `Snooze ${id} for how long?`,
    blocks: [
      { type: 'text', text: `Snooze ${id} for how long? Notifications and the stale-incident rule wait until then; snoozing an open incident also acknowledges it.` },
      { type: 'actions', actions: SNOOZE_CHOICES.map((d) => ({ id: INCIDENT_ACTIONS.snooze, label: d, value: `${id}:${d}` })) },
    ],
  };
}

/** A state-change reply is "<line>" + the whole card; under a card, the line is enough. */
function withoutCard(reply: Message): Message {
  const isCard = reply.blocks.some((b) => b.type === 'actions' && b.actions.some((a) => a.id === INCIDENT_ACTIONS.resolve || a.id === INCIDENT_ACTIONS.ack)) || reply.blocks.some((b) => b.type === 'header');
  const first = reply.blocks[0];
  if (!isCard || first?.type !== 'text') return reply;
  return { summary: reply.summary, ...(reply.tone ? { tone: reply.tone } : {}), blocks: [first] };
}

function stale(): Message {
  return textMessage('That button does not belong to an incident Lifeboat knows; type incidents to list the open ones.', 'warning');
}
