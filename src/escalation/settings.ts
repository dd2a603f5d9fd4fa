/**
 * The `escalation:` section of lifeboat.yaml: policies, on-call rotations, paging integrations,
 * stuck-incident rules, heartbeats and synthetic checks. Pure: `escalationSettingsSchema`
 * validates the YAML (every cross-reference included, so `lifeboat check` lists each problem with
 * its path), `resolveEscalationSecrets` looks the paging secrets up in the environment it is
 * given. Nothing here reads `process.env`. docs/escalation.md explains every key.
 *
 * ```yaml
 * escalation:
 *   rotations:
 *     - id: primary
 *       handover: weekly
 *       start: '2026-01-05T09:00'          # local time of the first shift, in `timezone`
 *       timezone: Europe/Berlin
 *       people: [{ slack: U01ANA, name: ana }, { slack: U02BO, name: bo }]
 *   pagerduty:
 *     main: { routingKeyEnv: LIFEBOAT_PAGERDUTY_KEY }
 *   policies:
 *     - id: prod-critical
 *       match: { services: ['prod/*'], severities: [critical, high] }
 *       steps:
 *         - { waitMinutes: 0, notify: [{ channel: here }, { oncall: primary }] }
 *         - { waitMinutes: 10, notify: [{ pagerduty: main }] }
 *       repeat: 2
 * ```
 */
import { z } from 'zod';
import { INCIDENT_CLASSES_FOR_POLICIES, SEVERITIES } from './vocabulary.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a short id: lowercase letters, digits, - and _');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as LIFEBOAT_PAGERDUTY_KEY');
/** Slack user ids: U… (workspace) or W… (Enterprise Grid). */
const slackUser = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U01ABCDEF (profile → ⋯ → Copy member ID)');
const slackGroup = z.string().regex(/^S[A-Z0-9]{2,20}$/, 'must be a Slack user-group id such as S01ONCALL');
const minutes = z.number().min(0).max(7 * 24 * 60);
const httpUrl = z.string().url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');
/** `YYYY-MM-DDTHH:MM` (local, in the rotation's time zone) or a full ISO 8601 instant with Z/offset. */
const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be a date-time such as 2026-01-05T09:00 (local) or 2026-01-05T08:00Z');

/** Who a step notifies. Each entry names exactly one target. */
export type EscalationTarget =
  /** The incident's channel (where its card is): `quiet` posts there, `here`/`channel` also ping. */
  | { channel: 'quiet' | 'here' | 'channel' }
  /** A Slack user group, mentioned in the incident thread. */
  | { userGroup: string; name?: string }
  /** Slack users, each by direct message (and mentioned in the thread). */
  | { users: string[] }
  /** Whoever is on call in this rotation now, by direct message (and mentioned in the thread). */
  | { oncall: string }
  | { pagerduty: string }
  | { opsgenie: string }
  | { webhook: string };

const TARGET_KINDS = ['channel', 'userGroup', 'users', 'oncall', 'pagerduty', 'opsgenie', 'webhook'] as const;

/** One flat object with one key per kind, so a mistake gets a precise message rather than "invalid input". */
export const targetSchema = z
  .object({
    channel: z.enum(['quiet', 'here', 'channel']).optional(),
    userGroup: slackGroup.optional(),
    /** The user group's handle, for people (`oncall` for @oncall). */
    name: z.string().min(1).max(80).optional(),
    users: z.array(slackUser).min(1).max(20).optional(),
    oncall: id.optional(),
    pagerduty: id.optional(),
    opsgenie: id.optional(),
    webhook: id.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const kinds = TARGET_KINDS.filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: kinds.length === 0 ? `names no target; use one of ${TARGET_KINDS.join(', ')}` : `names ${kinds.join(' and ')}; one target per entry` });
    }
    if (t.name !== undefined && t.userGroup === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'goes with userGroup only' });
  })
  .transform((t): EscalationTarget => {
    if (t.channel !== undefined) return { channel: t.channel };
    if (t.userGroup !== undefined) return { userGroup: t.userGroup, ...(t.name !== undefined ? { name: t.name } : {}) };
    if (t.users !== undefined) return { users: t.users };
    if (t.oncall !== undefined) return { oncall: t.oncall };
    if (t.pagerduty !== undefined) return { pagerduty: t.pagerduty };
    if (t.opsgenie !== undefined) return { opsgenie: t.opsgenie };
    return { webhook: t.webhook ?? '' };
  });

