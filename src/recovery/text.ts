/** Small pure text helpers for recovery messages: durations, plurals, a backlog sparkline. */

/** `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `1 task`, `4 tasks`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A number with thousands separators: `7,770`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * A text sparkline of `values`, scaled from 0 to the largest value (so a draining backlog visibly
 * falls to the floor): `▇▇▅▃▂▁`. At most `width` values, the newest kept.
 */
export function sparkline(values: readonly number[], width = 30): string {
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  if (max === 0) return shown.map(() => BARS[0]).join('');
  return shown
    .map((v) => {
      const i = Math.min(BARS.length - 1, Math.max(0, Math.round((Math.max(0, v) / max) * (BARS.length - 1))));
      return BARS[i] ?? BARS[0];
    })
    .join('');
}

/** Cut text visibly so a section stays under Block Kit's 3,000 characters. */
export function clip(text: string, max = 2_800): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
