/**
 * The escalation engine: turns incidents into pages that never stall.
 *
 * - A chain starts when an incident opens (ingest outcome `start`) and restarts as a new
 *   *generation* when it reopens or continues a stale incident (`restart`). Each step is a timer
 *   `esc:<incident>:<step>:<generation>` (a BullMQ delayed job in production).
 * - When a timer fires the engine re-reads the incident and the chain state, and notifies only
 *   if the step is still due: same generation, still the next step, the incident still open (or
 *   acknowledged but stuck, see below). The notification itself is claimed once across every
 *   process (`escalated:<incident>:<step>:<generation>`, SET NX with a lease), so a retried or
 *   duplicated timer, a second process, or `escalate <id>` racing the timer page once.
 * - Acknowledge / mitigate / snooze pause the chain; resolve stops it. A pause that goes stale
 *   (acknowledged, no activity for `ackedIdleMinutes`) reminds the acknowledger, and after as long
 *   again continues the chain. A mitigated backlog that keeps growing re-opens escalation.
 * - A paging service that keeps failing (after the adapter's retries) is said in the thread and
 *   the next step starts at once instead of after its wait.
 *
 * Every escalation goes on the incident timeline and in the incident thread.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { textMessage, type Message } from '../core/message.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import { actorLabel, type Actor, type Incident, type TimelineEntry } from '../incidents/model.js';
import type { IncidentStore } from '../incidents/ports.js';
import type { IngestOutcome } from '../triage/outcome.js';
import { escalationMessage, formatDuration, incidentLine, pageDirectMessage } from './messages.js';
import { choosePolicy, policyById, stepAt, stepLabel, subjectOf, waitBefore } from './policy.js';
import type {
  ApprovalSource,
  BacklogProbe,
  ClaimStore,
  EscalationChat,
  EscalationState,
  EscalationStateStore,
  FiredTimer,
  Mention,
  PageRequest,
  Pager,
  TimerScheduler,
} from './ports.js';
import { personLabel, Rotation } from './rotation.js';
import type { EscalationPolicy, EscalationSettings, EscalationTarget } from './settings.js';
import { ESCALATION_TEXT_PREFIX } from './vocabulary.js';

export const ESCALATION_METRICS = {
  escalations: 'lifeboat_escalations_total',
  failures: 'lifeboat_escalation_failures_total',
  pages: 'lifeboat_pages_total',
} as const;

/** Timer payload kinds this engine handles. */
export const STEP_TIMER = 'escalation-step';
export const SWEEP_TIMER = 'escalation-sweep';
export const SWEEP_TIMER_ID = 'escalation-sweep';

export interface EscalationEngineDeps {
  settings: EscalationSettings;
  incidents: Pick<IncidentStore, 'get' | 'list' | 'appendTimeline'> & Partial<Pick<IncidentStore, 'transition'>>;
  state: EscalationStateStore;
  claims: ClaimStore;
  timers: TimerScheduler;
  chat: EscalationChat;
  /** Paging integrations by key (`pagerduty:main`); see `createPagers` in src/adapters/paging. */
  pagers?: Readonly<Record<string, Pager>>;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Runbook steps waiting for approval (the stuck-approval rule); without it that rule is off. */
  approvals?: ApprovalSource;
  /** Queue backlog of queue-backlog incidents (the growing-after-mitigation rule); without it that rule is off. */
  backlog?: BacklogProbe;
  /**
   * Slack user id of a person known by name (`acknowledgedBy` holds a name when the surface knew
   * one). Rotations' people are tried first; this is asked next (e.g. a Slack users cache).
   */
  userIdOf?: (label: string) => Promise<string | undefined>;
  /** How long a claimed step may take before another process may take it over. Default 2 min. */
  claimLeaseMs?: number;
}

/** What `escalate <id>` did. */
export type EscalateNowResult =
  | { ok: true; message: Message }
  | { ok: false; message: Message };

/** Thrown when another process is working on the same step right now: the timer is retried later. */
export class StepBusyError extends Error {
  constructor(key: string) {
    super(`escalation step ${key} is being handled by another process; retrying`);
    this.name = 'StepBusyError';
  }
}

type Trigger = 'timer' | 'manual' | 'resume';

interface Delivery {
  delivered: string[];
  failed: { label: string; error: string }[];
  mentions: Mention[];
  broadcast: boolean;
  paged: string[];
}

const CLAIM_DONE_TTL_MS = 14 * 86_400_000;
const MAX_CAS_TRIES = 10;
/** Timeline kinds people and jobs write; alert arrivals are not activity. */
const ACTIVITY_KINDS: ReadonlySet<TimelineEntry['kind']> = new Set(['opened', 'state', 'note', 'job', 'linked']);

export function stepTimerId(incidentId: string, step: number, generation: number): string {
  return `esc:${incidentId}:${step}:${generation}`;
}

export function claimKey(incidentId: string, step: number | string, generation: number): string {
  return `escalated:${incidentId}:${step}:${generation}`;
}

export class EscalationEngine {
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly rotations: Map<string, Rotation>;
  private readonly owner = randomUUID();
  private readonly leaseMs: number;

  constructor(private readonly deps: EscalationEngineDeps) {
    this.log = deps.logger.child({ component: 'escalation' });
    this.metrics = deps.metrics ?? noMetrics;
    this.rotations = new Map(deps.settings.rotations.map((r) => [r.id, new Rotation(r)]));
    this.leaseMs = deps.claimLeaseMs ?? 120_000;
  }

  get settings(): EscalationSettings {
    return this.deps.settings;
  }

