/**
 * The generic alert: a small documented JSON shape for anything that is not SNS, EventBridge or
 * Alertmanager (a cron job, a CI pipeline, a home-grown checker). Signed with HMAC (`auth/hmac.ts`).
 *
 * ```json
 * { "key": "nightly-export", "status": "firing", "severity": "high",
 *   "summary": "Nightly export did not finish", "service": "exporter", "cluster": "prod",
 *   "links": [{ "label": "Logs", "url": "https://logs.example.com/..." }] }
 * ```
 *
 * `key` names the condition: the same key firing again is the same alert, and `status: resolved`
 * with that key resolves it. Unknown fields are refused (a typo such as `sevrity` would otherwise
 * be silently dropped).
 *
 * Fingerprint: `generic/<key>`. deliveryId: `generic/<id>` when the sender gives an `id`, else
 * `generic/<key>/<status>/<hash of the payload>` — an exact re-delivery is then stored once, while
 * a changed summary counts as new.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert } from '../alert.js';
import { compact } from '../shared/object.js';
import { readJsonPayload } from '../shared/payload.js';
import { clip, MAX_DESCRIPTION_CHARS, MAX_SUMMARY_CHARS } from '../shared/text.js';
import { validate } from '../shared/validate.js';
import { alerts, guard, type IntakeResult } from '../result.js';

const Name = z.string().trim().min(1).max(200);

/** The generic alert shape (documented in docs/intake.md). */
export const GenericAlertSchema = z.strictObject({
  key: Name.regex(/^[^\s]+$/, { error: 'must not contain spaces' }),
  status: z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' }),
  severity: z.enum(['critical', 'high', 'warning', 'info'], { error: 'must be one of critical, high, warning, info' }).optional(),
  summary: z.string().trim().min(1, { error: 'must not be empty' }).max(MAX_SUMMARY_CHARS),
  description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
  service: Name.optional(),
  cluster: Name.optional(),
  links: z
    .array(
      z.strictObject({
        label: z.string().trim().min(1).max(100),
        url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
      }),
    )
    .max(10)
    .optional(),
  id: Name.optional(),
});

export type GenericAlertPayload = z.output<typeof GenericAlertSchema>;

/**
 * Parses a generic alert. The shape has no timestamp, so `receivedAt` (when Lifeboat got it) is
 * required and becomes `occurredAt`.
 */
export function parseGenericAlert(payload: unknown, ctx: { receivedAt: number }): IntakeResult {
  return guard(() => {
    const json = readJsonPayload(payload);
    const body = validate(GenericAlertSchema, json, 'generic alert');
    const deliveryId = body.id
      ? `generic/${body.id}`
      : `generic/${body.key}/${body.status}/${createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 16)}`;
    const alert: Alert = {
      source: 'generic',
      deliveryId,
      fingerprint: `generic/${body.key}`,
      name: body.key,
      status: body.status,
      severity: body.severity ?? 'warning',
      class: 'other',
      summary: clip(body.summary, MAX_SUMMARY_CHARS),
      target: compact({ cluster: body.cluster, service: body.service }),
      occurredAt: ctx.receivedAt,
    };
    if (body.description) alert.description = body.description;
    if (body.links && body.links.length > 0) alert.links = body.links;
    return alerts([alert]);
  });
}
