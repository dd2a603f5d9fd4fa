import { createHash } from 'node:crypto';
import type { Message } from '../core/message.js';
import { CARD_TIMELINE_ENTRIES, renderIncidentCard, type CardOptions } from './card.js';
import { formatTime, SEVERITY_LABELS } from './format.js';
import type { Incident, IncidentDetails, TimelineEntry, TimelineKind } from './model.js';

/**
 * What the notifier posts, as neutral messages. Pure. All text is plain (alert text included);
 * each surface's renderer escapes it, and pings are added by the surface from configuration
 * (see `Attention`), so nothing here can mention anybody.
 */

/** Timeline entries shown in a card's thread. State changes are on the card itself (and the button reply). */
export const THREAD_KINDS: ReadonlySet<TimelineKind> = new Set<TimelineKind>(['alert', 'alert-resolved', 'flapping', 'linked', 'superseded', 'note']);

/** The card for an incident, as the notifier posts and updates it. */
export function incidentCardMessage(details: IncidentDetails, options: CardOptions = {}): Message {
  return renderIncidentCard(details.incident, details.timeline.slice(-CARD_TIMELINE_ENTRIES), options);
}

/** A short digest of a message: the same card renders the same digest, so it is not sent twice. */
export function messageDigest(message: Message): string {
  return createHash('sha1').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}

/** A channel repeat of one of the incident's alerts (channel triage). */
export interface SeenAgain {
  name: string;
  /** Deliveries of that alert so far. */
  received: number;
}

export interface ThreadUpdate {
  incidentId: string;
  entries: readonly TimelineEntry[];
  seenAgain: readonly SeenAgain[];
  /** Lines skipped while it flapped or was snoozed. */
  held: number;
  /** Entries that dropped off the stored timeline before they could be shown. */
  missed: number;
  maxLines: number;
}

/**
 * One merged thread reply: "New alert: …" for one entry, "3 more alerts:" and a list for
 * several, capped at `maxLines` with "… and N more". Undefined when there is nothing to say.
 */
export function threadReply(update: ThreadUpdate): Message | undefined {
  const { entries, seenAgain, held, missed, maxLines } = update;
  const lines = [
    ...entries.map((e) => `${formatTime(e.at).slice(11)}  ${e.text}${e.by ? ` — ${e.by}` : ''}`),
    ...seenAgain.map((s) => `Seen again in the alert channel (${s.received}×): ${s.name}`),
  ];
  const notes: string[] = [];
  if (held > 0) notes.push(`${held} update${held === 1 ? ' was' : 's were'} held while the incident was flapping or snoozed.`);
  if (missed > 0) notes.push(`${missed} older update${missed === 1 ? ' is' : 's are'} no longer stored; incident ${update.incidentId} shows the timeline that is.`);
  if (lines.length === 0 && notes.length === 0) return undefined;

  const alertsOnly = entries.length > 0 && entries.every((e) => e.kind === 'alert') && seenAgain.length === 0;
  const count = lines.length;
  const head = count === 1 ? undefined : alertsOnly ? `${count} more alerts:` : `${count} updates:`;
  const shown = lines.slice(0, maxLines);
  const more = count - shown.length;
  const blocks: Message['blocks'] = [];
  if (count === 1 && lines[0] !== undefined) blocks.push({ type: 'text', text: lines[0] });
  else if (count > 1) blocks.push({ type: 'text', text: head ?? '' }, { type: 'list', items: more > 0 ? [...shown, `… and ${more} more (incident ${update.incidentId} lists them all)`] : shown });
  for (const note of notes) blocks.push({ type: 'context', text: note });
  const summary = count === 0 ? (notes[0] ?? '') : count === 1 ? (lines[0] ?? '') : `${head ?? ''} ${shown[0] ?? ''}${count > 1 ? ' …' : ''}`;
  return { summary, blocks };
}

/**
 * The thread reply that asks for attention again (posted with the `renotify` mentions and shown
 * in the channel too): the incident reopened because an alert fired again.
 */
export function renotifyReply(incident: Incident, timeline: readonly TimelineEntry[]): Message {
  const reason = [...timeline].reverse().find((e) => e.kind === 'state' && !e.by && e.text.startsWith('Reopened'))?.text;
  const text = `${incident.id} needs attention again: it is open again (reopened ${incident.reopenCount}×). ${reason ?? ''}`.trim();
  return {
    summary: `${SEVERITY_LABELS[incident.severity]} ${incident.id} reopened: ${incident.title}`,
    tone: incident.severity === 'critical' || incident.severity === 'high' ? 'danger' : 'warning',
    blocks: [
      { type: 'text', text },
      { type: 'context', text: `${SEVERITY_LABELS[incident.severity]} · ${incident.title}. The card above is up to date; ack ${incident.id} if you are on it.` },
    ],
  };
}

/** True when the latest reopen was done by a person (`reopen <id>`): they know, nobody is pinged. */
export function reopenedByPerson(timeline: readonly TimelineEntry[]): boolean {
  const last = [...timeline].reverse().find((e) => e.kind === 'state' && e.text.startsWith('Reopened'));
  return last?.by !== undefined;
}

/** What the storm summary card shows. */
export interface StormView {
  since: number;
  now: number;
  alerts: number;
  incidents: number;
  /** Alerts per minute right now (the last outcome's estimate). */
  ratePerMinute: number;
  /** `triage.storm.alertsPerMinute`. */
  threshold: number;
  /** The incidents to list, any order (sorted here). */
  known: readonly Incident[];
  top: number;
  /** The storm ended: say so, and that cards catch up. */
  over: boolean;
}

const SEVERITY_RANK = { critical: 0, high: 1, warning: 2, info: 3 } as const;

/** "Alert storm: 2,314 alerts in 20 incidents in the last 5 min", and the worst incidents. */
export function stormSummary(view: StormView): Message {
  const n = (x: number): string => x.toLocaleString('en-US');
  const minutes = Math.max(1, Math.round((view.now - view.since) / 60_000));
  const counts = `${n(view.alerts)} alert${view.alerts === 1 ? '' : 's'} in ${n(view.incidents)} incident${view.incidents === 1 ? '' : 's'}`;
  const header = view.over ? `Alert storm over: ${counts} in ${minutes} min` : `Alert storm: ${counts} in the last ${minutes} min`;
  const top = [...view.known]
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.counts.received - a.counts.received || a.id.localeCompare(b.id))
    .slice(0, view.top);
  const items = top.map((i) => `${SEVERITY_LABELS[i.severity]}  ${i.id}  ${i.title} — ${n(i.counts.received)} received · ${i.state}`);
  const blocks: Message['blocks'] = [
    { type: 'header', text: header },
    {
      type: 'text',
      text: view.over
        ? `The storm is over: fewer than ${n(view.threshold)} alerts a minute since ${formatTime(view.now).slice(11)}. Lifeboat is bringing each incident's own card up to date now (new ones are posted without pings).`
        : `Alerts are arriving faster than ${n(view.threshold)} a minute (about ${n(view.ratePerMinute)} a minute now), so Lifeboat keeps this one card up to date instead of a card and a thread per incident. Every alert is stored; the cards catch up when the storm is over.`,
    },
  ];
  if (items.length > 0) blocks.push({ type: 'list', items });
  const rest = view.incidents - top.length;
  blocks.push({ type: 'context', text: `${rest > 0 ? `… and ${n(rest)} more incident${rest === 1 ? '' : 's'}. ` : ''}Since ${formatTime(view.since)}. Type incidents to list them all.` });
  return { summary: header, tone: view.over ? 'success' : 'warning', blocks };
}
