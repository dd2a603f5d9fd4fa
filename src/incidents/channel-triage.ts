/**
 * Alert-channel triage: what other integrations post in a configured alert channel (AWS Chatbot /
 * Amazon Q Developer, Grafana, Alertmanager's Slack receiver, Datadog, plain webhooks) becomes an
 * alert of source `slack-channel`, so a repeat of a known incident is threaded under its card
 * ("seen again (4×)") instead of being one more line nobody reads, and an unknown one opens an
 * incident with a card of its own.
 *
 * {@link triageChannelMessage} is pure: one Slack message (already reduced to
 * {@link ChannelMessage} by the Slack adapter) in, an alert or a reason to ignore it out.
 *
 * - Only messages integrations post: a `bot_id` (or subtype `bot_message`); people talking in the
 *   channel, thread replies, edits and deletions are ignored, and so is Lifeboat itself.
 * - **Fingerprint**: an AWS Chatbot CloudWatch alarm gets the alarm's own fingerprint
 *   (`cloudwatch-alarm:arn:…:alarm:<name>`), the one SNS/EventBridge intake gives the same alarm,
 *   so the chat copy of an alarm Lifeboat also receives directly counts as a repeat of it. Anything
 *   else: `slack-channel:<hash of the normalised title>` — status words (`[FIRING:3]`,
 *   `Triggered:`, `RESOLVED`), emoji, markup, numbers, timestamps and ids stripped, so "CPU 91% on
 *   i-0abc…" and "CPU 97% on i-0def…" are the same condition, and its resolve resolves it.
 * - `deliveryId` `slack:<channel>:<ts>`: Slack's event retries are stored once.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import type { Alert, AlertStatus, AlertTarget, IncidentClass, Severity } from '../intake/alert.js';
import type { AlertSink } from '../intake/sink.js';
import { ALERT_NAME_MAX, ALERT_SUMMARY_MAX, clipText } from './model.js';
import { CHANNEL_SENDERS, type ChannelSender, type NotificationsSettings } from './notifier-settings.js';

/** A legacy attachment, as integrations still mostly post them. */
export interface ChannelAttachment {
  title?: string;
  titleLink?: string;
  pretext?: string;
  text?: string;
  fallback?: string;
  color?: string;
  footer?: string;
  authorName?: string;
  fields?: readonly { title?: string; value?: string }[];
}

/** One message in a channel, as the Slack adapter hands it over (Events API `message`). */
export interface ChannelMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  subtype?: string;
  botId?: string;
  userId?: string;
  /** `username` or `bot_profile.name` ("aws", "Grafana", "Datadog"). */
  botName?: string;
  text: string;
  attachments: readonly ChannelAttachment[];
  /** Plain text of its blocks in order (header, section, context, rich text). */
  blockTexts: readonly string[];
}

export interface ChannelTriageOptions {
  receivedAt: number;
  senders?: readonly ChannelSender[];
  ignoreBots?: readonly string[];
  selfBotId?: string;
  selfUserId?: string;
}

export type ChannelTriageResult = { kind: 'alert'; alert: Alert; sender: ChannelSender } | { kind: 'ignore'; reason: string };

interface Reading {
  sender: ChannelSender;
  status: AlertStatus;
  severity: Severity;
  cls: IncidentClass;
  /** The condition's name, stable across repeats (volatile parts replaced). */
  name: string;
  fingerprint: string;
  target: AlertTarget;
}

const DESCRIPTION_MAX = 2000;

