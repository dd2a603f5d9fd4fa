/**
 * Untrusted alert text on the way into Slack, through the real renderer: the incident card, its
 * thread replies and the storm summary are rendered with `renderBlockKit` (and `withMentions`, the
 * only source of pings), so nothing an alert says can mention, link or break the layout.
 */
import { describe, expect, it } from 'vitest';
import { mentionMarkup, renderBlockKit, SLACK_LIMITS, withMentions, type BlockKitMessage } from '../../../src/adapters/slack/index.js';
import type { Incident, IncidentDetails, TimelineEntry } from '../../../src/incidents/model.js';
import { incidentCardMessage, stormSummary, threadReply } from '../../../src/incidents/notifier-render.js';

const NOW = Date.UTC(2026, 2, 2, 10, 0);
const HUGE = 'x'.repeat(100 * 1024);

const INJECTIONS: [string, string, string][] = [
  ['a broadcast', '<!channel> deploy now', '&lt;!channel&gt; deploy now'],
  ['a here and a user mention', '<!here> <@U0ADMIN>', '&lt;!here&gt; &lt;@U0ADMIN&gt;'],
  ['a disguised link', '<https://x|y>', '&lt;https://x|y&gt;'],
  ['an ampersand', 'Tom & Jerry', 'Tom &amp; Jerry'],
  ['backticks', 'run ```rm -rf``` now', 'run ```rm -rf``` now'],
  ['an RTL override', 'invoice\u202Egnp.exe', 'invoice[U+202E]gnp.exe'],
];

function incident(text: string): Incident {
  return {
    id: 'inc-7f3a2c',
    version: 3,
    groupKey: 'service:111122223333/us-west-2/prod/api',
    class: 'image-pull-failed',
    pullFailure: 'image-not-found',
    severity: 'critical',
    state: 'open',
    title: `prod/api: ${text}`,
    summary: text,
    target: { account: '111122223333', region: 'us-west-2', cluster: 'prod', service: text },
    counts: { alerts: 2, firing: 2, received: 57, duplicates: 40, stateChanges: 0 },
    flapping: false,
    createdAt: NOW,
    openedAt: NOW,
    updatedAt: NOW,
    lastActivityAt: NOW,
    lastAlertAt: NOW,
    truncatedAlerts: 0,
    reopenCount: 0,
    timelineDropped: 0,
  };
}

function entries(text: string, n = 3): TimelineEntry[] {
  return Array.from({ length: n }, (_, i) => ({ at: NOW + i * 1000, kind: 'alert', text: `New alert: ${text}` }));
}

function details(text: string): IncidentDetails {
  return { incident: incident(text), alerts: [], timeline: entries(text) };
}

/** Every text Slack displays or parses as mrkdwn. */
function texts(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return ['text'].includes(key) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => texts(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => texts(v, k));
  return [];
}

function checkLimits(rendered: BlockKitMessage): void {
  expect(rendered.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  expect(rendered.text.length).toBeLessThanOrEqual(SLACK_LIMITS.topLevelText);
  for (const block of rendered.blocks) {
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'section') {
      expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
  }
}

describe('incident card, thread and storm summary in Slack', () => {
  it.each(INJECTIONS)('escape %s everywhere it appears', (_name, input, escaped) => {
    const messages = [
      withMentions(renderBlockKit(incidentCardMessage(details(input))), [{ type: 'here' }]),
      renderBlockKit(threadReply({ incidentId: 'inc-7f3a2c', entries: entries(input), seenAgain: [{ name: input, received: 4 }], held: 0, missed: 0, maxLines: 10 })!),
      renderBlockKit(stormSummary({ since: NOW, now: NOW + 300_000, alerts: 2314, incidents: 20, ratePerMinute: 900, threshold: 60, known: [incident(input)], top: 10, over: false })),
    ];
    for (const rendered of messages) {
      const all = [rendered.text, ...texts(rendered.blocks)].join('\n');
      expect(all).toContain(escaped);
      // The only markup that reaches Slack is the configured mention.
      const markup = all.match(/<[^>]*>/g) ?? [];
      expect(markup.every((m) => m === '<!here>')).toBe(true);
      expect(all).not.toContain('\u202E');
      checkLimits(rendered);
    }
  });

  it('truncates 100 KB values visibly and stays within every Block Kit limit', () => {
    const card = renderBlockKit(incidentCardMessage({ incident: incident(HUGE), alerts: [], timeline: entries(HUGE, 5) }));
    checkLimits(card);
    expect(JSON.stringify(card)).toMatch(/… \(truncated, \d+ more chars\)/);
    const reply = renderBlockKit(threadReply({ incidentId: 'inc-7f3a2c', entries: entries(HUGE, 40), seenAgain: [], held: 0, missed: 0, maxLines: 40 })!);
    checkLimits(reply);
    expect(JSON.stringify(reply)).toMatch(/truncated/);
    expect(JSON.stringify(card).length).toBeLessThan(60_000);
  });

  it('renders configured mentions as the only pings, first, and drops ids that are not ids', () => {
    const rendered = withMentions(renderBlockKit(incidentCardMessage(details('api'))), [
      { type: 'here' },
      { type: 'usergroup', id: 'S0ONCALL' },
      { type: 'user', id: 'U0ANA' },
      { type: 'usergroup', id: 'S0><!channel' },
      { type: 'user', id: '<!everyone>' },
    ]);
    expect(rendered.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '<!here> <!subteam^S0ONCALL> <@U0ANA>' } });
    expect(rendered.text.startsWith('<!here> <!subteam^S0ONCALL> <@U0ANA> ')).toBe(true);
    expect(mentionMarkup({ type: 'channel' })).toBe('<!channel>');
    expect(JSON.stringify(rendered)).not.toContain('everyone');
  });

  it('keeps the 50-block cap when a mention is added to a full message', () => {
    const full = { summary: 's', blocks: Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `line ${i}` })) };
    const rendered = withMentions(renderBlockKit(full), [{ type: 'here' }]);
    expect(rendered.blocks).toHaveLength(SLACK_LIMITS.blocksPerMessage);
    expect(rendered.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '<!here>' } });
  });
});
