import type { Builtin } from '../../chat/builtin.js';
import type { JobDispatcher } from '../../chat/ports.js';
import { textMessage } from '../../core/message.js';

/** `cancel <job>`: asks the running job to stop; the job itself reports where it stopped. */
export function cancelBuiltin(jobs: JobDispatcher): Builtin {
  return async ({ args, request }) => {
    const jobId = String(args.jobId);
    const outcome = await jobs.cancel(jobId, request.requester);
    switch (outcome) {
      case 'cancelled':
        return textMessage(`Asked job ${jobId} to stop. It finishes the step it is in and reports where it stopped.`, 'info');
      case 'not-running':
        return textMessage(`Job ${jobId} is not running any more; nothing to cancel.`, 'info');
      case 'unknown':
        return textMessage(`There is no job ${jobId}.`, 'warning');
    }
  };
}
