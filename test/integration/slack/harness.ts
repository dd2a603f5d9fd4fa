import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionRequest, ChatRouter, CommandRequest } from '../../../src/chat/ports.js';
import type { Logger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { textMessage } from '../../../src/core/message.js';
import type { SlackApp, SlackAppOptions } from '../../../src/adapters/slack/index.js';
import { createSlackApp, SLACK_EVENTS_PATH } from '../../../src/adapters/slack/index.js';
import { SlackStandIn } from '../../support/slack-standin.js';

export const SIGNING_SECRET = 'lifeboat-test-signing-secret';
export const BOT_TOKEN = 'xoxb-lifeboat-test';

/** A router that records what reached it and answers through the given functions. */
export class RecordingRouter implements ChatRouter {
  readonly commands: CommandRequest[] = [];
  readonly actions: ActionRequest[] = [];

  constructor(
    private readonly onCommand: (request: CommandRequest) => Promise<Message> = (r) => Promise.resolve(textMessage(`ran ${r.text}`)),
    private readonly onAction: (request: ActionRequest) => Promise<Message | undefined> = () => Promise.resolve(undefined),
  ) {}

  handleCommand(request: CommandRequest): Promise<Message> {
    this.commands.push(request);
    return this.onCommand(request);
  }

  handleAction(request: ActionRequest): Promise<Message | undefined> {
    this.actions.push(request);
    return this.onAction(request);
  }
}

/** A logger that keeps warnings, to show *why* a request was refused. */
export function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const text = (obj: object | string, msg?: string) => (typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj)));
  const logger: Logger & { warnings: string[] } = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => warnings.push(text(obj, msg)),
    error: (obj, msg) => warnings.push(text(obj, msg)),
    child: () => logger,
  };
  return logger;
}

export interface Harness {
  standIn: SlackStandIn;
  slack: SlackApp;
  router: RecordingRouter;
  logger: ReturnType<typeof recordingLogger>;
  /** `http://127.0.0.1:<port>/slack/events` on the shared server. */
  eventsUrl: string;
  /** The shared server's own route, to show Slack is only one tenant of it. */
  healthUrl: string;
  close(): Promise<void>;
}

/**
 * Slack HTTP mode as Lifeboat runs it: one Node server (standing in for the lead's) that serves
 * `/healthz` itself and hands `POST /slack/events` to `slack.requestHandler`; Bolt's Web API
 * client pointed at the stand-in.
 */
export async function startHarness(options: { router?: RecordingRouter } & Partial<SlackAppOptions> = {}): Promise<Harness> {
  const standIn = await SlackStandIn.start();
  const router = options.router ?? new RecordingRouter();
  const logger = recordingLogger();
  const slack = createSlackApp({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    logger,
    webApiUrl: standIn.apiUrl,
    ...options,
    router,
  });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      res.writeHead(200).end('ok');
    } else if (path === SLACK_EVENTS_PATH && slack.requestHandler) {
      slack.requestHandler(req, res);
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await slack.start();
  const { port } = server.address() as AddressInfo;
  return {
    standIn,
    slack,
    router,
    logger,
    eventsUrl: `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
    async close() {
      await slack.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standIn.close();
    },
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
