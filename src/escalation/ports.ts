/**
 * What escalation needs from the outside world. Implemented by `src/jobs/timers.ts` (BullMQ
 * timers), `src/adapters/redis/redis-escalation-store.ts` (state, claims, heartbeats,
 * synthetics), `src/adapters/paging/*` (PagerDuty, Opsgenie, signed webhooks) and, for chat, by
 * the composition root. `memory-stores.ts` has in-memory versions for tests and one-process use.
 */
import type { Message } from '../core/message.js';
import type { Incident } from '../incidents/model.js';
import type { Severity } from '../intake/alert.js';

// ── timers ──────────────────────────────────────────────────────────────────────────────────

/** What a timer carries; small and JSON-serialisable. `kind` routes it (see `timer-handler.ts`). */
export type TimerPayload = { kind: string } & Record<string, unknown>;

/** A timer as its handler sees it when it fires. */
export interface FiredTimer {
  /** The id it was scheduled with (`esc:<incident>:<step>:<generation>`, `sweep` …). */
  id: string;
  /** When it was due (ms since epoch). */
  dueAt: number;
  /** When a worker started it; `firedAt - dueAt` is the lateness. */
  firedAt: number;
  payload: TimerPayload;
  /** 1 on the first try; a handler that throws is tried again with backoff. */
  attempt: number;
}

/**
 * Durable timers, shared by every Lifeboat process: scheduled once, fired once (by one worker of
 * one process), kept across restarts. Implemented on BullMQ delayed jobs by `BullTimerScheduler`.
 */
export interface TimerScheduler {
  /**
   * Fires `payload` at `dueAt` (at once when it is past). Ids are deterministic: scheduling an id
   * that is still pending changes nothing, so two processes scheduling the same step make one timer.
   */
  schedule(id: string, dueAt: number, payload: TimerPayload): Promise<void>;
  /** Removes a pending timer; false when it is not pending (fired, firing, or unknown). */
  cancel(id: string): Promise<boolean>;
  /** Fires `payload` every `everyMs`, once across all processes; re-registering updates it. */
  scheduleRepeating(id: string, everyMs: number, payload: TimerPayload): Promise<void>;
  cancelRepeating(id: string): Promise<void>;
  /** The ids of the repeating timers registered. */
  repeatingIds(): Promise<string[]>;
}

// ── escalation state ────────────────────────────────────────────────────────────────────────

/**
 * - `running`: the chain is live; the timer for `nextStep` is pending.
 * - `paused`: someone acknowledged (or mitigated or snoozed); the stuck rules may resume it.
 * - `stopped`: resolved. `exhausted`: every round ran without an acknowledgement.
 * - `none`: no policy applies (kept so `escalate` and the sweep know it was considered).
 */
export type EscalationMode = 'running' | 'paused' | 'stopped' | 'exhausted' | 'none';

/** One incident's escalation, shared by every process; written compare-and-set on `version`. */
export interface EscalationState {
  incidentId: string;
  /** Store-assigned; every write bumps it. 0 = not stored yet. */
  version: number;
  /** A new chain (start, restart, reopen, backlog re-open) is a new generation; timers of older ones do nothing. */
  generation: number;
  policyId?: string;
  mode: EscalationMode;
  /** Absolute number of the next step to fire: `round × steps + index`. */
  nextStep: number;
  /** When the next step is due (its timer's due time). */
  nextDueAt?: number;
  startedAt: number;
  updatedAt: number;
  lastStep?: number;
  lastFiredAt?: number;
  /** Stuck-ack: the activity time the acknowledger was reminded for, and when. */
  remindedFor?: number;
  /** Stuck-ack: the chain was resumed because nothing happened since this activity time. */
  resumedFor?: number;
  /** Paging integrations paged in this generation (`pagerduty:main`), closed on ack/resolve. */
  paged: string[];
  /** Backlog watch after mitigation: the first backlog seen after `mitigatedAt`. */
  backlog?: { mitigatedAt: number; baseline: number; last: number; at: number };
}

/** Escalation state by incident id. */
export interface EscalationStateStore {
  get(incidentId: string): Promise<EscalationState | undefined>;
  /**
   * Writes `next` if the stored version is still `expectedVersion` (0 = must not exist) and
   * returns it with its new version, or undefined when someone else wrote first.
   */
  compareAndSet(next: EscalationState, expectedVersion: number): Promise<EscalationState | undefined>;
}

export type ClaimResult = 'claimed' | 'done' | 'busy';

/**
 * Once-only work across processes: `claim` is a Redis `SET NX` on
 * `escalated:<incident>:<step>:<generation>` with a lease. `done` = someone finished it;
 * `busy` = someone holds the lease right now (retry later: if they crashed, the lease expires).
 */