  rotation(id: string): Rotation | undefined {
    return this.rotations.get(id);
  }

  /** Registers the repeating sweep (stuck incidents, approvals, lost timers); once across processes. */
  async start(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    await this.deps.timers.scheduleRepeating(SWEEP_TIMER_ID, this.deps.settings.sweepSeconds * 1000, { kind: SWEEP_TIMER });
  }

  // ── hooks ─────────────────────────────────────────────────────────────────────────────────

  /** Call with every ingest outcome (after the notifier): starts, restarts and stops chains. */
  async onIngest(outcome: IngestOutcome): Promise<void> {
    if (!this.deps.settings.enabled) return;
    if (outcome.previous && outcome.previous.state === 'resolved') await this.stop(outcome.previous);
    const incident = outcome.incident;
    if (!incident) return;
    switch (outcome.escalation) {
      case 'start':
        await this.begin(incident, 'start');
        return;
      case 'restart':
        await this.begin(incident, 'restart', outcome.reason ?? outcome.kind);
        return;
      case 'stop':
        await this.stop(incident);
        return;
      case 'keep':
        return;
    }
  }

  /** Call after a person changed an incident (ack, mitigate, snooze, resolve, reopen). */
  async onTransition(incident: Incident): Promise<void> {
    if (!this.deps.settings.enabled) return;
    switch (incident.state) {
      case 'resolved':
        await this.stop(incident);
        return;
      case 'open':
        await this.begin(incident, 'restart', 'reopened');
        return;
      case 'acknowledged':
      case 'mitigated':
        await this.pause(incident);
        return;
    }
  }

  /** The fired-timer entry point for escalation timers; returns false for payloads that are not ours. */
  async handleTimer(timer: FiredTimer): Promise<boolean> {
    const p = timer.payload;
    if (p.kind === SWEEP_TIMER) {
      await this.sweep();
      return true;
    }
    if (p.kind !== STEP_TIMER) return false;
    const incidentId = typeof p.incidentId === 'string' ? p.incidentId : '';
    const step = typeof p.step === 'number' ? p.step : -1;
    const generation = typeof p.generation === 'number' ? p.generation : -1;
    if (!incidentId || step < 0 || generation < 0) {
      this.log.warn({ timer: timer.id }, 'escalation timer without incident/step/generation; ignored');
      return true;
    }
    const state = await this.deps.state.get(incidentId);
    // An older generation (restarted, reopened) or a step already moved past: nothing to do.
    if (!state || state.generation !== generation || state.nextStep !== step || state.mode !== 'running') return true;
    await this.fireStep(state, 'timer');
    return true;
  }

  // ── commands and other modules ────────────────────────────────────────────────────────────

  /** `escalate <id>`: pages the next level now, whatever its timer says. */
  async escalateNow(incidentId: string, by: Actor, reason?: string): Promise<EscalateNowResult> {
    const details = await this.deps.incidents.get(incidentId, { timelineLimit: 1 });
    if (!details) return { ok: false, message: textMessage(`There is no incident ${incidentId}.`, 'warning') };
    const incident = details.incident;
    if (incident.state === 'resolved') return { ok: false, message: textMessage(`${incidentId} is resolved; reopen it first if it is not over.`, 'info') };
    if (!this.deps.settings.enabled) return { ok: false, message: textMessage('Escalation is switched off in this Lifeboat (escalation.enabled: false).', 'warning') };
    let state = await this.deps.state.get(incidentId);
    if (!state || state.mode === 'stopped' || state.mode === 'none') state = await this.begin(incident, state ? 'restart' : 'start', 'escalated by hand', { schedule: false });
    const policy = policyById(this.deps.settings, state?.policyId);
    if (!state || !policy) {
      const choice = choosePolicy(this.deps.settings, subjectOf(incident));
      return { ok: false, message: textMessage(`No escalation policy applies to ${incidentId} (${choice.reason}), so there is nobody to page. Add one under escalation.policies, or a defaultPolicy.`, 'warning') };
    }
    const who = actorLabel(by);
    const why = `${who} escalated by hand${reason ? `: ${reason}` : ''}`;
    const total = policy.steps.length * policy.repeat;
    if (state.nextStep >= total) {
      // Every step already ran: page the last one again, once per minute at most.
      const last = total - 1;
      const at = stepAt(policy, last);
      const targets = at ? policy.steps[at.index]?.notify ?? [] : [];
      const key = claimKey(incidentId, `manual-${Math.floor(this.deps.clock.now() / 60_000)}`, state.generation);
      if ((await this.deps.claims.claim(key, this.owner, this.leaseMs)) !== 'claimed') {
        return { ok: true, message: textMessage(`${incidentId} was just escalated; the last step's targets are being paged.`, 'info') };
      }
      const delivery = await this.deliver(incident, state, targets, why);
      await this.deps.claims.complete(key, this.owner, CLAIM_DONE_TTL_MS);
      await this.record(incident, `${ESCALATION_TEXT_PREFIX}: every step of policy ${policy.id} had run; ${why}. Paged the last step again: ${describeDelivery(delivery)}.`, delivery, 'danger');
      await this.rememberPaged(incidentId, state.generation, delivery.paged);
      this.metrics.increment(ESCALATION_METRICS.escalations, { trigger: 'manual' });
      return { ok: true, message: textMessage(`${incidentId}: paged the last step of policy ${policy.id} again — ${describeDelivery(delivery)}.`, delivery.failed.length ? 'warning' : 'success') };
    }
    const stepNo = state.nextStep;
    const fired = await this.fireStep(state, 'manual', why);
    if (!fired) return { ok: true, message: textMessage(`${incidentId}: ${stepLabel(policy, stepNo)} of policy ${policy.id} is being paged right now.`, 'info') };
    return { ok: true, message: textMessage(`${incidentId}: paged ${stepLabel(policy, stepNo)} of policy ${policy.id} — ${describeDelivery(fired)}.`, fired.failed.length ? 'warning' : 'success') };
  }

