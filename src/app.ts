/**
 * The composition root: the only file that sees every module. It creates the real clients
 * (Redis, Slack, AWS) from config and hands them to the modules as ports, so nothing deeper
 * ever creates a client of its own — a forgotten fake can never quietly reach the real world.
 */
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { ConsoleSurface } from './adapters/console/console-surface.js';
import { LifeboatHttpServer } from './adapters/http/http-server.js';
import { createSlackApp, SLACK_EVENTS_PATH, type SlackApp } from './adapters/slack/index.js';
import { RedisAuditLog } from './adapters/redis/redis-audit-log.js';
import { RedisConfirmationStore } from './adapters/redis/redis-confirmation-store.js';
import { checkRedisHealth, createRedisClient, evictionPolicyWarning } from './adapters/redis/redis-connection.js';
import type { ChatRouter, ChatSurface, SurfaceName } from './chat/ports.js';
import { CommandRouter } from './chat/router.js';
import { createBuiltins } from './commands/builtins/index.js';
import type { StatusReport } from './commands/builtins/status.js';
import type { CommandRegistry } from './commands/registry.js';
import type { Config } from './config/load-config.js';
import type { Clock } from './core/clock.js';
import type { JobHandlers } from './core/jobs.js';
import type { Logger } from './core/logger.js';
import { MetricsRegistry } from './core/metrics.js';
import { BullJobDispatcher, JobWorker } from './jobs/index.js';

export type Role = 'all' | 'bot' | 'worker';

export interface AppOptions {
  config: Readonly<Config>;
  redisUrl: string;
  /** Where Redis is, for people (no password): "embedded on 127.0.0.1:6390" or the host. */
  redisWhere: string;
  role: Role;
  logger: Logger;
  clock: Clock;
  version: string;
  registry: CommandRegistry;
  handlers: JobHandlers;
  /** Where the terminal surface prints; set when the terminal is a chat surface (REPL or `run`). */
  terminal?: Writable;
  /** Serve the HTTP port (off for one-shot `lifeboat run`). */
  serveHttp: boolean;
}

