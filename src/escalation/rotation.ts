/**
 * On-call rotations: who is on call at a moment, from a start time, a daily or weekly hand-over
 * and overrides. Hand-overs happen at the same *local* time in the rotation's time zone, so a
 * 09:00 Berlin hand-over stays at 09:00 across daylight-saving changes. Pure.
 */
import type { RotationPerson, RotationSettings } from './settings.js';

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time at instant `ms` in `timeZone`, as if that wall clock were UTC. */
export function wallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0) + (ms % 1000 + 1000) % 1000;
}

/** The instant at which the wall clock of `timeZone` shows `wall` (a skipped local time maps just after the gap). */
export function fromWallClock(wall: number, timeZone: string): number {
  const first = wall - (wallClock(wall, timeZone) - wall);
  const offset = wallClock(first, timeZone) - first;
  const second = wall - offset;
  return wallClock(second, timeZone) === wall ? second : Math.max(first, second);
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** `2026-01-05T09:00` (local in `timeZone`) or an ISO instant with Z/offset → ms since epoch; NaN when invalid. */
export function parseDateTime(text: string, timeZone: string): number {
  const m = LOCAL.exec(text);
  if (!m) return Date.parse(text);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return fromWallClock(wall, timeZone);
}

export interface OnCallShift {
  person: RotationPerson;
  /** When this person's turn began (the hand-over or the override start). */
  from: number;
  /** When the next person takes over. */
  until: number;
  /** Set when an override put them on call. */
  override?: { reason?: string };
}

interface Who {
  person: RotationPerson;
  override?: { reason?: string; from: number; until: number };
}

/** A rotation prepared for lookups: times parsed once. */
export class Rotation {
  readonly id: string;
  readonly label: string;
  private readonly startWall: number;
  private readonly periodMs: number;
  private readonly overrides: { person: RotationPerson; from: number; until: number; reason?: string }[];

  constructor(readonly settings: RotationSettings) {
    this.id = settings.id;
    this.label = settings.name ?? settings.id;
    const start = parseDateTime(settings.start, settings.timezone);
    this.startWall = wallClock(start, settings.timezone);
    this.periodMs = settings.handover === 'daily' ? DAY_MS : 7 * DAY_MS;
    this.overrides = settings.overrides.map((o) => ({
      person: { slack: o.slack, name: o.name },
      from: parseDateTime(o.from, settings.timezone),
      until: parseDateTime(o.until, settings.timezone),
      ...(o.reason ? { reason: o.reason } : {}),
    }));
  }

  /** The scheduled shift (overrides aside) containing `at`. */
  private baseShift(at: number): { index: number; from: number; until: number } {
    const tz = this.settings.timezone;
    const index = Math.floor((wallClock(at, tz) - this.startWall) / this.periodMs);
    return { index, from: fromWallClock(this.startWall + index * this.periodMs, tz), until: fromWallClock(this.startWall + (index + 1) * this.periodMs, tz) };
  }

  private who(at: number): Who {
    for (let i = this.overrides.length - 1; i >= 0; i--) {
      const o = this.overrides[i];
      if (o && o.from <= at && at < o.until) return { person: o.person, override: { from: o.from, until: o.until, ...(o.reason ? { reason: o.reason } : {}) } };
    }
    const { index } = this.baseShift(at);
    const n = this.settings.people.length;
    const person = this.settings.people[((index % n) + n) % n];
    if (!person) throw new Error(`rotation ${this.id} has no people`);
    return { person };
  }

  /** Who is on call at `at`, since when and until when. */
  at(at: number): OnCallShift {
    const current = this.who(at);
    const base = this.baseShift(at);
    const boundaries = [base.until, ...this.overrides.flatMap((o) => [o.from, o.until])].filter((b) => b > at).sort((a, b) => a - b);
    let until = base.until;
    for (const b of boundaries) {
      const next = this.who(b);
      if (!sameWho(next, current)) {
        until = b;
        break;
      }
      until = b;
    }
    // Since: the latest boundary at which the person on call changed to this one.
    const earlier = [base.from, ...this.overrides.flatMap((o) => [o.from, o.until])].filter((b) => b <= at).sort((a, b) => b - a);
    let from = earlier[0] ?? base.from;
    for (const b of earlier) {
      from = b;
      if (!sameWho(this.who(b - 1), current)) break;
    }
    return { person: current.person, from, until, ...(current.override ? { override: current.override.reason ? { reason: current.override.reason } : {} } : {}) };
  }

  /** Who is on call now, and who takes over next. */
  nowAndNext(now: number): { now: OnCallShift; next: OnCallShift } {
    const current = this.at(now);
    return { now: current, next: this.at(current.until) };
  }

  /** `weekly, hands over Mondays 09:00 Europe/Berlin`. */
  describe(): string {
    const s = this.settings;
    const time = /T(\d{2}:\d{2})/.exec(s.start)?.[1] ?? '00:00';
    if (s.handover === 'daily') return `daily, hands over at ${time} ${s.timezone}`;
    const day = new Date(this.startWall).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
    return `weekly, hands over ${day}s ${time} ${s.timezone}`;
  }
}

function sameWho(a: Who, b: Who): boolean {
  return a.person.slack === b.person.slack && a.override?.from === b.override?.from && a.override?.until === b.override?.until;
}

/** `ana` or the user id. */
export function personLabel(person: RotationPerson): string {
  return person.name ?? person.slack;
}
