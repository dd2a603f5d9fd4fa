/** Upper bounds for sender text kept on an Alert; renderers truncate again for their surface. */
export const MAX_SUMMARY_CHARS = 500;
export const MAX_DESCRIPTION_CHARS = 4000;
export const MAX_LABEL_VALUE_CHARS = 500;

/**
 * Clips untrusted text so one oversized field cannot bloat storage; the ellipsis makes the cut
 * visible. Text is otherwise kept as sent (plain, unescaped): renderers escape it.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

/** Labels with clipped values and empty values dropped. */
export function cleanLabels(entries: Iterable<[string, string | undefined]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (value === undefined || value === '') continue;
    out[key] = clip(value, MAX_LABEL_VALUE_CHARS);
  }
  return out;
}
