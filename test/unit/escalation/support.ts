import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import { EscalationEngine, type EscalationEngineDeps } from '../../../src/escalation/engine.js';
import { MemoryClaimStore, MemoryEscalationStateStore } from '../../../src/escalation/memory-stores.js';
import type { EscalationChat, FiredTimer, Mention, PageRequest, PageResult, Pager, TimerPayload, TimerScheduler } from '../../../src/escalation/ports.js';
import { escalationSettingsSchema, type EscalationSettings } from '../../../src/escalation/settings.js';
import { createTimerHandler, type TimerConsumer } from '../../../src/escalation/timer-handler.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import type { Actor, Incident } from '../../../src/incidents/model.js';
import type { IncidentAction } from '../../../src/incidents/state-machine.js';
import type { Alert } from '../../../src/intake/alert.js';
import { defaultTriageSettings } from '../../../src/triage/settings.js';
import { MemoryIncidentStore } from '../incidents/memory-incident-store.js';
import { sequentialIds } from '../incidents/harness.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Timers in memory, fired by hand against a `ManualClock`: the same contract as BullTimerScheduler
 * (an id that is pending or firing is not scheduled twice; a fired id may be scheduled again).
 */
export class ManualTimers implements TimerScheduler {
  readonly pending = new Map<string, { dueAt: number; payload: TimerPayload }>();
  readonly repeating = new Map<string, { everyMs: number; payload: TimerPayload }>();
  readonly active = new Set<string>();
  readonly fired: FiredTimer[] = [];
  readonly cancelled: string[] = [];

  schedule(id: string, dueAt: number, payload: TimerPayload): Promise<void> {
    if (!this.pending.has(id) && !this.active.has(id)) this.pending.set(id, { dueAt, payload: structuredClone(payload) });
    return Promise.resolve();
  }
  cancel(id: string): Promise<boolean> {
    const had = this.pending.delete(id);
    if (had) this.cancelled.push(id);
    return Promise.resolve(had);
  }
  scheduleRepeating(id: string, everyMs: number, payload: TimerPayload): Promise<void> {
    this.repeating.set(id, { everyMs, payload });
    return Promise.resolve();
  }
  cancelRepeating(id: string): Promise<void> {
    this.repeating.delete(id);
    return Promise.resolve();
  }
  repeatingIds(): Promise<string[]> {
    return Promise.resolve([...this.repeating.keys()]);
  }

  /** Fires every pending timer due at the clock's now, earliest first, until none is due. */
  async runDue(clock: ManualClock, handler: (t: FiredTimer) => Promise<void>): Promise<void> {
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.dueAt <= clock.now()).sort((a, b) => a[1].dueAt - b[1].dueAt)[0];
      if (!due) return;
      const [id, t] = due;
      this.pending.delete(id);
      this.active.add(id);
      const timer: FiredTimer = { id, dueAt: t.dueAt, firedAt: clock.now(), payload: t.payload, attempt: 1 };
      this.fired.push(timer);
      try {
        await handler(timer);
      } finally {
        this.active.delete(id);
      }
    }
  }

  /** Moves the clock forward to `until`, stopping at every due time on the way (and every `sweepMs` for the sweep). */
  async advance(clock: ManualClock, ms: number, handler: (t: FiredTimer) => Promise<void>, options: { sweepEveryMs?: number; sweep?: () => Promise<void> } = {}): Promise<void> {
    const until = clock.now() + ms;
    let nextSweep = options.sweepEveryMs ? clock.now() + options.sweepEveryMs : Infinity;
    await this.runDue(clock, handler);
    for (;;) {
      const nextTimer = Math.min(...[...this.pending.values()].map((t) => t.dueAt));
      const next = Math.min(nextTimer, nextSweep);
      if (next > until) break;
      clock.set(Math.max(clock.now(), next));
      if (clock.now() >= nextSweep) {
        await options.sweep?.();
        nextSweep += options.sweepEveryMs ?? Infinity;
      }
      await this.runDue(clock, handler);
    }
    clock.set(until);
    await this.runDue(clock, handler);
  }
}

/** Records what escalation says, in threads and by DM. */
export class RecordingChat implements EscalationChat {
  readonly thread: { at: number; incidentId: string; message: Message; mentions: readonly Mention[]; broadcast: boolean }[] = [];
  readonly dms: { at: number; userId: string; message: Message }[] = [];
  /** Called before a DM is recorded (to race an ack into it); throwing fails the DM. */
  onDm: ((userId: string) => Promise<void>) | undefined;

  constructor(private readonly clock: ManualClock) {}

  toIncident(incident: Incident, message: Message, options: { mentions?: readonly Mention[]; broadcast?: boolean } = {}): Promise<void> {
    this.thread.push({ at: this.clock.now(), incidentId: incident.id, message, mentions: options.mentions ?? [], broadcast: options.broadcast ?? false });
    return Promise.resolve();
  }
  async toUser(userId: string, message: Message): Promise<void> {
    await this.onDm?.(userId);
    this.dms.push({ at: this.clock.now(), userId, message });
  }
}

