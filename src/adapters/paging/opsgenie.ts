import type { PageRequest, PageResult, Pager } from '../../escalation/ports.js';
import { postJson, type PagingHttp } from './http.js';

const PRIORITY = { critical: 'P1', high: 'P2', warning: 'P3', info: 'P5' } as const;

export interface OpsgenieResponder {
  type: 'team' | 'user' | 'escalation' | 'schedule';
  name: string;
}

/**
 * Opsgenie / Jira Service Management alerts API (`POST /v2/alerts`, answered 202 "Request will
 * be processed"), authenticated with `Authorization: GenieKey <key>`. The alias is the dedup key,
 * so repeated steps update one alert; acknowledge and close go to `/alerts/<alias>/…`.
 */
export class OpsgeniePager implements Pager {
  readonly key: string;
  readonly label: string;

  constructor(
    name: string,
    private readonly apiKey: string,
    private readonly url: string,
    private readonly http: PagingHttp,
    private readonly responders?: readonly OpsgenieResponder[],
  ) {
    this.key = `opsgenie:${name}`;
    this.label = `Opsgenie ${name}`;
  }

  page(request: PageRequest): Promise<PageResult> {
    const details: Record<string, string> = Object.fromEntries(Object.entries({ ...request.details, reason: request.reason }).map(([k, v]) => [k, String(v).slice(0, 8000)]));
    return postJson(this.http, this.url, this.auth(), {
      message: request.summary.slice(0, 130),
      alias: request.dedupKey.slice(0, 512),
      description: `${request.summary}\n\n${request.reason}`.slice(0, 15_000),
      priority: PRIORITY[request.severity],
      source: 'lifeboat',
      entity: (request.component ?? request.incidentId).slice(0, 512),
      tags: ['lifeboat', request.incidentClass],
      details,
      ...(this.responders?.length ? { responders: this.responders.map((r) => ({ type: r.type, name: r.name })) } : {}),
    });
  }

  close(dedupKey: string, action: 'acknowledge' | 'resolve', note: string): Promise<PageResult> {
    const verb = action === 'resolve' ? 'close' : 'acknowledge';
    return postJson(this.http, `${this.url.replace(/\/+$/, '')}/${encodeURIComponent(dedupKey)}/${verb}?identifierType=alias`, this.auth(), { source: 'lifeboat', note: note.slice(0, 25_000) });
  }

  private auth(): Record<string, string> {
    return { authorization: `GenieKey ${this.apiKey}` };
  }
}
