import type { PageRequest, PageResult, Pager } from '../../escalation/ports.js';
import { postJson, type PagingHttp } from './http.js';

const SEVERITY = { critical: 'critical', high: 'error', warning: 'warning', info: 'info' } as const;

/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`, answered 202): `trigger` with a dedup key per
 * incident and generation, so repeated steps add to one PagerDuty incident and a restarted
 * chain (a reopen, a stale incident continued) opens a new one; `acknowledge` and `resolve` when
 * Lifeboat's incident is acknowledged or resolved.
 */
export class PagerDutyPager implements Pager {
  readonly key: string;
  readonly label: string;

  constructor(
    name: string,
    private readonly routingKey: string,
    private readonly url: string,
    private readonly http: PagingHttp,
  ) {
    this.key = `pagerduty:${name}`;
    this.label = `PagerDuty ${name}`;
  }

  page(request: PageRequest): Promise<PageResult> {
    return postJson(this.http, this.url, {}, {
      routing_key: this.routingKey,
      event_action: 'trigger',
      dedup_key: request.dedupKey,
      client: 'Lifeboat',
      payload: {
        summary: request.summary.slice(0, 1024),
        source: 'lifeboat',
        severity: SEVERITY[request.severity],
        ...(request.component ? { component: request.component } : {}),
        ...(request.group ? { group: request.group } : {}),
        class: request.incidentClass,
        custom_details: { ...request.details, reason: request.reason },
      },
    });
  }

  close(dedupKey: string, action: 'acknowledge' | 'resolve', _note: string): Promise<PageResult> {
    return postJson(this.http, this.url, {}, { routing_key: this.routingKey, event_action: action, dedup_key: dedupKey });
  }
}
