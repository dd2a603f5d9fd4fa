import type { types } from '@slack/bolt';
import type { Action, Block, Message, Tone } from '../../core/message.js';
import { ACTION_ID_MAX, encodeActionId } from './action-ids.js';
import { cleanText, fitEscaped, fitPrepared, prepareBold, prepareCode } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;
type MrkdwnElement = types.MrkdwnElement;

/**
 * Block Kit limits this renderer keeps to (docs.slack.dev Block Kit reference). Anything longer is
 * cut with a visible notice rather than rejected by Slack with `invalid_blocks`.
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  contextText: 3000,
  headerText: 150,
  fieldsPerSection: 10,
  fieldText: 2000,
  buttonText: 75,
  actionValue: 2000,
  elementsPerActions: 25,
  topLevelText: 40_000,
} as const;

/** What `chat.postMessage` / `chat.update` / `views.publish` need from a rendered message. */
export interface BlockKitMessage {
  /** Notification and fallback text (escaped mrkdwn). */
  text: string;
  blocks: KnownBlock[];
}

const TONE_EMOJI: Record<Tone, string> = {
  info: ':information_source:',
  success: ':white_check_mark:',
  warning: ':warning:',
  danger: ':rotating_light:',
};

const TONE_WORD: Record<Tone, string> = {
  info: 'Info',
  success: 'Success',
  warning: 'Warning',
  danger: 'Danger',
};

const DRILL_BANNER = ':test_tube: *DRILL* — simulated; nothing real was changed.';
const EMPTY = '(empty)';
// Long enough for any sensible label; keeps room for the value in a 2000-char field.
const FIELD_LABEL_MAX = 300;

/**
 * Renders a neutral message as Block Kit. Pure: the same message always gives the same JSON,
 * which the golden files under `test/golden/slack/` pin down.
 *
 * - Every model string is cleaned, escaped and fitted (see `mrkdwn.ts`); mrkdwn text objects
 *   carry `verbatim: true`.
 * - `drill` adds a "DRILL" banner as the first block and `[DRILL]` to the fallback text.
 * - `tone` becomes an emoji in front of the first header/text/context block (or a small context
 *   block when the message starts otherwise) and of the fallback text.
 * - Buttons get `action_id` = `<action.id>:<index>` (see `action-ids.ts`).
 * - More than 50 blocks: content blocks are dropped from the end with a visible notice; the drill
 *   banner and the buttons are always kept, since a confirmation without its buttons is useless.
 */
export function renderBlockKit(message: Message): BlockKitMessage {
  const toneEmoji = message.tone ? TONE_EMOJI[message.tone] : undefined;
  const items: RenderedBlock[] = [];
  if (message.drill) items.push({ block: context(DRILL_BANNER), pinned: true });

  const source: Block[] = message.blocks.length > 0 ? message.blocks : [{ type: 'text', text: message.summary }];
  const first = source[0];
  const toneFitsFirst = first !== undefined && (first.type === 'header' || first.type === 'text' || first.type === 'context');
  if (message.tone && toneEmoji && !toneFitsFirst) {
    items.push({ block: context(`${toneEmoji} *${TONE_WORD[message.tone]}*`), pinned: true });
  }

  const buttons = { next: 0 };
  source.forEach((block, i) => {
    const prefix = i === 0 && toneFitsFirst && toneEmoji ? `${toneEmoji} ` : '';
    items.push(...renderBlock(block, prefix, buttons));
  });

  return { text: fallbackText(message, toneEmoji), blocks: capBlocks(items) };
}

interface RenderedBlock {
  block: KnownBlock;
  /** Kept even when the message has to be cut to 50 blocks. */
  pinned: boolean;
}

function renderBlock(block: Block, prefix: string, buttons: { next: number }): RenderedBlock[] {
  switch (block.type) {
    case 'header':
      return [content(header(prefix, block.text))];
    case 'text':
      return [content(section(prefix + orEmpty(fitEscaped(block.text, SLACK_LIMITS.sectionText - prefix.length, { multiline: true }))))];
    case 'code':
      return [content(section(codeBlock(block.text)))];
    case 'context':
      return [content(context(prefix + orEmpty(fitEscaped(block.text, SLACK_LIMITS.contextText - prefix.length, { multiline: true }))))];
    case 'divider':
      return [content({ type: 'divider' })];
    case 'list':
      return [content(section(list(block.items)))];
    case 'fields':
      return chunk(block.fields, SLACK_LIMITS.fieldsPerSection).map((group) =>
        content({ type: 'section', fields: group.map((f) => mrkdwn(field(f.label, f.value))) }),
      );
    case 'actions':
      return renderActions(block.actions, buttons);
  }
}

