import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API request as the stand-in saw it. */
export interface RecordedCall {
  method: string;
  /** Form fields; JSON-valued ones (`blocks`, `view` …) already parsed. */
  params: Record<string, unknown>;
  /** The bearer token sent, if any. */
  token: string | undefined;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The HTTP status answered (200 or 429). */
  status: number;
  /** The JSON answered (with `ts` for a posted message). */
  response?: Record<string, unknown>;
}

/** A POST to a `response_url` (pointed at the stand-in by a test). */
export interface ResponseUrlCall {
  path: string;
  body: unknown;
  at: number;
}

export interface StandInUserGroup {
  id: string;
  handle: string;
  users: string[];
}

interface Rule {
  method: string;
  channel?: string;
  remaining: number;
}

interface RateLimitRule extends Rule {
  retryAfterSec: number;
}

interface FailureRule extends Rule {
  error: string;
}

interface PostedMessage {
  channel: string;
  ts: string;
  text: unknown;
  threadTs: unknown;
}

export const STANDIN_BOT_USER_ID = 'U0LIFEBOAT';
export const STANDIN_BOT_ID = 'B0LIFEBOAT';
export const STANDIN_TEAM_ID = 'T111';

/**
 * A local HTTP server that answers like Slack's Web API (`POST /api/<method>`, form-encoded,
 * bearer token) for the methods Lifeboat uses, and records every call. It can be told to answer
 * `429` with `Retry-After` (or an `ok:false` error) for a method, optionally only for one
 * channel, a given number of times. `POST /response/*` stands in for `response_url`s.
 */
export class SlackStandIn {
  readonly calls: RecordedCall[] = [];
  readonly responseUrlCalls: ResponseUrlCall[] = [];
  userGroups: StandInUserGroup[] = [];
  private readonly rateLimits: RateLimitRule[] = [];
  private readonly failures: FailureRule[] = [];
  private readonly posted: PostedMessage[] = [];
  private tsCounter = 0;

  private constructor(private readonly server: Server) {}

  /** Starts on a random loopback port. */
  static async start(): Promise<SlackStandIn> {
    const server = createServer();
    const standIn = new SlackStandIn(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      standIn.handle(req, res).catch(() => res.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return standIn;
  }

  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** What to pass as the Web API base URL (`slackApiUrl`). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A `response_url` that lands in {@link responseUrlCalls}. */
  responseUrl(id = 'r1'): string {
    return `${this.baseUrl}/response/${id}`;
  }

  /** Answer the next `times` calls of `method` (in `channel`, if given) with 429 + Retry-After. */
  rateLimit(rule: { method: string; channel?: string; times: number; retryAfterSec: number }): void {
    this.rateLimits.push({ method: rule.method, channel: rule.channel, remaining: rule.times, retryAfterSec: rule.retryAfterSec });
  }

  /** Answer the next `times` calls of `method` (in `channel`, if given) with `{ok:false, error}`. */
  failWith(rule: { method: string; channel?: string; times: number; error: string }): void {
    this.failures.push({ method: rule.method, channel: rule.channel, remaining: rule.times, error: rule.error });
  }

  /** Recorded calls of one method, optionally filtered. */
  callsTo(method: string, filter: (call: RecordedCall) => boolean = () => true): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && filter(c));
  }

  /** Successful (200) calls of one method. */
  delivered(method: string, filter: (call: RecordedCall) => boolean = () => true): RecordedCall[] {
    return this.callsTo(method, (c) => c.status === 200 && filter(c));
  }

  /** Resolves with the first recorded call matching `predicate`, polling until `timeoutMs`. */
  async waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs = 5000): Promise<RecordedCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`No matching Slack call within ${timeoutMs} ms; saw: ${this.calls.map((c) => `${c.method}(${c.status})`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/response/')) {
      this.responseUrlCalls.push({ path: url.pathname, body: parseJson(raw), at });
      return json(res, 200, { ok: true });
    }
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const params = parseParams(raw, req.headers['content-type']);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : typeof params.token === 'string' ? params.token : undefined;
    const channel = typeof params.channel === 'string' ? params.channel : undefined;

    const limited = take(this.rateLimits, method, channel);
    if (limited) {
      this.calls.push({ method, params, token, at, status: 429 });
      res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(limited.retryAfterSec) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const call: RecordedCall = { method, params, token, at, status: 200 };
    this.calls.push(call);
    const failure = take(this.failures, method, channel);
    call.response = failure ? { ok: false, error: failure.error } : this.answer(method, params);
    return json(res, 200, call.response);
  }

  private answer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    const channel = typeof params.channel === 'string' ? params.channel : '';
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://lifeboat-test.slack.com/', team: 'Lifeboat Test', user: 'lifeboat', team_id: STANDIN_TEAM_ID, user_id: STANDIN_BOT_USER_ID, bot_id: STANDIN_BOT_ID, is_enterprise_install: false };
      case 'chat.postMessage': {
        // Posting to a user id lands in the app's DM with them, as in Slack.
        const landed = /^[UW]/.test(channel) ? `D${channel.slice(1)}` : channel;
        const ts = this.nextTs();
        this.posted.push({ channel: landed, ts, text: params.text, threadTs: params.thread_ts });
        return {
          ok: true,
          channel: landed,
          ts,
          message: { type: 'message', subtype: 'bot_message', text: params.text, user: STANDIN_BOT_USER_ID, bot_id: STANDIN_BOT_ID, ts, thread_ts: params.thread_ts, blocks: params.blocks },
        };
      }
      case 'chat.update':
        return { ok: true, channel, ts: params.ts, text: params.text, message: { text: params.text, blocks: params.blocks } };
      case 'views.publish':
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, type: 'home', blocks: (params.view as { blocks?: unknown } | undefined)?.blocks } };
      case 'views.open':
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, type: 'modal', callback_id: (params.view as { callback_id?: unknown } | undefined)?.callback_id } };
      case 'usergroups.list':
        return {
          ok: true,
          usergroups: this.userGroups.map((g) => ({ id: g.id, team_id: STANDIN_TEAM_ID, handle: g.handle, name: g.handle, ...(params.include_users === 'true' ? { users: g.users, user_count: g.users.length } : {}) })),
        };
      case 'usergroups.users.list':
        return { ok: true, users: this.userGroups.find((g) => g.id === params.usergroup)?.users ?? [] };
      case 'conversations.history':
        return {
          ok: true,
          messages: this.posted
            .filter((m) => m.channel === channel && m.threadTs === undefined)
            .reverse()
            .map((m) => ({ type: 'message', text: m.text, ts: m.ts, user: STANDIN_BOT_USER_ID })),
          has_more: false,
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }
}

function take<T extends Rule>(rules: T[], method: string, channel: string | undefined): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && r.method === method && (r.channel === undefined || r.channel === channel));
  if (rule) rule.remaining -= 1;
  return rule;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) {
    const parsed = parseJson(raw);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client JSON-encodes object arguments (blocks, view …) inside the form.
    out[key] = value.startsWith('[') || value.startsWith('{') ? (parseJson(value) ?? value) : value;
  }
  return out;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
