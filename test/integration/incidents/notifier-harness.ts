/**
 * One Lifeboat process's alert path, built from the real pieces: the HTTP server with the intake
 * routes and the Slack events route, ingest on `RedisIncidentStore`, the incident notifier on
 * `RedisCardRefStore`, and the Slack surface (outbox and all) talking to the Slack stand-in.
 * Several harnesses on one Redis prefix are several Lifeboat processes.
 */
import type { Redis } from 'ioredis';
import { createSnsHttpDeps } from '../../../src/adapters/http/cert-fetcher.js';
import { LifeboatHttpServer } from '../../../src/adapters/http/http-server.js';
import { registerIncidentsApi, type IncidentsApiReport } from '../../../src/adapters/http/incidents-api.js';
import { INTAKE_PATHS, registerIntakeRoutes } from '../../../src/adapters/http/intake-routes.js';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { RedisCardRefStore } from '../../../src/adapters/redis/redis-card-ref-store.js';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { createSlackApp, SLACK_EVENTS_PATH, type SlackApp } from '../../../src/adapters/slack/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { textMessage } from '../../../src/core/message.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import { createChannelTriage } from '../../../src/incidents/channel-triage.js';
import { createIngest } from '../../../src/incidents/ingest.js';
import { IncidentNotifier } from '../../../src/incidents/notifier.js';
import { notificationsSettingsSchema, type NotificationsSettings } from '../../../src/incidents/notifier-settings.js';
import { triageSettingsSchema, type TriageSettings } from '../../../src/triage/settings.js';
import type { SlackStandIn } from '../../support/slack-standin.js';
import { fixture } from '../../unit/intake/fixtures.js';
import { testSettings, TOKENS } from '../intake/support.js';

export const SIGNING_SECRET = 'notifier-e2e-signing-secret';

/** Fast pacing: these tests are about what is sent, the outbox tests are about how fast. */
export const FAST_SLACK = {
  'chat.postMessage': { perMinute: 6000, burst: 20, scope: 'channel' as const },
  'chat.update': { perMinute: 6000, burst: 50, scope: 'workspace' as const },
};

export interface ProcessOptions {
  redis: Redis;
  standIn: SlackStandIn;
  clock: Clock;
  /** Shared by every "process" of one Lifeboat installation. */
  prefix: string;
  notifications: Record<string, unknown>;
  triage?: Record<string, unknown>;
  name?: string;
  apiTokens?: string[];
  /** Start the flusher loop (systemClock tests) or drive it with `flushNow` (ManualClock tests). */
  loop?: boolean;
  slow?: boolean;
}

