import { z } from 'zod';

/**
 * Settings of the recovery commands, as they appear under `recovery:` in `lifeboat.yaml`. The
 * composition root parses them with the rest of the config (`recoverySettingsSchema`) and hands
 * the result to `createRecoveryJobs`. Every field has a default except the per-queue rate and
 * ceiling, which cannot be guessed: `scale … for <queue>` names what is missing.
 *
 * ```yaml
 * recovery:
 *   rebuild:
 *     projects:
 *       web: { project: web-image }
 *       team/hooks-worker: { project: hooks-worker-image, platforms: [linux/amd64, linux/arm64] }
 *   scale:
 *     queues:
 *       hooks-queue: { perTaskRatePerMinute: 65, drainMinutes: 30, maxTasks: 8, scaleBackBelow: 100 }
 * ```
 */

const platform = z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'must be os/architecture[/variant], e.g. linux/amd64');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const repositoryName = z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,255}$/, 'must be an ECR repository name');
const queueName = z.string().regex(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, 'must be an SQS queue name');

/** How one ECR repository is rebuilt. */
export const rebuildProjectSchema = z
  .object({
    /** The CodeBuild project that builds and pushes this repository. */
    project: z.string().min(2).max(255),
    /** Platforms the build must produce (default: what the services running it need). */
    platforms: z.array(platform).min(1).optional(),
  })
  .strict();

export const rebuildSettingsSchema = z
  .object({
    /** Repository name → project. Without an entry, the project tagged `projectTagKey=<repository>` is used. */
    projects: z.record(repositoryName, rebuildProjectSchema).default({}),
    projectTagKey: z.string().min(1).max(128).default('lifeboat:repository'),
    /** Names of the environment variables the buildspec reads; null leaves one out. */
    env: z
      .object({
        tag: envName.default('IMAGE_TAG'),
        repository: envName.nullable().default('IMAGE_REPO_NAME'),
        platforms: envName.nullable().default('PLATFORMS'),
      })
      .strict()
      .default({ tag: 'IMAGE_TAG', repository: 'IMAGE_REPO_NAME', platforms: 'PLATFORMS' }),
    /** Platforms expected when nothing else says (no service, no config, no previous image). */
    defaultPlatforms: z.array(platform).min(1).default(['linux/amd64']),
    pollSeconds: z.number().int().min(1).max(300).default(15),
    timeoutMinutes: z.number().int().min(5).max(2160).default(60),
  })
  .strict();

export const redeploySettingsSchema = z
  .object({
    pollSeconds: z.number().int().min(1).max(300).default(15),
    /** How long a rollout may take before the job gives up watching (ECS keeps going). */
    timeoutMinutes: z.number().int().min(1).max(720).default(30),
  })
  .strict();

/** Per-queue scaling settings; every field may also come from `scale.defaults` (rate and ceiling have no built-in default). */
export const queueScalingSchema = z
  .object({
    /** Messages one task works off per minute. */
    perTaskRatePerMinute: z.number().positive(),
    /** Drain the backlog within this many minutes. */
    drainMinutes: z.number().positive(),
    /** Never more tasks than this. */
    maxTasks: z.number().int().min(1).max(1000),
    /**
     * Return to the original once fewer messages than this are left — visible plus in flight, so
     * tasks are not taken away while they still hold messages. 1 = when the queue is empty.
     */
    scaleBackBelow: z.number().int().min(1),
    /** Return to the original after this long, drained or not. */
    timeoutMinutes: z.number().int().min(1).max(24 * 60),
    pollSeconds: z.number().int().min(5).max(3600),
  })
  .strict();

export type QueueScaling = z.infer<typeof queueScalingSchema>;

/** Used for any per-queue field neither the queue nor `scale.defaults` sets. */
export const BUILTIN_QUEUE_DEFAULTS = { drainMinutes: 30, scaleBackBelow: 1, timeoutMinutes: 180, pollSeconds: 60 } as const;

export const scaleSettingsSchema = z
  .object({
    /** Fields every queue inherits (over `BUILTIN_QUEUE_DEFAULTS`). */
    defaults: queueScalingSchema.partial().default({}),
    queues: z.record(queueName, queueScalingSchema.partial()).default({}),
    /** `scale … to N` refuses more than this (a typo guard; the command itself allows 1000). */
    maxTasks: z.number().int().min(1).max(1000).default(50),
  })
  .strict();

const ecrLocationSchema = z
  .object({
    /** Another Region of the same registry (a replica), e.g. us-west-2. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/, 'must be a Region such as us-west-2'),
    /** Another account's registry (default: the image's own). */
    registryId: z.string().regex(/^[0-9]{12}$/, 'must be a 12-digit account id').optional(),
    /** Another repository (default: the same name). */
    repository: repositoryName.optional(),
  })
  .strict();

export const restoreSettingsSchema = z
  .object({
    /**
     * Where else to look for an exact digest besides the registry's own replication destinations
     * (`DescribeRegistry`): e.g. a disaster-recovery account that keeps every release.
     */
    sources: z.array(ecrLocationSchema).max(10).default([]),
    pollSeconds: z.number().int().min(1).max(300).default(30),
    /** How long an archive restore (ACTIVATING) may take before the job stops waiting (ECR keeps going). */
    timeoutMinutes: z.number().int().min(5).max(24 * 60).default(120),
  })
  .strict();

export const recoverySettingsSchema = z
  .object({
    rebuild: rebuildSettingsSchema.default(rebuildSettingsSchema.parse({})),
    redeploy: redeploySettingsSchema.default(redeploySettingsSchema.parse({})),
    restore: restoreSettingsSchema.default(restoreSettingsSchema.parse({})),
    scale: scaleSettingsSchema.default(scaleSettingsSchema.parse({})),
    /** The runbook offered when a service's image is gone (`runbooks/<id>.yaml`). */
    imageUnavailableRunbook: z.string().regex(/^[a-z][a-z0-9-]*$/).default('image-unavailable'),
  })
  .strict();

/** Parsed `recovery.restore` settings. */
export type RestoreSettings = z.infer<typeof restoreSettingsSchema>;

/** Parsed recovery settings. */
export type RecoverySettings = z.infer<typeof recoverySettingsSchema>;

/** The settings with every default: what `recovery:` absent from `lifeboat.yaml` means. */
export const DEFAULT_RECOVERY_SETTINGS: RecoverySettings = recoverySettingsSchema.parse({});

/** A queue's effective settings (`defaults` overlaid by the queue's own), or the names of what is missing. */
export function queueScaling(settings: RecoverySettings, queue: string): { ok: true; value: QueueScaling } | { ok: false; missing: string[] } {
  const merged = { ...BUILTIN_QUEUE_DEFAULTS, ...settings.scale.defaults, ...(settings.scale.queues[queue] ?? {}) };
  const parsed = queueScalingSchema.safeParse(merged);
  if (parsed.success) return { ok: true, value: parsed.data };
  const missing = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '?')))];
  return { ok: false, missing };
}
