import type { AuditLog, AuditOutcome, ChatSurface, CommandExecution, CommandExecutor, Conversation, Requester, SurfaceName } from '../chat/ports.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { Clock } from '../core/clock.js';
import { userFacingMessage } from '../core/errors.js';
import { shortId } from '../core/ids.js';
import type { FinishedJob, JobOutcomeSource, JobOutputs } from '../core/jobs.js';
import type { Logger } from '../core/logger.js';
import { textMessage, type Message, type Tone, FILL_IN_COMMAND_ACTION } from '../core/message.js';
import { classifyWith, type RunbookCatalog } from './catalog.js';
import { actorName, renderChecklist, renderNote, renderRuns, RUNBOOK_ACTION_IDS } from './checklist.js';
import type { RunbookDefinition } from './definition.js';
import type { Actor, IncidentSnapshot, RunbookRun, StepState } from './model.js';
import type { ApprovalPolicy, IncidentLookup, RunbookEscalation, RunbookIncident, RunbookStore, TimelineSink } from './ports.js';
import { commandOf, cursorOf, definitionOf, isSettled, nextMove, scopeOf, type ClassifyCommand, type Move } from './progress.js';
import { COMMAND_VALUE, evaluateCondition } from './references.js';

export interface RunbookEngineDeps {
  catalog: RunbookCatalog;
  /** The command registry: tells read-only steps (which run by themselves) from the others. */
  registry: CommandRegistry;
  store: RunbookStore;
  /** The router: each step runs as its command, authorised and audited like typed text. */
  commands: CommandExecutor;
  /** How a step's job ended, and its outputs. */
  outcomes: JobOutcomeSource;
  /** Where checklists and notes are posted, by surface (read when posting, so it may fill later). */
  surfaces: Readonly<Partial<Record<SurfaceName, ChatSurface>>>;
  timeline: TimelineSink;
  audit: AuditLog;
  approvals: ApprovalPolicy;
  clock: Clock;
  logger: Logger;
  /** For `runbook start <id> for <incident>`; without it runbooks start only with typed inputs. */
  incidents?: IncidentLookup;
  escalation?: RunbookEscalation;
  /** How long a step's Confirm stays valid. Default 5 minutes. */
  confirmTtlMs?: number;
  /** The most JSON a step's outputs may take in the run record; larger outputs keep their scalars. Default 16 KiB. */
  maxOutputBytes?: number;
  /** A step marked running whose job id was never recorded is treated as interrupted after this. Default 30 s. */
  interruptedAfterMs?: number;
}

/** `runbook start`: which runbook, for which incident, with which typed inputs. */
export interface StartRequest {
  runbookId: string;
  incidentId?: string;
  inputs: Readonly<Record<string, string>>;
  requester: Requester;
  conversation: Conversation;
}

export type StepVerb = 'run' | 'confirm' | 'skip' | 'approve';

/** What a transition records: the audit entry and the timeline line. */
interface Event {
  text: string;
  by?: Actor;
  where: Conversation;
  outcome: AuditOutcome;
  stepId?: string;
  detail?: string;
}

const MAX_CAS_TRIES = 8;

/**
 * The runbook engine: starts runs, moves them step by step, and keeps every transition in the
 * store (compare-and-set), the checklist message (updated in place), the incident timeline and
 * the audit log.
 *
 * - Read-only steps run by themselves, as the requester; steps with side effects wait for Run by
 *   someone allowed to run their command (and Confirm, with `confirm: true`); steps with
 *   `approval` wait for Approve by an allowed person other than the requester.
 * - Every step runs through the router (`CommandExecutor.dispatch`) as the job of its command, so
 *   authorisation, audit and job dedup are exactly those of typed commands.
 * - The run is persisted after every transition; `resume()` after a restart re-attaches to
 *   running jobs and continues. Several bot processes may run engines on one store: each
 *   transition is compare-and-set, so a step moves once.
 */
export class RunbookEngine {
  private readonly classify: ClassifyCommand;
  private readonly log: Logger;
  private readonly confirmTtlMs: number;
  private readonly maxOutputBytes: number;
  private readonly interruptedAfterMs: number;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly watching = new Set<string>();
  /** Runs whose checklist changed since it was last sent. */
  private readonly dirty = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly stopper = new AbortController();

  constructor(private readonly deps: RunbookEngineDeps) {
    this.classify = classifyWith(deps.registry);
    this.log = deps.logger.child({ component: 'runbooks' });
    this.confirmTtlMs = deps.confirmTtlMs ?? 5 * 60_000;
    this.maxOutputBytes = deps.maxOutputBytes ?? 16 * 1024;
    this.interruptedAfterMs = deps.interruptedAfterMs ?? 30_000;
  }

  get catalog(): RunbookCatalog {
    return this.deps.catalog;
  }

