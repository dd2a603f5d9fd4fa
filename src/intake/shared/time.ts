import { IntakeError } from '../errors.js';

// Senders disagree on timestamp syntax: CloudWatch writes `2019-02-15T23:53:45.093+0000` (offset
// without colon), Alertmanager keeps nanoseconds (`...43.736928529Z`), ECR writes two fraction
// digits (`...02.74Z`). Normalise to what every JS engine parses the same way.
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Milliseconds since the epoch for an ISO-8601-ish timestamp or an epoch number (ms, or seconds
 * when small enough to be seconds). Throws a 400 naming the field when it cannot be read.
 */
export function parseTimestamp(value: unknown, field: string): number {
  const ms = tryParseTimestamp(value);
  if (ms === undefined) {
    throw new IntakeError('INVALID_PAYLOAD', `${field}: not a timestamp (${JSON.stringify(value)?.slice(0, 60)})`);
  }
  return ms;
}

/** Like `parseTimestamp` but `undefined` instead of an error. */
export function tryParseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Epoch seconds until the year 2286 are below 1e10; epoch ms since 1970-04 are above.
    return value < 1e10 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, date, time, fraction, zone] = m;
  const millis = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  let offset = (zone ?? 'Z').toUpperCase();
  if (offset !== 'Z') {
    const digits = offset.replace(':', '');
    offset = `${digits.slice(0, 3)}:${digits.length > 3 ? digits.slice(3) : '00'}`;
  }
  const seconds = time?.length === 5 ? `${time}:00` : time;
  const ms = Date.parse(`${date}T${seconds}.${millis}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Alertmanager's "no end yet" value (Go's zero time). */
export function isZeroTime(value: string | undefined): boolean {
  return value === undefined || value === '' || value.startsWith('0001-01-01');
}
