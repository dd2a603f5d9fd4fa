/**
 * The composition root: the only file that sees every module. It creates the real clients
 * (Redis, Slack, AWS) from config and hands them to the modules as ports, so nothing deeper
 * ever creates a client of its own — a forgotten fake can never quietly reach the real world.
 */
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { createRecoveryOps } from './adapters/aws/recovery-clients.js';
import { createScanDeps } from './adapters/aws/scan-clients.js';
import { createSqsAlertPoller, type SqsAlertPoller } from './adapters/aws/sqs-alert-poller.js';
import { ConsoleSurface } from './adapters/console/console-surface.js';
import { createDrillJobHandlers, drillRecoverySettings, type DrillRuntime } from './adapters/drill/index.js';
import { createSnsHttpDeps } from './adapters/http/cert-fetcher.js';
import { registerImagesApi } from './adapters/http/images-api.js';
import { registerIncidentsApi } from './adapters/http/incidents-api.js';
import { registerIntakeRoutes } from './adapters/http/intake-routes.js';
import { LifeboatHttpServer } from './adapters/http/http-server.js';
import { createSlackApp, SLACK_EVENTS_PATH, type SlackApp } from './adapters/slack/index.js';
import { RedisAuditLog } from './adapters/redis/redis-audit-log.js';
import { RedisCardRefStore } from './adapters/redis/redis-card-ref-store.js';
import { RedisConfirmationStore } from './adapters/redis/redis-confirmation-store.js';
import { createPagers } from './adapters/paging/index.js';
import { RedisDigestIndex } from './adapters/redis/redis-digest-index.js';
import { RedisEscalationStore } from './adapters/redis/redis-escalation-store.js';
import { RedisIncidentStore } from './adapters/redis/redis-incident-store.js';
import { RedisRunbookStore } from './adapters/redis/redis-runbook-store.js';
import { RedisReportStore } from './adapters/redis/redis-report-store.js';
import { RedisScaleRecordStore } from './adapters/redis/redis-scale-record-store.js';
import { OciRegistryClient } from './adapters/registry/oci-registry-client.js';
import { checkRedisHealth, createRedisClient, evictionPolicyWarning, waitForRedis } from './adapters/redis/redis-connection.js';
import type { ChatRouter, ChatSurface, SurfaceName } from './chat/ports.js';
import { CommandRouter } from './chat/router.js';
import { createBuiltins } from './commands/builtins/index.js';
import type { StatusReport } from './commands/builtins/status.js';
import type { CommandRegistry } from './commands/registry.js';
import type { Config } from './config/load-config.js';
import type { Clock } from './core/clock.js';
import { LifeboatError } from './core/errors.js';
import type { JobHandler, JobHandlers } from './core/jobs.js';
import type { Logger } from './core/logger.js';
import { FILL_IN_COMMAND_ACTION, type Message } from './core/message.js';
import { MetricsRegistry } from './core/metrics.js';
import {
  approvalsFromRunbookStore,
  createEscalationBuiltins,
  createEscalationChat,
  createHeartbeatsJobHandler,
  createTimerHandler,
  EscalationEngine,
  escalationMetricsCollector,
  ESCALATION_METRIC_DECLARATIONS,
  HeartbeatMonitor,
  SyntheticChecks,
} from './escalation/index.js';
import { createCheckImagesJob } from './images/check-images-job.js';
import { ImageGuard, IMAGE_GUARD_TIMER } from './images/guard-runner.js';
import type { ScanReport } from './images/report.js';
import type { ScanDeps } from './images/scan.js';
import { resolveRegistryCredentials, retentionWarningHosts } from './images/settings.js';
import { incidentActionHandlers } from './incidents/action-handlers.js';
import { renderIncidentList } from './incidents/card.js';
import { CHANNEL_TRIAGE_METRIC, createChannelTriage } from './incidents/channel-triage.js';
import { createIngest, INGEST_METRIC } from './incidents/ingest.js';
import { withIncidentNotes } from './incidents/job-notes.js';
import { IncidentNotifier, ingestOnlySink, NOTIFIER_METRIC } from './incidents/notifier.js';
import type { IngestOutcome } from './triage/outcome.js';
import { INTAKE_METRICS } from './intake/metrics.js';
import type { AlertSink } from './intake/sink.js';
import { BullJobDispatcher, BullJobOutcomes, JobWorker } from './jobs/index.js';
import { DEFAULT_QUEUE } from './jobs/keys.js';
import { BullTimerScheduler, queueLagSeconds, TimerWorker, TIMER_QUEUE } from './jobs/timers.js';
import { createDiagnoseJob, createDigestCopyFinder, createRecoveryJobs, type QueueOps, type RecoveryDeps } from './recovery/index.js';
import { accessApprovals, checkImagesOutputs, createRunbooks, RunbookCatalog, type RunbookDefinition } from './runbooks/index.js';

