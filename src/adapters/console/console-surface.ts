import type { Writable } from 'node:stream';
import type { ChatSurface, Conversation, MessageRef } from '../../chat/ports.js';
import type { Action, Message } from '../../core/message.js';
import { renderText } from './text-renderer.js';

/** A numbered choice offered in the terminal in place of a button. */
export interface Choice {
  actionId: string;
  value: string;
  label: string;
}

/**
 * The terminal chat surface: messages are printed, buttons become numbered choices. Choice
 * numbers keep growing through the session, so an old confirmation keeps its number while newer
 * progress messages are printed below it.
 */
export class ConsoleSurface implements ChatSurface {
  readonly name = 'console' as const;
  private readonly choices = new Map<number, Choice>();
  private nextChoice = 1;
  private nextTs = 1;
  private readonly lastRendered = new Map<string, string>();

  /**
   * `lifeboat run "… --json"`: stdout carries only JSON documents (code blocks that parse as
   * JSON), so scripts can pipe it into jq; everything else is left out.
   */
  jsonOnly = false;

  constructor(private readonly out: Writable) {}

  post(to: Conversation, message: Message): Promise<MessageRef> {
    const ts = String(this.nextTs++);
    this.print(ts, message, false);
    return Promise.resolve({ surface: 'console', channel: to.channel, ts });
  }

  update(ref: MessageRef, message: Message): Promise<void> {
    this.print(ref.ts, message, true);
    return Promise.resolve();
  }

  /** The choice a typed number stands for, if any. */
  choice(n: number): Choice | undefined {
    return this.choices.get(n);
  }

  private print(ts: string, message: Message, isUpdate: boolean): void {
    if (this.jsonOnly) {
      for (const block of message.blocks) if (block.type === 'code' && isJson(block.text)) this.out.write(`${block.text}\n`);
      return;
    }
    const text = renderText(message, { choiceNumber: (a) => this.numberFor(a) });
    // Coalesced progress can repeat itself; printing the same text again is noise.
    if (isUpdate && this.lastRendered.get(ts) === text) return;
    this.lastRendered.set(ts, text);
    this.out.write(`${isUpdate ? text.replace(/^/gm, '↻ ') : text}\n`);
  }

  private numberFor(action: Action): number {
    for (const [n, c] of this.choices) if (c.actionId === action.id && c.value === action.value) return n;
    const n = this.nextChoice++;
    this.choices.set(n, { actionId: action.id, value: action.value, label: action.label });
    return n;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