export const stepSchema = z
  .object({
    /** Wait this long after the previous step (the first step: after the incident opened), then notify. */
    waitMinutes: minutes,
    notify: z.array(targetSchema).min(1).max(10),
  })
  .strict();
export type PolicyStep = z.output<typeof stepSchema>;

export const policyMatchSchema = z
  .object({
    /** `cluster/service` globs (`prod/*`, `*`/`api`); a bare name (`api`) matches the service in any cluster. */
    services: z.array(z.string().min(1).max(200)).max(100).optional(),
    /** SQS queue name globs (queue-backlog incidents). `services` and `queues` together: either may match. */
    queues: z.array(z.string().min(1).max(200)).max(100).optional(),
    classes: z.array(z.enum(INCIDENT_CLASSES_FOR_POLICIES)).min(1).optional(),
    severities: z.array(z.enum(SEVERITIES)).min(1).optional(),
  })
  .strict();
export type PolicyMatch = z.output<typeof policyMatchSchema>;

export const policySchema = z
  .object({
    id,
    description: z.string().max(200).optional(),
    /** Every listed criterion must hold; leave `match` out for a catch-all policy. Policies are tried in order. */
    match: policyMatchSchema.default({}),
    steps: z.array(stepSchema).min(1).max(20),
    /** How many times the steps run in all, unless someone acknowledges first. */
    repeat: z.number().int().min(1).max(20).default(1),
    /** Between two rounds: wait this long after the last step before the first step again. */
    repeatAfterMinutes: minutes.default(15),
    /** Overrides `stuck.ackedIdleMinutes` for this policy's incidents. */
    ackedIdleMinutes: z.number().positive().max(7 * 24 * 60).optional(),
  })
  .strict();
export type EscalationPolicy = z.output<typeof policySchema>;

const personSchema = z.union([
  slackUser.transform((slack) => ({ slack, name: undefined as string | undefined })),
  z.object({ slack: slackUser, name: z.string().min(1).max(80).optional() }).strict(),
]);
export type RotationPerson = z.output<typeof personSchema>;

export const rotationSchema = z
  .object({
    id,
    name: z.string().min(1).max(80).optional(),
    /** `daily`: a new person every day at the start time; `weekly`: every 7 days. */
    handover: z.enum(['daily', 'weekly']),
    /** When the first person's first shift starts; handovers repeat at the same local time. */
    start: dateTime,
    /** IANA time zone of `start`, the handovers and local override times. Default UTC. */
    timezone: z.string().default('UTC'),
    people: z.array(personSchema).min(1).max(100),
    /** Someone else on call for a while (a swap, sick leave); the last matching override wins. */
    overrides: z
      .array(z.object({ slack: slackUser, name: z.string().min(1).max(80).optional(), from: dateTime, until: dateTime, reason: z.string().max(200).optional() }).strict())
      .max(200)
      .default([]),
  })
  .strict();
export type RotationSettings = z.output<typeof rotationSchema>;

export const pagerDutySchema = z
  .object({
    /** Variable holding the Events API v2 integration (routing) key. */
    routingKeyEnv: envName,
    /** Default `https://events.pagerduty.com/v2/enqueue` (EU accounts use the same endpoint). */
    url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
  })
  .strict();

export const opsgenieSchema = z
  .object({
    /** Variable holding the API integration key (sent as `Authorization: GenieKey …`). */
    apiKeyEnv: envName,
    /**
     * Default `https://api.opsgenie.com/v2/alerts`; EU: `https://api.eu.opsgenie.com/v2/alerts`;
     * Jira Service Management: `https://api.atlassian.com/jsm/ops/integration/v2/alerts`.
     */
    url: httpUrl.default('https://api.opsgenie.com/v2/alerts'),
    /** Opsgenie responders (`{ type: team, name: platform }`); default: the integration's team. */
    responders: z.array(z.object({ type: z.enum(['team', 'user', 'escalation', 'schedule']), name: z.string().min(1).max(100) }).strict()).max(20).optional(),
  })
  .strict();

