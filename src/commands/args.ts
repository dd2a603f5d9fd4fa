import type { ArgSpec } from './definition.js';

/** Converts one raw word to its typed value, or returns a sentence saying what is wrong. */
export function coerceArg(name: string, spec: ArgSpec, raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  switch (spec.type) {
    case 'string':
      if (spec.pattern && !new RegExp(spec.pattern).test(raw)) return { ok: false, error: `"${raw}" is not a valid ${name} (${spec.description})` };
      return { ok: true, value: raw };
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) return { ok: false, error: `${name} must be a whole number, not "${raw}"` };
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) return { ok: false, error: `${name} must be at least ${spec.min}` };
      if (spec.max !== undefined && n > spec.max) return { ok: false, error: `${name} must be at most ${spec.max}` };
      return { ok: true, value: n };
    }
    case 'enum': {
      const value = spec.values.find((v) => v.toLowerCase() === raw.toLowerCase());
      return value ? { ok: true, value } : { ok: false, error: `${name} must be one of ${spec.values.join(', ')}` };
    }
    case 'duration':
      return parseDuration(raw) === undefined
        ? { ok: false, error: `${name} must be a duration such as 30m, 2h or 1d, not "${raw}"` }
        : { ok: true, value: raw.toLowerCase() };
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `2h`, `1d` → milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[(m[2] ?? '').toLowerCase()] ?? 0);
}