  /** Starts a run: checks the incident and inputs, posts the checklist, runs what can run by itself. */
  async start(request: StartRequest): Promise<Message> {
    const runbook = this.deps.catalog.get(request.runbookId);
    if (!runbook) {
      const ids = this.deps.catalog.runbooks.map((r) => r.id);
      return textMessage(`There is no runbook "${request.runbookId}".${ids.length ? ` Runbooks: ${ids.join(', ')}.` : ''}`, 'warning');
    }
    let incident: RunbookIncident | undefined;
    if (request.incidentId !== undefined) {
      if (!this.deps.incidents) return textMessage('Incidents are not available in this Lifeboat process; start the runbook with its inputs: runbook start <id> with name=value …', 'warning');
      incident = await this.deps.incidents.get(request.incidentId);
      if (!incident) return textMessage(`There is no incident ${request.incidentId}.`, 'warning');
      if (!(runbook.appliesTo as readonly string[]).includes(incident.class)) {
        const fitting = this.deps.catalog.forClass(incident.class).map((r) => r.id);
        return textMessage(
          `Runbook ${runbook.id} is for ${runbook.appliesTo.join(', ')} incidents; ${incident.id} is ${incident.class}.${fitting.length ? ` Runbooks for it: ${fitting.join(', ')}.` : ''} To run it anyway, start it without "for" and give its inputs.`,
          'warning',
        );
      }
      const running = (await this.deps.store.listActive()).find((r) => r.runbook.id === runbook.id && r.incident?.id === incident?.id);
      if (running) return textMessage(`Runbook ${runbook.id} is already running for ${incident.id} as ${running.id}: runbook status ${running.id} shows it.`, 'info');
    }
    const inputs = this.collectInputs(runbook, request, incident);
    if ('reply' in inputs) return inputs.reply;

    const now = this.deps.clock.now();
    const conversation = incident?.thread && incident.thread.surface === request.conversation.surface ? incident.thread : request.conversation;
    const run: RunbookRun = {
      id: shortId('rb'),
      version: 1,
      runbook,
      requester: requesterOf(request.requester),
      conversation,
      inputs: inputs.values,
      status: 'active',
      steps: runbook.steps.map((s) => ({ id: s.id, status: 'pending', attempts: 0 })),
      createdAt: now,
      updatedAt: now,
    };
    if (incident) run.incident = snapshotOf(incident);
    await this.deps.store.create(run);
    // Posted once the first moves are made, so it starts out showing them.
    this.dirty.add(run.id);
    await this.record(run, { text: 'started', by: run.requester, where: request.conversation, outcome: 'allowed', detail: Object.entries(run.inputs).map(([k, v]) => `${k}=${v}`).join(' ') || undefined });
    await this.serial(run.id, () => this.advance(run.id));
    const where = conversation === request.conversation ? 'the checklist is above' : 'the checklist is in the incident thread';
    return textMessage(`Started runbook ${runbook.title} as ${run.id}; ${where}.`, 'info');
  }

  /** A button press or `runbook <verb> <run> <step>`: Run, Confirm, Skip or Approve a step. */
  async press(verb: StepVerb, runId: string, stepId: string, who: Requester, where: Conversation): Promise<Message> {
    return this.serial(runId, async () => {
      const found = await this.locate(runId, stepId);
      if ('reply' in found) return found.reply;
      const { run, index } = found;
      const move = nextMove(run, this.classify);
      let reply: Message;
      switch (verb) {
        case 'skip':
          reply = await this.skip(run, index, move, who, where);
          break;
        case 'approve':
          reply = await this.approve(run, index, move, who, where);
          break;
        case 'run':
          reply = await this.runPressed(run, index, move, who, where);
          break;
        case 'confirm':
          reply = await this.confirm(run, index, move, who, where);
          break;
      }
      await this.advance(runId);
      return reply;
    });
  }

  /** Stops a run: nothing more runs. A job already running finishes (or is cancelled on its own message). */
  async abort(runId: string, who: Requester, where: Conversation): Promise<Message> {
    return this.serial(runId, async () => {
      const run = await this.deps.store.get(runId);
      if (!run) return textMessage(`There is no runbook run ${runId}.`, 'warning');
      if (run.status !== 'active') return textMessage(`Run ${runId} is already ${run.status}.`, 'info');
      const actor = actorOf(who);
      const saved = await this.transition(runId, (r) => {
        if (r.status !== 'active') return undefined;
        r.status = 'aborted';
        r.abortedBy = actor;
        r.finishedAt = this.deps.clock.now();
        return r.steps.find((s) => s.status === 'running');
      });
      if (!saved) return textMessage(`Run ${runId} is no longer active.`, 'info');
      const running = saved.value;
      await this.record(saved.run, { text: 'aborted', by: actor, where, outcome: 'cancelled' });
      this.dirty.add(runId);
      const rest = running?.jobId ? ` Job ${running.jobId} of step "${running.id}" is still running: press Cancel on its message to stop it.` : '';
      return textMessage(`Aborted runbook ${saved.run.runbook.title} (${runId}).${rest}`, 'warning');
    });
  }

  async get(runId: string): Promise<RunbookRun | undefined> {
    return this.deps.store.get(runId);
  }

  async activeRuns(): Promise<RunbookRun[]> {
    return this.deps.store.listActive();
  }

  /** The checklist of a run as it stands, for `runbook status <run>` (a copy with live buttons). */
  checklistOf(run: RunbookRun): Message {
    return renderChecklist(run, nextMove(run, this.classify), this.deps.clock.now());
  }

  /** `runbook status`: the runs in progress. */
  async statusMessage(): Promise<Message> {
    return renderRuns(await this.deps.store.listActive(), this.deps.clock.now());
  }

