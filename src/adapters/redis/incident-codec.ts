import type { AlertSource, AlertTarget, IncidentClass, PullFailureClass, Severity } from '../../intake/alert.js';
import type { Incident, IncidentAlert, IncidentState, Resolution, TimelineEntry, TimelineKind } from '../../incidents/model.js';

/**
 * How incidents, alert records and timeline entries look in Redis. Incidents are flat hashes
 * with short field names (readable in `redis-cli HGETALL`, and diffable so an update writes only
 * what changed); alert records are JSON arrays — about half the bytes of an object with keys,
 * which is what keeps an open alert under 1 KB; timeline entries are small JSON objects.
 */
export type FlatHash = Record<string, string>;

/** Fields the scripts maintain themselves; plans never write them. */
const SCRIPT_FIELDS = new Set(['tlDropped']);

/** The incident as hash fields. `v` (version) and `tlDropped` are left to the store and its scripts. */
export function encodeIncident(incident: Incident): FlatHash {
  const h: FlatHash = {
    id: incident.id,
    gk: incident.groupKey,
    cls: incident.class,
    sev: incident.severity,
    st: incident.state,
    title: incident.title,
    sum: incident.summary,
    tgt: JSON.stringify(incident.target),
    cAl: String(incident.counts.alerts),
    cFi: String(incident.counts.firing),
    cRe: String(incident.counts.received),
    cDu: String(incident.counts.duplicates),
    cSc: String(incident.counts.stateChanges),
    crAt: String(incident.createdAt),
    opAt: String(incident.openedAt),
    upAt: String(incident.updatedAt),
    actAt: String(incident.lastActivityAt),
    alAt: String(incident.lastAlertAt),
    trunc: String(incident.truncatedAlerts),
    reop: String(incident.reopenCount),
  };
  const optional: [string, string | number | undefined][] = [
    ['pf', incident.pullFailure],
    ['flapU', incident.flappingUntil],
    ['ackBy', incident.acknowledgedBy],
    ['ackAt', incident.acknowledgedAt],
    ['mitBy', incident.mitigatedBy],
    ['mitAt', incident.mitigatedAt],
    ['resBy', incident.resolvedBy],
    ['resAt', incident.resolvedAt],
    ['res', incident.resolution],
    ['snz', incident.snoozedUntil],
    ['link', incident.linkedIncidentId],
    ['sup', incident.supersededBy],
  ];
  for (const [field, value] of optional) if (value !== undefined) h[field] = String(value);
  return h;
}

/** Rebuilds an incident from its hash; undefined when the hash is empty or not an incident. */
export function decodeIncident(h: FlatHash, now: number): Incident | undefined {
  if (!h.id || !h.st) return undefined;
  const num = (field: string): number => {
    const n = Number(h[field]);
    return Number.isFinite(n) ? n : 0;
  };
  const opt = (field: string): number | undefined => (h[field] === undefined ? undefined : num(field));
  const incident: Incident = {
    id: h.id,
    version: num('v'),
    groupKey: h.gk ?? '',
    class: (h.cls ?? 'other') as IncidentClass,
    severity: (h.sev ?? 'warning') as Severity,
    state: h.st as IncidentState,
    title: h.title ?? h.id,
    summary: h.sum ?? '',
    target: parseTarget(h.tgt),
    counts: { alerts: num('cAl'), firing: num('cFi'), received: num('cRe'), duplicates: num('cDu'), stateChanges: num('cSc') },
    flapping: false,
    createdAt: num('crAt'),
    openedAt: num('opAt'),
    updatedAt: num('upAt'),
    lastActivityAt: num('actAt'),
    lastAlertAt: num('alAt'),
    truncatedAlerts: num('trunc'),
    reopenCount: num('reop'),
    timelineDropped: num('tlDropped'),
  };
  if (h.pf) incident.pullFailure = h.pf as PullFailureClass;
  const flapU = opt('flapU');
  if (flapU !== undefined) {
    incident.flappingUntil = flapU;
    incident.flapping = flapU > now;
  }
  if (h.ackBy !== undefined) incident.acknowledgedBy = h.ackBy;
  const ackAt = opt('ackAt');
  if (ackAt !== undefined) incident.acknowledgedAt = ackAt;
  if (h.mitBy !== undefined) incident.mitigatedBy = h.mitBy;
  const mitAt = opt('mitAt');
  if (mitAt !== undefined) incident.mitigatedAt = mitAt;
  if (h.resBy !== undefined) incident.resolvedBy = h.resBy;
  const resAt = opt('resAt');
  if (resAt !== undefined) incident.resolvedAt = resAt;
  if (h.res !== undefined) incident.resolution = h.res as Resolution;
  const snz = opt('snz');
  if (snz !== undefined) incident.snoozedUntil = snz;
  if (h.link !== undefined) incident.linkedIncidentId = h.link;
  if (h.sup !== undefined) incident.supersededBy = h.sup;
  return incident;
}

