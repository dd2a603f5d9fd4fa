import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PageRequest, PageResult, Pager } from '../../escalation/ports.js';
import { postJson, type PagingHttp } from './http.js';

/**
 * A generic signed webhook: a JSON event per page, acknowledgement and resolution, signed like
 * Lifeboat's own generic intake (docs/intake.md §5) so the receiver can check it:
 *
 *     X-Lifeboat-Timestamp: <unix seconds>
 *     X-Lifeboat-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
 *     Idempotency-Key: <dedup key>:<event>
 *
 * Receivers should reject timestamps more than 5 minutes off and treat a repeated
 * idempotency key as the same event (retries resend it).
 */
export class WebhookPager implements Pager {
  readonly key: string;
  readonly label: string;

  constructor(
    name: string,
    private readonly secret: string,
    private readonly url: string,
    private readonly http: PagingHttp,
    private readonly now: () => number = Date.now,
  ) {
    this.key = `webhook:${name}`;
    this.label = `webhook ${name}`;
  }

  page(request: PageRequest): Promise<PageResult> {
    return this.send('page', request.dedupKey, {
      incident: request.incidentId,
      summary: request.summary,
      severity: request.severity,
      class: request.incidentClass,
      ...(request.component ? { component: request.component } : {}),
      reason: request.reason,
      details: request.details,
    });
  }

  close(dedupKey: string, action: 'acknowledge' | 'resolve', note: string): Promise<PageResult> {
    return this.send(action, dedupKey, { note });
  }

  private send(event: 'page' | 'acknowledge' | 'resolve', dedupKey: string, fields: Record<string, unknown>): Promise<PageResult> {
    const body = { type: `lifeboat.${event}`, dedupKey, sentAt: new Date(this.now()).toISOString(), ...fields };
    const timestamp = String(Math.floor(this.now() / 1000));
    const raw = JSON.stringify(body);
    const signature = createHmac('sha256', this.secret).update(`v1:${timestamp}:${raw}`).digest('hex');
    return postJson(this.http, this.url, { 'x-lifeboat-timestamp': timestamp, 'x-lifeboat-signature': `v1=${signature}`, 'idempotency-key': `${dedupKey}:${event}` }, body);
  }
}

/** Checks a webhook signature, for receivers written in TypeScript and for tests. */
export function verifyWebhookSignature(secret: string, timestamp: string, rawBody: string, header: string): boolean {
  const expected = `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${rawBody}`).digest('hex')}`;
  const a = Buffer.from(header);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