export type Role = 'all' | 'bot' | 'worker';


/** The AWS side: real accounts through the SDK, or a drill account that can never touch one. */
export type World = { kind: 'aws' } | { kind: 'drill'; runtime: DrillRuntime };

/** Every job kind this build ships, whichever world it runs in. */
export const SHIPPED_JOB_KINDS = ['check-images', 'rebuild', 'redeploy', 'scale', 'restore', 'diagnose-service', 'heartbeats', 'drill', 'drill-list', 'drill-status'] as const;

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
  /** Validated runbooks (from `lifeboat check`'s loader). */
  runbooks: readonly RunbookDefinition[];
  /** Where AWS work happens: the real account (default) or a simulated drill account. */
  world?: World;
  /** Replaces the shipped job handlers (tests). */
  handlers?: JobHandlers;
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
  const latestReport = new RedisReportStore(producer, `${prefix}:images:latest`);

  const incidentStore = new RedisIncidentStore(producer, { clock, prefix: `${prefix}:inc`, retention: config.triage.retention });
  const ingest = createIngest({ store: incidentStore, settings: config.triage, clock, metrics });
  metrics.declare(INGEST_METRIC, 'counter', 'Alerts ingested, by outcome kind.');
  for (const m of Object.values(INTAKE_METRICS)) metrics.declare(m.name, m.type, m.help);
  // Guard and tripwire checks report through incidents (cards); in the terminal their own report
  // shows too, while a Slack deployment keeps it out of every channel (background jobs).
  const imageGuard = new ImageGuard({
    jobs: dispatcher,
    digests: new RedisDigestIndex(producer, `${prefix}:image-digests`),
    reports: latestReport,
    sink: { accept: (alerts) => alertSink.accept(alerts) },
    clock,
    ...(options.terminal ? { replyTo: { surface: 'console' as const, channel: 'terminal' } } : {}),
  });
  /**
   * Intake's sink: an alert is acknowledged to its sender once ingest stored it. Then the
   * tripwire: a deleted, expired or archived digest that a service runs, or a task that could
   * not pull its image, re-checks that service at once (a queued, deduplicated check).
   */
  const cardRefs = new RedisCardRefStore(producer, { prefix: `${prefix}:notify` });
  // Bound once the chat surfaces exist: cards go to Slack, or print in the terminal.
  let notifier: IncidentNotifier | undefined;
  // Escalation hears every ingest outcome; a lost hook is adopted by its periodic sweep.
  const onOutcome = async (outcome: IngestOutcome): Promise<void> => {
    await escalationEngine.onIngest(outcome).catch((err: unknown) => logger.warn({ err }, 'escalation hook failed; the sweep adopts the incident'));
  };
  const storeOnly = ingestOnlySink(ingest, onOutcome);
  const alertSink: AlertSink = {
    accept: async (incoming) => {
      // Heartbeat sources (a Watchdog alert, an always-ALARM alarm) prove a path is alive; they open nothing.
      const alerts = await heartbeatMonitor.filterAlerts(incoming);
      await (notifier ?? storeOnly).accept(alerts);
      await imageGuard.recheck(alerts).catch((err: unknown) => logger.warn({ err }, 'tripwire re-check not queued'));
    },
  };
  metrics.declare(NOTIFIER_METRIC, 'counter', 'Incident card posts and updates, by kind.');
  metrics.declare(CHANNEL_TRIAGE_METRIC, 'counter', 'Messages read in alert channels, by outcome.');
  const world: World = options.world ?? { kind: 'aws' };
  if (world.kind === 'drill') world.runtime.attachSink(alertSink);
  const aws = options.handlers ? undefined : createWorldHandlers(world, { config, clock, logger, producer, version: options.version, prefix, onReport: imageGuard.onReport });

  const surfaces: Partial<Record<SurfaceName, ChatSurface>> = {};

  const escalationStore = new RedisEscalationStore(producer, { prefix: `${prefix}:esc` });
  const timers = new BullTimerScheduler({ connection: producer, logger, prefix, clock });
  const runbookStore = new RedisRunbookStore(producer, { prefix: `${prefix}:runbook:` });
  const heartbeatMonitor = new HeartbeatMonitor({ heartbeats: config.escalation.heartbeats, store: escalationStore, sink: alertSink, clock, logger: logger.child({ component: 'heartbeats' }), metrics, checkEveryMs: config.escalation.heartbeatCheckSeconds * 1000 });
  const synthetics = new SyntheticChecks({ checks: config.escalation.synthetics, store: escalationStore, sink: alertSink, fetch: globalThis.fetch, clock, logger: logger.child({ component: 'synthetics' }), metrics });
  const notificationChannel = config.notifications.channel;
  const escalationEngine = new EscalationEngine({
    settings: config.escalation,
    incidents: incidentStore,
    state: escalationStore,
    claims: escalationStore,
    timers,
    chat: createEscalationChat({
      cardOf: (id) => cardRefs.get(id),
      surfaces,
      fallback: notificationChannel ? { surface: 'slack', channel: notificationChannel } : options.terminal ? { surface: 'console', channel: 'terminal' } : undefined,
    }),
    pagers: createPagers(config.escalation, config.escalationSecrets, { fetch: globalThis.fetch }),
    clock,
    logger: logger.child({ component: 'escalation' }),
    metrics,
    approvals: approvalsFromRunbookStore(runbookStore),
    // The growing-after-mitigation rule reads the queue of a queue-backlog incident (SQS).
    backlog: {
      backlog: async (incident) => {
        const queue = incident.target.queue;
        if (!queue || !aws) return undefined;
        return (await (await aws.queues()).approximateBacklog(queue)).visible;
      },
    },
  });
  for (const m of ESCALATION_METRIC_DECLARATIONS) metrics.declare(m.name, m.type, m.help);
  const consoleSurface = options.terminal ? new ConsoleSurface(options.terminal) : undefined;
  if (consoleSurface) surfaces.console = consoleSurface;

  // Recovery commands note what they did on the open incidents of their target.
  const handlers: JobHandlers = withIncidentNotes(options.handlers ?? { ...aws?.handlers, heartbeats: createHeartbeatsJobHandler(heartbeatMonitor, clock) }, ['rebuild', 'redeploy', 'scale', 'restore'], {
    store: incidentStore,
    logger,
  });
  const jobKinds = new Set(Object.keys(handlers));

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

  const outcomes = new BullJobOutcomes({ connection: producer, logger, prefix });
  const runbooks = createRunbooks({
    catalog: new RunbookCatalog(options.runbooks),
    registry: options.registry,
    store: runbookStore,
    escalation: escalationEngine.runbookEscalation(),
    outcomes,
    surfaces,
    timeline: {
      append: async (incidentId, entry) => {
        await incidentStore.appendTimeline(incidentId, { kind: 'job', text: entry.text, by: entry.by, at: entry.at });
      },
    },
    audit,
    approvals: accessApprovals(config.access),
    clock,
    logger,
    incidents: {
      get: async (id) => {
        const details = await incidentStore.get(id, { timelineLimit: 0 });
        if (!details) return undefined;
        const i = details.incident;
        // The checklist goes in the thread under the incident's card, where the team already looks.
        const card = await cardRefs.get(i.id);
        const thread = card ? { surface: card.surface, channel: card.channel, threadTs: card.ts } : undefined;
        return { id: i.id, class: i.class, title: i.title, summary: i.summary, severity: i.severity, pullFailure: i.pullFailure, target: { ...i.target }, ...(thread ? { thread } : {}) };
      },
    },
    confirmTtlMs: config.confirmations.ttlMs,
  });

  const router = new CommandRouter({
    registry: options.registry,
    builtins: createBuiltins({ registry: options.registry, jobKinds, status: { status }, audit, jobs: dispatcher, incidents: {
        store: incidentStore,
        onChange: async (incident) => {
          await notifier?.refresh(incident);
          await escalationEngine.onTransition(incident);
        },
      },
      runbooks: runbooks.builtins,
      escalation: createEscalationBuiltins({ engine: escalationEngine, incidents: incidentStore, state: escalationStore, clock }),
    }),
    actionHandlers: {
      ...incidentActionHandlers(),
      ...runbooks.actionHandlers,
      // Surfaces without modals (the terminal) show the command to complete and type.
      [FILL_IN_COMMAND_ACTION]: (request) =>
        Promise.resolve({ summary: 'Type this, with your values:', blocks: [{ type: 'text', text: 'Type this, with your values:' }, { type: 'code', text: request.value }] }),
    },
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

  /** App Home: the open incidents and the job queue, read fresh each time someone opens it. */
  const homeTab = async (): Promise<Message> => {
    const open = renderIncidentList(await incidentStore.listOpen(20), 'open');
    const counts = await dispatcher.jobCounts().catch(() => undefined);
    const jobs = counts ? `running ${counts.active}, waiting ${counts.waiting + counts.delayed}, failed (kept) ${counts.failed}` : 'unknown (Redis is not answering)';
    return { summary: open.summary, tone: open.tone, blocks: [...open.blocks, { type: 'divider' }, { type: 'header', text: 'Jobs' }, { type: 'text', text: jobs }] };
  };

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
      homeSections: homeTab,
      onApiCall: (method, outcome) => metrics.increment('lifeboat_slack_api_calls_total', { method, outcome }),
      ...(config.notifications.alertChannels.length > 0
        ? { channelTriage: createChannelTriage({ sink: alertSink, settings: config.notifications, clock, logger: logger.child({ component: 'channel-triage' }), metrics }) }
        : {}),
    });
    surfaces.slack = slack.surface;
  }
  const slackApp = slack;

  // Cards go to Slack when it is on; in the terminal they print there (channel "terminal").
  const cardSurface = slackApp?.surface ?? consoleSurface;
  if (cardSurface && role !== 'worker') {
    const settings = slackApp || config.notifications.channel ? config.notifications : { ...config.notifications, channel: 'terminal' };
    notifier = new IncidentNotifier({
      ingest,
      store: incidentStore,
      surface: cardSurface,
      cards: cardRefs,
      outbox: cardRefs,
      storm: cardRefs,
      settings,
      stormThreshold: config.triage.storm.alertsPerMinute,
      timelineLimit: config.triage.retention.timelineEntries,
      clock,
      logger: logger.child({ component: 'notifier' }),
      metrics,
      onOutcome,
    });
  }

  runbooks.commands.bind(router);

  metrics.onCollect(
    escalationMetricsCollector({
      metrics,
      incidents: incidentStore,
      clock,
      heartbeats: heartbeatMonitor,
      queueLag: async () => ({ [TIMER_QUEUE]: await timers.lagSeconds(), [DEFAULT_QUEUE]: await queueLagSeconds(producer, { prefix, queueName: DEFAULT_QUEUE }) }),
    }),
  );
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
  if (http && role !== 'worker') {
    const intake = registerIntakeRoutes(http, {
      sink: alertSink,
      settings: config.intake,
      ...createSnsHttpDeps({ fetch: globalThis.fetch, topicArns: config.intake.sns.topicArns, clock }),
      metrics,
      logger: logger.child({ component: 'intake' }),
      clock,
      maxBodyBytes: config.http.maxBodyBytes,
    });
    for (const route of intake.mounted) logger.info(route, 'intake route mounted');
    for (const warning of intake.warnings) logger.info(warning);
    const api = registerIncidentsApi(http, { store: incidentStore, tokens: config.apiTokens, logger: logger.child({ component: 'api' }) });
    if (api.warning) logger.info(api.warning);
    registerImagesApi(http, { latest: () => latestReport.latest(), tokens: config.apiTokens });
  }
  const poller: SqsAlertPoller | undefined =
    config.intake.sqs && role !== 'worker' && world.kind === 'aws'
      ? createSqsAlertPoller(config.intake.sqs, { region: config.aws.region, sink: alertSink, metrics, logger, clock })
      : undefined;

  let workerRedis: ReturnType<typeof createRedisClient> | undefined;
  let worker: JobWorker | undefined;
  let timerRedis: ReturnType<typeof createRedisClient> | undefined;
  let timerWorker: TimerWorker | undefined;
  let simulatedTimers: ReturnType<typeof setInterval> | undefined;

  const app: LifeboatApp = {
    router,
    consoleSurface,
    dispatcher,
    metrics,
    status,
    async start() {
      await waitForRedis(producer, 5000);
      const health = await checkRedisHealth(producer, 3000);
      if (!health.ok) logger.warn({ error: health.error }, 'Redis is not answering yet; commands will say so until it does');
      const warning = evictionPolicyWarning(health);
      if (warning) logger.warn(warning);
      if (role !== 'bot') {
        workerRedis = createRedisClient(options.redisUrl, { role: 'worker', logger, connectionName: 'lifeboat-worker' });
        worker = new JobWorker({ connection: workerRedis, prefix, handlers, surfaces, logger, concurrency: config.jobs.concurrency, progressIntervalMs: config.jobs.progressIntervalMs });
        await worker.start();
        timerRedis = createRedisClient(options.redisUrl, { role: 'worker', logger, connectionName: 'lifeboat-timers' });
        timerWorker = new TimerWorker({ connection: timerRedis, prefix, logger, handler: createTimerHandler([escalationEngine, heartbeatMonitor, synthetics, imageGuard], logger) });
        await timerWorker.start();
        // A drill's clock runs ahead of real time: fire escalation timers when *its* time comes.
        if (world.kind === 'drill') {
          simulatedTimers = setInterval(() => {
            timers.promoteDue(clock.now()).catch((err: unknown) => logger.warn({ err }, 'could not fire due drill timers; the next tick tries again'));
          }, 1000);
          simulatedTimers.unref();
        }
      }
      if (health.ok && options.serveHttp) {
        // Repeating timers (sweep, heartbeat checks, probes) are upserted by id: once across processes.
        await escalationEngine.start();
        await heartbeatMonitor.start(timers);
        await synthetics.start(timers);
        const guardMs = config.images.guardEveryMinutes * 60_000;
        // Drills run on simulated time, where a real-time schedule means nothing: they are checked by hand.
        if (guardMs > 0 && world.kind === 'aws' && jobKinds.has('check-images')) await timers.scheduleRepeating(IMAGE_GUARD_TIMER, guardMs, { kind: IMAGE_GUARD_TIMER });
        else await timers.cancelRepeating(IMAGE_GUARD_TIMER);
      }
      if (http) app.httpAddress = await http.listen();
      // A worker-only process posts through the Slack surface but never receives events.
      if (slackApp && role !== 'worker') await slackApp.start();
      await notifier?.start();
      poller?.start();
      // A long-lived process picks up runbooks a restart interrupted; one-shot `run` does not.
      if (role !== 'worker' && options.serveHttp && health.ok) await runbooks.engine.resume();
    },
    async stop() {
      await http?.close();
      await poller?.stop();
      await notifier?.stop();
      await slackApp?.stop();
      await runbooks.engine.close();
      await outcomes.close();
      clearInterval(simulatedTimers);
      await timerWorker?.close();
      await worker?.close();
      await timers.close();
      await dispatcher.close();
      producer.disconnect();
      workerRedis?.disconnect();
      timerRedis?.disconnect();
      aws?.close();
    },
  };
  return app;

}

