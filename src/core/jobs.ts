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

/**
 * Structured facts a job hands to whoever waits for it — a runbook step reads them as
 * `${steps.<id>.<name>}`. Small, JSON-serialisable, named in `src/runbooks/outputs.ts`.
 * A job that reports outputs answers every question about itself: a name it leaves out reads as
 * false; a job that reports none leaves those questions to a person.
 */
export type JobOutputs = Record<string, unknown>;

/**
 * What a handler returns: the message that reports its result and, optionally, its outputs.
 * Every `Message` is a `JobResult`, so handlers written before outputs existed are unchanged.
 * The worker posts the message without `outputs` and keeps the outputs with the job's outcome.
 */
export type JobResult = Message & { outputs?: JobOutputs };

/** Does the work of one job kind and returns the message that reports its result. */
export type JobHandler = (data: Record<string, unknown>, ctx: JobContext) => Promise<JobResult>;

/** Handlers by job kind (the `runs.job` of a command definition). */
export type JobHandlers = Readonly<Record<string, JobHandler>>;

/** How a job ended, as someone waiting for it learns it. */
export interface FinishedJob {
  /** `gone`: the job no longer exists (removed, or trimmed long after it finished). */
  status: 'completed' | 'failed' | 'cancelled' | 'gone';
  /** The handler's outputs, when it completed and reported some. */
  outputs?: JobOutputs;
  /** The result's one-line summary, or why it failed. */
  summary?: string;
}

/**
 * Learns how a queued job ended, with its outputs: the runbook engine waits on this for each step
 * it runs. Implemented on BullMQ by `BullJobOutcomes` (`jobs/outcomes.ts`); tests use a fake.
 */
export interface JobOutcomeSource {
  /** Resolves once the job has finished (or is gone); rejects only when `signal` aborts. */
  waitForOutcome(jobId: string, options?: { signal?: AbortSignal }): Promise<FinishedJob>;
}