export function triageChannelMessage(message: ChannelMessage, options: ChannelTriageOptions): ChannelTriageResult {
  if (message.subtype !== undefined && message.subtype !== 'bot_message') return ignore(`subtype ${message.subtype} (edits, joins and deletions are not alerts)`);
  if (message.threadTs !== undefined && message.threadTs !== message.ts) return ignore('a thread reply');
  if (!message.botId && message.subtype !== 'bot_message') return ignore('posted by a person, not an integration');
  if ((options.selfBotId && message.botId === options.selfBotId) || (options.selfUserId && message.userId === options.selfUserId)) return ignore('Lifeboat itself');
  if (message.botId && options.ignoreBots?.includes(message.botId)) return ignore(`bot ${message.botId} is in ignoreBots`);

  const title = titleOf(message);
  if (!title) return ignore('no text');
  const body = bodyOf(message);
  const reading = readAwsChatbot(message, title, body) ?? readBracketed(message, title, body) ?? readDatadog(message, title, body) ?? readWebhook(title, body);
  if (!(options.senders ?? CHANNEL_SENDERS).includes(reading.sender)) return ignore(`sender ${reading.sender} is not read in this channel`);

  const summaryLine = plain(firstLine(body) || title);
  const alert: Alert = {
    source: 'slack-channel',
    deliveryId: `slack:${message.channel}:${message.ts}`,
    fingerprint: reading.fingerprint,
    name: clipText(reading.name, ALERT_NAME_MAX),
    status: reading.status,
    severity: reading.status === 'resolved' ? 'info' : reading.severity,
    class: reading.cls,
    summary: clipText(summaryLine, ALERT_SUMMARY_MAX),
    target: reading.target,
    occurredAt: tsToMs(message.ts) ?? options.receivedAt,
    labels: { slackChannel: message.channel, sender: reading.sender, ...(message.botId ? { botId: message.botId } : {}) },
  };
  const description = plain([title, body].filter(Boolean).join('\n'));
  if (description && description !== summaryLine) alert.description = clipText(description, DESCRIPTION_MAX);
  const link = message.attachments.find((a) => a.titleLink && /^https:\/\//.test(a.titleLink))?.titleLink;
  if (link) alert.links = [{ label: `Open in ${SENDER_LABELS[reading.sender]}`, url: link }];
  return { kind: 'alert', alert, sender: reading.sender };
}

const SENDER_LABELS: Record<ChannelSender, string> = {
  'aws-chatbot': 'AWS',
  grafana: 'Grafana',
  alertmanager: 'Alertmanager',
  datadog: 'Datadog',
  webhook: 'the sender',
};

function ignore(reason: string): ChannelTriageResult {
  return { kind: 'ignore', reason };
}

// --- senders ---------------------------------------------------------------------------------

/**
 * AWS Chatbot / Amazon Q Developer in chat applications: an attachment (or header block) titled
 * `:rotating_light: CloudWatch Alarm | <alarm name> | <region> | Account: <id>`, the state in
 * the text ("State changed to ALARM", or the emoji). Other AWS notifications ("ECS Task State
 * Change | us-east-1 | Account: …") keep the account and region.
 */
function readAwsChatbot(message: ChannelMessage, title: string, body: string): Reading | undefined {
  const cleaned = plain(title);
  const alarm = /CloudWatch Alarm\s*\|\s*(.+?)\s*\|\s*([a-z]{2}(?:-[a-z]+)+-\d)\s*\|\s*Account:\s*(\d{12})/i.exec(cleaned);
  const isAws = /\b(aws|chatbot|amazon q)\b/i.test(message.botName ?? '') || /\|\s*Account:\s*\d{12}/i.test(cleaned);
  if (!alarm && !isAws) return undefined;
  const all = `${title}\n${body}`;
  if (alarm) {
    const [, alarmName = '', region = '', account = ''] = alarm;
    const state = /\b(INSUFFICIENT_DATA|ALARM|OK)\b/.exec(stateText(all))?.[1] ?? (/:white_check_mark:|:large_green_circle:/.test(title) ? 'OK' : 'ALARM');
    return {
      sender: 'aws-chatbot',
      status: state === 'OK' ? 'resolved' : 'firing',
      severity: state === 'INSUFFICIENT_DATA' ? 'warning' : 'high',
      cls: state === 'INSUFFICIENT_DATA' ? 'monitoring-blind' : 'other',
      name: alarmName,
      fingerprint: `cloudwatch-alarm:arn:${partitionOf(region)}:cloudwatch:${region}:${account}:alarm:${alarmName}`,
      target: { account, region },
    };
  }
  const parts = cleaned.split('|').map((p) => p.trim());
  const account = /Account:\s*(\d{12})/i.exec(cleaned)?.[1];
  const region = parts.find((p) => /^[a-z]{2}(?:-[a-z]+)+-\d$/.test(p));
  const name = stableTitle(parts.filter((p) => !/^Account:/i.test(p) && p !== region).join(' | ') || cleaned);
  return {
    sender: 'aws-chatbot',
    status: resolvedWords(all) ? 'resolved' : 'firing',
    severity: severityWords(all) ?? 'high',
    cls: 'other',
    name,
    fingerprint: textFingerprint(name, account, region),
    target: { ...(account ? { account } : {}), ...(region ? { region } : {}) },
  };
}

/** Grafana and Alertmanager's Slack receivers: `[FIRING:3] HighLatency (api prod)` / `[RESOLVED] …`. */
function readBracketed(message: ChannelMessage, title: string, body: string): Reading | undefined {
  const m = /^\s*\[(FIRING|RESOLVED|ALERTING|OK|NO ?DATA|PENDING)(?::\s*\d+)?\]\s*(.+)$/i.exec(plain(title));
  if (!m) return undefined;
  const word = (m[1] ?? '').toUpperCase().replace(' ', '');
  const rest = m[2] ?? '';
  const grafana = /grafana/i.test(`${message.botName ?? ''} ${message.attachments.map((a) => a.footer ?? '').join(' ')}`) || word === 'ALERTING' || word === 'NODATA';
  const all = `${title}\n${body}`;
  const name = stableTitle(rest);
  const target = labelTarget(all);
  return {
    sender: grafana ? 'grafana' : 'alertmanager',
    status: word === 'RESOLVED' || word === 'OK' ? 'resolved' : 'firing',
    severity: severityWords(labelValue(all, 'severity') ?? '') ?? severityWords(all) ?? 'warning',
    cls: word === 'NODATA' ? 'monitoring-blind' : 'other',
    name,
    fingerprint: textFingerprint(name, target.account, target.region),
    target,
  };
}

const DATADOG_PREFIX = /^\s*(Triggered|Re-Triggered|Recovered(?: from (?:warn|no data))?|Warn|No Data|Renotify)\s*:\s*(.+)$/i;

/** Datadog monitors: `Triggered: [P1] High CPU on {service:api}` / `Recovered: …`. */
function readDatadog(message: ChannelMessage, title: string, body: string): Reading | undefined {
  const m = DATADOG_PREFIX.exec(plain(title));
  const isDatadog = /datadog/i.test(`${message.botName ?? ''} ${message.attachments.map((a) => a.footer ?? '').join(' ')}`);
  if (!m && !isDatadog) return undefined;
  const word = (m?.[1] ?? '').toLowerCase();
  const rest = m?.[2] ?? plain(title);
  const priority = /\[P([1-5])\]/i.exec(rest)?.[1];
  const all = `${title}\n${body}`;
  const name = stableTitle(rest.replace(/\[P[1-5]\]\s*/i, ''));
  const target = labelTarget(all);
  return {
    sender: 'datadog',
    status: word.startsWith('recovered') || (!m && resolvedWords(all)) ? 'resolved' : 'firing',
    severity: priority ? (['critical', 'high', 'warning', 'info', 'info'] as const)[Number(priority) - 1] ?? 'high' : word === 'warn' ? 'warning' : 'high',
    cls: word === 'no data' ? 'monitoring-blind' : 'other',
    name,
    fingerprint: textFingerprint(name, target.account, target.region),
    target,
  };
}

/** Anything else an integration posts: a status word up front, a severity word anywhere. */
function readWebhook(title: string, body: string): Reading {
  const name = stableTitle(title);
  const all = `${title}\n${body}`;
  const target = labelTarget(all);
  return {
    sender: 'webhook',
    status: resolvedWords(title) ? 'resolved' : 'firing',
    severity: severityWords(all) ?? 'warning',
    cls: 'other',
    name,
    fingerprint: textFingerprint(name, target.account, target.region),
    target,
  };
}

// --- text ------------------------------------------------------------------------------------

/** The message's title: the first attachment's title (or pretext, fallback), else its first line. */
function titleOf(message: ChannelMessage): string {
  for (const a of message.attachments) {
    const t = a.title ?? a.pretext ?? a.fallback;
    if (t?.trim()) return t.trim();
  }
  const text = message.text.trim() || message.blockTexts.find((t) => t.trim())?.trim() || '';
  return firstLine(text);
}

function bodyOf(message: ChannelMessage): string {
  const parts: string[] = [];
  const text = message.text.trim();
  if (text) parts.push(text);
  for (const a of message.attachments) {
    if (a.text) parts.push(a.text);
    for (const f of a.fields ?? []) if (f.title || f.value) parts.push(`${f.title ?? ''}: ${f.value ?? ''}`);
  }
  if (parts.length === 0) parts.push(...message.blockTexts);
  return parts.join('\n');
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/**
 * Slack markup to plain text: `<url|label>` → label, `<url>` → url, mentions and broadcasts
 * dropped, emoji codes and emphasis markers removed, entities decoded.
 */
export function plain(text: string): string {
  return text
    .replace(/<!(?:here|channel|everyone)(?:\|[^>]*)?>/g, '')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_, label: string | undefined) => label ?? '')
    .replace(/<@[UW][A-Z0-9]+(?:\|([^>]*))?>/g, (_, label: string | undefined) => (label ? `@${label}` : '@user'))
    .replace(/<#C[A-Z0-9]+(?:\|([^>]*))?>/g, (_, label: string | undefined) => (label ? `#${label}` : '#channel'))
    .replace(/<([^<>|]+)\|([^<>]*)>/g, '$2')
    .replace(/<([^<>]+)>/g, '$1')
    .replace(/:[a-z0-9_+-]*[a-z][a-z0-9_+-]*:/g, '')
    .replace(/[*~`]/g, '')
    .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

const STATUS_PREFIX = /^\s*(?:\[(?:FIRING|RESOLVED|ALERTING|OK|NO ?DATA|PENDING)(?::\s*\d+)?\]|(?:Triggered|Re-Triggered|Recovered(?: from (?:warn|no data))?|Warn|No Data|Renotify|ALARM|OK|INSUFFICIENT_DATA|Alert|Resolved|Firing)\s*:)\s*/i;

/**
 * A title with what changes between repeats of one condition replaced: the status word, dates,
 * times, uuids, hex ids and numbers. `[FIRING:2] CPU 93.5% on i-0abc12345def at 2026-03-02T10:02Z`
 * → `CPU #% on i-… at #`. Case is kept (it becomes the alert's name); the fingerprint lower-cases it.
 */
export function stableTitle(raw: string): string {
  let t = plain(raw);
  for (let i = 0; i < 3 && STATUS_PREFIX.test(t); i++) t = t.replace(STATUS_PREFIX, '');
  t = t
    .replace(/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?/gi, '#')
    .replace(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g, '#')
    .replace(/\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:UTC|Z))?\b/gi, '#')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '…')
    .replace(/\b(i|eni|sg|subnet|vpc|vol|ami|snap)-[0-9a-f]{6,}\b/gi, '$1-…')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '…')
    .replace(/\d+(?:[.,]\d+)*/g, '#')
    .replace(/#(?:[\s.:,/-]*#)+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
  return t || 'untitled alert';
}

/** The normalised title as a fingerprint (account and region, when known, keep two accounts apart). */
export function textFingerprint(name: string, account?: string, region?: string): string {
  const key = [account ?? '', region ?? '', name.toLowerCase()].join('\n');
  return `slack-channel:${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** The state words of an AWS Chatbot message ("State changed from OK to ALARM" → the new state). */
function stateText(text: string): string {
  const changed = /to\s+(ALARM|OK|INSUFFICIENT_DATA)\b/.exec(text);
  return changed?.[1] ?? text;
}

function resolvedWords(text: string): boolean {
  const t = plain(text);
  return /^\s*(?:\[(?:RESOLVED|OK)\]|resolved\b|recovered\b|ok\b|back to normal)/i.test(t) || /:white_check_mark:|:large_green_circle:/.test(text);
}

function severityWords(text: string): Severity | undefined {
  if (/\b(critical|crit|sev ?1|p1|fatal|emergency|page)\b/i.test(text)) return 'critical';
  if (/\b(high|error|sev ?2|p2|major)\b/i.test(text)) return 'high';
  if (/\b(warning|warn|sev ?3|p3|minor)\b/i.test(text)) return 'warning';
  if (/\b(info|informational|sev ?[45]|p[45])\b/i.test(text)) return 'info';
  return undefined;
}

const LABEL = /(?:^|[\s{(,"'-])(service|ecs_service|service_name|servicename|cluster|ecs_cluster|cluster_name|clustername|queue|queue_name|queuename|account|account_id|aws_account|region|aws_region|severity)\s*(?:=|:)\s*"?([A-Za-z0-9_./-]{1,120})/gi;

function labelValue(text: string, wanted: string): string | undefined {
  for (const m of plain(text).matchAll(LABEL)) if ((m[1] ?? '').toLowerCase() === wanted) return m[2];
  return undefined;
}

/** service / cluster / queue / account / region from `key=value` labels or `key:value` tags. */
function labelTarget(text: string): AlertTarget {
  const target: AlertTarget = {};
  for (const m of plain(text).matchAll(LABEL)) {
    const key = (m[1] ?? '').toLowerCase().replace(/^(ecs_|aws_)/, '').replace(/_?name$/, '').replace(/_id$/, '');
    const value = m[2] ?? '';
    if (key === 'service' && !target.service) target.service = value;
    else if (key === 'cluster' && !target.cluster) target.cluster = value;
    else if (key === 'queue' && !target.queue) target.queue = value;
    else if (key === 'account' && !target.account && /^\d{12}$/.test(value)) target.account = value;
    else if (key === 'region' && !target.region && /^[a-z]{2}(?:-[a-z]+)+-\d$/.test(value)) target.region = value;
  }
  return target;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function tsToMs(ts: string): number | undefined {
  const seconds = Number(ts);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}

// --- wiring ----------------------------------------------------------------------------------

/** Counter of alert-channel messages, by `outcome` (alert, ignored, failed). */
export const CHANNEL_TRIAGE_METRIC = 'lifeboat_channel_messages_total';

export interface ChannelTriageDeps {
  /** The incident notifier (it stores the alert and threads repeats under the card). */
  sink: AlertSink;
  settings: Pick<NotificationsSettings, 'alertChannels'>;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
}

/** What the Slack channel listener needs: which channels to read and what to do with a message. */
export interface ChannelTriage {
  channels: readonly string[];
  /** Resolves once the message's alert is stored (or it was ignored). */
  handle(message: ChannelMessage, self?: { botId?: string; userId?: string }): Promise<void>;
}

export function createChannelTriage(deps: ChannelTriageDeps): ChannelTriage {
  const byChannel = new Map(deps.settings.alertChannels.map((c) => [c.channel, c]));
  const metrics = deps.metrics ?? noMetrics;
  return {
    channels: [...byChannel.keys()],
    async handle(message, self = {}) {
      const config = byChannel.get(message.channel);
      if (!config) return;
      const result = triageChannelMessage(message, {
        receivedAt: deps.clock.now(),
        senders: config.senders,
        ignoreBots: config.ignoreBots,
        ...(self.botId ? { selfBotId: self.botId } : {}),
        ...(self.userId ? { selfUserId: self.userId } : {}),
      });
      if (result.kind === 'ignore') {
        metrics.increment(CHANNEL_TRIAGE_METRIC, { outcome: 'ignored' });
        deps.logger.debug({ channel: message.channel, ts: message.ts, reason: result.reason }, 'Alert channel message ignored');
        return;
      }
      try {
        await deps.sink.accept([result.alert]);
        metrics.increment(CHANNEL_TRIAGE_METRIC, { outcome: 'alert', sender: result.sender });
      } catch (err) {
        metrics.increment(CHANNEL_TRIAGE_METRIC, { outcome: 'failed' });
        throw err;
      }
    },
  };
}
