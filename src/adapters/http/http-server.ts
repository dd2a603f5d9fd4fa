import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.js';

/** A request handler mounted on the shared server. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  metrics: () => Promise<string>;
  onRequest?: (route: string, status: number) => void;
}

/**
 * Lifeboat's one HTTP server: health, readiness and metrics, plus whatever the composition root
 * mounts (the Slack receiver in HTTP mode, the intake routes, the read API). Request bodies are
 * capped before any handler sees them.
 */
export class LifeboatHttpServer {
  private readonly routes: { method: string; prefix: string; handler: RouteHandler }[] = [];
  private server: Server | undefined;

  constructor(private readonly options: HttpServerOptions) {}

  /** Mounts a handler for a method and a path (exact, or a prefix when it ends with `/`). */
  mount(method: string, path: string, handler: RouteHandler): void {
    this.routes.push({ method, prefix: path, handler });
  }

  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      void this.dispatch(req, res);
    });
    // Slow-loris protection: a request must arrive whole within 30 s.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let route = path;
    try {
      if (req.method === 'GET' && path === '/healthz') return this.send(res, 200, { ok: true }, route);
      if (req.method === 'GET' && path === '/readyz') return await this.ready(res);
      if (req.method === 'GET' && path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(await this.options.metrics());
        return this.options.onRequest?.('/metrics', 200);
      }
      const match = this.routes.find((r) => r.method === req.method && (r.prefix.endsWith('/') ? path.startsWith(r.prefix) : path === r.prefix));
      if (!match) {
        const known = this.routes.some((r) => (r.prefix.endsWith('/') ? path.startsWith(r.prefix) : path === r.prefix));
        return this.send(res, known ? 405 : 404, { error: known ? `method ${req.method} not allowed on ${path}` : `no route ${path}` }, path);
      }
      route = match.prefix;
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > this.options.maxBodyBytes) {
        req.resume();
        return this.send(res, 413, { error: `body of ${length} bytes is over the limit of ${this.options.maxBodyBytes} bytes` }, route);
      }
      // Handlers like Bolt's answer asynchronously after returning: count when the response ends.
      const counted = route;
      res.once('finish', () => this.options.onRequest?.(counted, res.statusCode));
      await match.handler(req, res);
    } catch (err) {
      this.options.logger.error({ err, path }, 'http handler failed');
      if (!res.headersSent) this.send(res, 500, { error: 'internal error; see the Lifeboat log' }, route);
      else res.end();
    }
  }

  private async ready(res: ServerResponse): Promise<void> {
    const results = await Promise.all(
      this.options.readiness.map(async (c) => {
        try {
          return { name: c.name, ...(await c.check()) };
        } catch (err) {
          return { name: c.name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    this.send(res, ok ? 200 : 503, { ok, checks: results }, '/readyz');
  }

  private send(res: ServerResponse, status: number, body: unknown, route: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    this.options.onRequest?.(route, status);
  }
}

/**
 * Reads a request body up to `limit` bytes. Chunked bodies have no Content-Length, so the cap
 * is enforced while reading too.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<{ ok: true; body: Buffer } | { ok: false; status: 413 }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { ok: false, status: 413 };
    chunks.push(chunk);
  }
  return { ok: true, body: Buffer.concat(chunks) };
}
