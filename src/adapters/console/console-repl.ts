import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatRouter, Conversation, Requester } from '../../chat/ports.js';
import { userFacingMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { textMessage } from '../../core/message.js';
import type { ConsoleSurface } from './console-surface.js';

export interface ReplOptions {
  input: Readable;
  output: Writable;
  router: ChatRouter;
  surface: ConsoleSurface;
  requester: Requester;
  logger: Logger;
  prompt?: string;
  banner?: string;
}

/**
 * The terminal REPL: type exactly what you would type after `/lifeboat`; type a choice's number
 * to press that button. Resolves when input ends or on `exit`.
 */
export async function runRepl(options: ReplOptions): Promise<void> {
  const { input, output, router, surface, requester } = options;
  const conversation: Conversation = { surface: 'console', channel: 'terminal' };
  const rl = createInterface({ input, output, terminal: false, prompt: options.prompt ?? 'lifeboat> ' });
  if (options.banner) output.write(`${options.banner}\n`);
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    if (line !== '') {
      try {
        const n = /^\d{1,4}$/.test(line) ? Number(line) : undefined;
        const choice = n !== undefined ? surface.choice(n) : undefined;
        const reply = choice
          ? await router.handleAction({ actionId: choice.actionId, value: choice.value, requester, conversation })
          : n !== undefined
            ? textMessage(`There is no choice ${n}.`, 'warning')
            : await router.handleCommand({ text: line, requester, conversation });
        if (reply) await surface.post(conversation, reply);
      } catch (err) {
        options.logger.error({ err }, 'console command failed');
        await surface.post(conversation, textMessage(userFacingMessage(err), 'danger'));
      }
    }
    rl.prompt();
  }
  rl.close();
}
