import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { LifeboatError } from '../../core/errors.js';
import type { Actor, Incident, IncidentAlert, IncidentDetails, TimelineEntry } from '../../incidents/model.js';
import type { AlertCommit, AlertCommitRequest, AlertPlan, AlertRate, GroupSnapshot, IncidentQuery, IncidentStore, IncidentWrite, NewTimelineEntry } from '../../incidents/ports.js';
import { planTransition, type IncidentAction, type TransitionResult } from '../../incidents/state-machine.js';
import type { TriageSettings } from '../../triage/settings.js';
import { decodeAlert, decodeEntry, decodeIncident, diffHash, encodeAlert, encodeEntry, encodeIncident, hashFromFlat, isFiringRecord, type FlatHash } from './incident-codec.js';
import { IncidentKeys } from './incident-keys.js';
import { APPEND_TIMELINE_LUA, COMMIT_ALERT_LUA, READ_INCIDENT_LUA, UPDATE_INCIDENT_LUA } from './incident-lua.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { LuaScript } from './lua-script.js';

export interface RedisIncidentStoreOptions {
  clock: Clock;
  /** Key prefix; becomes the Redis Cluster hash tag `{prefix}` unless it has one. Default `lifeboat:inc`. */
  prefix?: string;
  /** Storage limits (the `triage.retention` settings). */
  retention: TriageSettings['retention'];
  /** Compare-and-set attempts before an alert commit gives up (a retryable error). Default 20. */
  maxAttempts?: number;
  /** Groups whose last known state this process remembers (see the class comment). Default 10 000. */
  cacheSize?: number;
}

const RATE_KEY_TTL_MS = 3 * 60_000;
const MAX_LIST = 500;

/** What this process last knew about a group: enough to guess the next decision right. */
interface KnownGroup {
  /** '' = the group has no incident. */
  pointer: string;
  /** '0' = no incident hash. */
  version: string;
  incident?: Incident;
  /** The incident as stored, to send only changed fields. */
  hash?: FlatHash;
  /** Encoded records by fingerprint; '' = known absent. Fingerprints not in the map are guessed absent. */
  records: Map<string, string>;
}

interface EncodedWrite {
  id: string;
  h: string[];
  del: string[];
  a: string[];
  t: string[];
  carry?: string;
  st: string;
  cr: string;
  new: boolean;
}

/**
 * Incidents in Redis, atomic across every Lifeboat process.
 *
 * An alert commit is optimistic concurrency in one round trip: this process remembers the last
 * state it saw of each group (an LRU of {@link KnownGroup}), lets triage decide on it, and sends
 * the plan to a Lua script that applies it only if the group is still in that state — pointer,
 * incident version and the records the decision read. If another process got there first, the
 * script writes nothing and answers with the current state instead, and triage decides again:
 * two round trips, never a lost update. Within one process, alerts of one group are serialised
 * so they do not make each other retry. A new group is guessed empty, so opening an incident
 * is also one round trip, and two processes racing to open one produce one incident: the second
 * finds the pointer set and attaches.
 *
 * Needs a client without `keyPrefix`: the scripts build keys themselves.
 */
export class RedisIncidentStore implements IncidentStore {
  private readonly keys: IncidentKeys;
  private readonly clock: Clock;
  private readonly resolvedTtlMs: number;
  private readonly deliveryTtlMs: number;
  private readonly timelineMax: number;
  private readonly maxAttempts: number;
  private readonly cacheSize: number;
  private readonly known = new Map<string, KnownGroup>();
  private readonly serializer = new KeyedSerializer();
  private readonly commitScript = new LuaScript('incident-commit', COMMIT_ALERT_LUA);
  private readonly readScript = new LuaScript('incident-read', READ_INCIDENT_LUA);
  private readonly updateScript = new LuaScript('incident-update', UPDATE_INCIDENT_LUA);
  private readonly appendScript = new LuaScript('incident-append', APPEND_TIMELINE_LUA);