export interface ClaimStore {
  claim(key: string, owner: string, leaseMs: number): Promise<ClaimResult>;
  /** Marks the claim finished (kept `ttlMs`), if `owner` still holds it. */
  complete(key: string, owner: string, ttlMs: number): Promise<void>;
  /** Gives the claim up (nothing was done), if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

// ── chat ────────────────────────────────────────────────────────────────────────────────────

/**
 * A ping the surface builds itself from ids — never from text — so alert text can never ping:
 * Slack renders `<!here>`, `<!channel>`, `<!subteam^S…>` and `<@U…>`; the terminal prints names.
 * The same shape as the notifier's `Mention` (src/incidents/notifier-ports.ts), so one Slack
 * `postWithAttention` serves both.
 */
export type Mention =
  | { type: 'here' }
  | { type: 'channel' }
  | { type: 'usergroup'; id: string; name?: string }
  | { type: 'user'; id: string; name?: string };

/** Where escalation speaks. The composition root backs it with the incident notifier's card threads. */
export interface EscalationChat {
  /**
   * Posts in the thread under the incident's card, with the mentions in front. `broadcast`: also
   * in the channel itself (Slack `reply_broadcast`), for `channel: here|channel|quiet` targets.
   */
  toIncident(incident: Incident, message: Message, options?: { mentions?: readonly Mention[]; broadcast?: boolean }): Promise<void>;
  /** A direct message from the app to one Slack user. */
  toUser(userId: string, message: Message): Promise<void>;
}

// ── paging ──────────────────────────────────────────────────────────────────────────────────

/** One page to an outside paging service. */
export interface PageRequest {
  /** Same key = same alert at the service: `lifeboat-<incident>-<generation>`. */
  dedupKey: string;
  incidentId: string;
  /** One line: `[lifeboat] prod/api: image pull failed (image not found)`. */
  summary: string;
  severity: Severity;
  /** `cluster/service` or queue, when known. */
  component?: string;
  group?: string;
  incidentClass: string;
  /** Free-form facts; strings and numbers only. */
  details: Record<string, string | number>;
  /** e.g. "escalation step 2 of policy prod-critical". */
  reason: string;
}

export type PageResult =
  | { ok: true; attempts: number; status: number }
  | { ok: false; attempts: number; status?: number; error: string; permanent: boolean };

/** A paging integration (PagerDuty, Opsgenie, webhook). Retries inside; the result is final. */
export interface Pager {
  /** `pagerduty:main`. */
  readonly key: string;
  /** `PagerDuty main`, for people. */
  readonly label: string;
  page(request: PageRequest): Promise<PageResult>;
  /** Tells the service the incident was acknowledged or resolved in Lifeboat (best effort). */
  close(dedupKey: string, action: 'acknowledge' | 'resolve', note: string): Promise<PageResult>;
}

// ── stuck incidents ─────────────────────────────────────────────────────────────────────────

/** A runbook step waiting for approval. */
export interface WaitingApproval {
  incidentId?: string;
  runId: string;
  runbookId: string;
  stepId: string;
  stepTitle: string;
  /** Since when it waits. */
  since: number;
}

/** Runbook steps waiting for approval; backed by the runbook store (`approvalsFromRunbookStore`). */
export interface ApprovalSource {
  waitingApprovals(): Promise<WaitingApproval[]>;
}

/** The backlog of a queue-backlog incident's queue (SQS `ApproximateNumberOfMessages`), or undefined when unknown. */
export interface BacklogProbe {
  backlog(incident: Incident): Promise<number | undefined>;
}

// ── heartbeats and synthetic checks ─────────────────────────────────────────────────────────

/** Heartbeat bookkeeping, shared by every process. */
export interface HeartbeatStore {
  /** Records a heartbeat at `at` (keeping the latest) and returns the one before, if any. */
  record(id: string, at: number): Promise<number | undefined>;
  lastSeen(ids: readonly string[]): Promise<Map<string, number>>;
  /** When the heartbeat was first registered (set once, at `at`); silence counts from here until it is first seen. */
  registered(id: string, at: number): Promise<number>;
  /** Marks the source blind since `since`; true for the first caller (who opens the incident). */
  markBlind(id: string, since: number): Promise<boolean>;
  /** Clears the blind mark and returns its `since`, if it was set. */
  clearBlind(id: string): Promise<number | undefined>;
  blindSince(ids: readonly string[]): Promise<Map<string, number>>;
}

/** Consecutive results of one synthetic check, shared by every process. */
export interface SyntheticStore {
  /** A failure: counts it and returns the streak (and when it began). */
  recordFailure(id: string, at: number, detail: string): Promise<{ failures: number; since: number }>;
  /** A success: ends the streak and returns when an incident was opened for it, if one was. */
  recordSuccess(id: string, at: number): Promise<{ openedFor?: number }>;
  /** Marks an incident opened for the streak that began `since`; true for the first caller. */
  markOpened(id: string, since: number): Promise<boolean>;
  status(ids: readonly string[]): Promise<Map<string, { failures: number; since?: number; lastAt?: number; lastDetail?: string; openedFor?: number }>>;
}
