/**
 * The `intake:` section of `lifeboat.yaml`: which alert sources are open and how each one proves
 * who it is. Pure: `intakeSettingsSchema` validates the YAML, `resolveIntakeSettings` looks the
 * secrets up in the environment it is given. Nothing here reads `process.env`.
 *
 * Secrets are never written in the YAML (it is usually committed, or a ConfigMap): the YAML names
 * the environment variables that hold them (`tokenEnv`, `secretEnv`). Each takes a list so a
 * secret can be rotated without downtime — set the new variable, add its name, move the sender
 * over, then remove the old one. Unset variables in the list are skipped; a source whose every
 * variable is unset has no secret and its route is **not mounted** (404) rather than left open.
 *
 * ```yaml
 * intake:
 *   sns:
 *     topicArns: [arn:aws:sns:eu-west-1:123456789012:lifeboat-alarms]
 *   eventbridge:
 *     header: x-lifeboat-token              # the connection's API key name
 *     tokenEnv: [LIFEBOAT_EVENTBRIDGE_TOKEN]
 *   alertmanager:
 *     tokenEnv: [LIFEBOAT_ALERTMANAGER_TOKEN, LIFEBOAT_ALERTMANAGER_TOKEN_NEXT]
 *   generic:
 *     secretEnv: [LIFEBOAT_GENERIC_SECRET]
 *   sqs:
 *     queueUrl: https://sqs.eu-west-1.amazonaws.com/123456789012/lifeboat-events
 * ```
 *
 * Every key, its default and its meaning is listed in docs/intake.md ("Configuration").
 */
import { z } from 'zod';

/** The default environment variables, so a source works with no YAML at all. */
export const DEFAULT_SECRET_ENV = {
  eventbridge: 'LIFEBOAT_EVENTBRIDGE_TOKEN',
  alertmanager: 'LIFEBOAT_ALERTMANAGER_TOKEN',
  generic: 'LIFEBOAT_GENERIC_SECRET',
} as const;

/** Shorter secrets are refused: a guessable token on a public endpoint is an open door. */
export const MIN_SECRET_LENGTH = 16;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as LIFEBOAT_ALERTMANAGER_TOKEN');
/** One name or a list of names (rotation); always a list after parsing. */
const envNames = (fallback: string) =>
  z
    .union([envName.transform((name) => [name]), z.array(envName).min(1, 'must name at least one environment variable').max(5)])
    .default([fallback]);

const topicArn = z.string().regex(/^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/, 'must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:lifeboat-alarms');

/** RFC 7230 token characters; header names are matched case-insensitively, so store lowercase. */
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be an HTTP header name such as x-lifeboat-token')
  .refine((name) => !['authorization', 'content-type', 'content-length', 'host', 'cookie'].includes(name.toLowerCase()), 'must be a header of its own, not a standard one')
  .transform((name) => name.toLowerCase());

export const snsSettingsSchema = z
  .object({
    /**
     * Topics whose messages are accepted and whose subscriptions Lifeboat confirms; compared
     * exactly. Empty (the default) means `POST /intake/sns` is not mounted.
     */
    topicArns: z.array(topicArn).max(100).default([]),
  })
  .strict();

export const eventBridgeSettingsSchema = z
  .object({
    /** The header the EventBridge connection sends (its `ApiKeyName`). */
    header: headerName.default('x-lifeboat-token'),
    /** Environment variables holding accepted tokens (several while rotating). */
    tokenEnv: envNames(DEFAULT_SECRET_ENV.eventbridge),
  })
  .strict();

export const alertmanagerSettingsSchema = z
  .object({
    /** Environment variables holding accepted bearer tokens (several while rotating). */
    tokenEnv: envNames(DEFAULT_SECRET_ENV.alertmanager),
  })
  .strict();

export const genericSettingsSchema = z
  .object({
    /** Environment variables holding accepted HMAC secrets (several while rotating). */
    secretEnv: envNames(DEFAULT_SECRET_ENV.generic),
    /** How far `X-Lifeboat-Timestamp` may be from Lifeboat's clock (replay window). */
    toleranceSeconds: z.number().int().min(30).max(900).default(300),
  })
  .strict();

const QUEUE_URL = /^https?:\/\/[^/\s]+\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)\/?$/;

export const sqsSettingsSchema = z
  .object({
    /** The queue EventBridge rules target. Unset (the default): no poller. */
    queueUrl: z
      .string()
      .regex(QUEUE_URL, 'must be a queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/lifeboat-events')
      .optional(),
    /** The queue's region; read from the URL when it is a standard SQS URL. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
    /** Long-poll wait (SQS maximum 20 s): fewer empty receives, alerts still arrive at once. */
    waitTimeSeconds: z.number().int().min(1).max(20).default(20),
    /** Messages per receive (SQS maximum 10). */
    maxMessages: z.number().int().min(1).max(10).default(10),
    /**
     * How long a received message stays hidden. It must cover storing the batch; when storage
     * fails the message reappears after this long and is retried.
     */
    visibilityTimeoutSeconds: z.number().int().min(10).max(43_200).default(60),
    /**
     * A message that can never become an alert (not JSON, not an EventBridge event, a field
     * wrong): `delete` it and count it (default), or `leave` it for the queue's redrive policy to
     * move to a dead-letter queue after `maxReceiveCount` receives.
     */
    onRefused: z.enum(['delete', 'leave']).default('delete'),
  })
  .strict();