export const webhookSchema = z
  .object({
    url: httpUrl,
    /** Variable holding the HMAC-SHA256 secret the receiver checks (`X-Lifeboat-Signature`). */
    secretEnv: envName,
  })
  .strict();

/** How an alert is recognised as a heartbeat; at least one of `name`, `fingerprint`, `labels`. */
export const heartbeatMatchSchema = z
  .object({
    source: z.array(z.enum(['sns-cloudwatch', 'eventbridge', 'alertmanager', 'generic', 'sqs'])).min(1).optional(),
    /** Alert name glob: `Watchdog`, the alarm name, `Scheduled Event`. */
    name: z.string().min(1).max(200).optional(),
    fingerprint: z.string().min(1).max(300).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((m) => m.name !== undefined || m.fingerprint !== undefined || m.labels !== undefined, 'needs at least one of name, fingerprint or labels');

export const heartbeatSchema = z
  .object({
    id,
    /** How people call the source: "Alertmanager Watchdog". */
    name: z.string().min(1).max(80),
    match: heartbeatMatchSchema,
    /** The source is expected at least this often; silent for longer opens a `monitoring-blind` incident. */
    intervalMinutes: z.number().positive().max(7 * 24 * 60),
    /** Who fixes the sender when it goes quiet; shown in the incident and by `heartbeats`. */
    owner: z.string().max(120).optional(),
    severity: z.enum(SEVERITIES).default('high'),
    /** Also store the heartbeat alerts as incidents (off: a Watchdog is always firing by design). */
    ingest: z.boolean().default(false),
  })
  .strict();
export type HeartbeatSettings = z.output<typeof heartbeatSchema>;

export const syntheticSchema = z
  .object({
    id,
    name: z.string().min(1).max(80).optional(),
    url: httpUrl,
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    everySeconds: z.number().int().min(10).max(24 * 3600).default(60),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Accepted status codes; default any 2xx. */
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    /** The body must contain this text. */
    bodyContains: z.string().min(1).max(200).optional(),
    /** This many failures in a row open an incident; the next success resolves it. */
    failuresBeforeIncident: z.number().int().min(1).max(100).default(3),
    severity: z.enum(SEVERITIES).default('critical'),
    /** What the incident is about, so it joins the service's other alerts (`cluster`, `service`, `account`, `region`). */
    target: z.object({ account: z.string().optional(), region: z.string().optional(), cluster: z.string().optional(), service: z.string().optional() }).strict().default({}),
  })
  .strict();
export type SyntheticSettings = z.output<typeof syntheticSchema>;

export const escalationSettingsSchema = z
  .object({
    /** Off: no timers, no paging; the commands say escalation is off. */
    enabled: z.boolean().default(true),
    policies: z.array(policySchema).max(200).default([]),
    /** Used when no policy's `match` fits. Default: none (the card is the only notification). */
    defaultPolicy: id.optional(),
    rotations: z.array(rotationSchema).max(100).default([]),
    pagerduty: z.record(id, pagerDutySchema).default({}),
    opsgenie: z.record(id, opsgenieSchema).default({}),
    webhooks: z.record(id, webhookSchema).default({}),
    /** Outbound calls to paging services. */
    paging: z
      .object({
        /** Tries per call (the first included) before the step counts as failed and the next one starts. */
        attempts: z.number().int().min(1).max(10).default(4),
        /** First retry delay; doubles each time (with jitter); a `Retry-After` up to 30 s is honoured. */
        backoffMs: z.number().int().min(0).max(60_000).default(1000),
        timeoutMs: z.number().int().min(500).max(60_000).default(10_000),
      })
      .strict()
      .prefault({}),
    stuck: z
      .object({
        /** Acknowledged with no timeline activity this long → remind the acknowledger; as long again → continue the chain. */
        ackedIdleMinutes: z.number().positive().max(7 * 24 * 60).default(30),
        /** A runbook step waiting for approval this long is escalated. */
        approvalWaitMinutes: z.number().positive().max(24 * 60).default(15),
        /** Who an approval escalation notifies; default: the next step of the incident's policy. */
        approvalNotify: z.array(targetSchema).max(10).optional(),
        backlog: z
          .object({
            /** Watch a mitigated queue-backlog incident this long after mitigation before judging. */
            afterMinutes: z.number().positive().max(24 * 60).default(10),
            /** Still growing = the backlog is this many percent above what it was at mitigation, and rising. */
            growthPercent: z.number().min(0).max(10_000).default(20),
          })
          .strict()
          .prefault({}),
        /** Open incidents without a running escalation (opened while no Lifeboat ran) are adopted if younger than this. */
        adoptWithinMinutes: z.number().min(0).max(7 * 24 * 60).default(60),
      })
      .strict()
      .prefault({}),
    heartbeats: z.array(heartbeatSchema).max(200).default([]),
    synthetics: z.array(syntheticSchema).max(200).default([]),
    /** How often the stuck-incident sweep runs (once across all processes). */
    sweepSeconds: z.number().int().min(5).max(3600).default(60),
    /** How often heartbeats are checked (once across all processes). */
    heartbeatCheckSeconds: z.number().int().min(5).max(3600).default(30),
  })
  .strict()
  .superRefine((s, ctx) => {
    const duplicates = (ids: readonly string[], path: string): void => {
      const seen = new Set<string>();
      ids.forEach((value, i) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [path, i, 'id'], message: `duplicate id "${value}"` });
        seen.add(value);
      });
    };
    duplicates(s.policies.map((p) => p.id), 'policies');
    duplicates(s.rotations.map((r) => r.id), 'rotations');
    duplicates(s.heartbeats.map((h) => h.id), 'heartbeats');
    duplicates(s.synthetics.map((c) => c.id), 'synthetics');
    const rotations = new Set(s.rotations.map((r) => r.id));
    const checkTarget = (t: EscalationTarget, path: (string | number)[]): void => {
      const missing = (kind: string, name: string, known: readonly string[]): void => {
        ctx.addIssue({ code: 'custom', path, message: `no ${kind} named "${name}" (${known.length ? `known: ${known.join(', ')}` : `none is configured under escalation.${kind === 'rotation' ? 'rotations' : kind === 'webhook' ? 'webhooks' : kind}`})` });
      };
      if ('oncall' in t && !rotations.has(t.oncall)) missing('rotation', t.oncall, [...rotations]);
      if ('pagerduty' in t && !Object.hasOwn(s.pagerduty, t.pagerduty)) missing('pagerduty', t.pagerduty, Object.keys(s.pagerduty));
      if ('opsgenie' in t && !Object.hasOwn(s.opsgenie, t.opsgenie)) missing('opsgenie', t.opsgenie, Object.keys(s.opsgenie));
      if ('webhook' in t && !Object.hasOwn(s.webhooks, t.webhook)) missing('webhook', t.webhook, Object.keys(s.webhooks));
    };
    s.policies.forEach((p, pi) => {
      p.steps.forEach((step, si) => step.notify.forEach((t, ti) => checkTarget(t, ['policies', pi, 'steps', si, 'notify', ti])));
      if (p.repeat > 1 && p.repeatAfterMinutes === 0 && p.steps.every((st) => st.waitMinutes === 0)) {
        ctx.addIssue({ code: 'custom', path: ['policies', pi, 'repeatAfterMinutes'], message: 'must be more than 0 when every step waits 0 minutes, or all rounds would page at once' });
      }
    });
    s.stuck.approvalNotify?.forEach((t, ti) => checkTarget(t, ['stuck', 'approvalNotify', ti]));
    if (s.defaultPolicy !== undefined && !s.policies.some((p) => p.id === s.defaultPolicy)) {
      ctx.addIssue({ code: 'custom', path: ['defaultPolicy'], message: `no policy named "${s.defaultPolicy}"` });
    }
    const catchAll = s.policies.findIndex((p) => Object.values(p.match).every((v) => v === undefined));
    if (catchAll >= 0 && catchAll < s.policies.length - 1) {
      ctx.addIssue({ code: 'custom', path: ['policies', catchAll + 1, 'id'], message: `is never used: policy "${s.policies[catchAll]?.id ?? ''}" before it matches every incident` });
    }
    s.rotations.forEach((r, ri) => {
      if (!isTimeZone(r.timezone)) ctx.addIssue({ code: 'custom', path: ['rotations', ri, 'timezone'], message: `"${r.timezone}" is not an IANA time zone such as Europe/Berlin or UTC` });
      r.overrides.forEach((o, oi) => {
        if (o.from >= o.until && sameShape(o.from, o.until)) ctx.addIssue({ code: 'custom', path: ['rotations', ri, 'overrides', oi, 'until'], message: 'must be after from' });
      });
    });
  });

