import { createHash, randomBytes } from 'node:crypto';

/** BullMQ key prefix. Use `{lifeboat}` on Redis Cluster so every job key shares one hash slot. */
export const DEFAULT_PREFIX = 'lifeboat';

/**
 * One queue for every job kind: one worker pool, one blocking connection per worker and one
 * place to count jobs. Kinds are the BullMQ job *name*; per-kind queues would only pay off with
 * per-kind concurrency or priorities, which no job needs yet.
 */
export const DEFAULT_QUEUE = 'lifeboat-jobs';

/** Where a job system puts its keys; dispatcher and worker must agree on both. */
export interface QueueLocation {
  prefix: string;
  queueName: string;
}

/**
 * Lifeboat's own per-job keys, next to BullMQ's (`<prefix>:<queue>:…`) so they share the
 * hash tag on Cluster. Job ids never contain `:`, so these cannot collide with BullMQ's keys.
 */
export function lifeboatKeys(location: QueueLocation): {
  state: (jobId: string) => string;
  cancel: (jobId: string) => string;
  cancelChannel: string;
} {
  const base = `${location.prefix}:${location.queueName}:lifeboat`;
  return {
    state: (jobId) => `${base}:state:${jobId}`,
    cancel: (jobId) => `${base}:cancel:${jobId}`,
    cancelChannel: `${base}:cancel`,
  };
}

const MAX_KEY_PART = 100;

/**
 * The readable, deterministic part of a job id: the dedup key made BullMQ-safe. BullMQ 5
 * rejects custom ids containing `:` (unless shaped like a legacy repeat key) and ids that are
 * integers, so `redeploy:prod/api` becomes `redeploy.prod/api`. Long keys are cut and suffixed
 * with a hash so ids stay short enough for Slack button values.
 */
export function jobIdStem(dedupKey: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = dedupKey.replace(/:/g, '.').replace(/[\s\u0000-\u001f#]/g, '_');
  if (safe.length <= MAX_KEY_PART) return safe;
  const hash = createHash('sha256').update(dedupKey).digest('hex').slice(0, 10);
  return `${safe.slice(0, MAX_KEY_PART)}~${hash}`;
}

/**
 * A job id for one run of `dedupKey`: `<stem>#<run>`. The run suffix (time + randomness) lets a
 * finished job's record stay in Redis for `status` without blocking the next run; "is one
 * already running?" is answered by BullMQ's deduplication key, not by the id.
 */
export function newJobId(dedupKey: string, now = Date.now()): string {
  return `${jobIdStem(dedupKey)}#${now.toString(36)}${randomBytes(2).toString('hex')}`;
}
