import type { Message } from '../core/message.js';

/** Which chat surface a request came from or a message goes to. */
export type SurfaceName = 'slack' | 'console';

/** Where a message lives: a channel and, optionally, the thread under a parent message. */
export interface Conversation {
  surface: SurfaceName;
  channel: string;
  threadTs?: string;
}

/** A posted message that can be updated in place. */
export interface MessageRef {
  surface: SurfaceName;
  channel: string;
  ts: string;
}

/**
 * A chat surface: something that can post and update neutral messages. Slack and the terminal
 * implement it; tests use a recording one.
 */
export interface ChatSurface {
  readonly name: SurfaceName;
  post(to: Conversation, message: Message): Promise<MessageRef>;
  update(ref: MessageRef, message: Message): Promise<void>;
}

/** Who is asking, as the surface knows them. Groups are Slack user-group ids. */
export interface Requester {
  userId: string;
  userName?: string;
  /** Slack user-group ids the user belongs to (resolved by the surface, cached). */
  groups?: readonly string[];
}

/** One typed command, e.g. the text after `/lifeboat`. */
export interface CommandRequest {
  text: string;
  requester: Requester;
  conversation: Conversation;
}

/** A button press coming back from a surface. */
export interface ActionRequest {
  actionId: string;
  value: string;
  requester: Requester;
  conversation: Conversation;
}

/** One audit record: every attempt, allowed or not. Append-only. */
export interface AuditEntry {
  at: number;
  userId: string;
  userName?: string;
  surface: SurfaceName;
  channel: string;
  commandId: string;
  text: string;
  args: Record<string, unknown>;
  outcome: AuditOutcome;
  detail?: string;
}

export type AuditOutcome =
  | 'allowed'
  | 'refused'
  | 'invalid'
  | 'awaiting-confirmation'
  | 'confirmed'
  | 'cancelled'
  | 'expired'
  | 'not-yours'
  | 'failed';

/** The append-only audit log (Redis stream in production). */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEntry[]>;
}

/** A command waiting for its requester to press Confirm. */
export interface PendingConfirmation {
  id: string;
  request: CommandRequest;
  commandId: string;
  args: Record<string, unknown>;
  expiresAt: number;
}

/** Short-lived store of confirmations; shared by all processes. */
export interface ConfirmationStore {
  save(pending: PendingConfirmation): Promise<void>;
  /** Removes and returns it; a second take of the same id returns undefined (no double run). */
  take(id: string): Promise<PendingConfirmation | undefined>;
}

/** What a job needs to run: its kind, its data, and where to report. */
export interface JobRequest {
  kind: string;
  /** Deterministic key: the same command on the same target attaches to the running job. */
  dedupKey: string;
  data: Record<string, unknown>;
  /**
   * Where progress and the result go. Absent for Lifeboat's own background work (the image
   * guard, the tripwire): such a job reports through what it changes (incidents), not a chat.
   */
  replyTo?: Conversation;
  requester: Requester;
  commandText: string;
}

export interface EnqueuedJob {
  jobId: string;
  /** True when an identical job was already running and this request joined it. */
  attached: boolean;
  state: string;
}

/** The router's view of the job system. Implemented on BullMQ in `jobs/`. */
export interface JobDispatcher {
  enqueue(request: JobRequest): Promise<EnqueuedJob>;
  cancel(jobId: string, by: Requester): Promise<'cancelled' | 'not-running' | 'unknown'>;
}

/**
 * What every surface calls: one entry for typed commands, one for button presses.
 * Replies are returned, not posted, so each surface decides where they go (thread, REPL).
 */
export interface ChatRouter {
  handleCommand(request: CommandRequest): Promise<Message>;
  handleAction(request: ActionRequest): Promise<Message | undefined>;
}

/**
 * Answers a button the router does not handle itself, for a feature that registers it by action
 * id (the runbook checklist's `runbook-run`, `runbook-skip` …). It gets the router so it can turn
 * the press into a command — and so through the same authorisation and audit as typed text.
 */
export type ActionHandler = (request: ActionRequest, router: ChatRouter) => Promise<Message | undefined>;

/** How a program asks the router to run a command (see {@link CommandExecutor}). */
export interface DispatchOptions {
  /**
   * `confirmed`: a person deliberately asked for exactly this (a runbook step's Run press); only
   * then may a command with side effects run. `allowed`: read-only commands only — a side-effect
   * command is rejected with `needs-confirmation`.
   */
  outcome: 'allowed' | 'confirmed';
  /** Added to the audit entry, e.g. `runbook rb-3f9a… step check`. */
  detail?: string;
}

/** What became of a command run through {@link CommandExecutor.dispatch}. */
export type CommandExecution =
  | { kind: 'job'; commandId: string; jobId: string; attached: boolean }
  /** A builtin answered at once; nothing was posted — the caller decides where `message` goes. */
  | { kind: 'answered'; commandId: string; message: Message }
  | {
      kind: 'rejected';
      reason: 'unknown' | 'invalid' | 'refused' | 'not-available' | 'needs-confirmation' | 'failed';
      /** The reply a person would have got, e.g. "Not allowed: …". */
      message: Message;
      commandId?: string;
    };

/**
 * Runs a command on behalf of a program that already holds a person's go-ahead — the runbook
 * engine. The same path as typed text (match → authorise → builtin or job, every attempt
 * audited), but it never asks for a confirmation and returns what happened instead of a reply.
 */
export interface CommandExecutor {
  dispatch(request: CommandRequest, options: DispatchOptions): Promise<CommandExecution>;
}