/** A paging integration in memory: answers from a script of results (default ok). */
export class FakePager implements Pager {
  readonly pages: { at: number; request: PageRequest }[] = [];
  readonly closes: { dedupKey: string; action: string }[] = [];
  failing = false;

  constructor(readonly key: string, readonly label: string, private readonly clock: ManualClock) {}

  page(request: PageRequest): Promise<PageResult> {
    this.pages.push({ at: this.clock.now(), request });
    return Promise.resolve(this.failing ? { ok: false, attempts: 4, status: 500, error: 'HTTP 500', permanent: false } : { ok: true, attempts: 1, status: 202 });
  }
  close(dedupKey: string, action: 'acknowledge' | 'resolve'): Promise<PageResult> {
    this.closes.push({ dedupKey, action });
    return Promise.resolve({ ok: true, attempts: 1, status: 202 });
  }
}

/** A config with one rotation (ana, bo, cy weekly) and the integrations tests use. */
export function settingsWith(escalation: Record<string, unknown>): EscalationSettings {
  return escalationSettingsSchema.parse({
    rotations: [{ id: 'primary', handover: 'weekly', start: '2026-01-05T09:00', timezone: 'UTC', people: [{ slack: 'U01ANA', name: 'ana' }, { slack: 'U02BO', name: 'bo' }, { slack: 'U03CY', name: 'cy' }] }],
    pagerduty: { main: { routingKeyEnv: 'PD_KEY' } },
    opsgenie: { ops: { apiKeyEnv: 'OG_KEY' } },
    ...escalation,
  });
}

/** The standard three-step policy: channel + on-call at once, user group after 5 min, PagerDuty after 15 more. */
export const THREE_STEPS = {
  policies: [{
    id: 'prod',
    match: { services: ['prod/*'] },
    steps: [
      { waitMinutes: 0, notify: [{ channel: 'here' }, { oncall: 'primary' }] },
      { waitMinutes: 5, notify: [{ userGroup: 'S0ONCALL', name: 'oncall' }] },
      { waitMinutes: 15, notify: [{ pagerduty: 'main' }] },
    ],
  }],
};

export interface HarnessOptions {
  settings?: EscalationSettings;
  engine?: Partial<EscalationEngineDeps>;
}

/** Ingest, the in-memory incident store, and an escalation engine on manual timers and a fake clock. */
export function escalationHarness(options: HarnessOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 30));
  const store = new MemoryIncidentStore(clock);
  const ingest = createIngest({ store, settings: defaultTriageSettings, clock, newId: sequentialIds() });
  const settings = options.settings ?? settingsWith(THREE_STEPS);
  const timers = new ManualTimers();
  const chat = new RecordingChat(clock);
  const pd = new FakePager('pagerduty:main', 'PagerDuty main', clock);
  const og = new FakePager('opsgenie:ops', 'Opsgenie ops', clock);
  const metrics = new MetricsRegistry();
  const state = new MemoryEscalationStateStore();
  const claims = new MemoryClaimStore(clock);
  const deps: EscalationEngineDeps = {
    settings,
    incidents: store,
    state,
    claims,
    timers,
    chat,
    pagers: { [pd.key]: pd, [og.key]: og },
    clock,
    logger: silentLogger,
    metrics,
    ...options.engine,
  };
  const engine = new EscalationEngine(deps);
  const consumers: TimerConsumer[] = [engine];
  const handle = createTimerHandler(consumers, silentLogger);
  const start = clock.now();

  return {
    clock, store, settings, timers, chat, pd, og, metrics, state, claims, engine, deps, consumers, handle, start,
    /** Ingests an alert and hands the outcome to escalation, as the composition root does. */
    async alert(a: Alert) {
      const outcome = await ingest(a);
      await engine.onIngest(outcome);
      return outcome;
    },
    /** A person acts on an incident; escalation hears about it, as the incident builtins' onChange does. */
    async act(id: string, action: IncidentAction, by: Actor = { id: 'U01ANA', name: 'ana' }) {
      const result = await store.transition(id, action, by);
      if (result.ok) await engine.onTransition(result.incident);
      return result;
    },
    advance(ms: number, sweep = false) {
      return timers.advance(clock, ms, handle, sweep ? { sweepEveryMs: settings.sweepSeconds * 1000, sweep: () => engine.sweep() } : {});
    },
    /** Minutes since the harness started, for readable assertions. */
    minutes(at: number) {
      return (at - start) / MINUTE;
    },
    /** Escalation lines on an incident's timeline. */
    async escalationTimeline(id: string) {
      return ((await store.get(id, { timelineLimit: 200 }))?.timeline ?? []).filter((e) => e.text.startsWith('Escalation')).map((e) => e.text);
    },
  };
}
