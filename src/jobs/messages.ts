import type { Message } from '../core/message.js';
import type { CancelMarker } from './job-state.js';

/** The action id the router maps to `JobDispatcher.cancel(value)`. */
export const CANCEL_ACTION_ID = 'cancel-job';

/** The progress message while the job runs: the handler's latest state plus a Cancel button. */
export function runningView(jobId: string, progress: Message): Message {
  return {
    ...progress,
    blocks: [
      ...progress.blocks,
      { type: 'context', text: `Job ${jobId} · running` },
      { type: 'actions', actions: [{ id: CANCEL_ACTION_ID, label: 'Cancel', value: jobId, style: 'danger' }] },
    ],
  };
}

/** The progress message once the job is over: last state kept as a record, button gone. */
export function finishedView(jobId: string, last: Message | undefined, status: string): Message {
  const base = last ?? { summary: status, blocks: [] };
  return { ...base, blocks: [...base.blocks, { type: 'context', text: `Job ${jobId} · ${status}` }] };
}

/** Shown in the progress message between a retryable failure and the next attempt. */
export function retryingView(jobId: string, last: Message | undefined, reason: string, attempt: number, of: number): Message {
  const text = `Attempt ${attempt} of ${of} failed: ${reason} Lifeboat will retry shortly.`;
  const base = last ?? { summary: text, blocks: [] };
  return runningView(jobId, { ...base, blocks: [...base.blocks, { type: 'text', text }] });
}

export function cancelledMessage(commandText: string, by: CancelMarker | undefined): Message {
  const who = by?.userName ?? by?.userId;
  const text = `Cancelled "${commandText}"${who ? ` (requested by ${who})` : ''}. Steps that had already finished are not undone.`;
  return { summary: `Cancelled: ${commandText}`, tone: 'warning', blocks: [{ type: 'text', text }] };
}

export function failedMessage(commandText: string, reason: string): Message {
  return {
    summary: `Failed: ${commandText}`,
    tone: 'danger',
    blocks: [{ type: 'text', text: `"${commandText}" failed. ${reason}` }],
  };
}
