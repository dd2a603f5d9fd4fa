/**
 * The checklist message of a run — one neutral `Message`, posted once and updated in place — and
 * the other messages the engine posts. Pure: the same run renders the same message on every
 * surface (Block Kit buttons in Slack, numbered choices in the terminal).
 */
import type { Action, Block, Message, Tone } from '../core/message.js';
import type { RunbookDefinition } from './definition.js';
import type { Actor, RunbookRun, StepState } from './model.js';
import { cursorOf, definitionOf, scopeOf, tally, type Move, type Prompt } from './progress.js';
import { flagValue, substituteCommand, substituteStepCommand } from './references.js';

/** Button ids; the value of each is `<run-id>:<step-id>`. */
export const RUNBOOK_ACTION_IDS = {
  run: 'runbook-run',
  confirm: 'runbook-confirm',
  skip: 'runbook-skip',
  approve: 'runbook-approve',
  abort: 'runbook-abort',
} as const;

const MARK: Record<StepState['status'], string> = {
  pending: '○',
  running: '▶',
  'waiting-confirmation': '⏸',
  'waiting-approval': '⏸',
  done: '✓',
  failed: '✗',
  skipped: '↷',
};

export function actorName(actor: Actor | undefined): string {
  return actor ? (actor.userName ?? actor.userId) : 'lifeboat';
}

/** The checklist: a line per step with its state, what the current step waits for, and its buttons. */
export function renderChecklist(run: RunbookRun, move: Move, now: number): Message {
  const cursor = run.status === 'active' ? cursorOf(run) : -1;
  const blocks: Block[] = [
    { type: 'header', text: `Runbook: ${run.runbook.title}` },
    { type: 'context', text: contextLine(run) },
    { type: 'list', items: run.steps.map((s, i) => stepLine(run, s, i, i === cursor)) },
  ];
  let tone: Tone = 'info';
  let summary: string;
  if (run.status === 'completed') {
    tone = 'success';
    summary = `Runbook ${run.runbook.title} completed: ${counts(run)}.`;
    blocks.push({ type: 'text', text: `Completed: ${counts(run)}.` });
  } else if (run.status === 'aborted') {
    tone = 'warning';
    summary = `Runbook ${run.runbook.title} aborted by ${actorName(run.abortedBy)}.`;
    blocks.push({ type: 'text', text: `Aborted by ${actorName(run.abortedBy)}: ${counts(run)}. Nothing more runs.` });
  } else if (move.kind === 'wait') {
    const step = definitionOf(run, move.index);
    const n = move.index + 1;
    const { text, actions, warn } = promptView(run, step.id, n, move.prompt, now);
    if (warn) tone = 'warning';
    summary = `Runbook ${run.runbook.title}: step ${n} of ${run.steps.length} — ${text}`;
    blocks.push({ type: 'text', text: `Step ${n} of ${run.steps.length} · ${step.title}: ${text}` });
    blocks.push({ type: 'actions', actions });
  } else {
    summary = `Runbook ${run.runbook.title}: in progress.`;
    blocks.push({ type: 'actions', actions: [abortAction(run)] });
  }
  return { summary, tone, blocks };
}

function contextLine(run: RunbookRun): string {
  const parts = [run.id];
  if (run.incident) parts.push(`for ${run.incident.id} (${run.incident.title})`);
  parts.push(`started by ${actorName(run.requester)}`);
  return parts.join(' · ');
}

function stepLine(run: RunbookRun, state: StepState, index: number, current: boolean): string {
  const step = definitionOf(run, index);
  const mark = current && state.status === 'pending' ? '→' : MARK[state.status];
  const what = state.command ?? (step.command !== undefined ? previewCommand(step.command, step.flags, run) : 'note');
  const status = statusWord(state);
  const detail = state.summary ? `: ${state.summary}` : '';
  return `${mark} ${index + 1}. ${step.title} · ${what}${status ? ` — ${status}` : ''}${detail}`;
}

