import { describe, expect, it } from 'vitest';
import type { Block, Message } from '../../../src/core/message.js';
import { decodeActionId, encodeActionId, renderBlockKit, SLACK_LIMITS } from '../../../src/adapters/slack/index.js';
import { renderCommandEcho } from '../../../src/adapters/slack/command-echo.js';

const one = (block: Block, extra: Partial<Message> = {}) => renderBlockKit({ summary: 's', blocks: [block], ...extra });
const sectionText = (text: string) => {
  const [block] = one({ type: 'text', text }).blocks;
  if (block?.type !== 'section' || !block.text) throw new Error('expected a section');
  return block.text.text;
};

/** Every displayed string in a rendered message (not action ids or button values, which Slack never shows or parses). */
function displayedStrings(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return ['text', 'fallback'].includes(key) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => displayedStrings(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => displayedStrings(v, k));
  return [];
}

describe('escaping untrusted text for Slack mrkdwn', () => {
  it.each([
    ['a broadcast', '<!channel> deploy now', '&lt;!channel&gt; deploy now'],
    ['a labelled broadcast', '<!here|here>', '&lt;!here|here&gt;'],
    ['a user mention', 'ping <@U0ADMIN>', 'ping &lt;@U0ADMIN&gt;'],
    ['a user-group mention', '<!subteam^S0ALL>', '&lt;!subteam^S0ALL&gt;'],
    ['a disguised link', '<https://evil.example/login|AWS console>', '&lt;https://evil.example/login|AWS console&gt;'],
    ['ampersands, including text that looks pre-escaped', 'Tom & Jerry &lt;b&gt;', 'Tom &amp; Jerry &amp;lt;b&amp;gt;'],
    ['an RTL override (shown, not obeyed)', 'invoice\u202Egnp.exe', 'invoice[U+202E]gnp.exe'],
    ['bidi embeddings and isolates', '\u202Aa\u202C \u2066b\u2069 \u2067c\u2068d', '[U+202A]a[U+202C] [U+2066]b[U+2069] [U+2067]c[U+2068]d'],
    ['control characters and terminal escapes', 'a\u0000b\u001b[2Jc\u0007', 'a\uFFFDb\uFFFD[2Jc\uFFFD'],
    ['CRLF line endings', 'one\r\ntwo\rthree', 'one\ntwo\nthree'],
    ['backticks in prose (formatting only, never a mention or link)', 'run `lifeboat help`', 'run `lifeboat help`'],
    ['Arabic with its bidi marks kept', 'خدمة\u200F api', 'خدمة\u200F api'],
  ])('%s', (_name, input, expected) => {
    expect(sectionText(input)).toBe(expected);
  });

  it('sends every mrkdwn text object with verbatim: true so bare @channel and #names stay plain', () => {
    const rendered = renderBlockKit({ summary: 's', blocks: [{ type: 'text', text: '@channel #general' }, { type: 'context', text: '@here' }, { type: 'fields', fields: [{ label: 'a', value: '@everyone' }] }] });
    const mrkdwn = JSON.stringify(rendered).match(/"type":"mrkdwn"[^}]*}/g) ?? [];
    expect(mrkdwn.length).toBe(3);
    for (const obj of mrkdwn) expect(obj).toContain('"verbatim":true');
  });

  it('keeps a code block closed however many backticks the text contains', () => {
    const [block] = one({ type: 'code', text: 'before\n```\n<!channel> after\n````' }).blocks;
    const text = block?.type === 'section' ? block.text?.text : undefined;
    expect(text).toBe('```\nbefore\n`\u200B`\u200B`\n&lt;!channel&gt; after\n`\u200B`\u200B`\u200B`\n```');
    // Only our own two fences remain.
    expect(text?.match(/```/g)).toHaveLength(2);
  });

  it('keeps a bold field label bold when the label contains asterisks', () => {
    const [block] = one({ type: 'fields', fields: [{ label: '*not* bold', value: 'v' }] }).blocks;
    expect(block?.type === 'section' ? block.fields?.[0]?.text : undefined).toBe('*∗not∗ bold*\nv');
  });

  it('escapes headers, buttons, context and the fallback text too, but passes button values through untouched', () => {
    const rendered = renderBlockKit({
      summary: 'sum <!channel>',
      blocks: [
        { type: 'header', text: 'H <!here>' },
        { type: 'context', text: 'C <@U1>' },
        { type: 'actions', actions: [{ id: 'x', label: 'B <!channel>', value: '<raw & value>' }] },
      ],
    });
    expect(rendered.text).toBe('sum &lt;!channel&gt;');
    expect(JSON.stringify(rendered.blocks)).toContain('"text":"H &lt;!here&gt;"');
    expect(JSON.stringify(rendered.blocks)).toContain('"text":"C &lt;@U1&gt;"');
    expect(JSON.stringify(rendered.blocks)).toContain('"text":"B &lt;!channel&gt;"');
    // The value comes back to the router verbatim; Slack never renders it.
    expect(JSON.stringify(rendered.blocks)).toContain('"value":"<raw & value>"');
  });

  it('never lets a raw < or > or a bare & reach any displayed string', () => {
    const nasty = '<!channel> <@U1> <https://x|y> & &amp; \u202E ``` `';
    const rendered = renderBlockKit({
      summary: nasty,
      tone: 'danger',
      drill: true,
      blocks: [
        { type: 'header', text: nasty },
        { type: 'text', text: nasty },
        { type: 'code', text: nasty },
        { type: 'fields', fields: [{ label: nasty, value: nasty }] },
        { type: 'list', items: [nasty, nasty] },
        { type: 'context', text: nasty },
        { type: 'actions', actions: [{ id: 'a', label: nasty, value: 'v' }] },
      ],
    });
    const strings = [rendered.text, ...displayedStrings(rendered.blocks)];
    expect(strings.length).toBeGreaterThan(8);
    for (const s of strings) {
      expect(s).not.toMatch(/[<>\u202E]/);
      expect(s.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    }
  });

  it('escapes what the user typed in the command echo, and only mentions a well-formed user id', () => {
    expect(renderCommandEcho('U0ABC123', '/lifeboat', ' <!channel> `x` ').text).toBe('<@U0ABC123> ran `/lifeboat &lt;!channel&gt; ˋxˋ`');
    expect(renderCommandEcho('<!channel>', '/lifeboat', 'help').text).toBe('&lt;!channel&gt; ran `/lifeboat help`');
    expect(renderCommandEcho('U0ABC123', '/lifeboat', '').text).toBe('<@U0ABC123> ran `/lifeboat`');
  });
});

describe('Block Kit limits with visible truncation', () => {
  const notice = /… \(truncated, (\d+) more chars\)$/;

  it('cuts a 100 KB value to one section and says how much was left out', () => {
    const text = sectionText('x'.repeat(100_000));
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const kept = text.replace(/\n… .*$/, '').length;
    expect(Number(notice.exec(text)?.[1])).toBe(100_000 - kept);
    expect(kept).toBeGreaterThan(2900);
  });

  it('never cuts inside an entity or a surrogate pair', () => {
    const entities = sectionText('<'.repeat(100_000));
    expect(entities.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const body = entities.replace(/\n… .*$/, '');
    expect(body).toMatch(/^(&lt;)+$/);
    expect(Number(notice.exec(entities)?.[1])).toBe(100_000 - body.length / 4);

    const emoji = sectionText('😀'.repeat(2000));
    expect(emoji.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(Number(notice.exec(emoji)?.[1])).toBe(2000 - [...emoji.replace(/\n… .*$/, '')].length);
  });

  it('fits headers (150), button labels (75), field text (2000) and the fallback text (40 000)', () => {
    const rendered = renderBlockKit({
      summary: 's'.repeat(60_000),
      blocks: [
        { type: 'header', text: 'h'.repeat(400) },
        { type: 'fields', fields: [{ label: 'Big', value: 'v'.repeat(9000) }] },
        { type: 'actions', actions: [{ id: 'a', label: 'l'.repeat(300), value: 'v' }] },
      ],
    });
    expect(rendered.text.length).toBeLessThanOrEqual(40_000);
    expect(rendered.text).toMatch(notice);
    const [header, fields, actions] = rendered.blocks;
    expect(header?.type === 'header' && header.text.text.length).toBeLessThanOrEqual(150);
    expect(header?.type === 'header' && header.text.text).toMatch(notice);
    const fieldText = fields?.type === 'section' ? fields.fields?.[0]?.text : '';
    expect(fieldText?.length).toBeLessThanOrEqual(2000);
    expect(fieldText).toMatch(notice);
    const button = actions?.type === 'actions' ? actions.elements[0] : undefined;
    expect(button?.type === 'button' && button.text.text.length).toBeLessThanOrEqual(75);
    expect(button?.type === 'button' && button.text.text).toMatch(notice);
  });

  it('splits more than 10 fields and more than 25 buttons over several blocks, with unique action ids', () => {
    const rendered = renderBlockKit({
      summary: 's',
      blocks: [
        { type: 'fields', fields: Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: 'v' })) },
        { type: 'actions', actions: Array.from({ length: 30 }, (_, i) => ({ id: 'pick', label: `p${i}`, value: `${i}` })) },
      ],
    });
    const sections = rendered.blocks.filter((b) => b.type === 'section');
    expect(sections.map((s) => (s.type === 'section' ? s.fields?.length : 0))).toEqual([10, 10, 3]);
    const actionBlocks = rendered.blocks.filter((b) => b.type === 'actions');
    expect(actionBlocks.map((b) => (b.type === 'actions' ? b.elements.length : 0))).toEqual([25, 5]);
    const ids = actionBlocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => (e as { action_id: string }).action_id) : []));
    expect(new Set(ids).size).toBe(30);
    expect(ids.map(decodeActionId)).toEqual(Array(30).fill('pick'));
  });

  it('drops content beyond 50 blocks with a notice but keeps the drill banner and the buttons', () => {
    const rendered = renderBlockKit({
      summary: 's',
      drill: true,
      blocks: [
        ...Array.from({ length: 80 }, (_, i) => ({ type: 'text' as const, text: `line ${i}` })),
        { type: 'actions', actions: [{ id: 'confirm', label: 'Confirm', value: 'c1' }] },
      ],
    });
    expect(rendered.blocks).toHaveLength(50);
    expect(JSON.stringify(rendered.blocks[0])).toContain('DRILL');
    expect(rendered.blocks.at(-1)?.type).toBe('actions');
    expect(JSON.stringify(rendered.blocks.at(-2))).toContain('… (truncated, 33 more blocks)');
    // 1 banner + 47 lines + notice + actions
    expect(rendered.blocks.filter((b) => b.type === 'section')).toHaveLength(47);
  });

  it('leaves out (visibly) a button whose value would not fit, rather than cutting the value', () => {
    const rendered = renderBlockKit({ summary: 's', blocks: [{ type: 'actions', actions: [{ id: 'ok', label: 'OK', value: 'v' }, { id: 'huge', label: 'Huge', value: 'x'.repeat(2001) }] }] });
    expect(rendered.blocks).toHaveLength(2);
    expect(rendered.blocks[0]?.type === 'actions' && rendered.blocks[0].elements).toHaveLength(1);
    expect(JSON.stringify(rendered.blocks[1])).toContain('left out');
    expect(JSON.stringify(rendered.blocks[1])).toContain('Huge');
  });
});

describe('drill and tone markers', () => {
  it('marks drills in the first block and the fallback text', () => {
    const rendered = renderBlockKit({ summary: 'scale prod/api to 0', drill: true, blocks: [{ type: 'text', text: 'done' }] });
    expect(rendered.text).toBe('[DRILL] scale prod/api to 0');
    expect(rendered.blocks[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: ':test_tube: *DRILL* — simulated; nothing real was changed.', verbatim: true }] });
  });

  it('puts the tone emoji on the first header/text block, or adds a small context when the message starts otherwise', () => {
    expect(renderBlockKit({ summary: 's', tone: 'warning', blocks: [{ type: 'header', text: 'Careful' }] }).blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':warning: Careful', emoji: true },
    });
    const startsWithFields = renderBlockKit({ summary: 's', tone: 'danger', blocks: [{ type: 'fields', fields: [{ label: 'a', value: 'b' }] }] });
    expect(startsWithFields.blocks[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: ':rotating_light: *Danger*', verbatim: true }] });
    expect(startsWithFields.text).toBe(':rotating_light: s');
  });
});

describe('action ids', () => {
  it('round-trips ids with colons and passes foreign ids through', () => {
    expect(decodeActionId(encodeActionId('confirm', 0))).toBe('confirm');
    expect(decodeActionId(encodeActionId('job:cancel', 12))).toBe('job:cancel');
    expect(decodeActionId(encodeActionId('x:3', 4))).toBe('x:3');
    expect(decodeActionId('a')).toBe('a');
  });
});