function header(prefix: string, text: string): KnownBlock {
  const fitted = fitEscaped(text, SLACK_LIMITS.headerText - prefix.length);
  return { type: 'header', text: { type: 'plain_text', text: prefix + orEmpty(fitted), emoji: true } };
}

function codeBlock(text: string): string {
  const fence = '```';
  // Two fences and two newlines around the body.
  const body = fitPrepared(prepareCode(text), SLACK_LIMITS.sectionText - 2 * fence.length - 2, { multiline: true });
  return `${fence}\n${orEmpty(body)}\n${fence}`;
}

function list(items: string[]): string {
  if (items.length === 0) return '(none)';
  const joined = items.map((item) => `• ${cleanText(item)}`).join('\n');
  return fitPrepared(joined, SLACK_LIMITS.sectionText, { multiline: true });
}

function field(label: string, value: string): string {
  const shownLabel = fitPrepared(prepareBold(label), FIELD_LABEL_MAX);
  const head = shownLabel.length > 0 ? `*${shownLabel}*\n` : '';
  const body = fitEscaped(value, SLACK_LIMITS.fieldText - head.length, { multiline: true });
  return head + (body.length > 0 ? body : '—');
}

function renderActions(actions: Action[], buttons: { next: number }): RenderedBlock[] {
  const elements: types.Button[] = [];
  const omitted: string[] = [];
  for (const action of actions) {
    const index = buttons.next++;
    const actionId = encodeActionId(action.id, index);
    const label = orEmpty(fitEscaped(action.label, SLACK_LIMITS.buttonText));
    // A cut value or id would route the press to the wrong thing, so such a button is left out
    // and the omission shown instead; ids and values come from our own code, so this is a bug.
    if (action.value.length > SLACK_LIMITS.actionValue || actionId.length > ACTION_ID_MAX) {
      omitted.push(label);
      continue;
    }
    const button: types.Button = {
      type: 'button',
      action_id: actionId,
      text: { type: 'plain_text', text: label, emoji: true },
      value: action.value,
    };
    if (action.style) button.style = action.style;
    elements.push(button);
  }
  const out: RenderedBlock[] = chunk(elements, SLACK_LIMITS.elementsPerActions).map((group) => ({
    block: { type: 'actions', elements: group },
    pinned: true,
  }));
  if (omitted.length > 0) {
    const names = fitEscaped(omitted.join(', '), 1000);
    out.push({ block: context(`:warning: Button(s) left out because their data is too long for Slack: ${names}`), pinned: true });
  }
  return out;
}

function fallbackText(message: Message, toneEmoji: string | undefined): string {
  const prefix = `${message.drill ? '[DRILL] ' : ''}${toneEmoji ? `${toneEmoji} ` : ''}`;
  return prefix + orEmpty(fitEscaped(message.summary, SLACK_LIMITS.topLevelText - prefix.length));
}

function capBlocks(items: RenderedBlock[]): KnownBlock[] {
  const max = SLACK_LIMITS.blocksPerMessage;
  if (items.length <= max) return items.map((item) => item.block);
  const pinned = items.filter((item) => item.pinned).length;
  let budget = Math.max(0, max - 1 - pinned);
  const out: KnownBlock[] = [];
  let dropped = 0;
  let noticeAt = -1;
  for (const item of items) {
    if (item.pinned) {
      out.push(item.block);
    } else if (budget > 0) {
      out.push(item.block);
      budget -= 1;
    } else {
      if (noticeAt < 0) noticeAt = out.length;
      dropped += 1;
    }
  }
  if (dropped > 0) out.splice(noticeAt, 0, context(`… (truncated, ${dropped} more blocks)`));
  return out.slice(0, max);
}

function content(block: KnownBlock): RenderedBlock {
  return { block, pinned: false };
}

function section(text: string): KnownBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [mrkdwn(text)] };
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

// Slack rejects empty text objects (minimum length 1).
function orEmpty(text: string): string {
  return text.length > 0 ? text : EMPTY;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
