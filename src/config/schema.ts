import { z } from 'zod';
import { escalationSettingsSchema } from '../escalation/settings.js';
import { awsSettingsSchema, imagesSettingsSchema, registriesSettingsSchema } from '../images/settings.js';
import { notificationsSettingsSchema } from '../incidents/notifier-settings.js';
import { intakeSettingsSchema } from '../intake/settings.js';
import { recoverySettingsSchema } from '../recovery/settings.js';
import { triageSettingsSchema } from '../triage/settings.js';

/**
 * The one configuration schema. Environment variables carry secrets and process settings;
 * `lifeboat.yaml` carries everything structured (who may run what, AWS targets, …).
 * Every setting and its default is listed in docs/configuration.md — keep them in step.
 */

const slackId = z.string().regex(/^[A-Z0-9]{2,}$/, 'must be a Slack id such as U012ABCDEF, S0123ABCD or C0123ABCD');

/** Who a grant lets in: any listed user or member of a listed group, in any listed channel (empty = any). */
export const grantSchema = z
  .object({
    users: z.array(slackId).default([]),
    userGroups: z.array(slackId).default([]),
    channels: z.array(slackId).default([]),
  })
  .strict();

export type Grant = z.infer<typeof grantSchema>;

export const accessSchema = z
  .object({
    /** Read-only commands (no side effects) are open to everyone unless this is false. */
    readOnlyForEveryone: z.boolean().default(true),
    /** Who may run commands whose definition says `permission: operate`. */
    operate: grantSchema.default({ users: [], userGroups: [], channels: [] }),
    /** Who may run `permission: admin` commands (audit log); admins may also operate. */
    admin: grantSchema.default({ users: [], userGroups: [], channels: [] }),
    /** Per-command grants that replace the role's grant for that command id. */
    commands: z.record(z.string(), grantSchema).default({}),
    /**
     * The terminal user is whoever has a shell on this machine — and its AWS credentials — so it
     * is trusted by default; set to `read` to rehearse permission refusals locally.
     */
    consoleRole: z.enum(['read', 'operate', 'admin']).default('admin'),
  })
  .strict();

export const fileSchema = z
  .object({
    access: accessSchema.default(accessSchema.parse({})),
    /** Alert sources (routes and the SQS poller); see docs/intake.md. */
    intake: intakeSettingsSchema.default(() => intakeSettingsSchema.parse({})),
    /** AWS accounts/regions to check and act in; see docs/images.md. Default: the current credentials. */
    aws: awsSettingsSchema.default(() => awsSettingsSchema.parse({})),
    /** Logins for non-ECR registries, by host, as environment variable names. */
    registries: registriesSettingsSchema,
    /** Image checks: lifecycle horizon, preview cross-check, retention warnings. */
    images: imagesSettingsSchema.default(() => imagesSettingsSchema.parse({})),
    /** Incident cards: the alert channel, mentions, coalescing, storm summary, channel triage, API tokens; see docs/notifications.md. */
    notifications: notificationsSettingsSchema.prefault({}),
    /** Escalation policies, rotations, paging services, heartbeats, synthetic checks; see docs/escalation.md. */
    escalation: escalationSettingsSchema.prefault({}),
    /** Grouping, dedup, flapping, the stale-incident rule, storm mode; see docs/incidents.md. */
    triage: triageSettingsSchema.prefault({}),
    /** Recovery commands: CodeBuild projects per repository, per-queue scaling; see docs/recovery.md. */
    recovery: recoverySettingsSchema.default(() => recoverySettingsSchema.parse({})),
  })
  .strict();

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-[A-Za-z0-9-]+$/, 'must be a bot token starting with xoxb-').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-[A-Za-z0-9-]+$/, 'must be an app-level token starting with xapp-').optional(),
  SLACK_SIGNING_SECRET: z.string().regex(/^[a-f0-9]{32}$/, 'must be the 32-character hex signing secret from the app\'s Basic Information page').optional(),
  SLACK_SLASH_COMMAND: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must look like /lifeboat').default('/lifeboat'),
  SLACK_API_URL: z.url().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  LIFEBOAT_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9{}_.-]{1,64}$/, 'letters, digits, braces (a Redis Cluster hash tag), _ . - only').default('lifeboat'),
  LIFEBOAT_DATA_DIR: z.string().min(1).default('.lifeboat'),
  LIFEBOAT_PORT: port.default(3000),
  LIFEBOAT_HOST: z.string().min(1).default('0.0.0.0'),
  LIFEBOAT_MAX_BODY_BYTES: positiveInt.default(256 * 1024),
  LIFEBOAT_CONFIRM_TTL_SECONDS: positiveInt.default(300),
  LIFEBOAT_JOB_CONCURRENCY: positiveInt.default(4),
  LIFEBOAT_PROGRESS_INTERVAL_MS: positiveInt.default(2000),
  LIFEBOAT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LIFEBOAT_CONFIG: z.string().min(1).default('lifeboat.yaml'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
});