  /**
   * A runbook step has waited for approval too long: notify who can approve (the
   * `stuck.approvalNotify` targets, else the next step of the incident's policy), once per wait.
   * The sweep calls it for waits longer than `stuck.approvalWaitMinutes`; the runbook engine or
   * the composition root may call it directly.
   */
  async escalateApproval(incidentId: string | undefined, runId: string, stepId: string, info: { stepTitle?: string; runbookId?: string; since?: number } = {}): Promise<boolean> {
    if (!this.deps.settings.enabled) return false;
    const since = info.since ?? 0;
    const key = claimKey(incidentId ?? runId, `approval-${runId}-${stepId}-${since}`, 0);
    if ((await this.deps.claims.claim(key, this.owner, this.leaseMs)) !== 'claimed') return false;
    try {
      const details = incidentId ? await this.deps.incidents.get(incidentId, { timelineLimit: 1 }) : undefined;
      const incident = details?.incident;
      const state = incident ? await this.deps.state.get(incident.id) : undefined;
      const targets = this.approvalTargets(state);
      const waited = since ? ` has waited ${formatDuration(this.deps.clock.now() - since)} for approval` : ' is waiting for approval';
      const what = `Runbook ${info.runbookId ? `${info.runbookId} ` : ''}step "${info.stepTitle ?? stepId}" (run ${runId})${waited}`;
      const hint = `Approve it with: runbook approve ${runId} ${stepId}`;
      const dedupKey = `lifeboat-approval-${runId}-${stepId}`;
      if (!incident) {
        const delivery = await this.deliverDetached(runId, targets, `${what}. ${hint}`, dedupKey);
        this.log.info({ runId, stepId, delivered: delivery.delivered, failed: delivery.failed }, 'approval escalated (no incident)');
      } else {
        const delivery = await this.deliver(incident, state ?? this.blankState(incident.id), targets, `${what}. ${hint}`, dedupKey);
        await this.record(incident, `${ESCALATION_TEXT_PREFIX}: ${what}; notified ${describeDelivery(delivery)}.`, delivery, 'warning', hint);
        if (state) await this.rememberPaged(incident.id, state.generation, delivery.paged);
      }
      this.metrics.increment(ESCALATION_METRICS.escalations, { trigger: 'approval' });
      await this.deps.claims.complete(key, this.owner, CLAIM_DONE_TTL_MS);
      return true;
    } catch (err) {
      await this.deps.claims.release(key, this.owner);
      throw err;
    }
  }

  /** The `RunbookEscalation` port of the runbook engine: a failed step with `onFailure: escalate` pages the next level. */
  runbookEscalation(): { escalate(request: { incidentId?: string; runId: string; runbookId: string; stepId: string; stepTitle: string; reason: string }): Promise<void> } {
    return {
      escalate: async (request) => {
        const reason = `runbook ${request.runbookId} step "${request.stepTitle}" failed: ${request.reason}`;
        if (request.incidentId) {
          await this.escalateNow(request.incidentId, { id: 'lifeboat', name: 'lifeboat' }, reason);
          return;
        }
        const delivery = await this.deliverDetached(request.runId, this.approvalTargets(undefined), `Run ${request.runId}: ${reason}`, `lifeboat-run-${request.runId}-${request.stepId}`);
        this.log.warn({ runId: request.runId, delivered: delivery.delivered, failed: delivery.failed }, 'runbook step escalated without an incident');
      },
    };
  }

  // ── the sweep: stuck incidents, approvals, lost timers ───────────────────────────────────

  /** One pass over the active incidents; run by the repeating sweep timer (once across processes). */
  async sweep(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    const now = this.deps.clock.now();
    const active = await this.deps.incidents.list({ state: 'active', limit: 500 });
    for (const incident of active) {
      try {
        await this.sweepOne(incident, now);
      } catch (err) {
        this.log.warn({ incidentId: incident.id, err: errText(err) }, 'escalation sweep failed for an incident');
      }
    }
    if (this.deps.approvals) {
      const limit = this.deps.settings.stuck.approvalWaitMinutes * 60_000;
      for (const a of await this.deps.approvals.waitingApprovals()) {
        if (now - a.since < limit) continue;
        try {
          await this.escalateApproval(a.incidentId, a.runId, a.stepId, { stepTitle: a.stepTitle, runbookId: a.runbookId, since: a.since });
        } catch (err) {
          this.log.warn({ runId: a.runId, err: errText(err) }, 'approval escalation failed');
        }
      }
    }
  }

  private async sweepOne(incident: Incident, now: number): Promise<void> {
    const state = await this.deps.state.get(incident.id);
    const stuck = this.deps.settings.stuck;
    if (incident.state === 'open') {
      if (!state) {
        // Opened while no Lifeboat was running, or its start was lost: adopt it if recent.
        if (now - incident.openedAt <= stuck.adoptWithinMinutes * 60_000) await this.begin(incident, 'adopt');
        return;
      }
      if (state.mode === 'running' && state.nextDueAt !== undefined && now - state.nextDueAt > this.deps.settings.sweepSeconds * 2000) {
        // Overdue by two sweeps: make sure its timer exists (scheduling an existing id changes nothing).
        await this.schedule(state);
      } else if (state.mode === 'paused') {
        // Open again without a reopen hook (e.g. a store-side change): continue where it was.
        await this.resume(incident, state, incident.lastActivityAt, 'open again');
      }
      return;
    }
    if (!state || state.mode === 'none' || state.mode === 'stopped') return;
    if (incident.state === 'acknowledged') await this.checkAckIdle(incident, state, now);
    if (incident.state === 'mitigated' && incident.class === 'queue-backlog' && this.deps.backlog) await this.checkBacklog(incident, state, now);
  }