  /**
   * After a restart: picks every active run up where it was — re-attaches to the jobs of running
   * steps, runs what can run by itself — and returns how many runs it found.
   */
  async resume(): Promise<number> {
    const runs = await this.deps.store.listActive();
    for (const run of runs) this.spawn(() => this.serial(run.id, () => this.advance(run.id)));
    if (runs.length) this.log.info({ runs: runs.length }, 'resumed runbook runs');
    return runs.length;
  }

  /**
   * Resolves once no background work is left — moves after a job ended, re-checks — apart from
   * waiting for jobs that are still running. For tests and shutdown.
   */
  async idle(): Promise<void> {
    for (;;) {
      // Let outcomes that have just arrived schedule their work first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.tasks.size === 0) return;
      await Promise.allSettled([...this.tasks]);
    }
  }

  /** Stops waiting for jobs. Runs stay as they are in the store; the next `resume()` continues them. */
  async close(): Promise<void> {
    this.stopper.abort(new Error('runbook engine closing'));
    await this.idle();
  }

  // ── moving a run ───────────────────────────────────────────────────────────────────────────

  /** Makes every move that needs no person, until the run waits (for a person or a job) or ends. */
  private async advance(runId: string): Promise<void> {
    for (let guard = 0; guard < 200; guard++) {
      const run = await this.deps.store.get(runId);
      if (!run) return;
      const move = nextMove(run, this.classify);
      switch (move.kind) {
        case 'inactive':
          return;
        case 'complete': {
          const saved = await this.transition(runId, (r) => {
            if (r.status !== 'active' || cursorOf(r) >= 0) return undefined;
            r.status = 'completed';
            r.finishedAt = this.deps.clock.now();
            return true;
          });
          if (saved) {
            await this.record(saved.run, { text: 'completed', where: saved.run.conversation, outcome: 'allowed' });
            this.dirty.add(runId);
          }
          return;
        }
        case 'skip': {
          const saved = await this.stepTransition(runId, move.index, ['pending'], (s) => {
            s.status = 'skipped';
            s.summary = move.reason;
            s.finishedAt = this.deps.clock.now();
          });
          if (saved) await this.afterStep(saved, move.index, { text: `skipped: ${move.reason}`, where: saved.conversation, outcome: 'allowed' });
          continue;
        }
        case 'await-approval': {
          const saved = await this.stepTransition(runId, move.index, ['pending'], (s) => {
            s.status = 'waiting-approval';
            s.since = this.deps.clock.now();
          });
          if (saved) await this.afterStep(saved, move.index, { text: 'waiting for approval', where: saved.conversation, outcome: 'awaiting-confirmation' });
          return;
        }
        case 'show-note': {
          if (move.post) await this.post(run.conversation, renderNote(run, move.index, move.text, move.ack));
          const saved = await this.stepTransition(runId, move.index, ['pending'], (s) => {
            s.shown = true;
            if (!move.ack) {
              s.status = 'done';
              s.summary = 'noted in the thread';
              s.finishedAt = this.deps.clock.now();
            } else {
              s.since = this.deps.clock.now();
            }
          });
          if (saved) await this.afterStep(saved, move.index, { text: move.ack ? 'note shown; waiting for Done' : 'note shown', where: saved.conversation, outcome: 'allowed' });
          if (move.ack) return;
          continue;
        }
        case 'auto-run':
          await this.runStep(run, move.index, move.command, run.requester, run.conversation, 'allowed');
          continue;
        case 'wait': {
          const state = run.steps[move.index];
          if (move.prompt.kind !== 'running' || !state) return;
          if (state.jobId) {
            this.watch(runId, state.id, state.jobId);
            return;
          }
          if (await this.interrupted(run, move.index, state)) continue;
          return;
        }
      }
    }
    this.log.error({ runId }, 'runbook did not settle after 200 moves');
  }

