/**
 * The `notifications:` section of `lifeboat.yaml`: where incident cards go, who is pinged, how
 * updates are coalesced, storm mode, the alert channels Lifeboat triages, and the read API token.
 * Pure: the schema validates YAML, {@link resolveNotificationsSettings} looks the API token up in
 * the environment it is given. docs/notifications.md lists every key.
 *
 * ```yaml
 * notifications:
 *   channel: C0ALERTS                     # incident cards (a channel id; the bot must be invited)
 *   routes:                               # first match wins; else `channel`
 *     - channel: C0PAYMENTS
 *       when: { service: [payments-api, payments-worker] }
 *   mentions:                             # only these ever ping anybody; alert text never can
 *     - mention: here
 *       when: { severity: [critical] }
 *     - mention: S0ONCALL                 # a user group id
 *       when: { class: [image-unavailable, image-pull-failed] }
 *   coalesce: { cardSeconds: 5, threadSeconds: 30, threadLines: 10 }
 *   storm: { updateSeconds: 15, quietSeconds: 120 }
 *   alertChannels:
 *     - channel: C0ALERTS                 # read what AWS Chatbot, Grafana, Datadog … post here
 *   api:
 *     tokenEnv: LIFEBOAT_API_TOKEN
 * ```
 */
import { z } from 'zod';
import type { AlertTarget, IncidentClass, Severity } from '../intake/alert.js';
import { MIN_SECRET_LENGTH } from '../intake/settings.js';
import type { Incident } from './model.js';
import type { Mention } from './notifier-ports.js';

const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const satisfies readonly Severity[];
const CLASSES = [
  'image-unavailable',
  'image-pull-failed',
  'deployment-failed',
  'task-fails-to-start',
  'queue-backlog',
  'monitoring-blind',
  'other',
] as const satisfies readonly IncidentClass[];

/** The alert senders channel triage recognises (see `channel-triage.ts`). */
export const CHANNEL_SENDERS = ['aws-chatbot', 'grafana', 'alertmanager', 'datadog', 'webhook'] as const;
export type ChannelSender = (typeof CHANNEL_SENDERS)[number];

/** Slack ids (`C0ALERTS`, `G…` private) or, for the terminal, a plain name. */
const channel = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'must be a channel id such as C0123ABCD (Slack: right-click the channel → Copy link; the id is the last part)');

const name = z.string().trim().min(1).max(200);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as LIFEBOAT_API_TOKEN');

/**
 * Who a rule pings: `here`, `channel`, a user group id (`S0123ABCD`) or a user id (`U0123ABCD`).
 * Ids, not handles: a handle can be renamed or re-created, an id cannot.
 */
const mention = z
  .string()
  .trim()
  .transform((value, ctx): Mention => {
    if (value === 'here' || value === '@here') return { type: 'here' };
    if (value === 'channel' || value === '@channel') return { type: 'channel' };
    if (/^S[A-Z0-9]{2,20}$/.test(value)) return { type: 'usergroup', id: value };
    if (/^[UW][A-Z0-9]{2,20}$/.test(value)) return { type: 'user', id: value };
    ctx.addIssue({ code: 'custom', message: 'must be here, channel, a user group id (S0123ABCD) or a user id (U0123ABCD)' });
    return z.NEVER;
  });

