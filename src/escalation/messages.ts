import type { Message, Tone } from '../core/message.js';
import type { Incident } from '../incidents/model.js';
import { formatDuration } from '../incidents/state-machine.js';

/** `prod/api: image pull failed (inc-7f3a2c, critical)`. */
export function incidentLine(incident: Pick<Incident, 'id' | 'title' | 'severity'>): string {
  return `${incident.title} (${incident.id}, ${incident.severity})`;
}

/** A short escalation message: a headline, detail lines, and a hint. */
export function escalationMessage(headline: string, lines: readonly string[], options: { tone?: Tone; hint?: string } = {}): Message {
  return {
    summary: headline,
    tone: options.tone ?? 'warning',
    blocks: [
      { type: 'text', text: headline },
      ...(lines.length ? [{ type: 'list' as const, items: [...lines] }] : []),
      ...(options.hint ? [{ type: 'context' as const, text: options.hint }] : []),
    ],
  };
}

/** The direct message a paged person gets. */
export function pageDirectMessage(incident: Incident, why: string, now: number): Message {
  const open = formatDuration(Math.max(0, now - incident.openedAt));
  return {
    summary: `You are paged: ${incidentLine(incident)}`,
    tone: 'danger',
    blocks: [
      { type: 'header', text: `Paged: ${incident.id}` },
      { type: 'text', text: `${incident.title} — ${incident.severity}, ${incident.state} for ${open}.` },
      { type: 'text', text: why },
      { type: 'context', text: `Type ack ${incident.id} (or press Acknowledge on its card) when you are on it; escalate ${incident.id} pages the next level.` },
    ],
  };
}

export { formatDuration };
