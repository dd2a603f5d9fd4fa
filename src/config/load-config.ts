import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { resolveEscalationSecrets, type EscalationSettings, type PagingSecrets } from '../escalation/settings.js';
import { resolveRegistryCredentials, type AwsTarget, type ImagesSettings, type RegistriesSettings } from '../images/settings.js';
import { resolveNotificationsSettings, type NotificationsSettings } from '../incidents/notifier-settings.js';
import { resolveIntakeSettings, type ResolvedIntakeSettings } from '../intake/settings.js';
import type { RecoverySettings } from '../recovery/settings.js';
import type { TriageSettings } from '../triage/settings.js';
import { envSchema, fileSchema, type Grant } from './schema.js';

export interface ConfigProblem {
  /** The environment variable or the `lifeboat.yaml` path the problem is about. */
  where: string;
  message: string;
  critical: boolean;
}

/** The loaded, validated and frozen configuration. */
export interface Config {
  slack: {
    mode: 'socket' | 'http' | 'off';
    botToken?: string;
    appToken?: string;
    signingSecret?: string;
    slashCommand: string;
    apiUrl?: string;
  };
  redis: { url?: string; dataDir: string; prefix: string };
  http: { port: number; host: string; maxBodyBytes: number };
  confirmations: { ttlMs: number };
  jobs: { concurrency: number; progressIntervalMs: number };
  log: { level: string };
  aws: { region?: string; targets: readonly AwsTarget[] };
  registries: RegistriesSettings;
  images: ImagesSettings;
  recovery: RecoverySettings;
  triage: TriageSettings;
  notifications: NotificationsSettings;
  escalation: EscalationSettings;
  /** Paging service keys, looked up from the env vars the YAML names (never logged). */
  escalationSecrets: PagingSecrets;
  /** Bearer tokens for the read API (`/api/*`); empty: the API is not mounted. */
  apiTokens: readonly string[];
  access: {
    readOnlyForEveryone: boolean;
    operate: Grant;
    admin: Grant;
    commands: Record<string, Grant>;
    consoleRole: 'read' | 'operate' | 'admin';
  };
  /** Alert sources with their secrets looked up (never logged). */
  intake: ResolvedIntakeSettings;
  /** Where the optional YAML came from, for messages. */
  configFile: string;
}

export type LoadResult = { ok: true; config: Readonly<Config>; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] };

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment and the optional `lifeboat.yaml` text, reporting every problem at
 * once. Pure: the caller reads the file (see `readConfigFile`) and passes its text.
 */