/**
 * A step's command as far as it is known now: `rebuild ‹check.rebuild›` until step check reports
 * it; a flag whose value is not known yet shows as `[--ref ‹ref›]`, one known to be empty not at all.
 */
function previewCommand(command: string, flags: Readonly<Record<string, string>> | undefined, run: RunbookRun): string {
  const scope = scopeOf(run);
  const built = substituteStepCommand(command, flags, scope);
  if (built.ok) return built.text;
  const placeholder = (raw: string, body: string): string => {
    const one = substituteCommand(raw, scope);
    return one.ok ? one.text : `‹${body.replace(/^(steps|inputs|incident)\./, '')}›`;
  };
  const base = command.replace(/\$\{([^}]*)\}/g, placeholder);
  const optional = Object.entries(flags ?? {}).map(([name, raw]) => {
    const value = flagValue(raw, scope);
    if (value.kind === 'word') return ` --${name} ${value.word}`;
    if (value.kind === 'none') return '';
    return ` [--${name} ${raw.trim().replace(/\$\{([^}]*)\}/g, placeholder)}]`;
  });
  return base + optional.join('');
}

function statusWord(state: StepState): string {
  switch (state.status) {
    case 'pending':
      return '';
    case 'running':
      return state.jobId ? `running (job ${state.jobId})` : 'starting';
    case 'waiting-confirmation':
      return `waiting for ${actorName(state.confirmation?.by)} to confirm`;
    case 'waiting-approval':
      return 'waiting for approval';
    case 'done':
      return state.runBy && state.approvedBy ? `done (approved by ${actorName(state.approvedBy)})` : 'done';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
  }
}

function counts(run: RunbookRun): string {
  const t = tally(run);
  const parts = [`${t.done} done`, `${t.skipped} skipped`];
  if (t.failed) parts.push(`${t.failed} failed`);
  const open = run.steps.length - t.done - t.skipped - t.failed;
  if (open) parts.push(`${open} not reached`);
  return parts.join(', ');
}

function promptView(run: RunbookRun, stepId: string, n: number, prompt: Prompt, now: number): { text: string; actions: Action[]; warn: boolean } {
  const value = `${run.id}:${stepId}`;
  const skip: Action = { id: RUNBOOK_ACTION_IDS.skip, label: `Skip step ${n}`, value };
  const abort = abortAction(run);
  switch (prompt.kind) {
    case 'run': {
      const lead = prompt.sideEffects ? `${prompt.command} — changes things, so it waits for Run by someone allowed to run it` : `${prompt.command} — waiting for Run`;
      return { text: prompt.why ? `${lead} (${prompt.why}).` : `${lead}.`, actions: [{ id: RUNBOOK_ACTION_IDS.run, label: `Run step ${n}`, value, style: 'primary' }, skip, abort], warn: false };
    }
    case 'blocked':
      return { text: `cannot run: ${prompt.why}. Skip it (after doing it by hand, if it is needed) or abort.`, actions: [skip, abort], warn: true };
    case 'ack':
      return { text: 'follow the note in the thread, then press Done.', actions: [{ id: RUNBOOK_ACTION_IDS.run, label: `Done with step ${n}`, value, style: 'primary' }, skip, abort], warn: false };
    case 'confirm': {
      const minutes = Math.max(0, Math.ceil((prompt.expiresAt - now) / 60_000));
      return {
        text: `waiting for ${actorName(prompt.by)} to confirm (expires in ${minutes} min).`,
        actions: [{ id: RUNBOOK_ACTION_IDS.confirm, label: `Confirm step ${n}`, value, style: 'primary' }, skip, abort],
        warn: false,
      };
    }
    case 'approve':
      return {
        text: `needs approval by someone with the ${prompt.role} role other than ${actorName(run.requester)}${prompt.reason ? ` (${prompt.reason})` : ''}.`,
        actions: [{ id: RUNBOOK_ACTION_IDS.approve, label: `Approve step ${n}`, value, style: 'primary' }, skip, abort],
        warn: false,
      };
    case 'retry':
      return { text: `failed: ${prompt.why}. Retry, skip or abort.`, actions: [{ id: RUNBOOK_ACTION_IDS.run, label: `Retry step ${n}`, value, style: 'primary' }, skip, abort], warn: true };
    case 'running':
      return { text: `running${prompt.jobId ? ` (job ${prompt.jobId})` : ''}; its progress is in the thread.`, actions: [abort], warn: false };
  }
}

