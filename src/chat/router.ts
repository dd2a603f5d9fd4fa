import type { CommandRegistry, Command } from '../commands/registry.js';
import type { Clock } from '../core/clock.js';
import { isLifeboatError, userFacingMessage } from '../core/errors.js';
import { shortId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Message } from '../core/message.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import { authorize, type AccessPolicy } from './access.js';
import type { Builtin } from './builtin.js';
import type {
  ActionHandler,
  ActionRequest,
  AuditLog,
  AuditOutcome,
  ChatRouter,
  CommandExecution,
  CommandExecutor,
  CommandRequest,
  ConfirmationStore,
  DispatchOptions,
  JobDispatcher,
  PendingConfirmation,
} from './ports.js';
import { replies } from './replies.js';

export interface RouterDeps {
  registry: CommandRegistry;
  builtins: Readonly<Record<string, Builtin>>;
  jobs: JobDispatcher;
  /** Job kinds that have a handler; commands naming others answer "not available yet". */
  jobKinds: ReadonlySet<string>;
  audit: AuditLog;
  confirmations: ConfirmationStore;
  access: AccessPolicy;
  clock: Clock;
  confirmTtlMs: number;
  logger: Logger;
  metrics?: Metrics;
  /**
   * Buttons of features, by action id (`runbook-run` …). The router's own ids (`confirm`,
   * `decline`, `cancel-job`) always win, so a feature can never take over a confirmation.
   */
  actionHandlers?: Readonly<Record<string, ActionHandler>>;
}

/**
 * The one path from typed text or a button press to work: match → authorise → confirm (for
 * side effects) → run a builtin or enqueue a job. Every attempt lands in the audit log.
 */
export class CommandRouter implements ChatRouter, CommandExecutor {
  private readonly metrics: Metrics;

  constructor(private readonly deps: RouterDeps) {
    this.metrics = deps.metrics ?? noMetrics;
  }

  async handleCommand(request: CommandRequest): Promise<Message> {
    const text = request.text.trim();
    const match = this.deps.registry.match(text);
    switch (match.kind) {
      case 'empty':
        return this.handleCommand({ ...request, text: 'help' });
      case 'unknown':
        await this.record(request, '(unknown)', {}, 'invalid', 'no such command');
        return replies.unknown(text, match.suggestions);
      case 'invalid':
        await this.record(request, match.command.definition.id, {}, 'invalid', match.errors.join('; '));
        return replies.invalid(match.command, match.errors);
      case 'matched':
        return this.handleMatched(request, match.command, match.args);
    }
  }

  async handleAction(request: ActionRequest): Promise<Message | undefined> {
    switch (request.actionId) {
      case 'confirm':
        return this.answerConfirmation(request, true);
      case 'decline':
        return this.answerConfirmation(request, false);
      case 'cancel-job':
        return this.handleCommand({ text: `cancel ${request.value}`, requester: request.requester, conversation: request.conversation });
      default: {
        const handler = Object.hasOwn(this.deps.actionHandlers ?? {}, request.actionId) ? this.deps.actionHandlers?.[request.actionId] : undefined;
        if (handler) return handler(request, this);
        this.deps.logger.warn({ actionId: request.actionId }, 'unknown action');
        return undefined;
      }
    }
  }