  private async checkAckIdle(incident: Incident, state: EscalationState, now: number): Promise<void> {
    if (incident.snoozedUntil !== undefined && incident.snoozedUntil > now) return;
    const details = await this.deps.incidents.get(incident.id, { timelineLimit: 100 });
    if (!details) return;
    const ref = lastHumanActivity(details.incident, details.timeline, now);
    if (state.resumedFor !== undefined && state.resumedFor >= ref) return; // already continuing for this silence
    const policy = policyById(this.deps.settings, state.policyId);
    const idleMs = (policy?.ackedIdleMinutes ?? this.deps.settings.stuck.ackedIdleMinutes) * 60_000;
    const idle = now - ref;
    if (idle < idleMs) return;
    const by = incident.acknowledgedBy ?? 'someone';
    if (state.remindedFor !== ref) {
      const key = claimKey(incident.id, `remind-${ref}`, state.generation);
      if ((await this.deps.claims.claim(key, this.owner, this.leaseMs)) !== 'claimed') return;
      const userId = incident.acknowledgedBy ? await this.userIdOf(incident.acknowledgedBy) : undefined;
      const headline = `${ESCALATION_TEXT_PREFIX}: ${by} acknowledged ${incident.id} and nothing has happened for ${formatDuration(idle)}. Still on it?`;
      const hint = `Add a note, run a runbook step, mitigate or resolve — otherwise escalation continues in ${formatDuration(idleMs)}.`;
      const mentions: Mention[] = userId ? [{ type: 'user', id: userId, name: by }] : [];
      const failed: { label: string; error: string }[] = [];
      if (userId) {
        try {
          await this.deps.chat.toUser(userId, pageDirectMessage(incident, `You acknowledged it ${formatDuration(now - (incident.acknowledgedAt ?? ref))} ago and nothing has happened for ${formatDuration(idle)}. ${hint}`, now));
        } catch (err) {
          failed.push({ label: `DM to ${by}`, error: errText(err) });
        }
      }
      const delivery: Delivery = { delivered: userId ? [`${by} by DM`] : [], failed, mentions, broadcast: false, paged: [] };
      await this.record(incident, `${headline} Reminded ${userId ? by : 'the thread'}.`, delivery, 'warning', hint);
      await this.mutate(incident.id, (cur) => (cur && cur.generation === state.generation ? { ...cur, remindedFor: ref } : undefined));
      await this.deps.claims.complete(key, this.owner, CLAIM_DONE_TTL_MS);
      this.metrics.increment(ESCALATION_METRICS.escalations, { trigger: 'ack-idle-reminder' });
      return;
    }
    if (idle >= 2 * idleMs) await this.resume(incident, state, ref, `acknowledged by ${by} with no activity for ${formatDuration(idle)}`);
  }

  private async checkBacklog(incident: Incident, state: EscalationState, now: number): Promise<void> {
    const probe = this.deps.backlog;
    const mitigatedAt = incident.mitigatedAt;
    if (!probe || mitigatedAt === undefined) return;
    const depth = await probe.backlog(incident);
    if (depth === undefined) return;
    const watch = state.backlog;
    if (!watch || watch.mitigatedAt !== mitigatedAt) {
      await this.mutate(incident.id, (cur) => (cur ? { ...cur, backlog: { mitigatedAt, baseline: depth, last: depth, at: now } } : undefined));
      return;
    }
    const { afterMinutes, growthPercent } = this.deps.settings.stuck.backlog;
    const growing = depth > watch.baseline * (1 + growthPercent / 100) && depth > watch.last;
    await this.mutate(incident.id, (cur) => (cur?.backlog ? { ...cur, backlog: { ...cur.backlog, last: depth, at: now } } : undefined));
    if (now - mitigatedAt < afterMinutes * 60_000 || !growing) return;
    const key = claimKey(incident.id, `backlog-${mitigatedAt}`, 0);
    if ((await this.deps.claims.claim(key, this.owner, this.leaseMs)) !== 'claimed') return;
    const details = await this.deps.incidents.get(incident.id, { timelineLimit: 100 });
    const ref = details ? lastHumanActivity(details.incident, details.timeline, now) : now;
    const reason = `the backlog is still growing ${formatDuration(now - mitigatedAt)} after ${incident.mitigatedBy ?? 'someone'} mitigated it: ${watch.baseline.toLocaleString('en-US')} → ${depth.toLocaleString('en-US')} messages`;
    // The mitigation did not hold: the incident goes back to open (its card says so), then pages again.
    const reopened = await this.deps.incidents.transition?.(incident.id, { type: 'reopen' }, { id: 'lifeboat', name: 'Lifeboat' });
    await this.begin(reopened?.ok ? reopened.incident : incident, 'restart', reason, { resumedFor: ref });
    await this.deps.claims.complete(key, this.owner, CLAIM_DONE_TTL_MS);
  }

  // ── the chain ─────────────────────────────────────────────────────────────────────────────

