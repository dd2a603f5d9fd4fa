/**
 * Making untrusted text safe for Slack. Everything in a neutral `Message` is plain text and may
 * come from an alert, an AWS error or a user, so before it reaches a Block Kit text object it is
 *
 * 1. cleaned: control characters become U+FFFD, and bidi embeddings/overrides/isolates
 *    (U+202A–U+202E, U+2066–U+2069, the "Trojan Source" set) become a visible `[U+202E]` so a
 *    name can never display reversed;
 * 2. escaped: `&`, `<`, `>` become entities, so `<!channel>`, `<@U123>` and `<https://x|y>` are
 *    shown as typed and never become a broadcast, a mention or a disguised link;
 * 3. fitted: cut to the field's limit with a visible "… (truncated, N more chars)".
 *
 * Formatting characters (`*`, `_`, `~`, backticks) are left alone in prose: they can change
 * emphasis but cannot create a mention or a link, since those need `<` … `>`. Where they *would*
 * break our own markup (a bold label, a code fence, an inline code span) the helpers below
 * neutralise them. Text objects are also sent with `verbatim: true`, so Slack does not
 * auto-link bare `@here` or `#channel`.
 */

// Bidi marks (U+200E/U+200F/U+061C) are kept: Arabic and Hebrew text legitimately uses them and
// they cannot reverse a run of text the way embeddings and overrides can.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Replaces control and bidi-override characters; normalises line endings. */
export function cleanText(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_CHARS, '\uFFFD')
    .replace(BIDI_CONTROLS, (ch) => `[U+${ch.charCodeAt(0).toString(16).toUpperCase()}]`);
}

/** Escapes Slack's three control characters. Input must already be cleaned. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The visible marker appended to anything cut to fit. */
export function truncationNotice(moreChars: number): string {
  return `… (truncated, ${moreChars} more chars)`;
}

/** How {@link fitEscaped} marks a cut. */
export interface FitOptions {
  /** Put the notice on its own line (sections, code) rather than after a space (labels). */
  multiline?: boolean;
}

/**
 * Cleans, escapes and fits `raw` into `limit` characters (UTF-16 units, which is never fewer
 * than what Slack counts). Cuts on code-point boundaries and never inside an entity, so the
 * result is always valid; the notice counts the characters of the cleaned text left out.
 */
export function fitEscaped(raw: string, limit: number, options: FitOptions = {}): string {
  return fitPrepared(cleanText(raw), limit, options);
}

/** Like {@link fitEscaped} for text the caller has already cleaned (and maybe adjusted). */
export function fitPrepared(clean: string, limit: number, options: FitOptions = {}): string {
  const full = escapeMrkdwn(clean);
  if (full.length <= limit) return full;
  const separator = options.multiline ? '\n' : ' ';
  // Reserve room for the longest notice this text could need (its total length).
  const reserve = separator.length + truncationNotice(clean.length).length;
  const budget = Math.max(0, limit - reserve);
  let out = '';
  let consumed = 0;
  for (const ch of clean) {
    const escaped = escapeMrkdwn(ch);
    if (out.length + escaped.length > budget) break;
    out += escaped;
    consumed += ch.length;
  }
  const more = [...clean.slice(consumed)].length;
  const result = `${out}${out.length > 0 ? separator : ''}${truncationNotice(more)}`;
  // Only when `limit` is smaller than the notice itself; no Slack field is.
  return result.length <= limit ? result : result.slice(0, limit);
}

/**
 * Prepares text for a ``` code block: a run of three backticks inside it would close the fence
 * early, so a zero-width space is put between them (copy-paste stays almost exact).
 */
export function prepareCode(raw: string): string {
  return cleanText(raw).replace(/`{3,}/g, (run) => run.split('').join('\u200B'));
}

/**
 * Prepares text for an inline code span: any backtick would end the span, so backticks become
 * U+02CB (ˋ), which looks the same and cannot close it.
 */
export function prepareInlineCode(raw: string): string {
  return cleanText(raw).replace(/`/g, '\u02CB').replace(/\n/g, ' ');
}

/**
 * Prepares text for a `*bold*` span: an asterisk inside would end the bold early, so it becomes
 * U+2217 (∗).
 */
export function prepareBold(raw: string): string {
  return cleanText(raw).replace(/\*/g, '\u2217').replace(/\n/g, ' ');
}