  constructor(
    private readonly redis: Redis,
    options: RedisIncidentStoreOptions,
  ) {
    if (redis.options.keyPrefix) {
      throw new LifeboatError('CONFIG_INVALID', 'The incident store needs a Redis client without keyPrefix: its scripts build their own keys under the store prefix.');
    }
    this.keys = new IncidentKeys(options.prefix ?? 'lifeboat:inc');
    this.clock = options.clock;
    this.resolvedTtlMs = Math.round(options.retention.resolvedDays * 86_400_000);
    this.deliveryTtlMs = Math.round(options.retention.deliveryIdHours * 3_600_000);
    this.timelineMax = options.retention.timelineEntries;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** The key prefix with its hash tag, e.g. `{lifeboat:inc}:` (for tests and tooling). */
  get keyBase(): string {
    return this.keys.base;
  }

  commitAlert<T>(request: AlertCommitRequest, decide: (snapshot: GroupSnapshot) => AlertPlan<T>): Promise<AlertCommit<T>> {
    return this.serializer.run(request.groupKey, () => this.commitSerially(request, decide));
  }

  private async commitSerially<T>(request: AlertCommitRequest, decide: (snapshot: GroupSnapshot) => AlertPlan<T>): Promise<AlertCommit<T>> {
    const { groupKey, fingerprints } = request;
    let group = this.remembered(groupKey) ?? { pointer: '', version: '0', records: new Map<string, string>() };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const now = this.clock.now();
      const expected = fingerprints.map((fp) => [fp, group.records.get(fp) ?? ''] as const);
      const plan = decide(this.snapshotOf(groupKey, group, expected));
      const writes = plan.writes.map((w) => this.encodeWrite(w, group));
      const minute = Math.floor(now / 60_000);
      const reply = await this.commitScript.run(
        this.redis,
        [this.keys.delivery(request.deliveryId), this.keys.pointer(groupKey), this.keys.rate(minute), this.keys.rate(minute - 1)],
        [
          this.keys.base,
          group.pointer,
          group.version,
          JSON.stringify(expected),
          JSON.stringify({ w: writes, ...(plan.pointer ? { p: plan.pointer } : {}), ...(plan.incidentId ? { d: plan.incidentId } : {}) }),
          this.deliveryTtlMs,
          this.resolvedTtlMs,
          this.timelineMax,
          RATE_KEY_TTL_MS,
          now,
        ],
      );
      const [status, ...rest] = asArray(reply);
      switch (status) {
        case 'dup': {
          const incident = decodeIncident(hashFromFlat(rest[1]), this.clock.now());
          return { status: 'duplicate-delivery', ...(incident ? { incident } : {}), rate: rateOf(rest[2], rest[3]) };
        }
        case 'conflict':
          group = this.learnConflict(groupKey, asString(rest[0]), hashFromFlat(rest[1]), fingerprints, asArray(rest[2]));
          continue;
        case 'taken':
          continue;
        case 'ok': {
          const incidents = this.learnCommit(groupKey, group, plan);
          return { status: 'committed', result: plan.result, incidents, rate: rateOf(rest[0], rest[1]) };
        }
        default:
          throw new LifeboatError('INTERNAL', 'The incident store got an answer it does not understand from Redis.', { cause: reply });
      }
    }
    throw new LifeboatError('REDIS_UNAVAILABLE', `Too many concurrent changes to incident group ${groupKey}; the alert was not stored. Its sender will retry.`);
  }

  private snapshotOf(groupKey: string, group: KnownGroup, expected: readonly (readonly [string, string])[]): GroupSnapshot {
    const alerts = new Map<string, IncidentAlert>();
    for (const [fp, raw] of expected) {
      const record = raw ? decodeAlert(fp, raw) : undefined;
      if (record) alerts.set(fp, record);
    }
    return { groupKey, alerts, ...(group.incident ? { current: group.incident } : {}) };
  }

  private encodeWrite(write: IncidentWrite, group: KnownGroup): EncodedWrite {
    const { incident } = write;
    if (!write.isNew && incident.id !== group.incident?.id) {
      throw new LifeboatError('INTERNAL', `An alert plan tried to change ${incident.id}, which is not the current incident of its group.`);
    }
    const after = encodeIncident(incident);
    after.v = write.isNew ? '1' : String(Number(group.version) + 1);
    const { set, del } = diffHash(write.isNew ? undefined : group.hash, after);
    const encoded: EncodedWrite = {
      id: incident.id,
      h: Object.entries(set).flat(),
      del,
      a: write.alerts.flatMap((a) => [a.fingerprint, encodeAlert(a)]),
      t: write.timeline.map(encodeEntry),
      st: incident.state,
      cr: String(incident.createdAt),
      new: write.isNew,
    };
    if (write.carryFiringAlertsFrom) encoded.carry = write.carryFiringAlertsFrom;
    return encoded;
  }

