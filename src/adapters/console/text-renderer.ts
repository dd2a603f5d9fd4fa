import type { Action, Block, Message } from '../../core/message.js';

export interface TextRenderOptions {
  /** The number a person types to choose this action; actions without one are not shown. */
  choiceNumber?: (action: Action) => number | undefined;
}

const TONE_MARK: Record<string, string> = { info: 'i', success: '✓', warning: '!', danger: '✗' };

/**
 * Renders a neutral message as plain terminal text. Untrusted text may carry terminal escape
 * sequences (an alert summary can contain anything), so control characters other than newline
 * and tab are replaced before printing.
 */
export function renderText(message: Message, options: TextRenderOptions = {}): string {
  const lines: string[] = [];
  const mark = message.tone ? `[${TONE_MARK[message.tone] ?? message.tone}] ` : '';
  if (message.drill) lines.push('[DRILL — simulated account, nothing real is touched]');
  const first = message.blocks[0];
  if (!first || (first.type !== 'header' && first.type !== 'text')) lines.push(`${mark}${clean(message.summary)}`);
  message.blocks.forEach((block, i) => lines.push(...renderBlock(block, i === 0 ? mark : '', options)));
  return lines.join('\n');
}

function renderBlock(block: Block, mark: string, options: TextRenderOptions): string[] {
  switch (block.type) {
    case 'header':
      return [`${mark}== ${clean(block.text)} ==`];
    case 'text':
      return [`${mark}${clean(block.text)}`];
    case 'code':
      return clean(block.text).split('\n').map((l) => `    ${l}`);
    case 'fields':
      return block.fields.flatMap((f) => {
        const [head = '', ...rest] = clean(f.value).split('\n');
        return [`  ${clean(f.label)}: ${head}`, ...rest.map((r) => `  ${' '.repeat(clean(f.label).length + 2)}${r}`)];
      });
    case 'list':
      return block.items.map((item) => `  • ${clean(item)}`);
    case 'context':
      return [`  (${clean(block.text)})`];
    case 'divider':
      return ['  ' + '─'.repeat(40)];
    case 'actions': {
      const choices = block.actions
        .map((a) => ({ a, n: options.choiceNumber?.(a) }))
        .filter((c): c is { a: Action; n: number } => c.n !== undefined)
        .map(({ a, n }) => `[${n}] ${clean(a.label)}`);
      return choices.length ? [`  ${choices.join('   ')}   — type the number to choose`] : [];
    }
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** Replaces control characters and bidi overrides with a visible placeholder. */
export function clean(text: string): string {
  return text.replace(CONTROL, '\uFFFD');
}
