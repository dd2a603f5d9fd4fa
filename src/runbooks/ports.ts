import type { AccessDecision } from '../chat/access.js';
import type { Conversation, Requester } from '../chat/ports.js';
import type { IncidentSnapshot, RunbookRun } from './model.js';

/**
 * Where runs live, shared by every bot process. Every write is compare-and-set on `version`, so
 * two processes (or two button presses) can never both move the same step. Implemented on Redis
 * by `RedisRunbookStore`; `MemoryRunbookStore` for tests.
 */
export interface RunbookStore {
  /** Stores a new run; fails if the id is taken. */
  create(run: RunbookRun): Promise<void>;
  get(id: string): Promise<RunbookRun | undefined>;
  /**
   * Replaces the run if the stored one still has `expectedVersion`; false when someone else wrote
   * first (read it again and decide again). A run that is no longer active leaves the active list.
   */
  update(run: RunbookRun, expectedVersion: number): Promise<boolean>;
  /** Runs still active (not completed or aborted), oldest first. */
  listActive(): Promise<RunbookRun[]>;
}

/** One line for an incident's timeline. */
export interface RunbookTimelineEntry {
  at: number;
  /** Plain text, e.g. `runbook image-unavailable (rb-…): step 1 "Check images" done: 2 images missing`. */
  text: string;
  /** Who did it, or `lifeboat`. */
  by: string;
  runId: string;
  stepId?: string;
}

/**
 * The incident timeline, as the runbook engine writes to it. The incidents module backs it
 * (`IncidentStore.appendTimeline`); a failed append is logged, never fails a step.
 */
export interface TimelineSink {
  append(incidentId: string, entry: RunbookTimelineEntry): Promise<void>;
}

/** An incident as a runbook needs it: its class, its fields, and the thread of its card. */
export interface RunbookIncident extends IncidentSnapshot {
  /** The thread under the incident's card: the checklist goes there when the surface matches. */
  thread?: Conversation;
}

/** Finds incidents for `runbook start <id> for <incident>`; the incidents module backs it. */
export interface IncidentLookup {
  get(id: string): Promise<RunbookIncident | undefined>;
}

/** Who may approve a step that asks for a role (see `accessApprovals`). */
export interface ApprovalPolicy {
  mayApprove(role: 'operate' | 'admin', who: Requester, where: Conversation): AccessDecision;
}

/** What a step that failed with `onFailure: escalate` hands to escalation. */
export interface RunbookEscalationRequest {
  incidentId?: string;
  runId: string;
  runbookId: string;
  stepId: string;
  stepTitle: string;
  reason: string;
  conversation: Conversation;
}

/** Pages the next level for a failed step (the escalation module backs it). */
export interface RunbookEscalation {
  escalate(request: RunbookEscalationRequest): Promise<void>;
}