export const intakeSettingsSchema = z
  .object({
    sns: snsSettingsSchema.default(() => snsSettingsSchema.parse({})),
    eventbridge: eventBridgeSettingsSchema.default(() => eventBridgeSettingsSchema.parse({})),
    alertmanager: alertmanagerSettingsSchema.default(() => alertmanagerSettingsSchema.parse({})),
    generic: genericSettingsSchema.default(() => genericSettingsSchema.parse({})),
    sqs: sqsSettingsSchema.default(() => sqsSettingsSchema.parse({})),
  })
  .strict();

/** The `intake:` section as validated (secrets still named, not resolved). */
export type IntakeSettings = z.output<typeof intakeSettingsSchema>;

/** The secrets each source accepts, resolved from the environment. Empty = source closed. */
export interface IntakeSecrets {
  eventbridge: readonly string[];
  alertmanager: readonly string[];
  generic: readonly string[];
}

/** Settings with the secrets looked up: what the routes and the poller take. */
export interface ResolvedIntakeSettings {
  sns: { topicArns: readonly string[] };
  eventbridge: { header: string; tokens: readonly string[]; tokenEnv: readonly string[] };
  alertmanager: { tokens: readonly string[]; tokenEnv: readonly string[] };
  generic: { secrets: readonly string[]; secretEnv: readonly string[]; toleranceMs: number };
  sqs?: ResolvedSqsSettings;
}

export interface ResolvedSqsSettings {
  queueUrl: string;
  /** From the settings, else the queue URL, else undefined (use the process's AWS region). */
  region?: string;
  /** `arn:aws:sqs:<region>:<account>:<name>` when it can be derived (for IAM messages). */
  queueArn?: string;
  waitTimeSeconds: number;
  maxMessages: number;
  visibilityTimeoutSeconds: number;
  onRefused: 'delete' | 'leave';
}

/** Same shape as the config loader's problems, so they can be merged into its list. */
export interface IntakeSettingsProblem {
  where: string;
  message: string;
  critical: boolean;
}

/**
 * Looks up the named secrets in `env` and derives what the routes and the poller need. Problems
 * never contain a secret value — only the variable's name.
 *
 * `where` names the YAML path (`<configFile>: intake.alertmanager.tokenEnv`) or the variable.
 */
export function resolveIntakeSettings(
  settings: IntakeSettings,
  env: Readonly<Record<string, string | undefined>>,
  configFile = 'lifeboat.yaml',
): { settings: ResolvedIntakeSettings; problems: IntakeSettingsProblem[] } {
  const problems: IntakeSettingsProblem[] = [];
  const secretsOf = (names: readonly string[]): string[] => {
    const values: string[] = [];
    for (const name of names) {
      const value = env[name];
      if (value === undefined || value === '') continue;
      if (/\s/.test(value)) {
        problems.push({ where: name, message: 'contains whitespace; a token or secret must be one word (check for a trailing newline)', critical: true });
        continue;
      }
      if (value.length < MIN_SECRET_LENGTH) {
        problems.push({ where: name, message: `is shorter than ${MIN_SECRET_LENGTH} characters; use a long random value (openssl rand -hex 32)`, critical: true });
        continue;
      }
      values.push(value);
    }
    return values;
  };

  const resolved: ResolvedIntakeSettings = {
    sns: { topicArns: [...new Set(settings.sns.topicArns)] },
    eventbridge: { header: settings.eventbridge.header, tokens: secretsOf(settings.eventbridge.tokenEnv), tokenEnv: settings.eventbridge.tokenEnv },
    alertmanager: { tokens: secretsOf(settings.alertmanager.tokenEnv), tokenEnv: settings.alertmanager.tokenEnv },
    generic: { secrets: secretsOf(settings.generic.secretEnv), secretEnv: settings.generic.secretEnv, toleranceMs: settings.generic.toleranceSeconds * 1000 },
  };

  const sqs = settings.sqs;
  if (sqs.queueUrl) {
    const queue = describeQueueUrl(sqs.queueUrl);
    const region = sqs.region ?? queue.region;
    if (sqs.region && queue.region && sqs.region !== queue.region) {
      problems.push({ where: `${configFile}: intake.sqs.region`, message: `is ${sqs.region} but the queue URL is in ${queue.region}`, critical: true });
    }
    resolved.sqs = {
      queueUrl: sqs.queueUrl,
      ...(region ? { region } : {}),
      ...(region && queue.account && queue.name ? { queueArn: `arn:${queue.partition}:sqs:${region}:${queue.account}:${queue.name}` } : {}),
      waitTimeSeconds: sqs.waitTimeSeconds,
      maxMessages: sqs.maxMessages,
      visibilityTimeoutSeconds: sqs.visibilityTimeoutSeconds,
      onRefused: sqs.onRefused,
    };
  }
  return { settings: resolved, problems };
}

/** What a queue URL tells: account and name always, region and partition for AWS hosts. */
export function describeQueueUrl(url: string): { account?: string; name?: string; region?: string; partition: string } {
  const match = QUEUE_URL.exec(url);
  const host = /^https?:\/\/([^/]+)/.exec(url)?.[1] ?? '';
  // sqs.<region>.amazonaws.com[.cn], <region>.queue.amazonaws.com (legacy), and VPC endpoints
  // vpce-<id>.sqs.<region>.vpce.amazonaws.com.
  const region = /(?:^|\.)sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? /^([a-z]{2}(?:-[a-z]+)+-\d)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
  const partition = host.endsWith('.amazonaws.com.cn') ? 'aws-cn' : region?.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return {
    ...(match?.[1] ? { account: match[1] } : {}),
    ...(match?.[2] ? { name: match[2] } : {}),
    ...(region ? { region } : {}),
    partition,
  };
}