  /**
   * Claims the step (pending → running, compare-and-set: one claimant) and runs its command
   * through the router as `who`. Returns the reply for the person who pressed Run.
   */
  private async runStep(run: RunbookRun, index: number, command: string, who: Requester, where: Conversation, outcome: 'allowed' | 'confirmed'): Promise<Message> {
    const step = definitionOf(run, index);
    const actor = actorOf(who);
    const claimed = await this.stepTransition(run.id, index, ['pending', 'failed', 'waiting-confirmation'], (s) => {
      s.status = 'running';
      s.attempts += 1;
      s.command = command;
      s.runBy = actor;
      s.since = this.deps.clock.now();
      delete s.jobId;
      delete s.hold;
      delete s.confirmation;
      delete s.summary;
      delete s.outputs;
      delete s.finishedAt;
    });
    if (!claimed) return textMessage(`Step ${index + 1} is already being handled.`, 'info');
    let execution: CommandExecution;
    try {
      execution = await this.deps.commands.dispatch(
        { text: command, requester: who, conversation: claimed.conversation },
        { outcome, detail: `runbook ${run.id} step ${step.id}` },
      );
    } catch (err) {
      // The router answers failures itself; this is the unexpected kind. Never leave the step claimed.
      this.log.error({ err, runId: run.id, stepId: step.id }, 'dispatching a step failed');
      execution = { kind: 'rejected', reason: 'failed', message: textMessage(userFacingMessage(err), 'danger') };
    }
    switch (execution.kind) {
      case 'job': {
        const saved = await this.stepTransition(run.id, index, ['running'], (s) => {
          s.jobId = execution.jobId;
        });
        if (saved) {
          await this.afterStep(saved, index, { text: `started: ${command} (job ${execution.jobId}${execution.attached ? ', joined the one already running' : ''})`, by: actor, where, outcome, detail: `job ${execution.jobId}` });
          this.watch(run.id, step.id, execution.jobId);
        }
        return textMessage(`Step ${index + 1} (${step.title}) started: job ${execution.jobId}. Its progress is in the thread.`, 'info');
      }
      case 'answered':
        await this.post(claimed.conversation, execution.message);
        await this.finishStep(run.id, index, undefined, { status: 'completed', summary: execution.message.summary }, where);
        return textMessage(`Step ${index + 1} (${step.title}) done.`, 'success');
      case 'rejected':
        if (execution.reason === 'refused' || execution.reason === 'needs-confirmation' || execution.reason === 'failed') {
          // Not the step's fault: it waits for someone who may run it (or for Redis to be back).
          const byItself = outcome === 'allowed' && who.userId === run.requester.userId;
          const saved = await this.stepTransition(run.id, index, ['running'], (s) => {
            s.status = 'pending';
            s.attempts -= 1;
            delete s.since;
            if (byItself) s.hold = `it could not run as ${actorName(actor)}: ${execution.message.summary}`;
          });
          if (saved) await this.afterStep(saved, index, { text: `could not run: ${execution.message.summary}`, by: actor, where, outcome: 'refused' });
          return execution.message;
        }
        await this.finishStep(run.id, index, undefined, { status: 'failed', summary: execution.message.summary }, where);
        return execution.message;
    }
  }

  /**
   * Records how a step's job ended: outputs, `verify`, and `onFailure` for a failure. Only the
   * step still running that job is touched, so a late or duplicate outcome changes nothing.
   */
  private async finishStep(runId: string, index: number, jobId: string | undefined, result: FinishedJob, where?: Conversation): Promise<void> {
    let failure: string | undefined;
    let escalate = false;
    const saved = await this.stepTransition(runId, index, ['running'], (s, run) => {
      if (jobId !== undefined && s.jobId !== jobId) return false;
      const step = definitionOf(run, index);
      failure = undefined;
      escalate = false;
      s.finishedAt = this.deps.clock.now();
      if (result.status === 'completed') {
        s.status = 'done';
        s.summary = result.summary ?? 'done';
        const outputs = this.cap(result.outputs, runId, step.id);
        if (outputs) s.outputs = outputs;
        if (step.verify !== undefined) {
          const check = evaluateCondition(step.verify, scopeOf(run));
          if (!check.known) failure = `could not verify ${step.verify.trim()}: ${check.why}`;
          else if (!check.value) failure = `verification failed: ${step.verify.trim()} is ${check.shown}`;
        }
      } else {
        failure = result.status === 'gone' ? 'its job is gone, so how it ended is unknown; look in the thread' : (result.summary ?? `the job ${result.status}`);
      }
      if (failure === undefined) return true;
      if (step.onFailure === 'skip') {
        s.status = 'skipped';
        s.summary = `${failure} — skipped (onFailure: skip)`;
        delete s.outputs;
      } else {
        s.status = 'failed';
        s.summary = failure;
        escalate = step.onFailure === 'escalate';
      }
      return true;
    });
    if (!saved) return;
    const state = saved.steps[index];
    const event: Event =
      failure === undefined
        ? { text: `done: ${state?.summary ?? ''}`, where: where ?? saved.conversation, outcome: 'allowed' }
        : { text: `failed: ${failure}${state?.status === 'skipped' ? ' (skipped)' : ''}`, where: where ?? saved.conversation, outcome: 'failed' };
    await this.afterStep(saved, index, event);
    if (escalate && failure !== undefined) await this.escalate(saved, index, failure);
  }

  /** A step left running with no job id by a process that died mid-dispatch; true when it was moved on. */
  private async interrupted(run: RunbookRun, index: number, state: StepState): Promise<boolean> {
    const age = this.deps.clock.now() - (state.since ?? 0);
    if (age < this.interruptedAfterMs) {
      // Another process may be dispatching it right now; look again once it surely would be done.
      this.spawn(async () => {
        await sleep(this.interruptedAfterMs - age + 50, this.stopper.signal);
        await this.serial(run.id, () => this.advance(run.id));
      });
      return false;
    }
    const readOnly = (() => {
      const traits = state.command !== undefined ? this.classify(state.command) : { error: '' };
      return !('error' in traits) && !traits.sideEffects;
    })();
    const saved = await this.stepTransition(run.id, index, ['running'], (s) => {
      if (s.jobId) return false;
      s.attempts -= 1;
      if (readOnly) {
        // Read-only: running it again is harmless (and joins its job if it did start).
        s.status = 'pending';
        delete s.since;
      } else {
        s.status = 'failed';
        s.summary = 'interrupted before Lifeboat learned its job; check the thread for it, then Retry or Skip';
      }
    });
    if (saved) await this.afterStep(saved, index, { text: readOnly ? 'interrupted; running it again' : 'interrupted; waiting for a person', where: saved.conversation, outcome: 'failed' });
    return saved !== undefined;
  }

