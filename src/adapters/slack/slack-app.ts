import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { ChatRouter } from '../../chat/ports.js';
import { LifeboatError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ChannelTriage } from '../../incidents/channel-triage.js';
import { registerActionListener } from './action-listener.js';
import { boltLogger } from './bolt-logger.js';
import { registerChannelListener } from './channel-listener.js';
import { registerCommandListener } from './command-listener.js';
import { registerCommandModal } from './command-modal.js';
import type { HomeSections } from './home-listener.js';
import { placeholderHome, registerHomeListener } from './home-listener.js';
import { InFlight } from './in-flight.js';
import type { RatePolicy } from './rate-policy.js';
import { toSlackApiError } from './slack-api-error.js';
import { SlackSurface } from './slack-surface.js';
import { UserGroupResolver } from './user-groups.js';
import type { ApiCallObserver } from './web-api-outbox.js';
import { SlackOutbox } from './web-api-outbox.js';

/** Where Slack sends slash commands, interactivity and events in HTTP mode (one path for all). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** A Node `http` request listener. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Everything {@link createSlackApp} needs; real values come from the config at the composition root. */
export interface SlackAppOptions {
  /** `xoxb-…` */
  botToken: string;
  /** Required in HTTP mode; ignored in Socket Mode. */
  signingSecret?: string;
  /** `xapp-…`: when set, Socket Mode (no public URL needed); otherwise HTTP mode. */
  appToken?: string;
  /** Default `/lifeboat`. */
  slashCommand?: string;
  router: ChatRouter;
  logger: Logger;
  /** The App Home content; a placeholder until incidents and jobs exist. */
  homeSections?: HomeSections;
  /** Base URL of the Web API, e.g. a local stand-in in tests (default `https://slack.com/api/`). */
  webApiUrl?: string;
  /** Counts every Web API attempt by method and outcome (for /metrics). */
  onApiCall?: ApiCallObserver;
  /** User-group lookups for permissions (needs `usergroups:read`); `false` turns them off. */
  userGroups?: false | { ttlMs?: number };
  /** HTTP mode: largest request body Bolt reads (default 256 KiB); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Pacing overrides per Web API method (tests use fast ones). */
  ratePolicies?: Readonly<Record<string, RatePolicy>>;
  maxRateLimitRetries?: number;
  /**
   * Alert-channel triage (`createChannelTriage`): messages other integrations post in its
   * channels become alerts. Needs `channels:history` / `groups:history` and the
   * `message.channels` / `message.groups` events (docs/slack.md). Off when absent.
   */
  channelTriage?: ChannelTriage;
}