export type EscalationSettings = z.output<typeof escalationSettingsSchema>;

/** The defaults: escalation on, no policies (nothing is paged beyond the card). */
export const defaultEscalationSettings: EscalationSettings = escalationSettingsSchema.parse({});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Two date-times written the same way compare correctly as strings. */
function sameShape(a: string, b: string): boolean {
  return a.length === b.length && /Z|[+-]\d{2}:?\d{2}$/.test(a) === /Z|[+-]\d{2}:?\d{2}$/.test(b);
}

/** Paging secrets, looked up in the environment. */
export interface PagingSecrets {
  pagerduty: Record<string, string>;
  opsgenie: Record<string, string>;
  webhooks: Record<string, string>;
}

export interface EscalationSettingsProblem {
  where: string;
  message: string;
  critical: boolean;
}

/**
 * Reads the paging secrets the settings name from `env`. An integration whose variable is unset
 * is a critical problem when a policy uses it (its pages would fail at 3 a.m.), a warning otherwise.
 */
export function resolveEscalationSecrets(
  settings: EscalationSettings,
  env: Readonly<Record<string, string | undefined>>,
  configFile = 'lifeboat.yaml',
): { secrets: PagingSecrets; problems: EscalationSettingsProblem[] } {
  const problems: EscalationSettingsProblem[] = [];
  const used = new Set<string>();
  for (const p of settings.policies) for (const s of p.steps) for (const t of s.notify) used.add(targetKey(t));
  for (const t of settings.stuck.approvalNotify ?? []) used.add(targetKey(t));
  const secrets: PagingSecrets = { pagerduty: {}, opsgenie: {}, webhooks: {} };
  const look = (kind: 'pagerduty' | 'opsgenie' | 'webhook', name: string, variable: string, into: Record<string, string>): void => {
    const value = env[variable];
    if (value === undefined || value.trim() === '') {
      const critical = used.has(`${kind}:${name}`);
      problems.push({ where: variable, message: `is not set, so ${kind} "${name}" (${configFile}: escalation.${kind === 'webhook' ? 'webhooks' : kind}.${name}) cannot page${critical ? '' : ' (no policy uses it yet)'}`, critical });
      return;
    }
    if (/\s/.test(value.trim()) || value.trim() !== value) problems.push({ where: variable, message: 'contains whitespace; check for a trailing newline', critical: true });
    into[name] = value.trim();
  };
  for (const [name, pd] of Object.entries(settings.pagerduty)) look('pagerduty', name, pd.routingKeyEnv, secrets.pagerduty);
  for (const [name, og] of Object.entries(settings.opsgenie)) look('opsgenie', name, og.apiKeyEnv, secrets.opsgenie);
  for (const [name, wh] of Object.entries(settings.webhooks)) look('webhook', name, wh.secretEnv, secrets.webhooks);
  return { secrets, problems };
}

/** `pagerduty:main`, `oncall:primary`, `channel:here` … — how targets are named in state and metrics. */
export function targetKey(t: EscalationTarget): string {
  if ('channel' in t) return `channel:${t.channel}`;
  if ('userGroup' in t) return `userGroup:${t.userGroup}`;
  if ('users' in t) return `users:${t.users.join(',')}`;
  if ('oncall' in t) return `oncall:${t.oncall}`;
  if ('pagerduty' in t) return `pagerduty:${t.pagerduty}`;
  if ('opsgenie' in t) return `opsgenie:${t.opsgenie}`;
  return `webhook:${t.webhook}`;
}
