import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.js';
import { renderBlockKit, SLACK_LIMITS } from '../../../src/adapters/slack/index.js';
import { expectGolden } from '../../support/golden.js';

// Representative messages rendered to Block Kit; `UPDATE_GOLDEN=1 npx vitest run test/golden`
// rewrites the JSON next to this file so a layout change is a reviewed diff.
const golden = (name: string) => join(import.meta.dirname, `${name}.json`);
const asJson = (message: Message) => `${JSON.stringify(renderBlockKit(message), null, 2)}\n`;

const helpListing: Message = {
  summary: 'Lifeboat commands',
  tone: 'info',
  blocks: [
    { type: 'header', text: 'Lifeboat commands' },
    { type: 'text', text: 'Type these after /lifeboat. Commands marked (confirm) ask before they change anything.' },
    {
      type: 'list',
      items: [
        'help [command] — list commands, or show one command with examples',
        'status — version, Redis, queues and connected surfaces',
        'check images <cluster>/<service> — are the images of a service still pullable? (not available yet)',
        'rebuild <cluster>/<service> — rebuild and push the image (confirm; not available yet)',
        'redeploy <cluster>/<service> — force a new deployment (confirm; not available yet)',
        'scale <cluster>/<service> <count> — set the desired count (confirm; not available yet)',
      ],
    },
    { type: 'divider' },
    { type: 'code', text: '/lifeboat redeploy prod/api\n/lifeboat scale prod/api 6' },
    { type: 'context', text: 'Unknown command? Lifeboat suggests the nearest matches.' },
  ],
};

const confirmation: Message = {
  summary: 'Confirm: redeploy prod/api',
  tone: 'warning',
  blocks: [
    { type: 'header', text: 'Redeploy prod/api?' },
    {
      type: 'fields',
      fields: [
        { label: 'Cluster', value: 'prod' },
        { label: 'Service', value: 'api' },
        { label: 'Running', value: '4 of 4 tasks' },
        { label: 'Image', value: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:9b2c…' },
      ],
    },
    { type: 'text', text: 'This forces a new deployment: every task is replaced, one batch at a time.' },
    {
      type: 'actions',
      actions: [
        { id: 'confirm', label: 'Confirm', value: 'confirm-3f9a1c07d2', style: 'primary' },
        { id: 'cancel', label: 'Cancel', value: 'confirm-3f9a1c07d2' },
      ],
    },
    { type: 'context', text: 'Only the person who asked can confirm. Expires in 5 minutes.' },
  ],
};

const jobProgress: Message = {
  summary: 'redeploy prod/api: 2 of 4 tasks replaced',
  tone: 'info',
  blocks: [
    { type: 'text', text: 'Redeploying prod/api — 2 of 4 tasks replaced' },
    {
      type: 'fields',
      fields: [
        { label: 'Job', value: 'redeploy:prod/api' },
        { label: 'Started by', value: 'primary-owner' },
        { label: 'Elapsed', value: '1m 42s' },
      ],
    },
    { type: 'list', items: ['✓ registered task definition api:42', '✓ update-service sent', '… waiting for steady state'] },
    { type: 'actions', actions: [{ id: 'cancel-job', label: 'Cancel job', value: 'redeploy:prod/api', style: 'danger' }] },
  ],
};

const drillIncident: Message = {
  summary: 'INC-12 api: CannotPullContainerError',
  tone: 'danger',
  drill: true,
  blocks: [
    { type: 'header', text: 'INC-12 — api cannot pull its image' },
    { type: 'fields', fields: [{ label: 'Stopped reason', value: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.4.2: not found' }] },
  ],
};

const injection: Message = {
  summary: 'Alarm <!channel> & <@U0ADMIN>',
  tone: 'danger',
  blocks: [
    { type: 'header', text: 'ALARM <!here> api-5xx & friends' },
    { type: 'text', text: 'Hello <!channel> — see <https://evil.example/login|AWS console> or ping <@U0ADMIN> / <!subteam^S0ALL>. Also bare @channel and #general.' },
    { type: 'fields', fields: [{ label: '*Name*', value: 'invoice\u202Egnp.exe' }, { label: 'Raw', value: 'Tom &amp; Jerry <b>bold</b>' }] },
    { type: 'code', text: 'echo done\n```\n<!channel> escaped the fence?\n```' },
    { type: 'list', items: ['`inline`', 'ctl\u0000\u001b[2Jchars', '\u2066isolate\u2069'] },
    { type: 'context', text: '<!everyone>' },
    { type: 'actions', actions: [{ id: 'ack', label: 'Ack <!channel>', value: '<@U0ADMIN>&x' }] },
  ],
};

const oversized: Message = {
  summary: 's'.repeat(50_000),
  blocks: [
    { type: 'header', text: 'H'.repeat(200) },
    { type: 'text', text: 'x'.repeat(100_000) },
    { type: 'code', text: 'y'.repeat(5000) },
    { type: 'fields', fields: Array.from({ length: 12 }, (_, i) => ({ label: `Field ${i + 1}`, value: i === 0 ? 'v'.repeat(5000) : `value ${i + 1}` })) },
    ...Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `line ${i + 1}` })),
    {
      type: 'actions',
      actions: [
        ...Array.from({ length: 27 }, (_, i) => ({ id: 'pick', label: i === 0 ? 'L'.repeat(100) : `Option ${i + 1}`, value: `v${i + 1}` })),
        { id: 'too-big', label: 'Too big', value: 'z'.repeat(SLACK_LIMITS.actionValue + 1) },
      ],
    },
  ],
};

describe('Block Kit renderer golden files', () => {
  it.each([
    ['help-listing', helpListing],
    ['confirmation', confirmation],
    ['job-progress', jobProgress],
    ['drill-incident', drillIncident],
    ['injection-attempts', injection],
    ['oversized', oversized],
    ['summary-only', { summary: 'Nothing to do: prod/api is healthy.', tone: 'success', blocks: [] } satisfies Message],
  ] as const)('%s', (name, message) => {
    expectGolden(golden(name), asJson(message));
  });

  it('keeps the oversized message within every Block Kit limit', () => {
    const { text, blocks } = renderBlockKit(oversized);
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.topLevelText);
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    for (const block of blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (block.type === 'section') {
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
        for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
      }
      if (block.type === 'actions') {
        expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.elementsPerActions);
        for (const e of block.elements) {
          if (e.type !== 'button') continue;
          expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
          expect(e.value?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.actionValue);
        }
      }
    }
  });
});
