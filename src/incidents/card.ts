import type { Action, Block, Message, Tone } from '../core/message.js';
import { classLabel, countsLine, formatTime, SEVERITY_LABELS, stateLine, targetLine } from './format.js';
import type { IncidentClass } from '../intake/alert.js';
import type { Incident, IncidentAlert, IncidentDetails, TimelineEntry } from './model.js';
import { runbookFor, type ClassRunbook } from './runbooks.js';

/** Button ids the router maps to commands (see `incidentActionCommand`). */
export const INCIDENT_ACTIONS = {
  ack: 'incident-ack',
  resolve: 'incident-resolve',
  snooze: 'incident-snooze',
  runbook: 'runbook-start',
} as const;

/** Timeline entries a card shows; the thread and `incident <id>` have the rest. */
export const CARD_TIMELINE_ENTRIES = 5;

/** At most this many "Start runbook" buttons on one card. */
const MAX_RUNBOOK_BUTTONS = 3;

export interface CardOptions {
  /**
   * The runbooks a class offers. Default: the built-in map (`RUNBOOK_FOR_CLASS`). The composition
   * root can pass the loaded catalog instead: `(cls) => catalog.forClass(cls).map((r) => ({ id: r.id, label: r.title }))`.
   */
  runbooksFor?: (cls: IncidentClass) => readonly ClassRunbook[];
}

function defaultRunbooks(cls: IncidentClass): ClassRunbook[] {
  const runbook = runbookFor(cls);
  return runbook ? [runbook] : [];
}

/**
 * The incident card: one per incident, updated in place. All text is plain — titles, summaries
 * and timeline lines carry alert text, which each surface's renderer escapes — and buttons
 * carry only the incident id, never alert text.
 */
export function renderIncidentCard(incident: Incident, recentTimeline: readonly TimelineEntry[], options: CardOptions = {}): Message {
  const blocks: Block[] = [
    { type: 'header', text: `${SEVERITY_LABELS[incident.severity]} · ${incident.title}` },
    ...(incident.summary && incident.summary !== incident.title ? [{ type: 'text' as const, text: incident.summary }] : []),
    {
      type: 'fields',
      fields: [
        { label: 'Incident', value: `${incident.id} · ${classLabel(incident)}` },
        { label: 'State', value: stateLine(incident) },
        { label: 'Alerts', value: countsLine(incident.counts) },
        { label: 'Where', value: targetLine(incident.target) },
      ],
    },
    ...notes(incident).map((text) => ({ type: 'context' as const, text })),
  ];
  const timeline = recentTimeline.slice(-CARD_TIMELINE_ENTRIES);
  if (timeline.length > 0) blocks.push({ type: 'list', items: timeline.map(timelineLine) });
  const actions = cardActions(incident, options.runbooksFor ?? defaultRunbooks);
  if (actions.length > 0) blocks.push({ type: 'actions', actions });
  return { summary: cardSummary(incident), tone: toneOf(incident), blocks };
}

/** `incident <id>`: the card, every alert, and the timeline. */
export function renderIncidentDetails(details: IncidentDetails, options: CardOptions = {}): Message {
  const card = renderIncidentCard(details.incident, [], options);
  const actions = card.blocks.filter((b) => b.type === 'actions');
  const body = card.blocks.filter((b) => b.type !== 'actions');
  const alertLines = details.alerts.map(alertLine);
  const dropped = details.incident.timelineDropped;
  return {
    ...card,
    blocks: [
      ...body,
      { type: 'divider' },
      { type: 'text', text: `Alerts (${details.alerts.length})` },
      alertLines.length > 0 ? { type: 'list', items: alertLines } : { type: 'context', text: 'No alert records (they expire with the incident).' },
      { type: 'text', text: 'Timeline' },
      ...(dropped > 0 ? [{ type: 'context' as const, text: `${dropped} older entr${dropped === 1 ? 'y was' : 'ies were'} dropped at the timeline cap.` }] : []),
      details.timeline.length > 0 ? { type: 'list', items: details.timeline.map(timelineLine) } : { type: 'context', text: 'No timeline entries.' },
      ...actions,
    ],
  };
}

