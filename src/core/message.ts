/**
 * The neutral message model. Features describe *what* to say; each chat surface renders it
 * (Block Kit for Slack, plain text for the terminal). All strings here are plain text — never
 * pre-escaped, never markup — and renderers escape them for their surface, so text that came
 * from an alert can never inject a mention or a link.
 */
export type Tone = 'info' | 'success' | 'warning' | 'danger';

export interface Action {
  /** Routing id understood by the router, e.g. `confirm`, `cancel-job`. */
  id: string;
  label: string;
  /** Opaque value handed back when the action is chosen (a confirmation id, a job id …). */
  value: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: string }
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'fields'; fields: { label: string; value: string }[] }
  | { type: 'list'; items: string[] }
  | { type: 'context'; text: string }
  | { type: 'divider' }
  | { type: 'actions'; actions: Action[] };

export interface Message {
  /** One-line summary: notification text and the fallback where blocks are not shown. */
  summary: string;
  tone?: Tone;
  blocks: Block[];
  /** Drill messages are visibly marked on every surface. */
  drill?: boolean;
}

/** A message that is just one paragraph. */
export function textMessage(text: string, tone?: Tone): Message {
  return { summary: text, tone, blocks: [{ type: 'text', text }] };
}

/**
 * An action whose value is command text for a person to complete (a runbook's missing inputs).
 * Slack opens its command modal with the text filled in; other surfaces show the text to type.
 */
export const FILL_IN_COMMAND_ACTION = 'fill-in-command';
