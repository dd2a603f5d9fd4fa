import type { Conversation, MessageRef } from '../chat/ports.js';
import type { JobOutputs } from '../core/jobs.js';
import type { RunbookDefinition } from './definition.js';

/**
 * Where a step stands. `pending` covers "not reached yet" and "reached, waiting for Run"; what it
 * waits for is derived from the definition and the run (see `progress.ts`), so it is never stale.
 */
export type StepStatus = 'pending' | 'running' | 'waiting-confirmation' | 'waiting-approval' | 'done' | 'failed' | 'skipped';

/** A person, as a run remembers them: an id and a display name, never tokens. */
export interface Actor {
  userId: string;
  userName?: string;
}

/** The requester of a run; their groups are kept so read-only steps run with the same grants later. */
export interface RunRequester extends Actor {
  groups?: string[];
}

export interface StepState {
  id: string;
  status: StepStatus;
  /** Runs of the step so far (a failed step can be run again). */
  attempts: number;
  /** The command as it ran, references resolved. */
  command?: string;
  jobId?: string;
  /** Who pressed Run (or the requester, for a step that ran by itself). */
  runBy?: Actor;
  approvedBy?: Actor;
  /** Set while waiting for the Run presser's second press (`confirm: true`). */
  confirmation?: { by: Actor; expiresAt: number };
  /**
   * Why a step that could run by itself waits for a person instead: its command was refused to
   * the requester, or it was interrupted. Cleared by Run.
   */
  hold?: string;
  /** A note was posted in the thread (an `ack` note then waits for Done). */
  shown?: boolean;
  /** What the step reported: the job's summary, the failure, who skipped it. */
  summary?: string;
  /** The job's outputs; absent when it reported none. */
  outputs?: JobOutputs;
  /** When the current status began (waiting for approval since …). */
  since?: number;
  finishedAt?: number;
}

/** The incident a run is for, as it was when the run started (`${incident.…}` reads it). */
export interface IncidentSnapshot {
  id: string;
  class: string;
  title: string;
  summary?: string;
  severity?: string;
  pullFailure?: string;
  target: Readonly<Record<string, string | undefined>>;
}

export type RunStatus = 'active' | 'completed' | 'aborted';

/**
 * One run of a runbook, persisted after every transition so a restart resumes where it was. The
 * definition is a snapshot: editing `runbooks/*.yaml` never changes a run in flight.
 */
export interface RunbookRun {
  id: string;
  /** Incremented on every write; the store refuses a write based on an older version. */
  version: number;
  runbook: RunbookDefinition;
  incident?: IncidentSnapshot;
  requester: RunRequester;
  /** Where the checklist lives and step jobs report: the incident thread or where it was started. */
  conversation: Conversation;
  checklist?: MessageRef;
  inputs: Record<string, string>;
  status: RunStatus;
  steps: StepState[];
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  abortedBy?: Actor;
}

/** `rb-` and ten hex digits, as `shortId('rb')` makes them. */
export const RUN_ID_PATTERN = /^rb-[0-9a-f]{10}$/;