  /** Updates what this process knows after its plan was applied; returns the incidents as stored. */
  private learnCommit<T>(groupKey: string, group: KnownGroup, plan: AlertPlan<T>): Map<string, Incident> {
    const stored = new Map<string, Incident>();
    for (const write of plan.writes) {
      const version = write.isNew ? 1 : Number(group.version) + 1;
      stored.set(write.incident.id, { ...write.incident, version, timelineDropped: write.isNew ? 0 : (group.incident?.timelineDropped ?? 0) });
    }
    if (plan.writes.length === 0) return stored;
    const pointer = plan.pointer ?? group.pointer;
    const current = stored.get(pointer);
    if (!current) {
      this.known.delete(groupKey);
      return stored;
    }
    const records = new Map<string, string>();
    if (plan.pointer && plan.pointer !== group.pointer) {
      // The successor holds the carried firing records; keep those this process knows.
      const carried = plan.writes.find((w) => w.incident.id === pointer)?.carryFiringAlertsFrom;
      if (carried) for (const [fp, raw] of group.records) if (isFiringRecord(raw)) records.set(fp, raw);
    } else {
      for (const [fp, raw] of group.records) records.set(fp, raw);
    }
    for (const write of plan.writes) if (write.incident.id === pointer) for (const a of write.alerts) records.set(a.fingerprint, encodeAlert(a));
    const hash = encodeIncident(current);
    hash.v = String(current.version);
    this.remember(groupKey, { pointer, version: String(current.version), incident: current, hash, records });
    return stored;
  }

  private learnConflict(groupKey: string, pointer: string, hash: FlatHash, fingerprints: readonly string[], records: unknown[]): KnownGroup {
    const incident = decodeIncident(hash, this.clock.now());
    const known: KnownGroup = { pointer, version: incident ? (hash.v ?? '0') : '0', records: new Map() };
    if (incident) {
      known.incident = incident;
      known.hash = hash;
      fingerprints.forEach((fp, n) => known.records.set(fp, asString(records[n])));
    }
    this.remember(groupKey, known);
    return known;
  }

  private remembered(groupKey: string): KnownGroup | undefined {
    const group = this.known.get(groupKey);
    if (group) {
      // Refresh its place in the LRU order.
      this.known.delete(groupKey);
      this.known.set(groupKey, group);
    }
    return group;
  }

  private remember(groupKey: string, group: KnownGroup): void {
    this.known.delete(groupKey);
    this.known.set(groupKey, group);
    if (this.known.size > this.cacheSize) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }

  async get(id: string, options: { timelineLimit?: number } = {}): Promise<IncidentDetails | undefined> {
    const limit = Math.max(1, Math.min(options.timelineLimit ?? 50, this.timelineMax));
    const results = await this.redis.multi().hgetall(this.keys.incident(id)).hgetall(this.keys.alerts(id)).lrange(this.keys.timeline(id), -limit, -1).exec();
    const [incidentHash, alertHash, entries] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const incident = decodeIncident((incidentHash ?? {}) as FlatHash, this.clock.now());
    if (!incident) return undefined;
    const alerts = Object.entries((alertHash ?? {}) as FlatHash)
      .flatMap(([fp, raw]) => {
        const a = decodeAlert(fp, raw);
        return a ? [a] : [];
      })
      .sort((a, b) => a.firstSeenAt - b.firstSeenAt || a.fingerprint.localeCompare(b.fingerprint));
    const timeline = ((entries ?? []) as string[]).flatMap((raw) => {
      const e = decodeEntry(raw);
      return e ? [e] : [];
    });
    return { incident, alerts, timeline };
  }

