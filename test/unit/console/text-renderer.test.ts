import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/console/text-renderer.js';
import type { Message } from '../../../src/core/message.js';
import { renderStatus } from '../../../src/commands/builtins/status.js';
import { expectGolden } from '../../support/golden.js';
import { buildTestRouter, fakeStatus } from '../../support/router.js';

const golden = (name: string) => join(import.meta.dirname, '../../golden/console', `${name}.txt`);
let n = 0;
const numbering = { choiceNumber: () => ++n };

describe('terminal text renderer', () => {
  it('renders help as generated from the command definitions', async () => {
    const { router } = await buildTestRouter({ jobKinds: [] });
    const help = await router.handleCommand({ text: 'help', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    expectGolden(golden('help'), renderText(help));
  });

  it('renders one command\'s help with options and examples', async () => {
    const { router } = await buildTestRouter({ jobKinds: [] });
    const help = await router.handleCommand({ text: 'help scale', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    expectGolden(golden('help-scale'), renderText(help));
  });

  it('renders a confirmation with numbered choices', async () => {
    const { router } = await buildTestRouter();
    const reply = await router.handleCommand({ text: 'redeploy prod/api', requester: { userId: 'console', userName: 'ops' }, conversation: { surface: 'console', channel: 'terminal' } });
    n = 0;
    const text = renderText(reply, numbering).replace(/confirm-[0-9a-f]+/g, 'confirm-ID');
    expect(text).toContain('[1] Confirm   [2] Cancel');
    expectGolden(golden('confirmation'), text);
  });

  it('renders status', () => {
    expectGolden(golden('status'), renderText(renderStatus(fakeStatus)));
  });

  it('neutralises terminal escapes and bidi overrides from untrusted text and marks drills', () => {
    const message: Message = {
      summary: 'x',
      drill: true,
      tone: 'danger',
      blocks: [{ type: 'text', text: 'alarm \u001b[2J\u001b]0;pwned\u0007 cleared \u202Egnp.exe' }, { type: 'fields', fields: [{ label: 'Service', value: 'api\r\nfake: line' }] }],
    };
    const text = renderText(message);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u001b\u0007\u202E\r]/);
    expect(text.startsWith('[DRILL')).toBe(true);
    expectGolden(golden('untrusted'), text);
  });
});
