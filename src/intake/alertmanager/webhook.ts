/**
 * Alertmanager webhook (payload `version: "4"`), firing and resolved; one Alert per `alerts[]`
 * entry.
 *
 * Fingerprint: `alertmanager/<fingerprint>` — Alertmanager's 16-hex label-set hash, stable across
 * firing and resolved; recomputed the same way from the labels when the payload has none (2018-era
 * senders, see `fingerprint.ts`).
 * deliveryId: `alertmanager/<fingerprint>@<startsAt>/<status>`. fingerprint + startsAt identifies
 * one occurrence (Alertmanager repeats it every `repeat_interval` and on group changes); the status
 * is part of the id because the resolved notification of that same occurrence must not be taken
 * for a duplicate of the firing one.
 *
 * Mapping: status from the alert (older payloads have none: zero-value `endsAt` ⇒ firing, else the
 * group status); `endsAt` `0001-01-01T00:00:00Z` means "no end yet" (fact 16); `occurredAt` is
 * `startsAt` when firing and `endsAt` when resolved. Severity from the `severity` label
 * (critical/page → critical, high/error/major → high, warning/warn → warning, info/low/none →
 * info, default warning). Class from a `lifeboat_class` label when it names a Lifeboat class, else
 * `other`. Target from labels `cluster`, `service`, `account`/`account_id`, `region`, `queue`.
 * `truncatedAlerts` and `groupKey` are copied onto every Alert of the payload: when > 0, not all of
 * the group's alerts were delivered.
 */
import { z } from 'zod';
import type { Alert, IncidentClass, Severity } from '../alert.js';
import { IntakeError } from '../errors.js';
import { linkList, safeLink } from '../shared/links.js';
import { compact } from '../shared/object.js';
import { isRecord, readJsonPayload } from '../shared/payload.js';
import { clip, cleanLabels, MAX_DESCRIPTION_CHARS, MAX_SUMMARY_CHARS } from '../shared/text.js';
import { isZeroTime, parseTimestamp } from '../shared/time.js';
import { validate } from '../shared/validate.js';
import { alerts, guard, ignored, type IntakeResult, type ParseContext } from '../result.js';
import { labelSetFingerprint } from './fingerprint.js';

const StringMap = z.record(z.string(), z.string());
const Status = z.enum(['firing', 'resolved']);

const WebhookAlert = z.looseObject({
  status: Status.optional(),
  labels: StringMap,
  annotations: StringMap.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** The Alertmanager webhook payload (version 4; `notification_reason`/`routeLabels` are optional extras). */
export const AlertmanagerWebhookSchema = z.looseObject({
  version: z.literal('4', { error: 'unsupported webhook version; Lifeboat reads version "4"' }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: Status,
  receiver: z.string().optional(),
  groupLabels: StringMap.optional(),
  commonLabels: StringMap.optional(),
  commonAnnotations: StringMap.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(WebhookAlert),
});

type WebhookPayload = z.output<typeof AlertmanagerWebhookSchema>;
type WebhookAlertEntry = z.output<typeof WebhookAlert>;

const SEVERITIES: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  warning: 'warning',
  warn: 'warning',
  p3: 'warning',
  info: 'info',
  low: 'info',
  none: 'info',
};

const CLASSES = new Set<IncidentClass>([
  'image-unavailable',
  'image-pull-failed',
  'deployment-failed',
  'task-fails-to-start',
  'queue-backlog',
  'monitoring-blind',
  'image-event',
  'other',
]);

/** Parses an Alertmanager webhook body (raw or already-parsed). */
export function parseAlertmanagerWebhook(payload: unknown, ctx: ParseContext = {}): IntakeResult {
  return guard(() => {
    const json = readJsonPayload(payload);
    if (!isRecord(json) || !Array.isArray(json.alerts)) {
      throw new IntakeError('UNKNOWN_SHAPE', 'not an Alertmanager webhook payload: expected an object with an "alerts" array');
    }
    const body = validate(AlertmanagerWebhookSchema, json, 'Alertmanager webhook');
    if (body.alerts.length === 0) return ignored('Alertmanager payload holds no alerts');
    return alerts(body.alerts.map((entry, i) => toAlert(body, entry, i, ctx)));
  });
}

function toAlert(body: WebhookPayload, entry: WebhookAlertEntry, index: number, ctx: ParseContext): Alert {
  const labels = entry.labels;
  const fingerprint = entry.fingerprint && entry.fingerprint !== '' ? entry.fingerprint : labelSetFingerprint(labels);
  const status = entry.status ?? (isZeroTime(entry.endsAt) ? 'firing' : body.status);
  const startsAt = parseTimestamp(entry.startsAt, `alerts.${index}.startsAt`);
  const endsAt = !isZeroTime(entry.endsAt) ? parseTimestamp(entry.endsAt, `alerts.${index}.endsAt`) : undefined;
  const annotations = entry.annotations;
  const summary = annotations.summary ?? annotations.message ?? annotations.description ?? labels.alertname ?? 'Alertmanager alert';
  const alert: Alert = {
    source: ctx.source ?? 'alertmanager',
    deliveryId: `alertmanager/${fingerprint}@${entry.startsAt}/${status}`,
    fingerprint: `alertmanager/${fingerprint}`,
    name: labels.alertname ?? 'Alertmanager alert',
    status,
    severity: SEVERITIES[(labels.severity ?? '').toLowerCase()] ?? 'warning',
    class: classOf(labels.lifeboat_class),
    summary: clip(summary, MAX_SUMMARY_CHARS),
    target: compact({
      account: labels.account ?? labels.account_id ?? labels.aws_account_id,
      region: labels.region ?? labels.aws_region,
      cluster: labels.cluster ?? labels.ecs_cluster,
      service: labels.service ?? labels.ecs_service,
      queue: labels.queue ?? labels.queue_name,
    }),
    occurredAt: status === 'resolved' && endsAt !== undefined ? endsAt : startsAt,
    labels: cleanLabels(Object.entries(labels)),
  };
  const description = annotations.description;
  if (description && description !== summary) alert.description = clip(description, MAX_DESCRIPTION_CHARS);
  const links = linkList(
    safeLink('Source', entry.generatorURL),
    safeLink('Runbook', annotations.runbook_url),
    safeLink('Dashboard', annotations.dashboard_url),
  );
  if (links) alert.links = links;
  if (body.truncatedAlerts !== undefined) alert.truncatedAlerts = body.truncatedAlerts;
  if (body.groupKey) alert.senderGroupKey = body.groupKey;
  return alert;
}

function classOf(value: string | undefined): IncidentClass {
  return value !== undefined && CLASSES.has(value as IncidentClass) ? (value as IncidentClass) : 'other';
}