  async dispatch(request: CommandRequest, options: DispatchOptions): Promise<CommandExecution> {
    const text = request.text.trim();
    const match = this.deps.registry.match(text);
    switch (match.kind) {
      case 'empty':
      case 'unknown':
        await this.record(request, '(unknown)', {}, 'invalid', withDetail('no such command', options));
        return { kind: 'rejected', reason: 'unknown', message: replies.unknown(text, match.kind === 'unknown' ? match.suggestions : []) };
      case 'invalid':
        await this.record(request, match.command.definition.id, {}, 'invalid', withDetail(match.errors.join('; '), options));
        return { kind: 'rejected', reason: 'invalid', commandId: match.command.definition.id, message: replies.invalid(match.command, match.errors) };
      case 'matched':
        break;
    }
    const { command, args } = match;
    const { definition } = command;
    const decision = authorize(definition, request.requester, request.conversation, this.deps.access);
    if (!decision.allowed) {
      await this.record(request, definition.id, args, 'refused', withDetail(decision.reason, options));
      return { kind: 'rejected', reason: 'refused', commandId: definition.id, message: replies.refused(decision.reason) };
    }
    if ('job' in definition.runs && !this.deps.jobKinds.has(definition.runs.job)) {
      await this.record(request, definition.id, args, 'failed', withDetail('not available yet', options));
      return { kind: 'rejected', reason: 'not-available', commandId: definition.id, message: replies.notAvailable(command) };
    }
    if (definition.sideEffects && options.outcome !== 'confirmed' && args.dryRun !== true) {
      await this.record(request, definition.id, args, 'refused', withDetail('changes things and was not confirmed', options));
      return { kind: 'rejected', reason: 'needs-confirmation', commandId: definition.id, message: replies.failed(`"${text}" changes things, so it runs only when a person asks for it.`) };
    }
    return (await this.start(request, command, args, options.outcome, options.detail)).execution;
  }

  private async handleMatched(request: CommandRequest, command: Command, args: Record<string, unknown>): Promise<Message> {
    const { definition } = command;
    const decision = authorize(definition, request.requester, request.conversation, this.deps.access);
    if (!decision.allowed) {
      await this.record(request, definition.id, args, 'refused', decision.reason);
      return replies.refused(decision.reason);
    }
    if ('job' in definition.runs && !this.deps.jobKinds.has(definition.runs.job)) {
      await this.record(request, definition.id, args, 'failed', 'not available yet');
      return replies.notAvailable(command);
    }
    // A dry run has no side effects, so it needs no confirmation.
    if (definition.sideEffects && definition.confirm === true && args.dryRun !== true) {
      const pending: PendingConfirmation = { id: shortId('confirm'), request, commandId: definition.id, args, expiresAt: this.deps.clock.now() + this.deps.confirmTtlMs };
      try {
        await this.deps.confirmations.save(pending);
      } catch (err) {
        return this.fail(request, definition.id, args, err);
      }
      await this.record(request, definition.id, args, 'awaiting-confirmation');
      return replies.confirm(command, pending, this.deps.confirmTtlMs);
    }
    return this.execute(request, command, args, 'allowed');
  }

  private async answerConfirmation(action: ActionRequest, confirmed: boolean): Promise<Message> {
    let pending: PendingConfirmation | undefined;
    try {
      pending = await this.deps.confirmations.take(action.value);
    } catch (err) {
      return replies.failed(userFacingMessage(err));
    }
    const asRequest: CommandRequest = { text: pending?.request.text ?? '', requester: action.requester, conversation: action.conversation };
    if (!pending) {
      await this.record(asRequest, '(confirmation)', { confirmation: action.value }, 'expired', 'confirmation not found: expired or already used');
      return replies.confirmationGone();
    }
    if (pending.request.requester.userId !== action.requester.userId) {
      // Someone else pressed it: put it back untouched for the requester.
      await this.deps.confirmations.save(pending);
      await this.record(asRequest, pending.commandId, pending.args, 'not-yours', `requested by ${pending.request.requester.userId}`);
      return replies.notYours(pending);
    }
    if (this.deps.clock.now() > pending.expiresAt) {
      await this.record(pending.request, pending.commandId, pending.args, 'expired');
      return replies.confirmationExpired(pending.request.text);
    }
    if (!confirmed) {
      await this.record(pending.request, pending.commandId, pending.args, 'cancelled');
      return replies.declined(pending.request.text);
    }
    const command = this.deps.registry.get(pending.commandId);
    if (!command) return replies.confirmationGone();
    // The job reports into the thread of the confirmation, wherever it was pressed.
    return this.execute({ ...pending.request, conversation: action.conversation }, command, pending.args, 'confirmed');
  }