  /**
   * Starts a chain (a new generation). `start` on an incident that already has a live chain does
   * nothing (two processes, or a sweep adopting it at the same time); `restart` always begins anew.
   */
  private async begin(incident: Incident, why: 'start' | 'restart' | 'adopt', reason?: string, options: { schedule?: boolean; resumedFor?: number } = {}): Promise<EscalationState | undefined> {
    const choice = choosePolicy(this.deps.settings, subjectOf(incident));
    const now = this.deps.clock.now();
    let previous: EscalationState | undefined;
    const state = await this.mutate(incident.id, (cur) => {
      previous = cur;
      if ((why === 'start' || why === 'adopt') && cur && cur.mode !== 'stopped') return undefined;
      const generation = (cur?.generation ?? 0) + 1;
      const base: EscalationState = {
        incidentId: incident.id,
        version: cur?.version ?? 0,
        generation,
        mode: 'none',
        nextStep: 0,
        startedAt: now,
        updatedAt: now,
        paged: cur?.paged ?? [],
        ...(options.resumedFor !== undefined ? { resumedFor: options.resumedFor } : {}),
      };
      if (!choice.policy) return base;
      // An adopted incident keeps the times it would have had: its first step may be due already.
      const from = why === 'adopt' ? incident.openedAt : now;
      return { ...base, policyId: choice.policy.id, mode: 'running', nextDueAt: from + waitBefore(choice.policy, 0) };
    });
    if (!state) return previous;
    if (previous && previous.mode === 'running') await this.cancelTimer(previous);
    if (state.mode === 'none') {
      this.log.debug({ incidentId: incident.id, reason: choice.reason }, 'no escalation policy applies');
      return state;
    }
    this.log.info({ incidentId: incident.id, policy: state.policyId, generation: state.generation, why, reason }, 'escalation started');
    if (why === 'restart' && reason && choice.policy) {
      const text = `${ESCALATION_TEXT_PREFIX} ${previous ? 'starts again' : 'starts'} (${reason}): policy ${choice.policy.id}, ${choice.policy.steps.length} step${choice.policy.steps.length === 1 ? '' : 's'}.`;
      await this.appendTimeline(incident.id, text);
      if (options.resumedFor !== undefined) await this.say(incident, escalationMessage(text, [], { tone: 'danger' }), { mentions: [], broadcast: false });
    }
    if (options.schedule !== false) await this.schedule(state);
    return state;
  }

  private async pause(incident: Incident): Promise<void> {
    let previous: EscalationState | undefined;
    const state = await this.mutate(incident.id, (cur) => {
      previous = cur;
      if (!cur || cur.mode !== 'running') return undefined;
      // A chain continued for a stuck ack/backlog keeps running until someone acts.
      return { ...cur, mode: 'paused', updatedAt: this.deps.clock.now() };
    });
    if (state && previous) await this.cancelTimer(previous);
    const current = state ?? previous;
    if (current?.paged.length) await this.closePages(current, 'acknowledge', `${incident.state} in Lifeboat by ${incident.acknowledgedBy ?? incident.mitigatedBy ?? 'someone'}`, false);
  }

  private async stop(incident: Incident): Promise<void> {
    let previous: EscalationState | undefined;
    const state = await this.mutate(incident.id, (cur) => {
      previous = cur;
      if (!cur || cur.mode === 'stopped') return undefined;
      return { ...cur, mode: 'stopped', updatedAt: this.deps.clock.now() };
    });
    if (!state) return;
    if (previous && previous.mode === 'running') await this.cancelTimer(previous);
    if (state.paged.length) await this.closePages(state, 'resolve', `resolved in Lifeboat${incident.resolvedBy ? ` by ${incident.resolvedBy}` : ''}`, true);
  }

  /** Continues a paused chain as a new generation from where it was (the last step again when it had run out). */
  private async resume(incident: Incident, state: EscalationState, ref: number, reason: string): Promise<void> {
    const policy = policyById(this.deps.settings, state.policyId);
    if (!policy) return;
    const total = policy.steps.length * policy.repeat;
    const now = this.deps.clock.now();
    const next = await this.mutate(incident.id, (cur) => {
      if (!cur || cur.generation !== state.generation || cur.resumedFor === ref) return undefined;
      return { ...cur, generation: cur.generation + 1, mode: 'running', nextStep: Math.min(cur.nextStep, total - 1), nextDueAt: now, resumedFor: ref, updatedAt: now };
    });
    if (!next) return;
    await this.cancelTimer(state);
    this.log.info({ incidentId: incident.id, reason, generation: next.generation }, 'escalation continues');
    const text = `${ESCALATION_TEXT_PREFIX} continues: ${reason}.`;
    await this.appendTimeline(incident.id, text);
    this.metrics.increment(ESCALATION_METRICS.escalations, { trigger: 'resume' });
    await this.schedule(next);
  }

  private async schedule(state: EscalationState): Promise<void> {
    if (state.mode !== 'running' || state.nextDueAt === undefined) return;
    await this.deps.timers.schedule(stepTimerId(state.incidentId, state.nextStep, state.generation), state.nextDueAt, {
      kind: STEP_TIMER,
      incidentId: state.incidentId,
      step: state.nextStep,
      generation: state.generation,
    });
  }

  private async cancelTimer(state: EscalationState): Promise<void> {
    try {
      await this.deps.timers.cancel(stepTimerId(state.incidentId, state.nextStep, state.generation));
    } catch (err) {
      // Harmless: a timer that fires anyway finds its generation or step gone and does nothing.
      this.log.debug({ incidentId: state.incidentId, err: errText(err) }, 'could not cancel an escalation timer');
    }
  }

