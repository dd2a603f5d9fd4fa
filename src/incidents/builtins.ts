import type { Builtin } from '../chat/builtin.js';
import type { CommandRequest } from '../chat/ports.js';
import { parseDuration } from '../commands/args.js';
import { textMessage, type Message } from '../core/message.js';
import { renderIncidentCard, renderIncidentDetails, renderIncidentList, type CardOptions } from './card.js';
import { normalizeIncidentId } from './ids.js';
import type { Actor, Incident } from './model.js';
import type { IncidentStore } from './ports.js';
import type { IncidentAction } from './state-machine.js';

/** What the incident commands need. */
export interface IncidentBuiltinDeps {
  store: Pick<IncidentStore, 'get' | 'list' | 'transition'>;
  /**
   * Called after a command changed an incident, so the composition root can update its card
   * and tell escalation (ack and resolve stop it). Errors are the callee's to log.
   */
  onChange?: (incident: Incident) => Promise<void>;
  /** How cards offer runbooks (see `CardOptions`). */
  card?: CardOptions;
}

/** The builtin names these commands use in `runs.builtin`. */
export const INCIDENT_BUILTIN_NAMES = ['incidents', 'incident', 'ack', 'mitigate', 'resolve', 'reopen', 'snooze'] as const;
export type IncidentBuiltinName = (typeof INCIDENT_BUILTIN_NAMES)[number];

export function createIncidentBuiltins(deps: IncidentBuiltinDeps): Record<IncidentBuiltinName, Builtin> {
  return {
    incidents: incidentsBuiltin(deps),
    incident: incidentBuiltin(deps),
    ack: transitionBuiltin(deps, () => ({ type: 'ack' })),
    mitigate: transitionBuiltin(deps, () => ({ type: 'mitigate' })),
    resolve: transitionBuiltin(deps, () => ({ type: 'resolve' })),
    reopen: transitionBuiltin(deps, () => ({ type: 'reopen' })),
    snooze: transitionBuiltin(deps, (args) => {
      const ms = typeof args.duration === 'string' ? parseDuration(args.duration) : undefined;
      return ms === undefined ? undefined : { type: 'snooze', durationMs: ms };
    }),
  };
}

const SEVERITY_ORDER = { critical: 0, high: 1, warning: 2, info: 3 } as const;

/** `incidents [open|all]`: open ones worst first; `all` newest first, resolved included. */
export function incidentsBuiltin(deps: IncidentBuiltinDeps): Builtin {
  return async ({ args }) => {
    const scope = args.scope === 'all' ? 'all' : 'open';
    if (scope === 'all') return renderIncidentList(await deps.store.list({ state: 'all', limit: 50 }), 'all');
    const open = await deps.store.list({ state: 'active', limit: 100 });
    open.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.openedAt - a.openedAt);
    return renderIncidentList(open.slice(0, 50), 'open');
  };
}

/** `incident <id>`: details, alerts and timeline. */
export function incidentBuiltin(deps: IncidentBuiltinDeps): Builtin {
  return async ({ args }) => {
    const id = idArg(args);
    if (!id) return noSuchId(args);
    const details = await deps.store.get(id, { timelineLimit: 30 });
    return details ? renderIncidentDetails(details, deps.card) : textMessage(`There is no incident ${id}. Type incidents to list the open ones.`, 'warning');
  };
}

/** ack / mitigate / resolve / reopen / snooze: one transition, answered with the updated card. */
export function transitionBuiltin(deps: IncidentBuiltinDeps, actionOf: (args: Record<string, unknown>) => IncidentAction | undefined): Builtin {
  return async ({ args, request }) => {
    const id = idArg(args);
    if (!id) return noSuchId(args);
    const action = actionOf(args);
    if (!action) return textMessage('That duration is not one I understand; use e.g. 30m, 2h or 1d.', 'warning');
    const result = await deps.store.transition(id, action, actorOf(request));
    if (!result.ok) return textMessage(result.refusal.message, result.refusal.code === 'not-found' ? 'warning' : 'info');
    await deps.onChange?.(result.incident);
    const card = renderIncidentCard(result.incident, [result.entry], deps.card);
    const done = `${id}: ${result.entry.text}`;
    return { ...card, summary: done, blocks: [{ type: 'text', text: done }, ...card.blocks] } satisfies Message;
  };
}

function idArg(args: Record<string, unknown>): string | undefined {
  return typeof args.id === 'string' ? normalizeIncidentId(args.id) : undefined;
}

function noSuchId(args: Record<string, unknown>): Message {
  return textMessage(`"${String(args.id)}" is not an incident id; they look like inc-7f3a2c.`, 'warning');
}

function actorOf(request: CommandRequest): Actor {
  const { userId, userName } = request.requester;
  return userName ? { id: userId, name: userName } : { id: userId };
}