/** `incidents`: one line per incident, worst first. */
export function renderIncidentList(incidents: readonly Incident[], scope: 'open' | 'all'): Message {
  const label = scope === 'open' ? 'Open incidents' : 'Incidents';
  if (incidents.length === 0) {
    return { summary: scope === 'open' ? 'No open incidents.' : 'No incidents.', tone: 'success', blocks: [{ type: 'text', text: scope === 'open' ? 'No open incidents.' : 'No incidents stored.' }] };
  }
  const items = incidents.map((i) => `${i.id}  ${SEVERITY_LABELS[i.severity]}  ${i.state}${i.flapping ? ' (flapping)' : ''}  ${i.title} — ${countsLine(i.counts)} — since ${formatTime(i.openedAt)}`);
  return {
    summary: `${label}: ${incidents.length}`,
    tone: scope === 'open' ? 'warning' : 'info',
    blocks: [{ type: 'header', text: `${label} (${incidents.length})` }, { type: 'list', items }, { type: 'context', text: 'incident <id> shows one with its alerts and timeline.' }],
  };
}

function cardSummary(incident: Incident): string {
  return `${SEVERITY_LABELS[incident.severity]} ${incident.id}: ${incident.title} (${incident.state})`;
}

function toneOf(incident: Incident): Tone {
  if (incident.state === 'resolved') return 'success';
  if (incident.severity === 'critical' || incident.severity === 'high') return 'danger';
  return incident.severity === 'warning' ? 'warning' : 'info';
}

function notes(incident: Incident): string[] {
  const out: string[] = [];
  if (incident.flapping && incident.flappingUntil) out.push(`Flapping: its alerts keep changing between firing and resolved (${incident.counts.stateChanges} changes). Notifications are held until ${formatTime(incident.flappingUntil)}; counts keep updating.`);
  if (incident.snoozedUntil && incident.state !== 'resolved') out.push(`Snoozed until ${formatTime(incident.snoozedUntil)}.`);
  if (incident.linkedIncidentId) out.push(`Continues ${incident.linkedIncidentId}, which had gone stale: a new alert is never just counted on a stale incident.`);
  if (incident.supersededBy) out.push(`Continued by ${incident.supersededBy}.`);
  if (incident.truncatedAlerts > 0) out.push(`The sender left out ${incident.truncatedAlerts} alert${incident.truncatedAlerts === 1 ? '' : 's'} of this group (Alertmanager truncatedAlerts): not everything is shown here.`);
  return out;
}

function cardActions(incident: Incident, runbooksFor: (cls: IncidentClass) => readonly ClassRunbook[]): Action[] {
  if (incident.state === 'resolved') return [];
  const actions: Action[] = [];
  if (incident.state === 'open') actions.push({ id: INCIDENT_ACTIONS.ack, label: 'Acknowledge', value: incident.id, style: 'primary' });
  actions.push({ id: INCIDENT_ACTIONS.resolve, label: 'Resolve', value: incident.id });
  actions.push({ id: INCIDENT_ACTIONS.snooze, label: 'Snooze', value: incident.id });
  for (const runbook of runbooksFor(incident.class).slice(0, MAX_RUNBOOK_BUTTONS)) {
    actions.push({ id: INCIDENT_ACTIONS.runbook, label: `Start runbook: ${runbook.label}`, value: `${runbook.id}:${incident.id}` });
  }
  return actions;
}

function timelineLine(e: TimelineEntry): string {
  return `${formatTime(e.at)}  ${e.text}${e.by ? ` — ${e.by}` : ''}`;
}

function alertLine(a: IncidentAlert): string {
  const count = a.received > 1 ? ` (${a.received}×)` : '';
  return `${a.status === 'firing' ? 'FIRING  ' : 'resolved'}  ${a.name}${count} — ${a.summary} — since ${formatTime(a.firstSeenAt)}, last ${formatTime(a.lastSeenAt)} [${a.source}]`;
}