  // ── presses ──────────────────────────────────────────────────────────────────────────────

  private async runPressed(run: RunbookRun, index: number, move: Move, who: Requester, where: Conversation): Promise<Message> {
    const step = definitionOf(run, index);
    const n = index + 1;
    if (move.kind === 'await-approval') return textMessage(`Step ${n} needs approval first.`, 'warning');
    if (move.kind === 'show-note' || move.kind === 'skip') return textMessage(`Step ${n} needs no press; the checklist moves on by itself.`, 'info');
    if (move.kind === 'wait') {
      const prompt = move.prompt;
      switch (prompt.kind) {
        case 'approve':
          return textMessage(`Step ${n} needs approval first.`, 'warning');
        case 'running':
          return textMessage(`Step ${n} is already running${prompt.jobId ? ` (job ${prompt.jobId})` : ''}.`, 'info');
        case 'blocked':
          return textMessage(`Step ${n} cannot run: ${prompt.why}.`, 'warning');
        case 'confirm':
          return prompt.by.userId === who.userId
            ? confirmPrompt(run, index, prompt.expiresAt - this.deps.clock.now())
            : textMessage(`Step ${n} is waiting for ${actorName(prompt.by)} to confirm it.`, 'info');
        case 'ack': {
          const saved = await this.stepTransition(run.id, index, ['pending'], (s) => {
            s.status = 'done';
            s.summary = `marked done by ${actorName(actorOf(who))}`;
            s.runBy = actorOf(who);
            s.finishedAt = this.deps.clock.now();
          });
          if (saved) await this.afterStep(saved, index, { text: 'done', by: actorOf(who), where, outcome: 'allowed' });
          return textMessage(`Step ${n} (${step.title}) marked done.`, 'success');
        }
        case 'run':
        case 'retry':
          break;
      }
    }
    const built = commandOf(run, index);
    if (!built.ok) return textMessage(`Step ${n} cannot run: ${built.why}.`, 'warning');
    const traits = this.classify(built.text);
    if ('error' in traits) return textMessage(`Step ${n} cannot run: ${traits.error}.`, 'warning');
    if (step.confirm === true && traits.sideEffects) {
      const expiresAt = this.deps.clock.now() + this.confirmTtlMs;
      const actor = actorOf(who);
      const saved = await this.stepTransition(run.id, index, ['pending', 'failed'], (s) => {
        s.status = 'waiting-confirmation';
        s.confirmation = { by: actor, expiresAt };
        s.since = this.deps.clock.now();
      });
      if (!saved) return textMessage(`Step ${n} is already being handled.`, 'info');
      await this.afterStep(saved, index, { text: `waiting for ${actorName(actor)} to confirm: ${built.text}`, by: actor, where, outcome: 'awaiting-confirmation' });
      return confirmPrompt(saved, index, this.confirmTtlMs);
    }
    return this.runStep(run, index, built.text, who, where, traits.sideEffects ? 'confirmed' : 'allowed');
  }

  private async confirm(run: RunbookRun, index: number, move: Move, who: Requester, where: Conversation): Promise<Message> {
    const n = index + 1;
    if (move.kind !== 'wait' || move.prompt.kind !== 'confirm') return textMessage(`Step ${n} is not waiting for a confirmation.`, 'info');
    const { by, expiresAt } = move.prompt;
    const actor = actorOf(who);
    if (by.userId !== who.userId) {
      await this.record(run, { text: `confirmation by ${actorName(actor)} refused: only ${actorName(by)}, who pressed Run, can confirm`, by: actor, where, outcome: 'not-yours', stepId: run.steps[index]?.id });
      return textMessage(`Only ${actorName(by)}, who pressed Run, can confirm step ${n}.`, 'warning');
    }
    if (this.deps.clock.now() > expiresAt) {
      const saved = await this.stepTransition(run.id, index, ['waiting-confirmation'], (s) => {
        s.status = 'pending';
        delete s.confirmation;
        delete s.since;
      });
      if (saved) await this.afterStep(saved, index, { text: 'confirmation expired', by: actor, where, outcome: 'expired' });
      return textMessage(`The confirmation of step ${n} expired; nothing was run. Press Run again if it is still needed.`, 'warning');
    }
    const built = commandOf(run, index);
    if (!built.ok) return textMessage(`Step ${n} cannot run: ${built.why}.`, 'warning');
    return this.runStep(run, index, built.text, who, where, 'confirmed');
  }

