import type { Actor, Incident, IncidentAlert, IncidentDetails, IncidentState, TimelineEntry } from './model.js';
import type { IncidentAction, TransitionResult } from './state-machine.js';

/**
 * What the store knows about one group key when an alert arrives: its current incident (the
 * latest one, possibly resolved) and that incident's records of the alert's fingerprints.
 */
export interface GroupSnapshot {
  groupKey: string;
  current?: Incident;
  /** Records of the requested fingerprints in `current`; a fingerprint not in the map is not in the incident. */
  alerts: ReadonlyMap<string, IncidentAlert>;
}

/** One incident to create or update as part of an alert commit. */
export interface IncidentWrite {
  /** The incident after the change. `version` is the store's business and is ignored here. */
  incident: Incident;
  /** True for an incident this plan creates; the store refuses the plan if the id is taken. */
  isNew: boolean;
  /** Alert records to put (whole records, replacing any with the same fingerprint). */
  alerts: IncidentAlert[];
  /** Appended to the incident's timeline, in order. */
  timeline: TimelineEntry[];
  /**
   * Copy the firing alert records of this (older) incident into this one before `alerts` are
   * put: the stale-incident rule moves the open work of a stale incident to its successor.
   */
  carryFiringAlertsFrom?: string;
}

/**
 * What a decision wants written. Plans are computed from a {@link GroupSnapshot} and applied
 * only if the group is still exactly as that snapshot saw it; otherwise the store decides again
 * on fresh state. `result` is handed back untouched.
 */
export interface AlertPlan<T> {
  /** Only the snapshot's current incident and new incidents may be written. Empty = nothing to store. */
  writes: IncidentWrite[];
  /** The group's new current incident, when it changes (a new incident was opened). */
  pointer?: string;
  /** The incident the alert went to; a later duplicate delivery of the alert is answered with it. */
  incidentId?: string;
  result: T;
}

/** Which delivery and which group an alert commit is about. */
export interface AlertCommitRequest {
  /** Sender's delivery id: a second commit with the same id is a duplicate delivery and stores nothing. */
  deliveryId: string;
  groupKey: string;
  /** Fingerprints whose records the decision needs (the alert's own, plus any it resolves). */
  fingerprints: readonly string[];
}

/** Accepted alerts in the current and the previous clock minute, across every process. */
export interface AlertRate {
  thisMinute: number;
  lastMinute: number;
}

export type AlertCommit<T> =
  | { status: 'duplicate-delivery'; incident?: Incident; rate: AlertRate }
  | {
      status: 'committed';
      result: T;
      /** Every incident the plan wrote, as stored (with its new version), by id. */
      incidents: ReadonlyMap<string, Incident>;
      rate: AlertRate;
    };

export interface IncidentQuery {
  /** `active` = open, acknowledged or mitigated (the default); `all` includes resolved ones. */
  state?: IncidentState | 'active' | 'all';
  /** Default 50, at most 500. Newest first. */
  limit?: number;
}

/** A timeline entry to append; `at` defaults to the store clock's now. */
export type NewTimelineEntry = Omit<TimelineEntry, 'at'> & { at?: number };

/**
 * Where incidents live, shared by every Lifeboat process. Implemented on Redis by
 * `RedisIncidentStore`; every write is atomic across processes.
 */
export interface IncidentStore {
  /**
   * Stores one alert: recognises a duplicate delivery, then calls `decide` with the group's
   * state and applies its plan atomically. `decide` must be pure — it is called again with fresh
   * state when another process changed the group in between, and its plan is applied only against
   * the state it saw. Two processes committing alerts of one new group open exactly one incident.
   */
  commitAlert<T>(request: AlertCommitRequest, decide: (snapshot: GroupSnapshot) => AlertPlan<T>): Promise<AlertCommit<T>>;
  /** An incident with its alerts and the newest `timelineLimit` (default 50) timeline entries. */
  get(id: string, options?: { timelineLimit?: number }): Promise<IncidentDetails | undefined>;
  list(query?: IncidentQuery): Promise<Incident[]>;
  /** Open, acknowledged and mitigated incidents, newest first. */
  listOpen(limit?: number): Promise<Incident[]>;
  /**
   * Applies an action (ack, mitigate, resolve, reopen, snooze) atomically with its timeline
   * entry, or says why not ("already resolved by ana"). Concurrent actions are serialised: each
   * one is judged against the state the previous one left.
   */
  transition(id: string, action: IncidentAction, by: Actor): Promise<TransitionResult>;
  /** Appends a timeline entry (a job ran, a note) and counts it as activity; undefined if there is no such incident. */
  appendTimeline(id: string, entry: NewTimelineEntry): Promise<Incident | undefined>;
}