  /**
   * Fires `state.nextStep` if it is still due, exactly once across processes, then moves the
   * chain on. Returns the delivery, or undefined when nothing was paged by this call.
   */
  private async fireStep(state: EscalationState, trigger: Trigger, reason?: string): Promise<Delivery | undefined> {
    const policy = policyById(this.deps.settings, state.policyId);
    if (!policy) return undefined;
    const step = state.nextStep;
    const at = stepAt(policy, step);
    if (!at) return undefined;
    const incidentId = state.incidentId;
    const details = await this.deps.incidents.get(incidentId, { timelineLimit: 100 });
    if (!details) {
      await this.mutate(incidentId, (cur) => (cur && cur.generation === state.generation ? { ...cur, mode: 'stopped' } : undefined));
      return undefined;
    }
    if (trigger !== 'manual' && !(await this.stillDue(details.incident, details.timeline, state))) return undefined;

    const key = claimKey(incidentId, step, state.generation);
    const claim = await this.deps.claims.claim(key, this.owner, this.leaseMs);
    if (claim === 'busy') {
      if (trigger === 'manual') return undefined;
      throw new StepBusyError(key);
    }
    let delivery: Delivery | undefined;
    if (claim === 'claimed') {
      try {
        // Read again right before paging: an ack that landed since the first read wins.
        const fresh = trigger === 'manual' ? details : await this.deps.incidents.get(incidentId, { timelineLimit: 100 });
        if (!fresh || (trigger !== 'manual' && !(await this.stillDue(fresh.incident, fresh.timeline, state)))) {
          await this.deps.claims.release(key, this.owner);
          return undefined;
        }
        delivery = await this.notifyStep(fresh.incident, state, policy, step, trigger, reason);
        await this.deps.claims.complete(key, this.owner, CLAIM_DONE_TTL_MS);
      } catch (err) {
        await this.deps.claims.release(key, this.owner).catch(() => undefined);
        throw err;
      }
    }
    await this.advance(state, policy, step, delivery);
    return delivery;
  }

  /** Is the step still due for this incident? Side effect: pauses or stops a chain that should not run. */
  private async stillDue(incident: Incident, timeline: readonly TimelineEntry[], state: EscalationState): Promise<boolean> {
    const now = this.deps.clock.now();
    if (incident.state === 'resolved') {
      await this.stop(incident);
      return false;
    }
    if (incident.state === 'open') {
      if (incident.snoozedUntil !== undefined && incident.snoozedUntil > now) return false;
      return true;
    }
    // Acknowledged or mitigated: due only while continuing a stuck chain with no activity since.
    if (state.resumedFor !== undefined && lastHumanActivity(incident, timeline, now) <= state.resumedFor) return true;
    await this.pause(incident);
    return false;
  }

  private async notifyStep(incident: Incident, state: EscalationState, policy: EscalationPolicy, step: number, trigger: Trigger, reason?: string): Promise<Delivery> {
    const at = stepAt(policy, step);
    const targets = at ? policy.steps[at.index]?.notify ?? [] : [];
    const now = this.deps.clock.now();
    const label = stepLabel(policy, step);
    const why = trigger === 'manual'
      ? reason ?? 'escalated by hand'
      : incident.state === 'open'
        ? now - incident.openedAt < 60_000 ? 'new and unacknowledged' : `unacknowledged for ${formatDuration(now - incident.openedAt)}`
        : `${incident.state} by ${incident.acknowledgedBy ?? incident.mitigatedBy ?? 'someone'}, no activity since`;
    const delivery = await this.deliver(incident, state, targets, `${label} of policy ${policy.id}: ${why}`);
    const total = policy.steps.length * policy.repeat;
    const nextNote = delivery.failed.length && step + 1 < total ? ` The next step starts now (${stepLabel(policy, step + 1)}).` : delivery.failed.length ? ' There is no further step: page someone by hand.' : '';
    const text = `${ESCALATION_TEXT_PREFIX} ${label} (policy ${policy.id}), ${why}: paged ${describeDelivery(delivery)}.${nextNote}`;
    await this.record(incident, text, delivery, delivery.failed.length ? 'danger' : 'warning', `ack ${incident.id} stops escalation; escalate ${incident.id} pages the next level now.`);
    this.metrics.increment(ESCALATION_METRICS.escalations, { trigger });
    return delivery;
  }

  /** Moves the chain past `step`: schedules the next step (at once if this one failed), or marks it exhausted. */
  private async advance(state: EscalationState, policy: EscalationPolicy, step: number, delivery: Delivery | undefined): Promise<void> {
    const now = this.deps.clock.now();
    const total = policy.steps.length * policy.repeat;
    const failedNow = (delivery?.failed.length ?? 0) > 0;
    const next = await this.mutate(state.incidentId, (cur) => {
      if (!cur || cur.generation !== state.generation || cur.nextStep !== step) return undefined;
      const paged = [...new Set([...cur.paged, ...(delivery?.paged ?? [])])];
      const base: EscalationState = { ...cur, paged, lastStep: step, lastFiredAt: now, updatedAt: now, nextStep: step + 1 };
      if (step + 1 >= total) {
        delete base.nextDueAt;
        return { ...base, mode: cur.mode === 'running' ? 'exhausted' : cur.mode };
      }
      return { ...base, nextDueAt: now + (failedNow ? 0 : waitBefore(policy, step + 1)) };
    });
    if (!next) return;
    if (next.mode === 'exhausted') {
      const details = await this.deps.incidents.get(state.incidentId, { timelineLimit: 1 });
      if (details && details.incident.state === 'open') {
        const text = `${ESCALATION_TEXT_PREFIX}: policy ${policy.id} ran ${total === 1 ? 'its one step' : `all ${total} steps`} and nobody acknowledged ${state.incidentId}.`;
        await this.record(details.incident, text, { delivered: [], failed: [], mentions: [], broadcast: false, paged: [] }, 'danger', `escalate ${state.incidentId} pages the last step again.`);
      }
      return;
    }
    await this.schedule(next);
  }