  private async approve(run: RunbookRun, index: number, move: Move, who: Requester, where: Conversation): Promise<Message> {
    const n = index + 1;
    const step = definitionOf(run, index);
    const waiting = move.kind === 'await-approval' || (move.kind === 'wait' && move.prompt.kind === 'approve');
    if (!step.approval || !waiting) return textMessage(`Step ${n} is not waiting for an approval.`, 'info');
    const actor = actorOf(who);
    const stepId = step.id;
    if (who.userId === run.requester.userId) {
      await this.record(run, { text: `approval by ${actorName(actor)} refused: the requester cannot approve their own runbook`, by: actor, where, outcome: 'refused', stepId });
      return textMessage(`Not allowed: step ${n} needs approval by someone other than ${actorName(run.requester)}, who started this runbook. This attempt is recorded in the audit log.`, 'danger');
    }
    const decision = this.deps.approvals.mayApprove(step.approval.from, who, where);
    if (!decision.allowed) {
      await this.record(run, { text: `approval by ${actorName(actor)} refused: ${decision.reason}`, by: actor, where, outcome: 'refused', stepId });
      return textMessage(`Not allowed to approve step ${n}: ${decision.reason}. This attempt is recorded in the audit log.`, 'danger');
    }
    const saved = await this.stepTransition(run.id, index, ['pending', 'waiting-approval'], (s) => {
      if (s.approvedBy) return false;
      s.status = 'pending';
      s.approvedBy = actor;
      delete s.since;
    });
    if (!saved) return textMessage(`Step ${n} is already approved.`, 'info');
    await this.afterStep(saved, index, { text: `approved by ${actorName(actor)}`, by: actor, where, outcome: 'confirmed' });
    return textMessage(`Approved step ${n} (${step.title}).`, 'success');
  }

  private async skip(run: RunbookRun, index: number, move: Move, who: Requester, where: Conversation): Promise<Message> {
    const n = index + 1;
    if (move.kind === 'wait' && move.prompt.kind === 'running') {
      return textMessage(`Step ${n} is running; cancel its job (Cancel on its progress message) or wait for it, then skip.`, 'warning');
    }
    const actor = actorOf(who);
    const saved = await this.stepTransition(run.id, index, ['pending', 'failed', 'waiting-approval', 'waiting-confirmation'], (s) => {
      s.status = 'skipped';
      s.summary = `skipped by ${actorName(actor)}`;
      s.runBy = actor;
      s.finishedAt = this.deps.clock.now();
      delete s.confirmation;
      delete s.hold;
      delete s.outputs;
    });
    if (!saved) return textMessage(`Step ${n} cannot be skipped now.`, 'info');
    await this.afterStep(saved, index, { text: `skipped by ${actorName(actor)}`, by: actor, where, outcome: 'allowed' });
    return textMessage(`Skipped step ${n} (${definitionOf(run, index).title}).`, 'info');
  }

  private async locate(runId: string, stepId: string): Promise<{ run: RunbookRun; index: number } | { reply: Message }> {
    const run = await this.deps.store.get(runId);
    if (!run) return { reply: textMessage(`There is no runbook run ${runId}.`, 'warning') };
    if (run.status !== 'active') return { reply: textMessage(`Run ${runId} is ${run.status}; nothing more runs.`, 'info') };
    const index = run.steps.findIndex((s) => s.id === stepId);
    const state = run.steps[index];
    if (!state) return { reply: textMessage(`Run ${runId} has no step "${stepId}".`, 'warning') };
    const cursor = cursorOf(run);
    if (index !== cursor) {
      if (isSettled(state)) return { reply: textMessage(`Step ${index + 1} is already ${state.status}.`, 'info') };
      return { reply: textMessage(`Step ${index + 1} comes later: step ${cursor + 1} (${definitionOf(run, cursor).title}) is first.`, 'info') };
    }
    return { run, index };
  }

  // ── jobs ─────────────────────────────────────────────────────────────────────────────────

  /** Waits for a step's job in the background, then records it and moves on. Once per job per process. */
  private watch(runId: string, stepId: string, jobId: string): void {
    const key = `${runId}:${stepId}:${jobId}`;
    if (this.watching.has(key) || this.stopper.signal.aborted) return;
    this.watching.add(key);
    // Waiting is not work: only what follows the outcome counts for idle().
    this.deps.outcomes.waitForOutcome(jobId, { signal: this.stopper.signal }).then(
      (outcome) =>
        this.spawn(async () => {
          try {
            await this.serial(runId, async () => {
              const run = await this.deps.store.get(runId);
              const index = run?.steps.findIndex((s) => s.id === stepId) ?? -1;
              if (!run || index < 0) return;
              await this.finishStep(runId, index, jobId, outcome);
              await this.advance(runId);
            });
          } finally {
            this.watching.delete(key);
          }
        }),
      (err: unknown) => {
        this.watching.delete(key);
        if (!this.stopper.signal.aborted) this.log.error({ err, runId, jobId }, 'stopped waiting for a step job');
      },
    );
  }

  // ── persistence ──────────────────────────────────────────────────────────────────────────