export interface LifeboatProcess {
  base: string;
  notifier: IncidentNotifier;
  store: RedisIncidentStore;
  cards: RedisCardRefStore;
  slack: SlackApp;
  settings: NotificationsSettings;
  triage: TriageSettings;
  api: IncidentsApiReport;
  metrics: MetricsRegistry;
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; json: unknown }>;
  /** POST one EventBridge event (the EventBridge route, with its token). */
  event(event: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export async function startProcess(options: ProcessOptions): Promise<LifeboatProcess> {
  const triage = triageSettingsSchema.parse(options.triage ?? {});
  const settings = notificationsSettingsSchema.parse(options.notifications);
  const metrics = new MetricsRegistry();
  const store = new RedisIncidentStore(options.redis, { clock: options.clock, prefix: `${options.prefix}:inc`, retention: triage.retention });
  const cards = new RedisCardRefStore(options.redis, { prefix: `${options.prefix}:notify` });
  const ingest = createIngest({ store, settings: triage, clock: options.clock });
  const router = { handleCommand: () => Promise.resolve(textMessage('ok')), handleAction: () => Promise.resolve(undefined) };
  // The notifier is the channel triage's sink and the Slack app is the notifier's surface: bind late.
  const late: { notifier?: IncidentNotifier } = {};
  const sink = { accept: (alerts: Parameters<IncidentNotifier['accept']>[0]) => late.notifier!.accept(alerts) };
  const slack = createSlackApp({
    botToken: 'xoxb-notifier-e2e',
    signingSecret: SIGNING_SECRET,
    webApiUrl: options.standIn.apiUrl,
    router,
    logger: silentLogger,
    userGroups: false,
    ...(options.slow ? {} : { ratePolicies: FAST_SLACK }),
    channelTriage: createChannelTriage({ sink, settings, clock: options.clock, logger: silentLogger, metrics }),
  });
  const notifier = new IncidentNotifier({
    ingest,
    store,
    surface: slack.surface,
    cards,
    outbox: cards,
    storm: cards,
    settings,
    stormThreshold: triage.storm.alertsPerMinute,
    clock: options.clock,
    logger: silentLogger,
    metrics,
    owner: options.name ?? 'lifeboat',
    timelineLimit: triage.retention.timelineEntries,
    tickMs: 50,
  });
  late.notifier = notifier;

  const port = await freePort();
  const server = new LifeboatHttpServer({ host: '127.0.0.1', port, maxBodyBytes: 256 * 1024, logger: silentLogger, readiness: [], metrics: () => metrics.render() });
  const sns = createSnsHttpDeps({ fetch: () => Promise.reject(new Error('no network in tests')), topicArns: [], clock: options.clock, timeoutMs: 100 });
  registerIntakeRoutes(server, {
    sink: notifier,
    settings: testSettings({ sns: { topicArns: [] } }),
    snsVerifier: sns.snsVerifier,
    confirmSubscription: sns.confirmSubscription,
    metrics,
    logger: silentLogger,
    clock: options.clock,
    maxBodyBytes: 128 * 1024,
  });
  const api = registerIncidentsApi(server, { store, tokens: options.apiTokens ?? [], logger: silentLogger });
  if (slack.requestHandler) server.mount('POST', SLACK_EVENTS_PATH, slack.requestHandler);
  await server.listen();
  await slack.start();
  if (options.loop !== false) await notifier.start();
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body, headers });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON.
    }
    return { status: res.status, json };
  };
  return {
    base,
    notifier,
    store,
    cards,
    slack,
    settings,
    triage,
    api,
    metrics,
    post,
    event: (event) => post(INTAKE_PATHS.eventbridge, JSON.stringify(event), { 'x-lifeboat-token': TOKENS.eventbridge[0]!, 'content-type': 'application/json' }),
    async close() {
      await notifier.stop();
      await server.close();
      await slack.stop();
    },
  };
}

let taskSeq = 0;

/**
 * An `ECS Task State Change` STOPPED with `CannotPullContainerError … not found` for `service`
 * (the corpus event with a fresh task and event id, so each is a new delivery).
 */
export function stoppedTaskEvent(service: string, options: { cluster?: string; account?: string } = {}): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a corpus payload edited field by field
  const event = fixture<Record<string, any>>('ecs/ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json');
  taskSeq += 1;
  const cluster = options.cluster ?? 'prod';
  const account = options.account ?? '111122223333';
  const task = `${process.pid.toString(16)}${taskSeq.toString(16)}`.padStart(32, '0');
  const taskArn = `arn:aws:ecs:us-west-2:${account}:task/${cluster}/${task}`;
  event.id = `e2e-${process.pid}-${taskSeq}-${Date.now()}`;
  event.account = account;
  event.resources = [taskArn];
  event.detail.taskArn = taskArn;
  event.detail.clusterArn = `arn:aws:ecs:us-west-2:${account}:cluster/${cluster}`;
  event.detail.group = `service:${service}`;
  for (const c of event.detail.containers as Record<string, unknown>[]) c.taskArn = taskArn;
  return event;
}

/** A Slack Events API `message` callback, as Slack posts it to `/slack/events`. */
export function messageEvent(message: Record<string, unknown>): string {
  taskSeq += 1;
  return JSON.stringify({
    token: 'verification_token',
    team_id: 'T111',
    api_app_id: 'A111',
    event: { type: 'message', event_ts: message.ts, channel_type: 'channel', ...message },
    type: 'event_callback',
    event_id: `Ev${taskSeq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T111', user_id: 'U0LIFEBOAT', is_bot: true, is_enterprise_install: false }],
  });
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        const item = items[i];
        if (item === undefined) return;
        await work(item);
      }
    }),
  );
}