/** A configured Slack connection: Bolt app, outbox, surface, and (HTTP mode) a request handler. */
export interface SlackApp {
  readonly mode: 'socket' | 'http';
  /** The Bolt app, for adding listeners (modals, shortcuts) later. */
  readonly app: App;
  /** The `ChatSurface` that jobs, incidents and the router post through. */
  readonly surface: SlackSurface;
  readonly outbox: SlackOutbox;
  /**
   * HTTP mode only (undefined in Socket Mode): the handler to mount on `POST /slack/events` of
   * Lifeboat's one HTTP server. Answers 503 until {@link SlackApp.start} has finished.
   */
  readonly requestHandler: HttpHandler | undefined;
  /** True once started and, in Socket Mode, while the WebSocket is connected (for /readyz). */
  isReady(): boolean;
  /** Checks the bot token (`auth.test`); in Socket Mode also opens the WebSocket. */
  start(): Promise<void>;
  /** Stops receiving, then waits for in-flight commands and queued Slack calls. */
  stop(): Promise<void>;
  /** Resolves when no listener work and no Slack call is pending. */
  idle(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 256 * 1024;
// Bolt rejects old timestamps only; a signed request from the future is just as replayable.
const MAX_CLOCK_SKEW_SEC = 5 * 60;

/**
 * Builds the Slack side of Lifeboat on Bolt 5.
 *
 * **Modes.** With `appToken`, Bolt's `SocketModeReceiver` (no inbound HTTP). Otherwise an
 * `HTTPReceiver` whose signature check (HMAC-SHA256 over `v0:<ts>:<raw body>`, 5-minute window)
 * guards `/slack/events`; an empty signing secret refuses to start.
 *
 * **Sharing the HTTP server.** The receiver's own server is never started. Bolt 5.1's
 * `HTTPReceiver.requestListener` is a plain `(req, res)` listener that routes by path and throws
 * `HTTPReceiverDeferredRequestError` for paths it does not own, so it can be called from any
 * Node server: Lifeboat's server routes `POST /slack/events` to {@link SlackApp.requestHandler},
 * which adds a 503-until-started guard, a future-timestamp check and a 404 for stray paths.
 * The body must reach Bolt unread (it needs the exact bytes for the signature), or, if the server
 * has already buffered it (to enforce its own size cap), attached as `req.rawBody` (a `Buffer`):
 * Bolt's `bufferIncomingMessage` reuses that instead of reading the stream again.
 *
 * **Web API.** Bolt's client is built with `rejectRateLimitedCalls: true` and every call goes
 * through {@link SlackOutbox}, which waits out 429s per method + channel.
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  if (!options.botToken.trim()) {
    throw new LifeboatError('CONFIG_INVALID', 'SLACK_BOT_TOKEN is empty; Slack needs the bot token (xoxb-…) from the app\'s "OAuth & Permissions" page.');
  }
  const socketMode = Boolean(options.appToken?.trim());
  const signingSecret = options.signingSecret?.trim() ?? '';
  if (!socketMode && !signingSecret) {
    throw new LifeboatError(
      'CONFIG_INVALID',
      'SLACK_SIGNING_SECRET is empty, so Slack HTTP mode cannot verify that requests come from Slack and will not start. ' +
        'Set it from the app\'s "Basic Information" page, or set SLACK_APP_TOKEN to use Socket Mode instead.',
    );
  }

  const logger = options.logger.child({ component: 'slack' });
  const bLogger = boltLogger(logger);
  const receiver = socketMode
    ? new SocketModeReceiver({
        appToken: options.appToken ?? '',
        logger: bLogger,
        // The socket client has its own Web API client (app token, `apps.connections.open`): it must
        // go to the configured Slack API too, not always to slack.com.
        ...(options.webApiUrl ? { installerOptions: { clientOptions: { slackApiUrl: options.webApiUrl } } } : {}),
      })
    : new HTTPReceiver({
        signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        logger: bLogger,
        bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
        processBeforeResponse: false,
      });

  const app = new App({
    token: options.botToken,
    receiver,
    socketMode,
    logger: bLogger,
    // auth.test runs in start(), so a bad token fails there and not on the first request.
    deferInitialization: true,
    convoStore: false,
    clientOptions: {
      ...(options.webApiUrl ? { slackApiUrl: options.webApiUrl } : {}),
      rejectRateLimitedCalls: true,
      retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
      timeout: 30_000,
    },
  });
  app.error((err) => {
    logger.error({ err }, 'A Slack listener failed');
    return Promise.resolve();
  });

  const outbox = new SlackOutbox({
    client: app.client,
    logger,
    onApiCall: options.onApiCall,
    policies: options.ratePolicies,
    maxRateLimitRetries: options.maxRateLimitRetries,
  });
  const surface = new SlackSurface(outbox);
  const groups = options.userGroups === false ? undefined : new UserGroupResolver({ outbox, logger, ttlMs: options.userGroups?.ttlMs });
  const inFlight = new InFlight();
  const deps = { router: options.router, outbox, surface, groups, inFlight, logger };
  registerCommandListener(app, options.slashCommand ?? '/lifeboat', deps);
  registerActionListener(app, deps);
  registerCommandModal(app, deps);
  registerHomeListener(app, { homeSections: options.homeSections ?? placeholderHome, outbox, inFlight, logger });
  if (options.channelTriage) registerChannelListener(app, { triage: options.channelTriage, inFlight, logger });

  let started = false;
  let connected = !socketMode;
  if (receiver instanceof SocketModeReceiver) {
    receiver.client.on('connected', () => {
      connected = true;
    });
    receiver.client.on('disconnected', () => {
      connected = false;
    });
    receiver.client.on('reconnecting', () => {
      connected = false;
    });
  }

  const requestHandler: HttpHandler | undefined =
    receiver instanceof HTTPReceiver ? (req, res) => handleHttp(receiver, () => started, req, res, logger) : undefined;

  return {
    mode: socketMode ? 'socket' : 'http',
    app,
    surface,
    outbox,
    requestHandler,
    isReady: () => started && connected,
    async start() {
      try {
        await app.init();
      } catch (err) {
        const cause = toSlackApiError('auth.test', err);
        throw new LifeboatError('CONFIG_INVALID', `Slack did not accept SLACK_BOT_TOKEN${cause.slackError ? ` (${cause.slackError})` : ''}; check the token and that the app is installed.`, { cause: err });
      }
      if (socketMode) await app.start();
      started = true;
      logger.info({ mode: socketMode ? 'socket' : 'http' }, 'Slack connected');
    },
    async stop() {
      started = false;
      if (receiver instanceof SocketModeReceiver) {
        // Bolt's stop() asks the socket to close without waiting for it: wait (a little) so a
        // stopped Lifeboat holds no socket and no timer that keeps the process alive.
        const closed = connected ? waitForEvent(receiver.client, 'disconnected', 5_000) : Promise.resolve();
        await app.stop();
        await closed;
      }
      await inFlight.idle();
      await outbox.idle();
    },
    async idle() {
      await inFlight.idle();
      await outbox.idle();
    },
  };
}

/** Resolves on `event`, or after `timeoutMs` — whichever comes first. */
function waitForEvent(emitter: { once(event: string, listener: () => void): unknown; off(event: string, listener: () => void): unknown }, event: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      emitter.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    emitter.once(event, done);
  });
}

function handleHttp(receiver: HTTPReceiver, isStarted: () => boolean, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  if (!isStarted()) {
    res.writeHead(503, { 'retry-after': '1' }).end();
    return;
  }
  const ts = Number(req.headers['x-slack-request-timestamp']);
  if (Number.isFinite(ts) && ts > Date.now() / 1000 + MAX_CLOCK_SKEW_SEC) {
    logger.warn({ ts }, 'Rejected a Slack request timestamped more than 5 minutes in the future');
    res.writeHead(401).end();
    return;
  }
  try {
    receiver.requestListener(req, res);
  } catch (err) {
    // HTTPReceiverDeferredRequestError: a path or method Bolt does not serve.
    logger.debug({ err, url: req.url }, 'Slack receiver declined a request');
    if (!res.headersSent) res.writeHead(404).end();
  }
}