/** The fields to set and to delete to turn `before` into `after` (all of `after` when there is no before). */
export function diffHash(before: FlatHash | undefined, after: FlatHash): { set: FlatHash; del: string[] } {
  const set: FlatHash = {};
  for (const [field, value] of Object.entries(after)) if (before?.[field] !== value) set[field] = value;
  const del = before ? Object.keys(before).filter((field) => !(field in after) && !SCRIPT_FIELDS.has(field) && field !== 'v') : [];
  return { set, del };
}

/** ioredis answers HGETALL inside a script reply as a flat [field, value, …] list. */
export function hashFromFlat(flat: unknown): FlatHash {
  const h: FlatHash = {};
  if (!Array.isArray(flat)) return h;
  for (let i = 0; i + 1 < flat.length; i += 2) h[String(flat[i])] = String(flat[i + 1]);
  return h;
}

/**
 * An alert record as a JSON array. The status comes first on purpose: the stale-rule script
 * moves firing records by checking the first four characters (`["f"`) without decoding JSON.
 */
export function encodeAlert(a: IncidentAlert): string {
  const row: (string | number | number[])[] = [a.status === 'firing' ? 'f' : 'r', a.source, a.name, a.summary, a.severity, a.class, a.firstSeenAt, a.lastSeenAt, a.lastChangeAt, a.received, a.changes];
  if (a.pullFailure) row.push(a.pullFailure);
  return JSON.stringify(row);
}

export function decodeAlert(fingerprint: string, raw: string): IncidentAlert | undefined {
  let row: unknown;
  try {
    row = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(row) || row.length < 11) return undefined;
  const [status, source, name, summary, severity, cls, firstSeenAt, lastSeenAt, lastChangeAt, received, changes, pullFailure] = row as unknown[];
  const record: IncidentAlert = {
    fingerprint,
    status: status === 'f' ? 'firing' : 'resolved',
    source: String(source) as AlertSource,
    name: String(name),
    summary: String(summary),
    severity: String(severity) as Severity,
    class: String(cls) as IncidentClass,
    firstSeenAt: Number(firstSeenAt),
    lastSeenAt: Number(lastSeenAt),
    lastChangeAt: Number(lastChangeAt),
    received: Number(received),
    changes: Array.isArray(changes) ? changes.map(Number) : [],
  };
  if (typeof pullFailure === 'string') record.pullFailure = pullFailure as PullFailureClass;
  return record;
}

/** True when an encoded record is firing (the check the stale-rule script does in Lua). */
export function isFiringRecord(raw: string): boolean {
  return raw.startsWith('["f"');
}

export function encodeEntry(e: TimelineEntry): string {
  const o: Record<string, string | number> = { a: e.at, k: e.kind, t: e.text };
  if (e.by !== undefined) o.b = e.by;
  if (e.fingerprint !== undefined) o.f = e.fingerprint;
  return JSON.stringify(o);
}

export function decodeEntry(raw: string): TimelineEntry | undefined {
  try {
    const o = JSON.parse(raw) as { a?: unknown; k?: unknown; t?: unknown; b?: unknown; f?: unknown };
    if (typeof o.a !== 'number' || typeof o.k !== 'string' || typeof o.t !== 'string') return undefined;
    const e: TimelineEntry = { at: o.a, kind: o.k as TimelineKind, text: o.t };
    if (typeof o.b === 'string') e.by = o.b;
    if (typeof o.f === 'string') e.fingerprint = o.f;
    return e;
  } catch {
    return undefined;
  }
}

function parseTarget(raw: string | undefined): AlertTarget {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