interface WorldContext {
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  producer: ReturnType<typeof createRedisClient>;
  version: string;
  prefix: string;
  onReport: (report: ScanReport) => Promise<void>;
}

/**
 * The job handlers of the shipped commands, over the real AWS account or a drill account. Built
 * here because handlers need real clients, which only the composition root may create.
 */
function createWorldHandlers(world: World, ctx: WorldContext): { handlers: JobHandlers; queues: () => Promise<QueueOps>; close(): void } {
  const { config, clock, logger } = ctx;
  const scaleRecords = new RedisScaleRecordStore(ctx.producer, { key: `${ctx.prefix}:scale-records` });
  if (world.kind === 'drill') {
    const { runtime } = world;
    const p = runtime.ports;
    const settings = drillRecoverySettings(config.recovery);
    const images: ScanDeps = {
      ...runtime.scanDeps,
      findCopy: createDigestCopyFinder({ restore: p.restore, ecrFor: (id, region) => runtime.scanDeps.ecrFor(id, region), sources: settings.restore.sources, clock: runtime.clock }),
    };
    const recovery = createRecoveryJobs({
      account: p.account,
      region: p.region,
      ecs: p.ecs,
      codebuild: p.codebuild,
      queues: p.queues,
      scaling: p.scaling,
      imageConfig: p.imageConfig,
      restore: p.restore,
      images,
      scaleRecords,
      settings,
      clock: runtime.clock,
      sleep: runtime.sleep,
    });
    return {
      handlers: {
        ...createDrillJobHandlers(runtime),
        'check-images': checkImages(images, config, ctx.onReport),
        ...recovery,
        'diagnose-service': createDiagnoseJob({ audit: p.audit }),
      },
      queues: () => Promise.resolve(p.queues),
      close: () => {},
    };
  }

  const logins = resolveRegistryCredentials(config.registries, process.env);
  const scan = createScanDeps(
    { targets: [...config.aws.targets] },
    {
      region: config.aws.region,
      clock,
      logger,
      registry: new OciRegistryClient({ fetch: globalThis.fetch, credentials: logins.credentials, userAgent: `lifeboat/${ctx.version}` }),
      retentionWarningHosts: retentionWarningHosts(config.images, config.registries),
    },
  );
  // Recovery acts in one account and Region: the first configured target, else the one the
  // default credentials resolve to (known only after the scan deps have asked STS once).
  let recovery: Promise<{ jobs: ReturnType<typeof createRecoveryJobs>; diagnose: JobHandler; queues: QueueOps; close(): void }> | undefined;
  const recoveryJobs = () =>
    (recovery ??= (async () => {
      await scan.prepare?.();
      const target = config.aws.targets[0] ?? scan.targets[0];
      if (!target) throw new LifeboatError('AWS_ERROR', 'No AWS account to act in: set AWS_REGION and credentials, or list aws.targets in lifeboat.yaml.');
      const ops = createRecoveryOps(target, { clock, logger, fetch: globalThis.fetch, replication: (id, region) => scan.replicationDestinations(id, region) });
      const deps: RecoveryDeps = { account: target.account, region: target.region, ...ops, images: scan, scaleRecords, settings: config.recovery, clock };
      return { jobs: createRecoveryJobs(deps), diagnose: createDiagnoseJob({ audit: ops.audit }), queues: ops.queues, close: () => ops.destroy() };
    })().catch((err: unknown) => {
      recovery = undefined; // the next command tries again (credentials may have been fixed)
      throw err;
    }));
  // A missing digest that a replica still holds is restored, not rebuilt. Each registry's replication
  // is read with the scan's credentials for its account (ECR describes only the caller's registry).
  scan.findCopy = createDigestCopyFinder({
    restore: { replicationDestinations: (id, region) => scan.replicationDestinations(id, region) },
    ecrFor: (id, region) => scan.ecrFor(id, region),
    sources: config.recovery.restore.sources,
    clock,
  });
  const lazy = (kind: 'rebuild' | 'redeploy' | 'scale' | 'restore'): JobHandler => async (data, jobCtx) => (await recoveryJobs()).jobs[kind](data, jobCtx);
  return {
    handlers: {
      'check-images': checkImages(scan, config, ctx.onReport),
      rebuild: lazy('rebuild'),
      redeploy: lazy('redeploy'),
      scale: lazy('scale'),
      restore: lazy('restore'),
      'diagnose-service': async (data, jobCtx) => (await recoveryJobs()).diagnose(data, jobCtx),
    },
    queues: async () => (await recoveryJobs()).queues,
    close: () => {
      scan.destroy();
      void recovery?.then((r) => r.close(), () => {});
    },
  };
}

function checkImages(scan: ScanDeps, config: Readonly<Config>, onReport: (report: ScanReport) => Promise<void>): JobHandler {
  return createCheckImagesJob(scan, {
    outputs: checkImagesOutputs,
    onReport,
    horizonDays: config.images.horizonDays,
    burstMargin: config.images.burstMargin,
    lifecyclePreview: config.images.lifecyclePreview && { timeoutMs: config.images.previewTimeoutSeconds * 1000 },
  });
}