export interface LifeboatApp {
  router: ChatRouter;
  consoleSurface?: ConsoleSurface;
  dispatcher?: BullJobDispatcher;
  metrics: MetricsRegistry;
  /** Set after `start()` when serving HTTP. */
  httpAddress?: AddressInfo;
  status(): Promise<StatusReport>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildApp(options: AppOptions): LifeboatApp {
  const { config, logger, clock, role } = options;
  const startedAt = clock.now();
  const metrics = new MetricsRegistry();
  metrics.declare('lifeboat_commands_total', 'counter', 'Commands run, by command id.');
  metrics.declare('lifeboat_jobs', 'gauge', 'Jobs in the queue, by state.');
  metrics.declare('lifeboat_http_requests_total', 'counter', 'HTTP requests, by route and status.');
  metrics.declare('lifeboat_slack_api_calls_total', 'counter', 'Slack Web API calls, by method and outcome (ok, error, ratelimited).');

  const producer = createRedisClient(options.redisUrl, { role: 'producer', logger, connectionName: `lifeboat-${role}` });
  const prefix = config.redis.prefix;
  const audit = new RedisAuditLog(producer, { key: `${prefix}:audit` });
  const confirmations = new RedisConfirmationStore(producer, { clock, prefix: `${prefix}:confirm:` });
  const dispatcher = new BullJobDispatcher({ connection: producer, logger, prefix });

  const surfaces: Partial<Record<SurfaceName, ChatSurface>> = {};
  const consoleSurface = options.terminal ? new ConsoleSurface(options.terminal) : undefined;
  if (consoleSurface) surfaces.console = consoleSurface;

  const jobKinds = new Set(Object.keys(options.handlers));
  // Assigned below, once the router exists: Slack hands commands to it, and status reports on Slack.
  let slack: SlackApp | undefined;
  const status = async (): Promise<StatusReport> => {
    const health = await checkRedisHealth(producer);
    let jobs: StatusReport['jobs'];
    try {
      jobs = await dispatcher.jobCounts();
    } catch (err) {
      jobs = { error: err instanceof Error ? err.message : String(err) };
    }
    return {
      version: options.version,
      redis: health.ok
        ? { ok: true, latencyMs: health.latencyMs, where: options.redisWhere, maxmemoryPolicy: health.maxmemoryPolicy }
        : { ok: false, where: options.redisWhere, error: health.error },
      jobs,
      surfaces: [
        ...(consoleSurface ? [{ name: 'terminal', connected: true }] : []),
        ...(slack ? [{ name: `slack (${slack.mode} mode)`, connected: slack.isReady() }] : []),
      ],
      role,
      uptimeSeconds: (clock.now() - startedAt) / 1000,
    };
  };

  const router = new CommandRouter({
    registry: options.registry,
    builtins: createBuiltins({ registry: options.registry, jobKinds, status: { status }, audit, jobs: dispatcher }),
    jobs: dispatcher,
    jobKinds,
    audit,
    confirmations,
    access: config.access,
    clock,
    confirmTtlMs: config.confirmations.ttlMs,
    logger: logger.child({ component: 'router' }),
    metrics,
  });

  if (config.slack.mode !== 'off' && config.slack.botToken) {
    slack = createSlackApp({
      botToken: config.slack.botToken,
      appToken: config.slack.appToken,
      signingSecret: config.slack.signingSecret,
      slashCommand: config.slack.slashCommand,
      webApiUrl: config.slack.apiUrl,
      router,
      logger,
      bodyLimitBytes: config.http.maxBodyBytes,
      onApiCall: (method, outcome) => metrics.increment('lifeboat_slack_api_calls_total', { method, outcome }),
    });
    surfaces.slack = slack.surface;
  }
  const slackApp = slack;

  metrics.onCollect(async () => {
    const counts = await dispatcher.jobCounts();
    for (const [state, n] of Object.entries(counts)) metrics.set('lifeboat_jobs', { state }, n);
  });

  const http = options.serveHttp
    ? new LifeboatHttpServer({
        host: config.http.host,
        port: config.http.port,
        maxBodyBytes: config.http.maxBodyBytes,
        logger: logger.child({ component: 'http' }),
        metrics: () => metrics.render(),
        onRequest: (route, statusCode) => metrics.increment('lifeboat_http_requests_total', { route, status: String(statusCode) }),
        readiness: [
          { name: 'redis', check: async () => {
            const h = await checkRedisHealth(producer);
            return h.ok ? { ok: true } : { ok: false, detail: h.error };
          } },
          ...(slackApp && role !== 'worker' ? [{ name: 'slack', check: () => Promise.resolve(slackApp.isReady() ? { ok: true } : { ok: false, detail: `not connected (${slackApp.mode} mode)` }) }] : []),
        ],
      })
    : undefined;
  if (http && slackApp?.requestHandler && role !== 'worker') http.mount('POST', SLACK_EVENTS_PATH, slackApp.requestHandler);

  let workerRedis: ReturnType<typeof createRedisClient> | undefined;
  let worker: JobWorker | undefined;

  const app: LifeboatApp = {
    router,
    consoleSurface,
    dispatcher,
    metrics,
    status,
    async start() {
      const health = await checkRedisHealth(producer, 3000);
      if (!health.ok) logger.warn({ error: health.error }, 'Redis is not answering yet; commands will say so until it does');
      const warning = evictionPolicyWarning(health);
      if (warning) logger.warn(warning);
      if (role !== 'bot') {
        workerRedis = createRedisClient(options.redisUrl, { role: 'worker', logger, connectionName: 'lifeboat-worker' });
        worker = new JobWorker({ connection: workerRedis, prefix, handlers: options.handlers, surfaces, logger, concurrency: config.jobs.concurrency, progressIntervalMs: config.jobs.progressIntervalMs });
        await worker.start();
      }
      if (http) app.httpAddress = await http.listen();
      // A worker-only process posts through the Slack surface but never receives events.
      if (slackApp && role !== 'worker') await slackApp.start();
    },
    async stop() {
      await http?.close();
      await slackApp?.stop();
      await worker?.close();
      await dispatcher.close();
      producer.disconnect();
      workerRedis?.disconnect();
    },
  };
  return app;
}

/**
 * The job handlers this build ships, by job kind. Commands whose job is not here answer
 * "not available yet". Built here because handlers need the real AWS clients.
 */
export function createJobHandlers(): JobHandlers {
  return {};
}
