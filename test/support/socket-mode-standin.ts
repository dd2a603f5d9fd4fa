import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { SlackStandIn } from './slack-standin.js';

export const SOCKET_MODE_APP_ID = 'A0LIFEBOAT';

/** One `apps.connections.open` call. */
export interface ConnectionsOpenCall {
  /** The bearer token sent (must be the app-level `xapp-…` token). */
  token: string | undefined;
  /** The WebSocket URL answered (`undefined` when the call was refused). */
  url: string | undefined;
  at: number;
}

/** An acknowledgement the client sent back over the WebSocket. */
export interface SocketModeAck {
  envelopeId: string;
  /** What the client put in `payload` (Bolt sends `{}` for a bare `ack()`). */
  payload: unknown;
  /** Which connection it came on (1, 2 … in the order they were opened). */
  connection: number;
  at: number;
}

/** How a WebSocket connection ended. */
export interface SocketModeClose {
  connection: number;
  code: number;
  at: number;
}

/**
 * What Slack sends over the WebSocket for a slash command (`slash_commands`), an interactive
 * payload such as a button press (`interactive`) or an Events API event (`events_api`).
 * Shape: docs.slack.dev "Using Socket Mode" (§4 Receive events, §Using interactive features);
 * read by `SocketModeClient.onWebSocketMessage` in @slack/socket-mode 3.x.
 */
export interface SocketModeEnvelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  accepts_response_payload: boolean;
  payload: Record<string, unknown>;
  retry_attempt?: number;
  retry_reason?: string;
}

interface Connection {
  id: number;
  ws: WebSocket;
}

/**
 * Slack's side of Socket Mode on loopback: `POST /api/apps.connections.open` hands out a
 * one-time `ws://127.0.0.1:<port>/link/?ticket=…` URL, and the WebSocket at `/link` greets each
 * connection with `hello`, delivers envelopes, records the client's acks (`{envelope_id, payload}`)
 * and can ask the client to reconnect (`disconnect` / `refresh_requested`), as Slack does every
 * few hours. Every other request (`/api/chat.postMessage` …, `/response/*`) is passed unchanged to
 * the Web API stand-in, so one base URL (`SLACK_API_URL`) serves both the bot token's calls and
 * the app token's.
 */
export class SocketModeStandIn {
  readonly opens: ConnectionsOpenCall[] = [];
  readonly acks: SocketModeAck[] = [];
  readonly closes: SocketModeClose[] = [];
  /** Tickets issued by `apps.connections.open` and not yet used. */
  private readonly tickets = new Set<string>();
  private readonly connections: Connection[] = [];
  private connectionCounter = 0;
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    private readonly webApi: SlackStandIn,
  ) {}

  /** Starts on a random loopback port, in front of `webApi`. */
  static async start(webApi: SlackStandIn): Promise<SocketModeStandIn> {
    const server = createServer();
    const standIn = new SocketModeStandIn(server, webApi);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => standIn.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => standIn.upgrade(req, socket, head));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return standIn;
  }

  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** What to pass as `SLACK_API_URL`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** Connections that said `hello` and are still open. */
  get openConnections(): number {
    return this.connections.length;
  }

  /** How many connections were ever greeted. */
  get connectionsMade(): number {
    return this.connectionCounter;
  }

  /** Delivers a slash command (the fields Slack would post in HTTP mode, as JSON). Returns the envelope id. */
  slashCommand(payload: Record<string, unknown>): string {
    return this.deliver({ envelope_id: randomUUID(), type: 'slash_commands', accepts_response_payload: true, payload });
  }

  /** Delivers an interactive payload (`block_actions`, `view_submission` …). Returns the envelope id. */
  interactive(payload: Record<string, unknown>): string {
    return this.deliver({ envelope_id: randomUUID(), type: 'interactive', accepts_response_payload: true, payload });
  }

  /** Sends an envelope on the newest open connection (Slack may pick any of them). */
  deliver(envelope: SocketModeEnvelope): string {
    this.newest().ws.send(JSON.stringify(envelope));
    return envelope.envelope_id;
  }

  /** Asks the client to reconnect, as Slack does before recycling the server behind a connection. */
  requestRefresh(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.newest().ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-standin' } }));
  }

  /** Resolves with the ack for `envelopeId`, polling until `timeoutMs`. */
  async waitForAck(envelopeId: string, timeoutMs = 5000): Promise<SocketModeAck> {
    return poll(() => this.acks.find((a) => a.envelopeId === envelopeId), () => `no ack for envelope ${envelopeId} within ${timeoutMs} ms; acks: ${JSON.stringify(this.acks.map((a) => a.envelopeId))}`, timeoutMs);
  }

  /** Resolves once `n` connections have been greeted in total, polling until `timeoutMs`. */
  async waitForConnections(n: number, timeoutMs = 5000): Promise<void> {
    await poll(() => (this.connectionCounter >= n && this.connections.some((c) => c.id === n) ? true : undefined), () => `only ${this.connectionCounter} of ${n} Socket Mode connections within ${timeoutMs} ms (apps.connections.open calls: ${this.opens.length})`, timeoutMs);
  }

  /** Resolves once no connection is open, polling until `timeoutMs`. */
  async waitUntilNoConnection(timeoutMs = 5000): Promise<void> {
    await poll(() => (this.connections.length === 0 ? true : undefined), () => `${this.connections.length} Socket Mode connection(s) still open after ${timeoutMs} ms`, timeoutMs);
  }

  async close(): Promise<void> {
    for (const c of this.connections.splice(0)) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/apps.connections.open') {
      this.connectionsOpen(req, res);
      return;
    }
    this.forward(req, res);
  }

  private connectionsOpen(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    let body: Record<string, unknown>;
    if (!token) {
      body = { ok: false, error: 'not_authed' };
    } else if (!token.startsWith('xapp-')) {
      // What Slack answers when a bot token is used here.
      body = { ok: false, error: 'not_allowed_token_type' };
    } else {
      const ticket = randomUUID();
      this.tickets.add(ticket);
      body = { ok: true, url: `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link/?ticket=${ticket}&app_id=${SOCKET_MODE_APP_ID}` };
    }
    this.opens.push({ token, url: typeof body.url === 'string' ? body.url : undefined, at: Date.now() });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  /** Passes a Web API (or response_url) request to the Web API stand-in unchanged. */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.webApi.baseUrl);
    const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host }, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    // A ticket is good for one connection, as Slack's are: a client must ask again to reconnect.
    if (url.pathname.replace(/\/$/, '') !== '/link' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.greet(ws));
  }

  private greet(ws: WebSocket): void {
    this.connectionCounter += 1;
    const connection: Connection = { id: this.connectionCounter, ws };
    this.connections.push(connection);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      const message = parseObject(text);
      if (typeof message?.envelope_id === 'string') {
        this.acks.push({ envelopeId: message.envelope_id, payload: message.payload, connection: connection.id, at: Date.now() });
      }
    });
    ws.on('close', (code: number) => {
      const at = this.connections.indexOf(connection);
      if (at >= 0) this.connections.splice(at, 1);
      this.closes.push({ connection: connection.id, code, at: Date.now() });
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.length,
        debug_info: { host: 'applink-standin', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: SOCKET_MODE_APP_ID },
      }),
    );
  }

  private newest(): Connection {
    const connection = this.connections.at(-1);
    if (!connection) throw new Error('No Socket Mode connection is open');
    return connection;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function poll<T>(probe: () => T | undefined, failure: () => string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((r) => setTimeout(r, 10));
  }
}
