import type { Message } from '../core/message.js';
import type { CommandRequest } from './ports.js';

/** A command answered in-process, without a job (help, status, audit …). */
export type Builtin = (input: { args: Record<string, unknown>; request: CommandRequest }) => Promise<Message>;
