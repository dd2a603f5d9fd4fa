/**
 * What a recovery command acts on, parsed from its arguments: `cluster/service`, or (for
 * `rebuild`) `repository:tag`. The command definitions already validate the patterns; these
 * parsers are the job's own guard, because job data can also come from runbooks and events.
 */
import { LifeboatError } from '../core/errors.js';

/** `cluster/service`. */
export interface ServiceTarget {
  cluster: string;
  service: string;
}

/** `repository:tag` in the default registry (the recovery account and Region). */
export interface ImageTarget {
  repository: string;
  tag: string;
}

const SERVICE = /^([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/;
const IMAGE = /^([a-z0-9][a-z0-9._/-]{0,255}):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/;

/** Parse `cluster/service`; `COMMAND_ARGS_INVALID` naming `what` otherwise. */
export function parseServiceTarget(text: string, what: string): ServiceTarget {
  const m = SERVICE.exec(text);
  if (!m?.[1] || !m[2]) throw new LifeboatError('COMMAND_ARGS_INVALID', `${what}: expected cluster/service, got "${text}".`);
  return { cluster: m[1], service: m[2] };
}

/** `rebuild`'s target: a service, or an image `repository:tag`. */
export function parseRebuildTarget(text: string): { kind: 'service'; target: ServiceTarget } | { kind: 'image'; target: ImageTarget } {
  const image = IMAGE.exec(text);
  if (image?.[1] && image[2]) return { kind: 'image', target: { repository: image[1], tag: image[2] } };
  if (SERVICE.test(text)) return { kind: 'service', target: parseServiceTarget(text, 'rebuild') };
  throw new LifeboatError('COMMAND_ARGS_INVALID', `rebuild: expected cluster/service or repository:tag, got "${text}".`);
}

/** `prod/api`. */
export function serviceLabel(target: ServiceTarget): string {
  return `${target.cluster}/${target.service}`;
}

/** Does this tag look like a git commit (7–40 hex characters)? */
export function looksLikeCommit(tag: string): boolean {
  return /^[0-9a-f]{7,40}$/.test(tag);
}
