import type { Redis } from 'ioredis';
import type { MessageRef } from '../chat/ports.js';
import type { JobCheckpoints, JobOutputs } from '../core/jobs.js';
import type { Message } from '../core/message.js';

/** How a run ended, stored before it is announced so a crash in between never re-runs the work. */
export interface JobOutcome {
  status: 'completed' | 'cancelled' | 'failed';
  message: Message;
  /** The handler's structured outputs (completed jobs only), for runbook steps. */
  outputs?: JobOutputs;
  /** Why it failed, as the person reads it (failed jobs only); BullMQ keeps it as the failed reason. */
  reason?: string;
}

/** Who pressed Cancel, as written by the dispatcher. */
export interface CancelMarker {
  userId?: string;
  userName?: string;
  at?: number;
}

/** Everything a worker needs to resume a job another worker started. */
export interface JobSnapshot {
  progressRef?: MessageRef;
  progress?: Message;
  outcome?: JobOutcome;
  delivered: boolean;
}

const CHECKPOINT = 'cp:';

/**
 * A job's durable state in one Redis hash: checkpoints (`cp:<key>`), the progress message's ref
 * and last content, and the outcome. Lives as long as the job is being worked on (refreshed
 * TTL, so an abandoned job's state still goes away) and a while after it finished, which covers
 * a crash between "outcome stored" and "BullMQ told".
 */
export class RedisJobState {
  /** The handler's checkpoints (`JobContext.checkpoint`). */
  readonly checkpoints: JobCheckpoints;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {
    this.checkpoints = {
      get: async <T>(name: string): Promise<T | undefined> => {
        const raw = await this.redis.hget(this.key, CHECKPOINT + name);
        // Values were written by set() below as JSON; the handler owns their shape.
        return raw === null ? undefined : (JSON.parse(raw) as T);
      },
      set: async (name: string, value: unknown): Promise<void> => {
        await this.write({ [CHECKPOINT + name]: JSON.stringify(value ?? null) });
      },
    };
  }

  async load(): Promise<JobSnapshot> {
    const fields = await this.redis.hmget(this.key, 'progressRef', 'progress', 'outcome', 'delivered');
    const [progressRef, progress, outcome, delivered] = fields;
    const snapshot: JobSnapshot = { delivered: delivered === '1' };
    if (progressRef) snapshot.progressRef = JSON.parse(progressRef) as MessageRef;
    if (progress) snapshot.progress = JSON.parse(progress) as Message;
    if (outcome) snapshot.outcome = JSON.parse(outcome) as JobOutcome;
    return snapshot;
  }

  async saveProgress(ref: MessageRef, message: Message): Promise<void> {
    await this.write({ progressRef: JSON.stringify(ref), progress: JSON.stringify(message) });
  }

  async saveOutcome(outcome: JobOutcome): Promise<void> {
    await this.write({ outcome: JSON.stringify(outcome) });
  }

  /** The result is in chat: a resumed run must not post it again. Keeps the record `keepMs`. */
  async markDelivered(keepMs: number): Promise<void> {
    await execOrThrow(this.redis.multi().hset(this.key, 'delivered', '1').pexpire(this.key, keepMs));
  }

  private async write(fields: Record<string, string>): Promise<void> {
    await execOrThrow(this.redis.multi().hset(this.key, fields).pexpire(this.key, this.ttlMs));
  }
}

/** MULTI reports per-command errors in its result instead of rejecting; surface them. */
async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
}

/** Reads the dispatcher's cancel marker for a job, if any. */
export async function readCancelMarker(redis: Redis, key: string): Promise<CancelMarker | undefined> {
  const raw = await redis.get(key);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as CancelMarker;
  } catch {
    return {};
  }
}
