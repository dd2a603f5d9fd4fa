import { userFacingMessage } from '../core/errors.js';
import type { JobHandler, JobHandlers } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import type { AlertTarget } from '../intake/alert.js';
import type { IncidentStore } from './ports.js';

/**
 * Wraps the handlers of the given job kinds so that what they did, and how it ended, lands on
 * the timeline of every open incident about their target — `cluster/service`, the repository of
 * `repository:tag`, or the repository and digest of `[registry/]repository@digest` — whether a
 * person typed the command or a runbook ran it.
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
      const target = jobTarget(data);
      const note = async (text: string): Promise<void> => {
        try {
          for (const incident of await deps.store.listOpen(200)) {
            if (isAbout(incident.target, target)) await deps.store.appendTimeline(incident.id, { kind: 'job', text, by: 'lifeboat' });
          }
        } catch (err) {
          deps.logger.warn({ err, kind, target: target.label }, 'could not note a job on the incident timeline');
        }
      };
      try {
        const result = await handler(data, ctx);
        await note(`${kind} ${target.label} (job ${ctx.jobId}): ${result.summary}`);
        return result;
      } catch (err) {
        await note(`${kind} ${target.label} (job ${ctx.jobId}) failed: ${userFacingMessage(err)}`);
        throw err;
      }
    };
  }
  return wrapped;
}

/** What a recovery job acts on, as its job data names it. */
interface JobTarget {
  label: string;
  service?: string;
  repository?: string;
  digest?: string;
}

export function jobTarget(data: Record<string, unknown>): JobTarget {
  const text = typeof data.service === 'string' ? data.service : typeof data.target === 'string' ? data.target : typeof data.image === 'string' ? data.image : '';
  const at = text.indexOf('@');
  if (at > 0) {
    // [registry host/]repository@sha256:…
    const name = text.slice(0, at);
    const parts = name.split('/');
    const repository = (parts[0] ?? '').includes('.') ? parts.slice(1).join('/') : name;
    return { label: text, repository, digest: text.slice(at + 1) };
  }
  if (text.includes(':')) return { label: text, repository: text.split(':')[0] ?? '' };
  return { label: text, service: text };
}

function isAbout(t: AlertTarget, job: JobTarget): boolean {
  if (job.service !== undefined && `${t.cluster ?? ''}/${t.service ?? ''}` === job.service) return true;
  if (job.digest !== undefined && t.imageDigest === job.digest) return true;
  return job.repository !== undefined && t.repository !== undefined && t.repository === job.repository;
}