/** Which incidents a rule applies to: every listed field must match (lists are "any of"). Empty matches all. */
const matcher = z
  .strictObject({
    severity: z.array(z.enum(SEVERITIES)).min(1).optional(),
    class: z.array(z.enum(CLASSES)).min(1).optional(),
    service: z.array(name).min(1).optional(),
    cluster: z.array(name).min(1).optional(),
    queue: z.array(name).min(1).optional(),
    account: z.array(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id')).min(1).optional(),
    region: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')).min(1).optional(),
  })
  .prefault({});

export type IncidentMatcher = z.output<typeof matcher>;

const seconds = (min: number, max: number, fallback: number) => z.number().min(min).max(max).default(fallback);

export const notificationsSettingsSchema = z.strictObject({
  /**
   * The alert channel: one card per incident is posted here. Unset: no cards are posted (the
   * notifier still stores alerts and the terminal and API still show incidents).
   */
  channel: channel.optional(),
  /** Other channels for some incidents; the first route whose `when` matches wins. */
  routes: z.array(z.strictObject({ channel, when: matcher })).max(50).default([]),
  /**
   * Who is pinged, and when: `new` (a card is posted), `renotify` (an incident needs attention
   * again: reopened, or a stale incident continued), `storm` (the storm summary card). The first
   * rule that matches an incident decides; without a match nobody is pinged.
   */
  mentions: z
    .array(
      z.strictObject({
        mention: z.union([mention.transform((m) => [m]), z.array(mention).min(1).max(5)]),
        when: matcher,
        on: z.array(z.enum(['new', 'renotify', 'storm'])).min(1).default(['new', 'renotify', 'storm']),
      }),
    )
    .max(20)
    .default([]),
  coalesce: z
    .strictObject({
      /** At most one update of a card per this many seconds (the last state is always delivered). */
      cardSeconds: seconds(1, 300, 5),
      /** At most one thread reply per card per this many seconds; arrivals in between are merged ("3 more alerts: …"). */
      threadSeconds: seconds(1, 3600, 30),
      /** Lines in one merged thread reply before "… and N more". */
      threadLines: z.number().int().min(1).max(40).default(10),
    })
    .prefault({}),
  storm: z
    .strictObject({
      /** Show one summary card while alerts exceed `triage.storm.alertsPerMinute`. false: keep per-incident cards. */
      summary: z.boolean().default(true),
      /** Where the summary card goes (default `channel`). */
      channel: channel.optional(),
      /** At most one summary update per this many seconds. */
      updateSeconds: seconds(5, 600, 15),
      /** The storm is over after this long without a storm-rate alert; cards then catch up. */
      quietSeconds: seconds(30, 3600, 120),
      /** Incidents listed on the summary card. */
      topIncidents: z.number().int().min(1).max(25).default(10),
    })
    .prefault({}),
  /**
   * Channels where other integrations post alerts (AWS Chatbot / Amazon Q, Grafana, Alertmanager,
   * Datadog, webhooks): their messages become alerts of source `slack-channel`, and repeats are
   * threaded under the incident's card. Needs the `channels:history` scope (docs/slack.md).
   */
  alertChannels: z
    .array(
      z.strictObject({
        channel,
        /** Which senders to read (default all); anything else posted there is left alone. */
        senders: z.array(z.enum(CHANNEL_SENDERS)).min(1).default([...CHANNEL_SENDERS]),
        /** Bot ids (`B0…`) never read, e.g. a deploy bot that posts in the same channel. */
        ignoreBots: z.array(z.string().regex(/^B[A-Z0-9]{2,20}$/, 'must be a bot id such as B0123ABCD')).max(50).default([]),
      }),
    )
    .max(20)
    .default([]),
  api: z
    .strictObject({
      /**
       * Environment variables holding bearer tokens for `GET /api/incidents` (several while
       * rotating). No token set: the read API is not mounted.
       */
      tokenEnv: z.union([envName.transform((n) => [n]), z.array(envName).min(1).max(5)]).default(['LIFEBOAT_API_TOKEN']),
    })
    .prefault({}),
});

export type NotificationsSettings = z.output<typeof notificationsSettingsSchema>;

export const defaultNotificationsSettings: NotificationsSettings = notificationsSettingsSchema.parse({});

export interface NotificationsProblem {
  where: string;
  message: string;
  critical: boolean;
}

/** The API tokens, looked up; problems name variables, never values. */
export function resolveNotificationsSettings(
  settings: NotificationsSettings,
  env: Readonly<Record<string, string | undefined>>,
): { apiTokens: string[]; problems: NotificationsProblem[]; warnings: string[] } {
  const problems: NotificationsProblem[] = [];
  const apiTokens: string[] = [];
  for (const name of settings.api.tokenEnv) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (/\s/.test(value)) {
      problems.push({ where: name, message: 'contains whitespace; a token must be one word (check for a trailing newline)', critical: true });
    } else if (value.length < MIN_SECRET_LENGTH) {
      problems.push({ where: name, message: `is shorter than ${MIN_SECRET_LENGTH} characters; use a long random value (openssl rand -hex 32)`, critical: true });
    } else {
      apiTokens.push(value);
    }
  }
  const warnings: string[] = [];
  if (!settings.channel) warnings.push('notifications.channel is not set: incident cards are not posted anywhere (incidents are still stored; see `incidents`).');
  if (apiTokens.length === 0) warnings.push(`GET /api/incidents is not mounted: no API token is set (set ${settings.api.tokenEnv.join(' or ')}).`);
  return { apiTokens, problems, warnings };
}

/** True when an incident matches every field the matcher lists. */
export function matchesIncident(when: IncidentMatcher, incident: Pick<Incident, 'severity' | 'class' | 'target'>): boolean {
  const target: AlertTarget = incident.target;
  const has = (list: readonly string[] | undefined, value: string | undefined): boolean => list === undefined || (value !== undefined && list.includes(value));
  return (
    has(when.severity, incident.severity) &&
    has(when.class, incident.class) &&
    has(when.service, target.service) &&
    has(when.cluster, target.cluster) &&
    has(when.queue, target.queue) &&
    has(when.account, target.account) &&
    has(when.region, target.region)
  );
}

/** The channel an incident's card goes to: the first matching route, else `channel`. */
export function channelFor(settings: NotificationsSettings, incident: Pick<Incident, 'severity' | 'class' | 'target'>): string | undefined {
  return settings.routes.find((r) => matchesIncident(r.when, incident))?.channel ?? settings.channel;
}

/** Who to ping for an incident on an occasion: the first matching rule's mentions, else nobody. */
export function mentionsFor(settings: NotificationsSettings, incident: Pick<Incident, 'severity' | 'class' | 'target'>, on: 'new' | 'renotify' | 'storm'): Mention[] {
  const rule = settings.mentions.find((r) => r.on.includes(on) && matchesIncident(r.when, incident));
  return rule ? [...rule.mention] : [];
}
