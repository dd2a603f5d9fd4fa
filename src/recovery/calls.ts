/**
 * How recovery jobs call AWS: every call goes through a `CallBudget` (the images module's token
 * bucket with retries), and the AWS calls a plan will make are data (`PlannedCall`) so a dry run
 * can show them exactly and make none.
 *
 * Retry rules differ by kind:
 * - reads retry every retryable failure (`AWS_THROTTLED`, `AWS_ERROR` 5xx/network);
 * - mutations retry only `AWS_THROTTLED` (the request was refused, nothing happened). After a 5xx
 *   or a timeout the mutation may have happened, so it is not repeated blindly here: the job fails
 *   retryably and the next attempt first checks whether the change is already there.
 */
import type { Clock } from '../core/clock.js';
import { isLifeboatError, type LifeboatError } from '../core/errors.js';
import { CallBudget, DEFAULT_BUDGETS } from '../images/call-budget.js';

/** One AWS call a plan makes (or would make, in a dry run). */
export interface PlannedCall {
  /** IAM action, e.g. `ecs:UpdateService`. */
  action: string;
  /** The parameters, with AWS's names, exactly as the adapter sends them. */
  input: Record<string, unknown>;
  /** Changes something (a dry run makes none of these). */
  mutating: boolean;
  /** When it happens, if not once right away: "every 15 s while the rollout runs". */
  when?: string;
}

/** A mutation that failed in a way that must not be retried inline; carries the original error. */
class NotRetriedInline extends Error {
  constructor(readonly original: LifeboatError) {
    super(original.message);
  }
}

/** Budgeted AWS calls for one job run. */
export class RecoveryCalls {
  private readonly budget: CallBudget;

  constructor(
    clock: Clock,
    sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
    private readonly signal: AbortSignal | undefined,
    random?: () => number,
  ) {
    this.budget = new CallBudget({ ...DEFAULT_BUDGETS.ecs, clock, sleep, ...(random ? { random } : {}) });
  }

  /** A read: retried on every retryable failure. */
  read<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return this.budget.run(action, fn, this.signal);
  }

  /** A mutation: retried only when throttled (see the file comment). */
  async mutate<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.budget.run(
        action,
        async () => {
          try {
            return await fn();
          } catch (err) {
            if (isLifeboatError(err) && err.retryable && err.code !== 'AWS_THROTTLED') throw new NotRetriedInline(err);
            throw err;
          }
        },
        this.signal,
      );
    } catch (err) {
      if (err instanceof NotRetriedInline) throw err.original;
      throw err;
    }
  }

  /** Calls made so far, by operation. */
  stats(): Record<string, { calls: number; retries: number; failures: number }> {
    return this.budget.stats();
  }
}

/** One line per call: `ecs:UpdateService {"cluster":"prod",…}` (+ when). */
export function renderCalls(calls: readonly PlannedCall[]): string {
  return calls.map((c) => `${c.mutating ? '✎' : '·'} ${c.action} ${JSON.stringify(c.input)}${c.when ? `  (${c.when})` : ''}`).join('\n');
}