function abortAction(run: RunbookRun): Action {
  const cursor = cursorOf(run);
  const step = run.steps[cursor < 0 ? run.steps.length - 1 : cursor];
  return { id: RUNBOOK_ACTION_IDS.abort, label: 'Abort runbook', value: `${run.id}:${step?.id ?? ''}`, style: 'danger' };
}

/** A note step's text, posted in the thread when the step is reached. */
export function renderNote(run: RunbookRun, index: number, text: string, ack: boolean): Message {
  const step = definitionOf(run, index);
  return {
    summary: `Step ${index + 1} · ${step.title}`,
    tone: 'info',
    blocks: [
      { type: 'header', text: `Step ${index + 1} · ${step.title}` },
      { type: 'text', text },
      { type: 'context', text: `Runbook ${run.runbook.title} · ${run.id}${ack ? ' · press Done on the checklist when it is done' : ''}` },
    ],
  };
}

/** The list of runbooks for `runbook list`. */
export function renderCatalog(runbooks: readonly RunbookDefinition[], active: readonly RunbookRun[]): Message {
  if (runbooks.length === 0) return { summary: 'No runbooks are loaded.', tone: 'warning', blocks: [{ type: 'text', text: 'No runbooks are loaded (runbooks/*.yaml).' }] };
  const items = runbooks.map((r) => {
    const inputs = Object.entries(r.inputs).map(([name, input]) => (input.required ? name : `${name}?`));
    return `${r.id} — ${r.title} (for ${r.appliesTo.join(', ')}; ${r.steps.length} steps${inputs.length ? `; inputs ${inputs.join(', ')}` : ''})`;
  });
  return {
    summary: `${runbooks.length} runbooks`,
    blocks: [
      { type: 'header', text: 'Runbooks' },
      { type: 'list', items },
      { type: 'context', text: `Start one with runbook start <id> for <incident>, or runbook start <id> with name=value …${active.length ? ` · ${active.length} in progress: runbook status` : ''}` },
    ],
  };
}

/** Active runs for `runbook status`. */
export function renderRuns(runs: readonly RunbookRun[], now: number): Message {
  if (runs.length === 0) return { summary: 'No runbook is in progress.', blocks: [{ type: 'text', text: 'No runbook is in progress. runbook list shows the ones you can start.' }] };
  const items = runs.map((run) => {
    const cursor = cursorOf(run);
    const step = cursor >= 0 ? run.steps[cursor] : undefined;
    const where = step ? `step ${cursor + 1} of ${run.steps.length} (${definitionOf(run, cursor).title}${statusWord(step) ? `, ${statusWord(step)}` : ''})` : 'finishing';
    const age = Math.max(0, Math.round((now - run.createdAt) / 60_000));
    return `${run.id} · ${run.runbook.title}${run.incident ? ` · ${run.incident.id}` : ''} · ${where} · started by ${actorName(run.requester)} ${age} min ago`;
  });
  return {
    summary: `${runs.length} runbook${runs.length === 1 ? '' : 's'} in progress`,
    blocks: [{ type: 'header', text: 'Runbooks in progress' }, { type: 'list', items }, { type: 'context', text: 'runbook status <run> shows one checklist with its buttons.' }],
  };
}
