import type { Command } from '../commands/registry.js';
import type { Message } from '../core/message.js';
import type { EnqueuedJob, PendingConfirmation } from './ports.js';

/** The router's standard replies, in one place so wording stays consistent across surfaces. */
export const replies = {
  unknown(text: string, suggestions: readonly Command[]): Message {
    const lines = suggestions.flatMap((c) => c.usage);
    return {
      summary: `I don't know "${text}".`,
      tone: 'warning',
      blocks: [
        { type: 'text', text: `I don't know "${text}".` },
        ...(lines.length > 0 ? [{ type: 'text' as const, text: 'Did you mean:' }, { type: 'list' as const, items: lines }] : []),
        { type: 'context', text: 'Type help to list every command.' },
      ],
    };
  },

  invalid(command: Command, errors: readonly string[]): Message {
    const example = command.definition.examples[0]?.text;
    return {
      summary: `That is not quite how ${command.definition.id} works.`,
      tone: 'warning',
      blocks: [
        { type: 'list', items: [...errors] },
        { type: 'fields', fields: [{ label: 'Usage', value: command.usage.join('\n') }, ...(example ? [{ label: 'Example', value: example }] : [])] },
      ],
    };
  },

  refused(reason: string): Message {
    return { summary: 'Not allowed.', tone: 'danger', blocks: [{ type: 'text', text: `Not allowed: ${reason}.` }, { type: 'context', text: 'This attempt is recorded in the audit log.' }] };
  },

  notAvailable(command: Command): Message {
    const planned = command.definition.plannedIn ? ` It is planned in ${command.definition.plannedIn}.` : '';
    return { summary: `${command.definition.id} is not available yet.`, tone: 'warning', blocks: [{ type: 'text', text: `\`${command.usage[0] ?? command.definition.id}\` is not available yet in this version of Lifeboat.${planned}` }] };
  },

  confirm(command: Command, pending: PendingConfirmation, ttlMs: number): Message {
    const minutes = Math.max(1, Math.round(ttlMs / 60_000));
    return {
      summary: `Confirm: ${pending.request.text}`,
      tone: 'warning',
      blocks: [
        { type: 'header', text: 'Confirmation needed' },
        { type: 'text', text: `${command.definition.summary}` },
        { type: 'code', text: pending.request.text },
        { type: 'context', text: `Only ${pending.request.requester.userName ?? pending.request.requester.userId} can confirm. Expires in ${minutes} min.` },
        {
          type: 'actions',
          actions: [
            { id: 'confirm', label: 'Confirm', value: pending.id, style: 'primary' },
            { id: 'decline', label: 'Cancel', value: pending.id },
          ],
        },
      ],
    };
  },

  jobStarted(commandText: string, job: EnqueuedJob): Message {
    const text = job.attached
      ? `Already running: joined job ${job.jobId} (${job.state}). Its progress and result are in this thread.`
      : `Started job ${job.jobId}. Progress and the result will follow here.`;
    return {
      summary: text,
      tone: 'info',
      blocks: [
        { type: 'text', text },
        { type: 'code', text: commandText },
        { type: 'actions', actions: [{ id: 'cancel-job', label: 'Cancel job', value: job.jobId, style: 'danger' }] },
      ],
    };
  },

  confirmationGone(): Message {
    return { summary: 'That confirmation has expired or was already used.', tone: 'warning', blocks: [{ type: 'text', text: 'That confirmation has expired or was already used. Run the command again if it is still needed.' }] };
  },

  confirmationExpired(text: string): Message {
    return { summary: 'Confirmation expired.', tone: 'warning', blocks: [{ type: 'text', text: `The confirmation for "${text}" expired; nothing was run. Run the command again if it is still needed.` }] };
  },

  notYours(pending: PendingConfirmation): Message {
    return { summary: 'Not your confirmation.', tone: 'warning', blocks: [{ type: 'text', text: `Only ${pending.request.requester.userName ?? pending.request.requester.userId}, who asked for "${pending.request.text}", can confirm or cancel it.` }] };
  },

  declined(text: string): Message {
    return { summary: 'Cancelled.', tone: 'info', blocks: [{ type: 'text', text: `Cancelled "${text}"; nothing was run.` }] };
  },

  failed(userMessage: string): Message {
    return { summary: userMessage, tone: 'danger', blocks: [{ type: 'text', text: userMessage }] };
  },
};
