/**
 * Where a run stands and what happens next — pure functions of the run, so the engine, the
 * checklist and the button handlers always agree, and a restarted process decides exactly what
 * the previous one would have.
 */
import type { RunbookStep } from './definition.js';
import type { Actor, RunbookRun, StepState } from './model.js';
import { evaluateCondition, parseWholeReference, substituteStepCommand, substituteText, type ReferenceScope } from './references.js';

/** What the engine needs to know about a command: whether it may run without a person. */
export interface CommandTraits {
  commandId: string;
  sideEffects: boolean;
}

/** Looks a command text up in the command registry: its traits, or why it does not parse. */
export type ClassifyCommand = (text: string) => CommandTraits | { error: string };

/** What the current step waits for from a person. */
export type Prompt =
  /** Run (or Skip). `why` says why a step that could run by itself waits. */
  | { kind: 'run'; command: string; sideEffects: boolean; why?: string }
  /** Its command cannot be built (a value is unknown or unusable): Skip, or do it by hand. */
  | { kind: 'blocked'; why: string }
  /** A note waiting for Done. */
  | { kind: 'ack' }
  | { kind: 'confirm'; by: Actor; expiresAt: number }
  | { kind: 'approve'; role: 'operate' | 'admin'; reason?: string }
  /** A failed step: Retry, Skip or Abort. */
  | { kind: 'retry'; why: string }
  | { kind: 'running'; jobId?: string };

/** The next thing to happen in a run. */
export type Move =
  | { kind: 'complete' }
  | { kind: 'inactive' }
  | { kind: 'skip'; index: number; reason: string }
  | { kind: 'await-approval'; index: number }
  /** A note reached: post its text (unless already posted), then done — or, with `ack`, wait for Done. */
  | { kind: 'show-note'; index: number; text: string; ack: boolean; post: boolean }
  | { kind: 'auto-run'; index: number; command: string; commandId: string }
  | { kind: 'wait'; index: number; prompt: Prompt };

/** Statuses a run has moved past. */
export function isSettled(step: StepState): boolean {
  return step.status === 'done' || step.status === 'skipped';
}

/** The index of the first step not done or skipped; -1 when there is none. */
export function cursorOf(run: RunbookRun): number {
  return run.steps.findIndex((s) => !isSettled(s));
}

/** What references in this run can see. */
export function scopeOf(run: RunbookRun): ReferenceScope {
  return {
    inputs: run.inputs,
    steps: Object.fromEntries(run.steps.map((s) => [s.id, { status: s.status, ...(s.outputs ? { outputs: s.outputs } : {}) }])),
    ...(run.incident ? { incident: run.incident } : {}),
  };
}

export function definitionOf(run: RunbookRun, index: number): RunbookStep {
  const step = run.runbook.steps[index];
  if (!step) throw new Error(`run ${run.id} has no step ${index}`);
  return step;
}

/** Decides the next move of an active run. */
export function nextMove(run: RunbookRun, classify: ClassifyCommand): Move {
  if (run.status !== 'active') return { kind: 'inactive' };
  const index = cursorOf(run);
  if (index < 0) return { kind: 'complete' };
  const state = run.steps[index];
  const step = definitionOf(run, index);
  if (!state) return { kind: 'complete' };
  switch (state.status) {
    case 'running':
      return { kind: 'wait', index, prompt: { kind: 'running', ...(state.jobId ? { jobId: state.jobId } : {}) } };
    case 'waiting-confirmation':
      return state.confirmation
        ? { kind: 'wait', index, prompt: { kind: 'confirm', by: state.confirmation.by, expiresAt: state.confirmation.expiresAt } }
        : { kind: 'wait', index, prompt: { kind: 'retry', why: 'the confirmation was lost' } };
    case 'waiting-approval':
      return { kind: 'wait', index, prompt: approvalPrompt(step) };
    case 'failed':
      return { kind: 'wait', index, prompt: { kind: 'retry', why: state.summary ?? 'the step failed' } };
    case 'done':
    case 'skipped':
      return { kind: 'complete' };
    case 'pending':
      return pendingMove(run, index, state, step, classify);
  }
}

function pendingMove(run: RunbookRun, index: number, state: StepState, step: RunbookStep, classify: ClassifyCommand): Move {
  const scope = scopeOf(run);
  let undecided: string | undefined;
  if (step.when !== undefined) {
    const condition = evaluateCondition(step.when, scope);
    if (condition.known && !condition.value) return { kind: 'skip', index, reason: `not needed: ${whyNot(step.when, condition.shown)}` };
    if (!condition.known) undecided = `Lifeboat cannot tell whether it is needed (${condition.why}); run it or skip it`;
  }
  if (step.approval && !state.approvedBy) return { kind: 'await-approval', index };
  if (step.action === 'note') {
    if (!state.shown) return { kind: 'show-note', index, text: substituteText(step.text ?? '', scope), ack: step.ack === true, post: true };
    return step.ack === true ? { kind: 'wait', index, prompt: { kind: 'ack' } } : { kind: 'show-note', index, text: '', ack: false, post: false };
  }
  const built = substituteStepCommand(step.command ?? '', step.flags, scope);
  if (!built.ok) return { kind: 'wait', index, prompt: { kind: 'blocked', why: built.why } };
  const traits = classify(built.text);
  if ('error' in traits) return { kind: 'wait', index, prompt: { kind: 'blocked', why: traits.error } };
  const why = state.hold ?? undecided;
  if (traits.sideEffects || why !== undefined) {
    return { kind: 'wait', index, prompt: { kind: 'run', command: built.text, sideEffects: traits.sideEffects, ...(why !== undefined ? { why } : {}) } };
  }
  return { kind: 'auto-run', index, command: built.text, commandId: traits.commandId };
}

export function approvalPrompt(step: RunbookStep): Prompt {
  return { kind: 'approve', role: step.approval?.from ?? 'operate', ...(step.approval?.reason !== undefined ? { reason: step.approval.reason } : {}) };
}

/** The command a step would run now, references resolved, or why not. */
export function commandOf(run: RunbookRun, index: number): { ok: true; text: string } | { ok: false; why: string } {
  const step = definitionOf(run, index);
  if (step.command === undefined) return { ok: false, why: 'it is a note, not a command' };
  return substituteStepCommand(step.command, step.flags, scopeOf(run));
}

/** Counts for summaries: "6 done, 2 skipped". */
export function tally(run: RunbookRun): Record<StepState['status'], number> {
  const counts = { pending: 0, running: 0, 'waiting-confirmation': 0, 'waiting-approval': 0, done: 0, failed: 0, skipped: 0 };
  for (const s of run.steps) counts[s.status] += 1;
  return counts;
}

/** "step check reported no restore", "no queue was given": why a `when` came out false. */
function whyNot(when: string, shown: string): string {
  const reference = parseWholeReference(when);
  if ('error' in reference) return `${when.trim()} is ${shown}`;
  const nothing = shown === '(none)';
  switch (reference.scope) {
    case 'inputs':
      return nothing ? `no ${reference.name} was given` : `${reference.name} is ${shown}`;
    case 'steps':
      return nothing ? `step ${reference.step} reported no ${reference.field}` : `step ${reference.step} reported ${reference.field} ${shown}`;
    case 'incident':
      return nothing ? `the incident has no ${reference.field}` : `the incident's ${reference.field} is ${shown}`;
  }
}
