/**
 * Outbound paging: PagerDuty Events API v2, Opsgenie / JSM alerts, and a generic signed webhook.
 * `createPagers` builds one `Pager` per configured integration whose secret is set.
 */
import type { Pager } from '../../escalation/ports.js';
import type { EscalationSettings, PagingSecrets } from '../../escalation/settings.js';
import type { PagingFetch, PagingHttp } from './http.js';
import { OpsgeniePager } from './opsgenie.js';
import { PagerDutyPager } from './pagerduty.js';
import { WebhookPager } from './webhook.js';

export { postJson, type PagingFetch, type PagingHttp, type RetryPolicy } from './http.js';
export { PagerDutyPager } from './pagerduty.js';
export { OpsgeniePager, type OpsgenieResponder } from './opsgenie.js';
export { WebhookPager, verifyWebhookSignature } from './webhook.js';

export interface CreatePagersOptions {
  /** `globalThis.fetch` in production. */
  fetch: PagingFetch;
  sleep?: PagingHttp['sleep'];
}

/** One pager per integration in `settings` whose secret is in `secrets`, by key (`pagerduty:main`). */
export function createPagers(settings: Pick<EscalationSettings, 'pagerduty' | 'opsgenie' | 'webhooks' | 'paging'>, secrets: PagingSecrets, options: CreatePagersOptions): Record<string, Pager> {
  const http: PagingHttp = { fetch: options.fetch, retry: settings.paging, ...(options.sleep ? { sleep: options.sleep } : {}) };
  const pagers: Record<string, Pager> = {};
  const add = (pager: Pager): void => {
    pagers[pager.key] = pager;
  };
  for (const [name, pd] of Object.entries(settings.pagerduty)) {
    const key = secrets.pagerduty[name];
    if (key) add(new PagerDutyPager(name, key, pd.url, http));
  }
  for (const [name, og] of Object.entries(settings.opsgenie)) {
    const key = secrets.opsgenie[name];
    if (key) add(new OpsgeniePager(name, key, og.url, http, og.responders));
  }
  for (const [name, wh] of Object.entries(settings.webhooks)) {
    const secret = secrets.webhooks[name];
    if (secret) add(new WebhookPager(name, secret, wh.url, http));
  }
  return pagers;
}
