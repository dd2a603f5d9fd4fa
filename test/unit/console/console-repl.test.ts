import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runRepl } from '../../../src/adapters/console/console-repl.js';
import { ConsoleSurface } from '../../../src/adapters/console/console-surface.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildTestRouter } from '../../support/router.js';

/** Drives the REPL through streams, exactly as a person at the terminal would. */
async function session(lines: string[]) {
  const built = await buildTestRouter();
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  const surface = new ConsoleSurface(output);
  const done = runRepl({ input, output, router: built.router, surface, requester: { userId: 'console', userName: 'ops' }, logger: silentLogger });
  for (const line of lines) input.write(`${line}\n`);
  input.end();
  await done;
  return { printed, ...built };
}

describe('terminal REPL', () => {
  it('answers help with the generated command list', async () => {
    const { printed } = await session(['help']);
    expect(printed).toContain('lifeboat> ');
    expect(printed).toContain('== Lifeboat commands ==');
    expect(printed).toContain('scale <service> for <queue>');
  });

  it('suggests the nearest command for an unknown one', async () => {
    const { printed } = await session(['stauts']);
    expect(printed).toContain('I don\'t know "stauts"');
    expect(printed).toContain('• status');
  });

  it('runs a confirmation flow by typing the number of the Confirm choice', async () => {
    const { printed, jobs, audit } = await session(['redeploy prod/api', '1']);
    expect(printed).toContain('[1] Confirm   [2] Cancel');
    expect(printed).toContain('Started job job-1');
    expect(jobs.requests).toEqual([expect.objectContaining({ kind: 'redeploy', replyTo: { surface: 'console', channel: 'terminal' } })]);
    expect(audit.outcomes()).toEqual(['redeploy:awaiting-confirmation', 'redeploy:confirmed']);
  });

  it('declines with the Cancel choice and says when a number is not a choice', async () => {
    const { printed, jobs } = await session(['scale prod/w to 3', '2', '9']);
    expect(printed).toContain('Cancelled "scale prod/w to 3"; nothing was run.');
    expect(printed).toContain('There is no choice 9.');
    expect(jobs.requests).toEqual([]);
  });

  it('stops at exit', async () => {
    const { printed } = await session(['exit', 'help']);
    expect(printed).not.toContain('Lifeboat commands');
  });
});

describe('terminal surface in JSON mode', () => {
  it('prints only JSON documents, so scripts can pipe the report into jq', async () => {
    const { ConsoleSurface: Surface } = await import('../../../src/adapters/console/console-surface.js');
    const out = new PassThrough();
    let printed = '';
    out.on('data', (d: Buffer) => (printed += d.toString()));
    const surface = new Surface(out);
    surface.jsonOnly = true;
    const to = { surface: 'console' as const, channel: 'terminal' };
    await surface.post(to, { summary: 'progress', blocks: [{ type: 'text', text: 'Checking images…' }] });
    await surface.post(to, { summary: 'report', blocks: [{ type: 'code', text: '{"totals":{"missing":1}}' }] });
    await surface.post(to, { summary: 'not json', blocks: [{ type: 'code', text: 'redeploy prod/api' }] });
    expect(JSON.parse(printed)).toEqual({ totals: { missing: 1 } });
  });
});