export function loadConfig(env: Env, yamlText?: string): LoadResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  // Blank variables are treated as unset: `FOO=` in a .env file means "not configured".
  const cleanEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const envResult = envSchema.safeParse(cleanEnv);
  if (!envResult.success) problems.push(...issuesToProblems(envResult.error.issues, (path) => String(path[0] ?? 'environment')));

  const configFile = cleanEnv.LIFEBOAT_CONFIG ?? 'lifeboat.yaml';
  let fileValue: unknown = {};
  if (yamlText !== undefined) {
    try {
      fileValue = parseYaml(yamlText) ?? {};
    } catch (err) {
      const detail = err instanceof YAMLParseError ? `${err.message}` : String(err);
      problems.push({ where: configFile, message: `is not valid YAML: ${detail}`, critical: true });
    }
  }
  const fileResult = fileSchema.safeParse(fileValue);
  if (!fileResult.success) problems.push(...issuesToProblems(fileResult.error.issues, (path) => `${configFile}: ${path.join('.')}`));

  if (envResult.success) {
    const e = envResult.data;
    if (e.SLACK_APP_TOKEN && !e.SLACK_BOT_TOKEN) problems.push({ where: 'SLACK_BOT_TOKEN', message: 'is required when SLACK_APP_TOKEN is set (Socket Mode needs both)', critical: true });
    if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
      problems.push({ where: 'SLACK_SIGNING_SECRET', message: 'is required in HTTP mode (SLACK_BOT_TOKEN set, no SLACK_APP_TOKEN): unsigned requests would be accepted otherwise', critical: true });
    }
  }
  const intake = fileResult.success ? resolveIntakeSettings(fileResult.data.intake, cleanEnv, configFile) : undefined;
  for (const p of intake?.problems ?? []) (p.critical ? problems : warnings).push({ where: p.where, message: p.message, critical: p.critical });
  const notify = fileResult.success ? resolveNotificationsSettings(fileResult.data.notifications, cleanEnv) : undefined;
  for (const p of notify?.problems ?? []) (p.critical ? problems : warnings).push({ where: p.where, message: p.message, critical: p.critical });
  for (const w of notify?.warnings ?? []) warnings.push({ where: `${configFile}: notifications`, message: w, critical: false });
  const paging = fileResult.success ? resolveEscalationSecrets(fileResult.data.escalation, cleanEnv, configFile) : undefined;
  for (const p of paging?.problems ?? []) (p.critical ? problems : warnings).push({ where: p.where, message: p.message, critical: p.critical });
  const logins = fileResult.success ? resolveRegistryCredentials(fileResult.data.registries, cleanEnv, configFile) : undefined;
  for (const p of logins?.problems ?? []) (p.critical ? problems : warnings).push({ where: p.where, message: p.message, critical: p.critical });
  if (problems.length > 0 || !envResult.success || !fileResult.success || !intake || !notify || !paging) return { ok: false, problems };

  const e = envResult.data;
  const f = fileResult.data;
  const mode = e.SLACK_BOT_TOKEN ? (e.SLACK_APP_TOKEN ? 'socket' : 'http') : 'off';
  if (mode === 'off' && e.SLACK_SIGNING_SECRET) warnings.push({ where: 'SLACK_SIGNING_SECRET', message: 'is set but SLACK_BOT_TOKEN is not, so Slack stays off', critical: false });
  if (f.access.operate.users.length + f.access.operate.userGroups.length === 0 && mode !== 'off') {
    warnings.push({ where: `${configFile}: access.operate`, message: 'grants nobody: in Slack only read-only commands will run until you list users or user groups', critical: false });
  }

  const config: Config = {
    slack: { mode, botToken: e.SLACK_BOT_TOKEN, appToken: e.SLACK_APP_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, slashCommand: e.SLACK_SLASH_COMMAND, apiUrl: e.SLACK_API_URL },
    redis: { url: e.REDIS_URL, dataDir: e.LIFEBOAT_DATA_DIR, prefix: e.LIFEBOAT_REDIS_PREFIX },
    http: { port: e.LIFEBOAT_PORT, host: e.LIFEBOAT_HOST, maxBodyBytes: e.LIFEBOAT_MAX_BODY_BYTES },
    confirmations: { ttlMs: e.LIFEBOAT_CONFIRM_TTL_SECONDS * 1000 },
    jobs: { concurrency: e.LIFEBOAT_JOB_CONCURRENCY, progressIntervalMs: e.LIFEBOAT_PROGRESS_INTERVAL_MS },
    log: { level: e.LIFEBOAT_LOG_LEVEL },
    aws: { region: e.AWS_REGION, targets: f.aws.targets },
    registries: f.registries,
    images: f.images,
    recovery: f.recovery,
    triage: f.triage,
    notifications: f.notifications,
    escalation: f.escalation,
    escalationSecrets: paging.secrets,
    apiTokens: notify.apiTokens,
    access: f.access,
    intake: intake.settings,
    configFile,
  };
  return { ok: true, config: deepFreeze(config), warnings };
}

function issuesToProblems(issues: z.core.$ZodIssue[], where: (path: PropertyKey[]) => string): ConfigProblem[] {
  // Secrets never appear in messages: zod issues carry the rule, not the value.
  return issues.map((issue) => ({ where: where(issue.path), message: issue.message, critical: true }));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** One line per problem, for the terminal and `lifeboat check`. */
export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.critical ? 'error' : 'warning'}: ${p.where} ${p.message}`).join('\n');
}
