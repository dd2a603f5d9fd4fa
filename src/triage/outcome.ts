import type { Incident } from '../incidents/model.js';

/** What happened to one alert. */
export type IngestKind =
  /** The same delivery id was stored before (a sender retry): nothing changed. */
  | 'duplicate-delivery'
  /** An alert already firing, seen again within the dedup window: only counters moved. */
  | 'duplicate'
  /** A new incident. */
  | 'opened'
  /** Joined the group's active incident: a new alert, one firing again, or one still firing after the dedup window. */
  | 'attached'
  /** Resolved one or more of the incident's alerts; others still fire (or auto-resolve is off). */
  | 'resolved-alert'
  /** Resolved the incident's last firing alert: the incident resolved itself. */
  | 'auto-resolved'
  /** Fired within the reopen window after the incident resolved: the incident is open again. */
  | 'reopened'
  /** The stale-incident rule: a new incident continues the stale one (`previous`). */
  | 'stale-linked'
  /** Not an incident matter (an image event, or a resolve for nothing firing). */
  | 'ignored';

/**
 * What the notifier should do for the outcome's incident:
 * - `new-card`: post its first card.
 * - `update-card`: update its card in place; nobody is pinged.
 * - `renotify`: people's attention is needed again — post a fresh card at the bottom of the
 *   channel (the old one, if any, scrolled out of sight long ago) and ping as for a new incident.
 * - `none`: nothing to show (duplicates; changes while flapping).
 */
export type NotifyDecision = 'new-card' | 'update-card' | 'renotify' | 'none';

/** What escalation should do for the outcome's incident. */
export type EscalationDecision = 'start' | 'restart' | 'stop' | 'keep';

/** The part of an outcome triage decides before anything is stored. */
export interface TriageDecision {
  kind: IngestKind;
  notify: NotifyDecision;
  escalation: EscalationDecision;
  /** The incident the alert went to (undefined only for `ignored`). */
  incidentId?: string;
  /** `stale-linked`: the stale incident that was superseded. */
  previousId?: string;
  /** Why, in a few words (`ignored`, `stale-linked`, `reopened`). */
  reason?: string;
}

/**
 * The result of ingesting one alert: what happened, the incident after it, and what the
 * notifier and escalation should do. The notifier owns presentation (storm summary cards,
 * coalescing); this only says what changed.
 */
export interface IngestOutcome {
  kind: IngestKind;
  /** The incident after the alert (undefined for `ignored`, and for a duplicate delivery whose incident has expired). */
  incident?: Incident;
  /** `stale-linked`: the stale incident, now resolved as superseded by `incident` — update its card. */
  previous?: Incident;
  notify: NotifyDecision;
  escalation: EscalationDecision;
  /** The incident is flapping: notifications about its alerts are held, counts keep moving. */
  flapping: boolean;
  /** More alerts per minute than `storm.alertsPerMinute`: show one summary card instead of one per incident. */
  storm: boolean;
  /** Accepted alerts per minute (all processes), the number storm mode is decided on. */
  alertsPerMinute: number;
  reason?: string;
}
