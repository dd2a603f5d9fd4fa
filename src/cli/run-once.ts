import type { LifeboatApp } from '../app.js';
import type { Conversation, Requester } from '../chat/ports.js';
import type { Message } from '../core/message.js';

/** Exit codes of `lifeboat run`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, needsConfirmation: 3 } as const;

function actionValue(message: Message, id: string): string | undefined {
  for (const block of message.blocks) if (block.type === 'actions') for (const a of block.actions) if (a.id === id) return a.value;
  return undefined;
}

/**
 * `lifeboat run "<text>"`: one command through the same router as every surface, printed as
 * text. Waits for a queued job to finish so the result is printed before exiting; the exit
 * code says how it went (0 ok, 1 failed or refused, 2 not understood, 3 needs --yes).
 */
export async function runOnce(app: LifeboatApp, text: string, options: { yes: boolean; json?: boolean }): Promise<number> {
  const surface = app.consoleSurface;
  if (!surface) throw new Error('run needs the terminal surface');
  surface.jsonOnly = options.json === true;
  const conversation: Conversation = { surface: 'console', channel: 'terminal' };
  const requester: Requester = { userId: 'console', userName: process.env.USER ?? 'cli' };

  let reply = await app.router.handleCommand({ text, requester, conversation });
  const confirmation = actionValue(reply, 'confirm');
  if (confirmation) {
    if (!options.yes) {
      await surface.post(conversation, reply);
      process.stderr.write('This command changes things and needs confirmation: run it again with --yes.\n');
      return EXIT.needsConfirmation;
    }
    reply = (await app.router.handleAction({ actionId: 'confirm', value: confirmation, requester, conversation })) ?? reply;
  }
  await surface.post(conversation, reply);

  const jobId = actionValue(reply, 'cancel-job');
  if (jobId && app.dispatcher) {
    const outcome = await app.dispatcher.waitUntilFinished(jobId);
    return outcome === 'completed' ? EXIT.ok : EXIT.failed;
  }
  if (reply.tone === 'danger') return EXIT.failed;
  if (reply.tone === 'warning') return EXIT.usage;
  return EXIT.ok;
}