  // ── delivery ──────────────────────────────────────────────────────────────────────────────

  /** Notifies every target of a step; never throws for a target that fails (it is reported instead). */
  private async deliver(incident: Incident, state: EscalationState, targets: readonly EscalationTarget[], why: string, pageKey?: string): Promise<Delivery> {
    const now = this.deps.clock.now();
    const delivery: Delivery = { delivered: [], failed: [], mentions: [], broadcast: false, paged: [] };
    const dm = async (userId: string, label: string): Promise<void> => {
      delivery.mentions.push({ type: 'user', id: userId, name: label });
      try {
        await this.deps.chat.toUser(userId, pageDirectMessage(incident, why, now));
        delivery.delivered.push(`${label} by DM`);
        this.metrics.increment(ESCALATION_METRICS.pages, { target: 'dm', outcome: 'ok' });
      } catch (err) {
        delivery.failed.push({ label: `DM to ${label}`, error: errText(err) });
        this.metrics.increment(ESCALATION_METRICS.failures, { target: 'dm' });
      }
    };
    await Promise.all(targets.map(async (t) => {
      if ('channel' in t) {
        delivery.broadcast = true;
        if (t.channel !== 'quiet') delivery.mentions.push({ type: t.channel });
        delivery.delivered.push(t.channel === 'quiet' ? 'the incident channel' : `@${t.channel} in the incident channel`);
      } else if ('userGroup' in t) {
        delivery.mentions.push({ type: 'usergroup', id: t.userGroup, ...(t.name ? { name: t.name } : {}) });
        delivery.delivered.push(`@${t.name ?? t.userGroup}`);
      } else if ('users' in t) {
        await Promise.all(t.users.map((u) => dm(u, u)));
      } else if ('oncall' in t) {
        const rotation = this.rotations.get(t.oncall);
        if (!rotation) {
          delivery.failed.push({ label: `on-call ${t.oncall}`, error: 'no such rotation' });
          return;
        }
        const shift = rotation.at(now);
        await dm(shift.person.slack, `on-call ${rotation.label} (${personLabel(shift.person)})`);
      } else {
        const key = 'pagerduty' in t ? `pagerduty:${t.pagerduty}` : 'opsgenie' in t ? `opsgenie:${t.opsgenie}` : `webhook:${t.webhook}`;
        const pager = this.deps.pagers?.[key];
        if (!pager) {
          delivery.failed.push({ label: key, error: 'not configured in this process (its secret may be unset)' });
          this.metrics.increment(ESCALATION_METRICS.failures, { target: key });
          return;
        }
        const dedupKey = pageKey ?? `lifeboat-${incident.id}-${state.generation}`;
        const result = await pager.page(pageRequest(incident, dedupKey, why)).catch((err: unknown) => ({ ok: false as const, attempts: 0, error: errText(err), permanent: false }));
        if (result.ok) {
          delivery.delivered.push(pager.label);
          delivery.paged.push(`${key}|${dedupKey}`);
          this.metrics.increment(ESCALATION_METRICS.pages, { target: key, outcome: 'ok' });
        } else {
          delivery.failed.push({ label: pager.label, error: `${result.error}${result.attempts > 1 ? ` after ${result.attempts} tries` : ''}` });
          this.metrics.increment(ESCALATION_METRICS.failures, { target: key });
          this.metrics.increment(ESCALATION_METRICS.pages, { target: key, outcome: 'failed' });
          this.log.warn({ incidentId: incident.id, target: key, error: result.error, attempts: result.attempts }, 'paging keeps failing');
        }
      }
    }));
    return delivery;
  }

  /** Delivery without an incident (a run not tied to one): DMs and paging services only. */
  private async deliverDetached(id: string, targets: readonly EscalationTarget[], why: string, pageKey: string): Promise<Delivery> {
    const now = this.deps.clock.now();
    const pseudo: Incident = {
      id, version: 0, groupKey: '', class: 'other', severity: 'high', state: 'open', title: why.slice(0, 120), summary: why, target: {},
      counts: { alerts: 0, firing: 0, received: 0, duplicates: 0, stateChanges: 0 }, flapping: false, createdAt: now, openedAt: now, updatedAt: now,
      lastActivityAt: now, lastAlertAt: now, truncatedAlerts: 0, reopenCount: 0, timelineDropped: 0,
    };
    return this.deliver(pseudo, this.blankState(pseudo.id), targets.filter((t) => !('channel' in t) && !('userGroup' in t)), why, pageKey);
  }

  private approvalTargets(state: EscalationState | undefined): EscalationTarget[] {
    const configured = this.deps.settings.stuck.approvalNotify;
    if (configured?.length) return configured;
    const policy = policyById(this.deps.settings, state?.policyId);
    if (policy) {
      const total = policy.steps.length * policy.repeat;
      const at = stepAt(policy, Math.min(state?.nextStep ?? 0, total - 1));
      const targets = at ? policy.steps[at.index]?.notify : undefined;
      if (targets?.length) return targets;
    }
    return [{ channel: 'here' }];
  }

