import type { Logger } from './logger.js';
import type { Message } from './message.js';

/**
 * The contract between the job system (`jobs/`, BullMQ) and the features that do the work.
 * Handlers live in feature modules and never see BullMQ; the composition root registers them.
 */
export interface JobContext {
  jobId: string;
  /** Aborted when someone presses Cancel or the worker shuts down. */
  signal: AbortSignal;
  /** Report progress; the worker coalesces updates so chat rate limits are never exceeded. */
  progress(message: Message): Promise<void>;
  /**
   * Durable, per-job checkpoints. Record each finished mutation before moving on, so that a
   * retry after a crash resumes instead of repeating it.
   */
  checkpoint: JobCheckpoints;
  log: Logger;
}

export interface JobCheckpoints {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** Does the work of one job kind and returns the message that reports its result. */
export type JobHandler = (data: Record<string, unknown>, ctx: JobContext) => Promise<Message>;

/** Handlers by job kind (the `runs.job` of a command definition). */
export type JobHandlers = Readonly<Record<string, JobHandler>>;
