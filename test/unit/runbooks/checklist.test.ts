import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/console/text-renderer.js';
import { renderBlockKit } from '../../../src/adapters/slack/index.js';
import { packageRoot } from '../../../src/cli/definition-files.js';
import type { Message } from '../../../src/core/message.js';
import type { RunbookIncident } from '../../../src/runbooks/index.js';
import { expectGolden } from '../../support/golden.js';
import { lastChecklist, runbookHarness } from './support.js';

const shipped = readFileSync(join(packageRoot, 'runbooks', 'image-unavailable.yaml'), 'utf8');
const incident: RunbookIncident = {
  id: 'inc-h00kw7',
  class: 'image-pull-failed',
  title: 'prod/hooks-worker: image pull failed',
  target: { cluster: 'prod', service: 'hooks-worker', queue: 'hooks-queue' },
  thread: { surface: 'slack', channel: 'CALERTS', threadTs: '1700000000.000100' },
};
const checkOutputs = {
  healthy: false,
  missing: 1,
  services: ['prod/hooks-worker'],
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/hooks-worker:main',
  digest: 'sha256:4f1e…9a2c',
  reason: 'pinned-digest-gone',
  cause: 'pinned digest sha256:4f1e…9a2c is gone from repo team/hooks-worker (expired by lifecycle rule 1 on 2026-01-03)',
  rebuild: 'team/hooks-worker:main',
  lifecycleRule: 'rule 1: keep the 30 newest images (imageCountMoreThan 30), which a burst of arm64 builds exhausted',
};

/** Numbers choices the way the terminal does: in order of appearance. */
function terminal(message: Message): string {
  const numbers = new Map<string, number>();
  return renderText(message, { choiceNumber: (a) => numbers.get(`${a.id}|${a.value}`) ?? (numbers.set(`${a.id}|${a.value}`, numbers.size + 1), numbers.size) });
}

describe('the runbook checklist', () => {
  it('renders the shipped image-unavailable runbook, mid-run, for the terminal and Slack', async () => {
    const h = await runbookHarness({ runbooks: [shipped], incidents: [incident] });
    await h.say('runbook start image-unavailable for inc-h00kw7');
    await h.finish('check-images', { summary: '1 of 3 images cannot be pulled', outputs: checkOutputs });
    const runId = await h.runId();
    const scrub = (text: string): string => text.replaceAll(runId, 'rb-0000000000');
    const checklist = lastChecklist(h.surface);
    const note = h.surface.posts.find((p) => p.message.summary === 'Step 2 · Find the cause')?.message;
    expect(note).toBeDefined();
    expectGolden(join(packageRoot, 'test/golden/console/runbook-checklist.txt'), scrub(`${terminal(checklist)}\n\n${terminal(note!)}\n`));
    expectGolden(join(packageRoot, 'test/golden/slack/runbook-checklist.json'), scrub(`${JSON.stringify(renderBlockKit(checklist), null, 2)}\n`));
  });
});
