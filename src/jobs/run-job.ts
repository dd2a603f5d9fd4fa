import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChatSurface } from '../chat/ports.js';
import { isLifeboatError, LifeboatError, userFacingMessage } from '../core/errors.js';
import type { JobContext, JobHandler, JobOutputs } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import type { Message } from '../core/message.js';
import type { LifeboatJobData } from './job-data.js';
import { readCancelMarker, RedisJobState, type JobOutcome } from './job-state.js';
import type { lifeboatKeys } from './keys.js';
import { cancelledMessage, failedMessage, finishedView, retryingView, runningView } from './messages.js';
import { CoalescedMessage } from './progress.js';

/** Why a running job's signal was aborted. */
export type AbortCause = 'cancel' | 'shutdown';

/** What one run of a job needs from the worker that owns it. */
export interface RunDeps {
  redis: Redis;
  keys: ReturnType<typeof lifeboatKeys>;
  handler: JobHandler | undefined;
  surface: ChatSurface | undefined;
  log: Logger;
  progressIntervalMs: number;
  stateTtlMs: number;
  /** How long the finished job's state is kept (covers a crash before BullMQ hears of it). */
  keepFinishedMs: number;
  /** Registers the job as running here, so cancel messages and shutdown reach it. */
  track(jobId: string): TrackedJob;
}

/** A job running in this process: its abort signal and why it was aborted. */
export interface TrackedJob {
  signal: AbortSignal;
  cause(): AbortCause | undefined;
  abort(cause: AbortCause): void;
  untrack(): void;
}

interface ProgressState {
  last: Message | undefined;
  view: Message;
}

/**
 * What BullMQ stores as the return value of a completed job: kept with the job (24 h by
 * default), so whoever waits for it — a runbook step — reads the outputs and summary there.
 */
export interface JobReturn {
  status: 'completed';
  summary?: string;
  outputs?: JobOutputs;
}

/**
 * Runs one attempt of a job: resumes its durable state, runs the handler (unless a previous run
 * already finished it), and announces the outcome exactly once. Throws what BullMQ needs to
 * hear: the handler's retryable error (BullMQ retries with backoff), `UnrecoverableError` for
 * failed/cancelled jobs, `WaitingError` when the worker shut down mid-job (back to the queue,
 * to resume from its checkpoints).
 */
