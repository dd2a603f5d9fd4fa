import { actorLabel, type Actor, type Incident, type IncidentState, type TimelineEntry } from './model.js';

/** What a person can do to an incident (commands and card buttons). */
export type IncidentAction =
  | { type: 'ack' }
  | { type: 'mitigate' }
  | { type: 'resolve' }
  | { type: 'reopen' }
  | { type: 'snooze'; durationMs: number };

export type IncidentActionType = IncidentAction['type'];

/**
 * The longest snooze. Longer quiet belongs to `resolve` (a recurrence reopens or opens a new
 * incident); a multi-day snooze would also outlast the stale rule's `openHours`.
 */
export const MAX_SNOOZE_MS = 24 * 3_600_000;

/** Allowed transitions: state → action → next state. Anything missing is refused. */
const TRANSITIONS: Readonly<Record<IncidentState, Partial<Record<IncidentActionType, IncidentState>>>> = {
  // Snoozing an open incident acknowledges it: whoever silences it has seen it.
  open: { ack: 'acknowledged', mitigate: 'mitigated', resolve: 'resolved', snooze: 'acknowledged' },
  acknowledged: { mitigate: 'mitigated', resolve: 'resolved', snooze: 'acknowledged' },
  // A mitigation that did not hold (a backlog still growing) puts the incident back to open.
  mitigated: { resolve: 'resolved', snooze: 'mitigated', reopen: 'open' },
  resolved: { reopen: 'open' },
};

/** Why an action was refused; `message` is a sentence for the person who asked. */
export type TransitionRefusalCode =
  | 'not-found'
  | 'already-acknowledged'
  | 'already-mitigated'
  | 'already-resolved'
  | 'not-resolved'
  | 'superseded'
  | 'newer-incident'
  | 'invalid-duration'
  | 'conflict';

export interface TransitionRefusal {
  code: TransitionRefusalCode;
  message: string;
}

/** The incident after the action and the timeline entry it appended, or why it was refused. */
export type TransitionResult =
  | { ok: true; incident: Incident; entry: TimelineEntry }
  | { ok: false; refusal: TransitionRefusal };

/** What the store knows around the incident when the action is applied. */
export interface TransitionContext {
  now: number;
  /** The group's current incident id (the one new alerts go to). */
  groupPointer?: string;
}

/**
 * Applies one action to an incident, or refuses it with a reason a person can act on. Pure: the
 * store calls it inside its compare-and-set loop, so two people pressing Acknowledge and Resolve
 * at the same moment end in one consistent state, each told what happened.
 */
export function planTransition(incident: Incident, action: IncidentAction, actor: Actor, context: TransitionContext): TransitionResult {
  const { now } = context;
  const who = actorLabel(actor);
  const next = TRANSITIONS[incident.state][action.type];
  if (!next) return { ok: false, refusal: refusalFor(incident, action) };
  if (action.type === 'snooze' && !(action.durationMs > 0 && action.durationMs <= MAX_SNOOZE_MS)) {
    return { ok: false, refusal: { code: 'invalid-duration', message: `A snooze must be longer than zero and at most ${MAX_SNOOZE_MS / 3_600_000} h; resolve the incident for longer quiet.` } };
  }
  if (action.type === 'reopen') {
    if (incident.resolution === 'superseded' && incident.supersededBy) {
      return { ok: false, refusal: { code: 'superseded', message: `${incident.id} was continued by ${incident.supersededBy}; work on that one instead.` } };
    }
    if (context.groupPointer && context.groupPointer !== incident.id) {
      return { ok: false, refusal: { code: 'newer-incident', message: `A newer incident, ${context.groupPointer}, already covers these alerts; reopening ${incident.id} would split them. Look at ${context.groupPointer}.` } };
    }
  }

  const after: Incident = { ...incident, state: next, updatedAt: now, lastActivityAt: now };
  let text: string;
  switch (action.type) {
    case 'ack':
      after.acknowledgedBy = who;
      after.acknowledgedAt = now;
      text = `Acknowledged by ${who}.`;
      break;
    case 'mitigate':
      after.mitigatedBy = who;
      after.mitigatedAt = now;
      if (!incident.acknowledgedAt) {
        after.acknowledgedBy = who;
        after.acknowledgedAt = now;
      }
      text = `Marked mitigated by ${who}.`;
      break;
    case 'resolve':
      after.resolvedBy = who;
      after.resolvedAt = now;
      after.resolution = 'manual';
      delete after.snoozedUntil;
      text = incident.counts.firing > 0
        ? `Resolved by ${who} while ${incident.counts.firing} of its alerts were still firing at the source; if one fires again the incident reopens.`
        : `Resolved by ${who}.`;
      break;
    case 'reopen':
      clearForReopen(after, now);
      text = `Reopened by ${who}.`;
      break;
    case 'snooze': {
      after.snoozedUntil = now + action.durationMs;
      if (incident.state === 'open') {
        after.acknowledgedBy = who;
        after.acknowledgedAt = now;
      }
      text = `Snoozed by ${who} for ${formatDuration(action.durationMs)}${incident.state === 'open' ? ' (this acknowledges it)' : ''}: notifications and the stale rule wait until then.`;
      break;
    }
  }
  return { ok: true, incident: after, entry: { at: now, kind: 'state', text, by: who } };
}

/** Puts a resolved incident back to open: a fresh start for acks, snoozes and the stale clock. */
export function clearForReopen(incident: Incident, now: number): void {
  incident.state = 'open';
  incident.openedAt = now;
  incident.reopenCount += 1;
  delete incident.acknowledgedBy;
  delete incident.acknowledgedAt;
  delete incident.mitigatedBy;
  delete incident.mitigatedAt;
  delete incident.resolvedBy;
  delete incident.resolvedAt;
  delete incident.resolution;
  delete incident.snoozedUntil;
}

function refusalFor(incident: Incident, action: IncidentAction): TransitionRefusal {
  const id = incident.id;
  if (incident.state === 'resolved') {
    const by = incident.resolution === 'superseded' && incident.supersededBy
      ? ` (continued by ${incident.supersededBy})`
      : incident.resolvedBy ? ` by ${incident.resolvedBy}` : '';
    return { code: 'already-resolved', message: `${id} is already resolved${by}.${incident.supersededBy ? '' : ' Use reopen if it is not over.'}` };
  }
  if (action.type === 'reopen') return { code: 'not-resolved', message: `${id} is not resolved (it is ${incident.state}); nothing to reopen.` };
  if (incident.state === 'mitigated') return { code: 'already-mitigated', message: `${id} is already mitigated${incident.mitigatedBy ? ` by ${incident.mitigatedBy}` : ''}.` };
  return { code: 'already-acknowledged', message: `${id} is already acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}.` };
}

/** `90m` → `1 h 30 min`; for timeline text and replies. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}