  /**
   * Read, change, compare-and-set, retrying on a conflict. `change` edits the copy it is given and
   * returns undefined (or false) for "nothing to do"; the saved run and its value come back.
   */
  private async transition<T>(runId: string, change: (run: RunbookRun) => T | undefined | false): Promise<{ run: RunbookRun; value: T } | undefined> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const current = await this.deps.store.get(runId);
      if (!current) return undefined;
      const next = structuredClone(current);
      const value = change(next);
      if (value === undefined || value === false) return undefined;
      next.version = current.version + 1;
      next.updatedAt = this.deps.clock.now();
      if (await this.deps.store.update(next, current.version)) return { run: next, value };
    }
    throw new Error(`run ${runId} kept changing under ${MAX_CAS_TRIES} attempts to update it`);
  }

  /** A transition of one step, allowed only from the given statuses and only while the run is active. */
  private async stepTransition(
    runId: string,
    index: number,
    from: readonly StepState['status'][],
    change: (step: StepState, run: RunbookRun) => boolean | void,
  ): Promise<RunbookRun | undefined> {
    const saved = await this.transition(runId, (run) => {
      const step = run.steps[index];
      if (run.status !== 'active' || !step || !from.includes(step.status) || cursorOf(run) !== index) return undefined;
      return change(step, run) === false ? undefined : true;
    });
    return saved?.run;
  }

  // ── what a transition leaves behind ──────────────────────────────────────────────────────

  private async afterStep(run: RunbookRun, index: number, event: Event): Promise<void> {
    const step = definitionOf(run, index);
    await this.record(run, { ...event, stepId: step.id, text: `step ${index + 1} "${step.title}" ${event.text}` });
    this.dirty.add(run.id);
  }

  /** The audit entry and, for a run of an incident, the timeline line. Neither failing stops the run. */
  private async record(run: RunbookRun, event: Event): Promise<void> {
    const text = `runbook ${run.runbook.id} (${run.id}): ${event.text}`;
    const at = this.deps.clock.now();
    try {
      await this.deps.audit.append({
        at,
        userId: event.by?.userId ?? 'lifeboat',
        ...(event.by?.userName !== undefined ? { userName: event.by.userName } : {}),
        surface: event.where.surface,
        channel: event.where.channel,
        commandId: `runbook/${run.runbook.id}`,
        text,
        args: { run: run.id, ...(event.stepId ? { step: event.stepId } : {}) },
        outcome: event.outcome,
        ...(event.detail !== undefined ? { detail: event.detail } : {}),
      });
    } catch (err) {
      this.log.error({ err, runId: run.id }, 'audit append failed');
    }
    if (!run.incident) return;
    try {
      await this.deps.timeline.append(run.incident.id, { at, text, by: event.by ? actorName(event.by) : 'lifeboat', runId: run.id, ...(event.stepId ? { stepId: event.stepId } : {}) });
    } catch (err) {
      this.log.warn({ err, runId: run.id, incidentId: run.incident.id }, 'timeline append failed');
    }
  }

  private async flushChecklist(runId: string): Promise<void> {
    if (!this.dirty.delete(runId)) return;
    try {
      const run = await this.deps.store.get(runId);
      if (run) await this.refreshChecklist(run);
    } catch (err) {
      this.log.warn({ err, runId }, 'could not read the run to update its checklist');
    }
  }

  /** Updates the checklist in place (posts it the first time). A chat outage never stops a run. */
  private async refreshChecklist(run: RunbookRun): Promise<void> {
    const message = this.checklistOf(run);
    if (run.checklist) {
      const surface = this.deps.surfaces[run.checklist.surface];
      if (!surface) return;
      try {
        await surface.update(run.checklist, message);
      } catch (err) {
        this.log.warn({ err, runId: run.id }, 'could not update the checklist');
      }
      return;
    }
    const surface = this.deps.surfaces[run.conversation.surface];
    if (!surface) {
      this.log.warn({ runId: run.id, surface: run.conversation.surface }, 'no chat surface for this run in this process');
      return;
    }
    try {
      const ref = await surface.post(run.conversation, message);
      await this.transition(run.id, (r) => {
        if (r.checklist) return undefined;
        r.checklist = ref;
        return true;
      });
    } catch (err) {
      this.log.warn({ err, runId: run.id }, 'could not post the checklist');
    }
  }

  private async post(to: Conversation, message: Message): Promise<void> {
    const surface = this.deps.surfaces[to.surface];
    if (!surface) return;
    try {
      await surface.post(to, message);
    } catch (err) {
      this.log.warn({ err }, 'could not post a runbook message');
    }
  }

  private async escalate(run: RunbookRun, index: number, reason: string): Promise<void> {
    const step = definitionOf(run, index);
    const text = `Step ${index + 1} (${step.title}) of runbook ${run.runbook.title} failed and this runbook escalates: ${reason}`;
    try {
      await this.deps.escalation?.escalate({
        ...(run.incident ? { incidentId: run.incident.id } : {}),
        runId: run.id,
        runbookId: run.runbook.id,
        stepId: step.id,
        stepTitle: step.title,
        reason,
        conversation: run.conversation,
      });
    } catch (err) {
      this.log.error({ err, runId: run.id }, 'escalation failed');
    }
    const next = this.deps.escalation ? 'The next level has been paged.' : `Page the next level${run.incident ? ` (escalate ${run.incident.id})` : ''}.`;
    await this.post(run.conversation, { summary: text, tone: 'danger', blocks: [{ type: 'text', text }, { type: 'context', text: next }] });
    await this.record(run, { text: `step ${index + 1} "${step.title}" escalated: ${reason}`, where: run.conversation, outcome: 'failed', stepId: step.id });
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  /** Runs `work` after every earlier piece of work on the same run in this process. */
  private async serial<T>(runId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(runId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(async () => {
      try {
        return await work();
      } finally {
        // One checklist update per burst of transitions, not one per transition.
        await this.flushChecklist(runId);
      }
    });
    const tail = current.catch(() => undefined);
    this.locks.set(runId, tail);
    try {
      return await current;
    } finally {
      if (this.locks.get(runId) === tail) this.locks.delete(runId);
    }
  }

  private spawn(work: () => Promise<void>): void {
    const task = work().catch((err: unknown) => {
      if (!this.stopper.signal.aborted) this.log.error({ err }, 'runbook background work failed');
    });
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  private cap(outputs: JobOutputs | undefined, runId: string, stepId: string): JobOutputs | undefined {
    if (!outputs) return undefined;
    if (JSON.stringify(outputs).length <= this.maxOutputBytes) return outputs;
    this.log.warn({ runId, stepId }, 'step outputs too large; keeping their single values only');
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 500) : v]));
  }

  private collectInputs(runbook: RunbookDefinition, request: StartRequest, incident: RunbookIncident | undefined): { values: Record<string, string> } | { reply: Message } {
    const declared = runbook.inputs;
    const unknown = Object.keys(request.inputs).filter((k) => !Object.hasOwn(declared, k));
    if (unknown.length) {
      return { reply: textMessage(`Runbook ${runbook.id} has no input ${unknown.join(', ')}. Its inputs: ${Object.keys(declared).join(', ') || 'none'}.`, 'warning') };
    }
    const values: Record<string, string> = {};
    const missing: string[] = [];
    const problems: string[] = [];
    for (const [name, input] of Object.entries(declared)) {
      const typed = request.inputs[name];
      const fromIncident = input.fromIncident && incident ? incidentValue(incident, input.fromIncident) : undefined;
      const value = typed ?? fromIncident;
      if (value === undefined || value === '') {
        if (input.required) missing.push(`${name} — ${input.description}${input.example ? ` (e.g. ${input.example})` : ''}`);
        continue;
      }
      if (!COMMAND_VALUE.test(value)) problems.push(`${name} "${value}" must be one word of letters, digits and . _ : / @ + = -`);
      else if (input.pattern !== undefined && !new RegExp(input.pattern).test(value)) problems.push(`${name} "${value}" is not ${input.description}`);
      else values[name] = value;
    }
    if (problems.length) return { reply: { summary: `Runbook ${runbook.id}: some inputs are not valid.`, tone: 'warning', blocks: [{ type: 'list', items: problems }] } };
    if (missing.length) {
      const base = `runbook start ${runbook.id}${request.incidentId ? ` for ${request.incidentId}` : ''}`;
      const given = Object.entries(request.inputs).map(([k, v]) => `${k}=${v}`);
      const needed = Object.entries(declared).filter(([n, i]) => i.required && values[n] === undefined).map(([n, i]) => `${n}=${i.example ?? '…'}`);
      return {
        reply: {
          summary: `Runbook ${runbook.id} needs more inputs.`,
          tone: 'warning',
          blocks: [
            { type: 'text', text: `To start ${runbook.title}, Lifeboat needs:` },
            { type: 'list', items: missing },
            { type: 'code', text: `${base} with ${[...given, ...needed].join(' ')}` },
            // Slack: a modal with this text to complete; the terminal: the text to type.
            { type: 'actions', actions: [{ id: FILL_IN_COMMAND_ACTION, label: 'Fill in the inputs…', value: `${base} with ${[...given, ...needed].join(' ')}`, style: 'primary' }] },
          ],
        },
      };
    }
    return { values };
  }
}

