import type { Clock } from '../../../src/core/clock.js';
import type { Actor, Incident, IncidentAlert, IncidentDetails, TimelineEntry } from '../../../src/incidents/model.js';
import type { AlertCommit, AlertCommitRequest, AlertPlan, GroupSnapshot, IncidentQuery, IncidentStore, NewTimelineEntry } from '../../../src/incidents/ports.js';
import { planTransition, type IncidentAction, type TransitionResult } from '../../../src/incidents/state-machine.js';
import { isFlappingAt } from '../../../src/triage/flapping.js';

interface Stored {
  incident: Incident;
  alerts: Map<string, IncidentAlert>;
  timeline: TimelineEntry[];
}

/**
 * The incident store in memory, for unit tests: the same contract as `RedisIncidentStore`
 * (test/integration/incidents/store-contract.test.ts runs one suite against both), minus TTLs.
 * Single-threaded, so every commit sees the latest state and never conflicts.
 */
export class MemoryIncidentStore implements IncidentStore {
  readonly incidents = new Map<string, Stored>();
  readonly pointers = new Map<string, string>();
  readonly deliveries = new Map<string, string>();
  private readonly minutes = new Map<number, number>();
  /** How many times `decide` was called (the fake never needs a second call). */
  decisions = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timelineMax = 200,
  ) {}

  commitAlert<T>(request: AlertCommitRequest, decide: (snapshot: GroupSnapshot) => AlertPlan<T>): Promise<AlertCommit<T>> {
    const now = this.clock.now();
    const minute = Math.floor(now / 60_000);
    const rate = () => ({ thisMinute: this.minutes.get(minute) ?? 0, lastMinute: this.minutes.get(minute - 1) ?? 0 });
    const seen = this.deliveries.get(request.deliveryId);
    if (seen !== undefined) {
      const incident = this.incidents.get(seen)?.incident;
      return Promise.resolve({ status: 'duplicate-delivery', ...(incident ? { incident: this.read(incident) } : {}), rate: rate() });
    }
    const pointer = this.pointers.get(request.groupKey);
    const current = pointer ? this.incidents.get(pointer) : undefined;
    const alerts = new Map<string, IncidentAlert>();
    for (const fp of request.fingerprints) {
      const a = current?.alerts.get(fp);
      if (a) alerts.set(fp, structuredClone(a));
    }
    this.decisions += 1;
    const plan = decide({ groupKey: request.groupKey, alerts, ...(current ? { current: this.read(current.incident) } : {}) });
    const written = new Map<string, Incident>();
    for (const write of plan.writes) {
      const before = this.incidents.get(write.incident.id);
      if (write.isNew && before) throw new Error(`id ${write.incident.id} taken`);
      const stored: Stored = before ?? { incident: write.incident, alerts: new Map(), timeline: [] };
      const version = write.isNew ? 1 : stored.incident.version + 1;
      stored.incident = { ...structuredClone(write.incident), version, timelineDropped: stored.incident.timelineDropped };
      if (write.carryFiringAlertsFrom) {
        for (const [fp, a] of this.incidents.get(write.carryFiringAlertsFrom)?.alerts ?? []) if (a.status === 'firing') stored.alerts.set(fp, structuredClone(a));
      }
      for (const a of write.alerts) stored.alerts.set(a.fingerprint, structuredClone(a));
      this.append(stored, write.timeline);
      this.incidents.set(write.incident.id, stored);
      written.set(write.incident.id, this.read(stored.incident));
    }
    if (plan.pointer) this.pointers.set(request.groupKey, plan.pointer);
    if (plan.writes.length > 0) {
      this.deliveries.set(request.deliveryId, plan.incidentId ?? '');
      this.minutes.set(minute, (this.minutes.get(minute) ?? 0) + 1);
    }
    return Promise.resolve({ status: 'committed', result: plan.result, incidents: written, rate: rate() });
  }

  get(id: string, options: { timelineLimit?: number } = {}): Promise<IncidentDetails | undefined> {
    const stored = this.incidents.get(id);
    if (!stored) return Promise.resolve(undefined);
    const alerts = [...stored.alerts.values()].sort((a, b) => a.firstSeenAt - b.firstSeenAt || a.fingerprint.localeCompare(b.fingerprint));
    return Promise.resolve(structuredClone({ incident: this.read(stored.incident), alerts, timeline: stored.timeline.slice(-(options.timelineLimit ?? 50)) }));
  }

  list(query: IncidentQuery = {}): Promise<Incident[]> {
    const state = query.state ?? 'active';
    const all = [...this.incidents.values()].map((s) => this.read(s.incident)).sort((a, b) => b.createdAt - a.createdAt);
    const matching = all.filter((i) => (state === 'all' ? true : state === 'active' ? i.state !== 'resolved' : i.state === state));
    return Promise.resolve(matching.slice(0, Math.min(query.limit ?? 50, 500)));
  }

  listOpen(limit = 50): Promise<Incident[]> {
    return this.list({ state: 'active', limit });
  }

  transition(id: string, action: IncidentAction, by: Actor): Promise<TransitionResult> {
    const stored = this.incidents.get(id);
    if (!stored) return Promise.resolve({ ok: false, refusal: { code: 'not-found', message: `There is no incident ${id}.` } });
    const pointer = this.pointers.get(stored.incident.groupKey);
    const planned = planTransition(this.read(stored.incident), action, by, { now: this.clock.now(), ...(pointer ? { groupPointer: pointer } : {}) });
    if (!planned.ok) return Promise.resolve(planned);
    stored.incident = { ...planned.incident, version: stored.incident.version + 1 };
    this.append(stored, [planned.entry]);
    if (action.type === 'reopen') this.pointers.set(stored.incident.groupKey, id);
    return Promise.resolve({ ok: true, incident: this.read(stored.incident), entry: planned.entry });
  }

  appendTimeline(id: string, entry: NewTimelineEntry): Promise<Incident | undefined> {
    const stored = this.incidents.get(id);
    if (!stored) return Promise.resolve(undefined);
    const at = entry.at ?? this.clock.now();
    this.append(stored, [{ ...entry, at }]);
    stored.incident = { ...stored.incident, version: stored.incident.version + 1, lastActivityAt: Math.max(stored.incident.lastActivityAt, at), updatedAt: Math.max(stored.incident.updatedAt, at) };
    return Promise.resolve(this.read(stored.incident));
  }

  private append(stored: Stored, entries: readonly TimelineEntry[]): void {
    stored.timeline.push(...structuredClone(entries));
    const over = stored.timeline.length - this.timelineMax;
    if (over > 0) {
      stored.timeline.splice(0, over);
      stored.incident = { ...stored.incident, timelineDropped: stored.incident.timelineDropped + over };
    }
  }

  /** A copy as a reader sees it: `flapping` derived at read time, as the Redis store does. */
  private read(incident: Incident): Incident {
    return { ...structuredClone(incident), flapping: isFlappingAt(incident.flappingUntil, this.clock.now()) };
  }
}