  /** Posts in the incident thread and writes the timeline entry; failures are logged, never thrown. */
  private async record(incident: Incident, text: string, delivery: Delivery, tone: 'warning' | 'danger', hint?: string): Promise<void> {
    const lines = delivery.failed.map((f) => `${f.label} keeps failing: ${f.error}`);
    await this.say(incident, escalationMessage(text, lines, { tone: delivery.failed.length ? 'danger' : tone, ...(hint ? { hint } : {}) }), { mentions: delivery.mentions, broadcast: delivery.broadcast });
    await this.appendTimeline(incident.id, delivery.failed.length ? `${text} ${lines.join('; ')}.` : text);
  }

  private async say(incident: Incident, message: Message, options: { mentions: readonly Mention[]; broadcast: boolean }): Promise<void> {
    try {
      await this.deps.chat.toIncident(incident, message, options);
    } catch (err) {
      this.metrics.increment(ESCALATION_METRICS.failures, { target: 'thread' });
      this.log.warn({ incidentId: incident.id, err: errText(err) }, 'could not post escalation in the incident thread');
    }
  }

  private async appendTimeline(incidentId: string, text: string): Promise<void> {
    try {
      await this.deps.incidents.appendTimeline(incidentId, { kind: 'job', text: text.slice(0, 300) });
    } catch (err) {
      this.log.warn({ incidentId, err: errText(err) }, 'could not write escalation to the timeline');
    }
  }

  private async rememberPaged(incidentId: string, generation: number, paged: readonly string[]): Promise<void> {
    if (!paged.length) return;
    await this.mutate(incidentId, (cur) => (cur && cur.generation === generation ? { ...cur, paged: [...new Set([...cur.paged, ...paged])] } : undefined));
  }

  private async closePages(state: EscalationState, action: 'acknowledge' | 'resolve', note: string, forget: boolean): Promise<void> {
    const pagers = this.deps.pagers ?? {};
    await Promise.all(state.paged.map(async (entry) => {
      const [key = '', dedupKey = ''] = entry.split('|');
      const pager = pagers[key];
      if (!pager || !dedupKey) return;
      const result = await pager.close(dedupKey, action, note).catch((err: unknown) => ({ ok: false as const, attempts: 0, error: errText(err), permanent: false }));
      if (!result.ok) this.log.warn({ incidentId: state.incidentId, target: key, action, error: result.error }, 'could not tell the paging service');
    }));
    if (forget) await this.mutate(state.incidentId, (cur) => (cur && cur.generation === state.generation ? { ...cur, paged: [] } : undefined));
  }

  private async userIdOf(label: string): Promise<string | undefined> {
    if (/^[UW][A-Z0-9]{2,20}$/.test(label)) return label;
    for (const r of this.deps.settings.rotations) {
      const hit = [...r.people, ...r.overrides].find((p) => p.name === label || p.slack === label);
      if (hit) return hit.slack;
    }
    return this.deps.userIdOf ? this.deps.userIdOf(label).catch(() => undefined) : undefined;
  }

  private blankState(incidentId: string): EscalationState {
    const now = this.deps.clock.now();
    return { incidentId, version: 0, generation: 0, mode: 'none', nextStep: 0, startedAt: now, updatedAt: now, paged: [] };
  }

  /** Read–modify–write with compare-and-set; `change` returns undefined to leave the state alone. */
  private async mutate(incidentId: string, change: (current: EscalationState | undefined) => EscalationState | undefined): Promise<EscalationState | undefined> {
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const current = await this.deps.state.get(incidentId);
      const next = change(current);
      if (!next) return undefined;
      const stored = await this.deps.state.compareAndSet({ ...next, updatedAt: this.deps.clock.now() }, current?.version ?? 0);
      if (stored) return stored;
    }
    throw new Error(`escalation state of ${incidentId} kept changing under us`);
  }
}

/**
 * The last time a person or a job did something, for the stuck-ack rule: the ack, mitigation,
 * the end of a snooze, and timeline entries except alert arrivals and escalation's own lines.
 */
export function lastHumanActivity(incident: Incident, timeline: readonly TimelineEntry[], now: number): number {
  let last = Math.max(incident.openedAt, incident.acknowledgedAt ?? 0, incident.mitigatedAt ?? 0);
  if (incident.snoozedUntil !== undefined && incident.snoozedUntil <= now) last = Math.max(last, incident.snoozedUntil);
  for (const e of timeline) {
    if (!ACTIVITY_KINDS.has(e.kind) || e.text.startsWith(ESCALATION_TEXT_PREFIX)) continue;
    if (e.at > last) last = e.at;
  }
  return last;
}

function pageRequest(incident: Incident, dedupKey: string, why: string): PageRequest {
  const t = incident.target;
  const component = t.service ? (t.cluster ? `${t.cluster}/${t.service}` : t.service) : t.queue;
  const details: Record<string, string | number> = {
    incident: incident.id,
    state: incident.state,
    class: incident.class,
    opened: new Date(incident.openedAt).toISOString(),
    alerts: incident.counts.alerts,
    firing: incident.counts.firing,
  };
  if (t.account) details.account = t.account;
  if (t.region) details.region = t.region;
  if (t.queue) details.queue = t.queue;
  return {
    dedupKey,
    incidentId: incident.id,
    summary: `[lifeboat] ${incident.title}`.slice(0, 1024),
    severity: incident.severity,
    ...(component ? { component } : {}),
    ...(t.cluster ? { group: t.cluster } : {}),
    incidentClass: incident.class,
    details,
    reason: why,
  };
}

function describeDelivery(d: Delivery): string {
  const ok = d.delivered.length ? d.delivered.join(', ') : 'nobody';
  return d.failed.length ? `${ok}; failed: ${d.failed.map((f) => f.label).join(', ')}` : ok;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export { incidentLine };