  private async execute(request: CommandRequest, command: Command, args: Record<string, unknown>, outcome: AuditOutcome): Promise<Message> {
    return (await this.start(request, command, args, outcome)).reply;
  }

  /** Runs the builtin or queues the job; `reply` is what a person sees, `execution` what a program learns. */
  private async start(
    request: CommandRequest,
    command: Command,
    args: Record<string, unknown>,
    outcome: AuditOutcome,
    detail?: string,
  ): Promise<{ reply: Message; execution: CommandExecution }> {
    const { definition } = command;
    this.metrics.increment('lifeboat_commands_total', { command: definition.id });
    try {
      if ('builtin' in definition.runs) {
        const builtin = this.deps.builtins[definition.runs.builtin];
        if (!builtin) throw new Error(`builtin ${definition.runs.builtin} is not registered`);
        await this.record(request, definition.id, args, outcome, detail);
        const message = await builtin({ args, request });
        return { reply: message, execution: { kind: 'answered', commandId: definition.id, message } };
      }
      const job = await this.deps.jobs.enqueue({
        kind: definition.runs.job,
        dedupKey: `${definition.runs.job}:${lockKey(command, args)}`,
        data: args,
        replyTo: request.conversation,
        requester: { userId: request.requester.userId, userName: request.requester.userName },
        commandText: request.text,
      });
      const jobDetail = `job ${job.jobId}${job.attached ? ' (attached)' : ''}`;
      await this.record(request, definition.id, args, outcome, detail ? `${jobDetail} · ${detail}` : jobDetail);
      return {
        reply: replies.jobStarted(request.text, job),
        execution: { kind: 'job', commandId: definition.id, jobId: job.jobId, attached: job.attached },
      };
    } catch (err) {
      const message = await this.fail(request, definition.id, args, err, detail);
      return { reply: message, execution: { kind: 'rejected', reason: 'failed', commandId: definition.id, message } };
    }
  }

  private async fail(request: CommandRequest, commandId: string, args: Record<string, unknown>, err: unknown, detail?: string): Promise<Message> {
    const log = isLifeboatError(err) && err.audience === 'user' ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.error.bind(this.deps.logger);
    log({ err, command: commandId }, 'command failed');
    const code = isLifeboatError(err) ? err.code : 'INTERNAL';
    await this.record(request, commandId, args, 'failed', detail ? `${code} · ${detail}` : code);
    return replies.failed(userFacingMessage(err));
  }

  private async record(request: CommandRequest, commandId: string, args: Record<string, unknown>, outcome: AuditOutcome, detail?: string): Promise<void> {
    try {
      await this.deps.audit.append({
        at: this.deps.clock.now(),
        userId: request.requester.userId,
        userName: request.requester.userName,
        surface: request.conversation.surface,
        channel: request.conversation.channel,
        commandId,
        text: request.text,
        args,
        outcome,
        detail,
      });
    } catch (err) {
      // The audit log is Redis; when Redis is down the command itself fails too and says so.
      this.deps.logger.error({ err, commandId, outcome }, 'audit append failed');
    }
  }
}

/** The target part of a job's dedup key: the `lockOn` args (default every arg but `json`). */
function lockKey(command: Command, args: Record<string, unknown>): string {
  const names = command.definition.lockOn ?? Object.keys(args).filter((k) => k !== 'json').sort();
  const parts = names.map((n) => `${n}=${scalar(args[n])}`);
  // A dry run never joins (or blocks) the real run on the same target.
  if (args.dryRun === true && !parts.some((p) => p.startsWith('dryRun='))) parts.push('dryRun=true');
  return parts.length > 0 ? parts.join(',') : '*';
}

function withDetail(reason: string, options: DispatchOptions): string {
  return options.detail ? `${reason} · ${options.detail}` : reason;
}

function scalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}