export async function runJob(
  deps: RunDeps,
  job: Job<LifeboatJobData>,
  data: LifeboatJobData,
  token: string | undefined,
  bullSignal: AbortSignal | undefined,
): Promise<JobReturn> {
  const jobId = job.id ?? '';
  const { log } = deps;
  const replyTo = data.replyTo;
  // A background job (no replyTo) posts nothing by design; a missing surface for a reply is worth a warning.
  const surface = replyTo ? deps.surface : undefined;
  const state = new RedisJobState(deps.redis, deps.keys.state(jobId), deps.stateTtlMs);
  const snapshot = await state.load();
  let last = snapshot.progress;

  if (replyTo && !surface) log.warn({ surface: replyTo.surface }, 'no chat surface for this job in this process; progress and result are not posted');
  const chat = surface && replyTo
    ? new CoalescedMessage<ProgressState>({
        intervalMs: deps.progressIntervalMs,
        ref: snapshot.progressRef,
        view: (s) => s.view,
        post: (m) => surface.post(replyTo, m),
        update: (ref, m) => surface.update(ref, m),
        onDelivered: async (ref, s) => (s.last ? state.saveProgress(ref, s.last) : undefined),
        onError: (err) => log.warn({ err: errorText(err) }, 'could not post job progress'),
      })
    : undefined;

  let outcome = snapshot.outcome;
  if (!outcome) {
    outcome = await attempt();
    await state.saveOutcome(outcome);
  } else {
    log.info({ status: outcome.status }, 'job already finished before a worker restart; only announcing it');
  }

  if (!snapshot.delivered) {
    await announce(outcome);
    await state.markDelivered(deps.keepFinishedMs);
  }
  if (outcome.status === 'completed') return { status: 'completed', summary: outcome.message.summary, ...(outcome.outputs !== undefined ? { outputs: outcome.outputs } : {}) };
  throw new UnrecoverableError(outcome.status === 'cancelled' ? 'cancelled' : `failed: ${outcome.reason ?? outcome.message.summary}`);

  async function attempt(): Promise<JobOutcome> {
    // Registered before reading the marker, so a cancel published in between still lands.
    const tracked = deps.track(jobId);
    // BullMQ's own signal fires only for Worker.cancelJob(); treat that as a cancel too.
    const forward = (): void => tracked.abort('cancel');
    if (bullSignal?.aborted) forward();
    else bullSignal?.addEventListener('abort', forward, { once: true });
    try {
      const marker = await readCancelMarker(deps.redis, deps.keys.cancel(jobId));
      if (marker) return { status: 'cancelled', message: cancelledMessage(data.commandText, marker) };
      if (!deps.handler) {
        return failed(new LifeboatError('INTERNAL', `This Lifeboat worker cannot run "${data.kind}" jobs; it is probably older than the bot. Update the workers and try again.`));
      }
      const ctx: JobContext = {
        jobId,
        signal: tracked.signal,
        progress: (message) => {
          last = message;
          chat?.set({ last: message, view: runningView(jobId, message) });
          return Promise.resolve();
        },
        checkpoint: state.checkpoints,
        log,
      };
      try {
        // Outputs travel with the outcome, never inside the posted message.
        const { outputs, ...message } = await deps.handler(data.data, ctx);
        return { status: 'completed', message, ...(outputs !== undefined ? { outputs } : {}) };
      } catch (err) {
        return await afterThrow(err, tracked.cause());
      }
    } finally {
      bullSignal?.removeEventListener('abort', forward);
      tracked.untrack();
    }
  }

  async function afterThrow(err: unknown, cause: AbortCause | undefined): Promise<JobOutcome> {
    if (cause === 'shutdown') {
      // Not a failure: hand the job back so the next worker resumes from its checkpoints.
      log.info('worker shutting down; job goes back to the queue');
      await chat?.flush();
      await job.moveToWait(token).catch((e: unknown) => log.warn({ err: errorText(e) }, 'could not requeue; stalled-job recovery will'));
      throw new WaitingError();
    }
    if (cause === 'cancel' || (isLifeboatError(err) && err.code === 'JOB_CANCELLED')) {
      const marker = await readCancelMarker(deps.redis, deps.keys.cancel(jobId));
      log.info({ by: marker?.userId }, 'job cancelled');
      return { status: 'cancelled', message: cancelledMessage(data.commandText, marker) };
    }
    const attempts = job.opts.attempts ?? 1;
    const attemptNo = job.attemptsMade + 1;
    if (isLifeboatError(err) && err.retryable && attemptNo < attempts) {
      log.warn({ code: err.code, attempt: attemptNo, attempts, err: errorText(err.cause ?? err) }, 'job attempt failed; BullMQ will retry');
      chat?.set({ last, view: retryingView(jobId, last, err.userMessage, attemptNo, attempts) });
      await chat?.flush();
      throw err;
    }
    return failed(err);
  }

  function failed(err: unknown): JobOutcome {
    if (isLifeboatError(err)) log.warn({ code: err.code, err: errorText(err.cause ?? err) }, 'job failed');
    else log.error({ err }, 'job handler crashed');
    const reason = userFacingMessage(err);
    return { status: 'failed', message: failedMessage(data.commandText, reason), reason };
  }

  async function announce(result: JobOutcome): Promise<void> {
    if (!chat || !surface || !replyTo) return;
    if (chat.started) {
      const word = { completed: 'finished', cancelled: 'cancelled', failed: 'failed' }[result.status];
      chat.set({ last, view: finishedView(jobId, last, word) });
      await chat.flush();
    }
    try {
      await surface.post(replyTo, result.message);
    } catch (err) {
      // The work is done and recorded; a chat outage must not re-run it.
      log.error({ err: errorText(err) }, 'could not post job result');
    }
  }
}

/** The reason handlers see on `signal.reason` (and get thrown by `signal.throwIfAborted()`). */
export function abortReason(cause: AbortCause): LifeboatError {
  return cause === 'shutdown'
    ? new LifeboatError('JOB_CANCELLED', 'Lifeboat is restarting; the job will continue on another worker.', { retryable: true })
    : new LifeboatError('JOB_CANCELLED', 'The job was cancelled.');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