function incidentValue(incident: RunbookIncident, field: string): string | undefined {
  const [head = '', tail] = field.split('.');
  const value: unknown = tail === undefined ? (incident as unknown as Record<string, unknown>)[head] : incident.target[tail];
  return typeof value === 'string' ? value : undefined;
}

function snapshotOf(incident: RunbookIncident): IncidentSnapshot {
  const snapshot: IncidentSnapshot = { id: incident.id, class: incident.class, title: incident.title, target: { ...incident.target } };
  if (incident.summary !== undefined) snapshot.summary = incident.summary;
  if (incident.severity !== undefined) snapshot.severity = incident.severity;
  if (incident.pullFailure !== undefined) snapshot.pullFailure = incident.pullFailure;
  return snapshot;
}

function actorOf(who: Requester): Actor {
  return who.userName !== undefined ? { userId: who.userId, userName: who.userName } : { userId: who.userId };
}

function requesterOf(who: Requester): RunbookRun['requester'] {
  return { ...actorOf(who), ...(who.groups?.length ? { groups: [...who.groups] } : {}) };
}

function confirmPrompt(run: RunbookRun, index: number, ttlMs: number): Message {
  const state = run.steps[index];
  const step = definitionOf(run, index);
  const minutes = Math.max(1, Math.round(ttlMs / 60_000));
  const tone: Tone = 'warning';
  const command = commandText(run, index);
  return {
    summary: `Confirm step ${index + 1}: ${command}`,
    tone,
    blocks: [
      { type: 'header', text: `Confirm step ${index + 1}: ${step.title}` },
      { type: 'code', text: command },
      { type: 'context', text: `Only ${actorName(state?.confirmation?.by)} can confirm. Expires in ${minutes} min.` },
      { type: 'actions', actions: [{ id: RUNBOOK_ACTION_IDS.confirm, label: `Confirm step ${index + 1}`, value: `${run.id}:${step.id}`, style: 'primary' }] },
    ],
  };
}

function commandText(run: RunbookRun, index: number): string {
  const built = commandOf(run, index);
  return built.ok ? built.text : (definitionOf(run, index).command ?? '');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
