/**
 * The prologue `rebuild`, `redeploy` and `restore` share: a job decides what it will do before it
 * changes anything, and that decision is its first checkpoint. A resumed job reuses the recorded
 * plan (the world may have moved on; the plan says what *this* job promised), a dry run answers
 * with the plan, a refused plan is shown and fails the job, and every real run shows its plan first.
 */
import { LifeboatError } from '../core/errors.js';
import type { JobContext } from '../core/jobs.js';
import type { Message } from '../core/message.js';

/** What comes after the prologue: answer with the dry run, or run the plan. */
export type PlanFirst<P> = { kind: 'dry-run'; answer: Message } | { kind: 'run'; plan: P; /** The plan came from a previous attempt's checkpoint. */ resumed: boolean };

export async function planFirst<P extends { refusal?: string }>(
  ctx: JobContext,
  options: { checkpoint: string; dryRun: boolean; make: () => Promise<P>; render: (plan: P, dryRun: boolean) => Message },
): Promise<PlanFirst<P>> {
  const recorded = await ctx.checkpoint.get<P>(options.checkpoint);
  const plan = recorded ?? (await options.make());
  if (options.dryRun) return { kind: 'dry-run', answer: options.render(plan, true) };
  if (plan.refusal !== undefined) {
    await ctx.progress(options.render(plan, false));
    throw new LifeboatError('JOB_FAILED', plan.refusal);
  }
  if (!recorded) await ctx.checkpoint.set(options.checkpoint, plan);
  await ctx.progress(options.render(plan, false));
  return { kind: 'run', plan, resumed: recorded !== undefined };
}
