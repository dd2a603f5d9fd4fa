import { userFacingMessage } from '../core/errors.js';
import type { JobHandler, JobHandlers } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import type { IncidentStore } from './ports.js';

/**
 * Wraps the handlers of the given job kinds so that what they did, and how it ended, lands on
 * the timeline of every open incident about their target — `cluster/service`, or the repository
 * of `repository:tag` — whether a person typed the command or a runbook ran it.
 */
export function withIncidentNotes(
  handlers: JobHandlers,
  kinds: readonly string[],
  deps: { store: Pick<IncidentStore, 'listOpen' | 'appendTimeline'>; logger: Logger },
): JobHandlers {
  const wrapped: Record<string, JobHandler> = { ...handlers };
  for (const kind of kinds) {
    const handler = handlers[kind];
    if (!handler) continue;
    wrapped[kind] = async (data, ctx) => {
      const target = typeof data.service === 'string' ? data.service : typeof data.target === 'string' ? data.target : '';
      const note = async (text: string): Promise<void> => {
        try {
          for (const incident of await deps.store.listOpen(200)) {
            const t = incident.target;
            const about = `${t.cluster ?? ''}/${t.service ?? ''}` === target || (t.repository !== undefined && target.split(':')[0] === t.repository);
            if (about) await deps.store.appendTimeline(incident.id, { kind: 'job', text, by: 'lifeboat' });
          }
        } catch (err) {
          deps.logger.warn({ err, kind, target }, 'could not note a job on the incident timeline');
        }
      };
      try {
        const result = await handler(data, ctx);
        await note(`${kind} ${target} (job ${ctx.jobId}): ${result.summary}`);
        return result;
      } catch (err) {
        await note(`${kind} ${target} (job ${ctx.jobId}) failed: ${userFacingMessage(err)}`);
        throw err;
      }
    };
  }
  return wrapped;
}