  async list(query: IncidentQuery = {}): Promise<Incident[]> {
    const state = query.state ?? 'active';
    const limit = Math.max(1, Math.min(query.limit ?? 50, MAX_LIST));
    const fromOpen = state !== 'resolved' && state !== 'all';
    const index = fromOpen ? this.keys.open : this.keys.all;
    // A state filter inside an index reads past `limit`, up to MAX_LIST, and filters.
    const span = state === 'active' || state === 'all' ? limit : MAX_LIST;
    const ids = await this.redis.zrevrange(index, 0, span - 1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.incident(id));
    const results = (await pipeline.exec()) ?? [];
    const now = this.clock.now();
    const incidents: Incident[] = [];
    const expired: string[] = [];
    results.forEach(([err, value], n) => {
      if (err) throw err;
      const incident = decodeIncident(value as FlatHash, now);
      if (!incident) {
        const id = ids[n];
        if (id !== undefined) expired.push(id);
        return;
      }
      if (state === 'active' || state === 'all' || incident.state === state) incidents.push(incident);
    });
    // Resolved incidents expire by TTL; their index entries are pruned here, lazily.
    if (expired.length > 0) await this.redis.zrem(index, ...expired);
    return incidents.slice(0, limit);
  }

  listOpen(limit = 50): Promise<Incident[]> {
    return this.list({ state: 'active', limit });
  }

  async transition(id: string, action: IncidentAction, by: Actor): Promise<TransitionResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const [rawHash, rawPointer] = asArray(await this.readScript.run(this.redis, [this.keys.incident(id)], [this.keys.base, id]));
      const hash = hashFromFlat(rawHash);
      const now = this.clock.now();
      const incident = decodeIncident(hash, now);
      if (!incident) return { ok: false, refusal: { code: 'not-found', message: `There is no incident ${id} (resolved incidents are kept ${Math.round(this.resolvedTtlMs / 86_400_000)} days).` } };
      const pointer = typeof rawPointer === 'string' ? rawPointer : '';
      const planned = planTransition(incident, action, by, { now, ...(pointer ? { groupPointer: pointer } : {}) });
      if (!planned.ok) return planned;
      const after = encodeIncident(planned.incident);
      after.v = String(incident.version + 1);
      const { set, del } = diffHash(hash, after);
      const write: EncodedWrite = { id, h: Object.entries(set).flat(), del, a: [], t: [encodeEntry(planned.entry)], st: planned.incident.state, cr: String(incident.createdAt), new: false };
      const reopen = action.type === 'reopen';
      const [status] = asArray(
        await this.updateScript.run(this.redis, [this.keys.incident(id)], [this.keys.base, id, String(incident.version), reopen ? pointer : '*', JSON.stringify(write), this.resolvedTtlMs, this.timelineMax, reopen ? '1' : '0', now]),
      );
      if (status === 'missing') return { ok: false, refusal: { code: 'not-found', message: `There is no incident ${id}.` } };
      if (status !== 'ok') continue;
      const stored: Incident = { ...planned.incident, version: incident.version + 1 };
      this.learnTransition(stored, reopen);
      return { ok: true, incident: stored, entry: planned.entry };
    }
    return { ok: false, refusal: { code: 'conflict', message: `${id} is changing too fast right now; try again in a moment.` } };
  }

  /** Keeps this process's view of the group current after a transition (saves the next alert a retry). */
  private learnTransition(incident: Incident, becameCurrent: boolean): void {
    const group = this.known.get(incident.groupKey);
    if (!group || (group.pointer !== incident.id && !becameCurrent)) return;
    const hash = encodeIncident(incident);
    hash.v = String(incident.version);
    const records = group.pointer === incident.id ? group.records : new Map<string, string>();
    this.remember(incident.groupKey, { pointer: incident.id, version: hash.v, incident, hash, records });
  }

  async appendTimeline(id: string, entry: NewTimelineEntry): Promise<Incident | undefined> {
    const full: TimelineEntry = { ...entry, at: entry.at ?? this.clock.now() };
    const reply = await this.appendScript.run(this.redis, [this.keys.incident(id)], [this.keys.base, id, encodeEntry(full), full.at, this.timelineMax, this.resolvedTtlMs]);
    return decodeIncident(hashFromFlat(reply), this.clock.now());
  }
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function rateOf(thisMinute: unknown, lastMinute: unknown): AlertRate {
  return { thisMinute: Number(thisMinute) || 0, lastMinute: Number(lastMinute) || 0 };
}
