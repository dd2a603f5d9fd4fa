/**
 * Splits command text into words. Quotes group words ("my service"); Slack's smart quotes count
 * as quotes because Slack clients substitute them as people type.
 */
export function tokenize(text: string): string[] {
  const normalised = text.replace(/[\u201C\u201D]/g, '"').replace(/[\u2018\u2019]/g, "'");
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of normalised.matchAll(pattern)) tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  return tokens;
}
