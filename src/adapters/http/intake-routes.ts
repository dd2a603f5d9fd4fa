/**
 * The intake routes on Lifeboat's one HTTP server (docs/intake.md, "Routes"):
 *
 * | route | authenticity | payload |
 * |---|---|---|
 * | `POST /intake/sns` | SNS signature v1/v2, topic allow-list | SNS envelope (`text/plain`) |
 * | `POST /intake/eventbridge` | shared-secret header (default `x-lifeboat-token`) | one EventBridge event (an array is accepted too) |
 * | `POST /intake/alertmanager` | `Authorization: Bearer` | Alertmanager webhook v4 |
 * | `POST /intake/generic` | HMAC (`x-lifeboat-timestamp`, `x-lifeboat-signature`) | the generic alert |
 *
 * A source with no secret configured (no topic for SNS) is **not mounted**: it answers 404 like
 * any unknown path instead of being open. `registerIntakeRoutes` returns what it mounted and a
 * warning per closed source, for the startup log.
 *
 * Every route answers 2xx only after the sink stored the alerts (see `intake/pipeline.ts`).
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import {
  IntakeError,
  isIntakeError,
  parseAlertmanagerWebhook,
  parseEventBridgeEvent,
  parseGenericAlert,
  parseSnsMessage,
  readJsonPayload,
  shouldConfirmSubscription,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyBearerToken,
  verifyGenericSignature,
  verifySharedSecret,
  type Alert,
  type SnsVerifier,
  type VerifiedSnsEnvelope,
} from '../../intake/index.js';
import { INTAKE_METRICS, type IntakeTransport } from '../../intake/metrics.js';
import type { ResolvedIntakeSettings } from '../../intake/settings.js';
import type { AlertSink } from '../../intake/sink.js';
import type { LifeboatHttpServer } from './http-server.js';
import { errorSummary, intakeHandler, refuse, verdictOf, type PipelineDeps, type SourceStep, type Verdict } from './intake/pipeline.js';

/** Where each source is mounted. */
export const INTAKE_PATHS = {
  sns: '/intake/sns',
  eventbridge: '/intake/eventbridge',
  alertmanager: '/intake/alertmanager',
  generic: '/intake/generic',
} as const satisfies Partial<Record<IntakeTransport, string>>;

/**
 * Default store timeout: EventBridge API destinations give up after 5 s, so answer 503 before
 * that and let the sender retry rather than leave it guessing.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 4_000;

export interface IntakeRouteDeps {
  /** Stores alerts; resolves only once they are durable. */
  sink: AlertSink;
  /** The `intake:` settings with secrets resolved (`resolveIntakeSettings`). */
  settings: ResolvedIntakeSettings;
  /**
   * Built with `allowedTopicArns: settings.sns.topicArns` and `createCertFetcher` (see
   * `createSnsHttpDeps` for both in one call).
   */
  snsVerifier: SnsVerifier;
  /** GETs a verified `SubscribeURL` (`createSubscriptionConfirmer`). */
  confirmSubscription: (subscribeUrl: string) => Promise<void>;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /**
   * Body limit for intake requests. The server refuses larger Content-Lengths itself (with its
   * own cap), so the effective limit is the smaller of the two.
   */
  maxBodyBytes: number;
  /** How long to wait for the store before answering 503 (default 4 s). */
  storeTimeoutMs?: number;
}

export interface MountedIntakeRoute {
  method: 'POST';
  path: string;
  source: IntakeTransport;
  /** How the route authenticates, for the startup log (never a secret). */
  auth: string;
}

export interface IntakeRoutesReport {
  mounted: MountedIntakeRoute[];
  /** One line per source left closed, saying how to open it. */
  warnings: string[];
}

/** Mounts the intake routes whose secrets are configured; see the module comment. */
export function registerIntakeRoutes(server: Pick<LifeboatHttpServer, 'mount'>, deps: IntakeRouteDeps): IntakeRoutesReport {
  const { settings } = deps;
  const pipeline: PipelineDeps = {
    sink: deps.sink,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    maxBodyBytes: deps.maxBodyBytes,
    storeTimeoutMs: deps.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
  };
  const report: IntakeRoutesReport = { mounted: [], warnings: [] };
  const mount = (step: SourceStep, path: string, auth: string): void => {
    server.mount('POST', path, intakeHandler(step, pipeline));
    report.mounted.push({ method: 'POST', path, source: step.source, auth });
  };

  if (settings.sns.topicArns.length > 0) {
    mount(snsStep(deps), INTAKE_PATHS.sns, `SNS signature, ${settings.sns.topicArns.length} allowed topic(s)`);
  } else {
    report.warnings.push(`POST ${INTAKE_PATHS.sns} is not mounted: no SNS topic is allowed (set intake.sns.topicArns)`);
  }

  if (settings.eventbridge.tokens.length > 0) {
    mount(eventBridgeStep(deps), INTAKE_PATHS.eventbridge, `header ${settings.eventbridge.header}, ${settings.eventbridge.tokens.length} token(s)`);
  } else {
    report.warnings.push(`POST ${INTAKE_PATHS.eventbridge} is not mounted: no token is set (set ${names(settings.eventbridge.tokenEnv)}, or intake.eventbridge.tokenEnv)`);
  }

  if (settings.alertmanager.tokens.length > 0) {
    mount(alertmanagerStep(deps), INTAKE_PATHS.alertmanager, `bearer token, ${settings.alertmanager.tokens.length} token(s)`);
  } else {
    report.warnings.push(`POST ${INTAKE_PATHS.alertmanager} is not mounted: no bearer token is set (set ${names(settings.alertmanager.tokenEnv)}, or intake.alertmanager.tokenEnv)`);
  }

  if (settings.generic.secrets.length > 0) {
    mount(genericStep(deps), INTAKE_PATHS.generic, `HMAC signature, ${settings.generic.secrets.length} secret(s)`);
  } else {
    report.warnings.push(`POST ${INTAKE_PATHS.generic} is not mounted: no HMAC secret is set (set ${names(settings.generic.secretEnv)}, or intake.generic.secretEnv)`);
  }
  return report;
}

function names(list: readonly string[]): string {
  return list.join(' or ');
}

// --- SNS -------------------------------------------------------------------------------------

function snsStep(deps: IntakeRouteDeps): SourceStep {
  const countSubscription = (outcome: 'confirmed' | 'failed' | 'refused'): void => deps.metrics.increment(INTAKE_METRICS.subscriptions.name, { outcome });

  const confirm = async (body: Buffer, envelope: VerifiedSnsEnvelope, log: Logger): Promise<Verdict> => {
    // Re-decides from the raw body (the certificate is cached, so no second fetch): the one
    // function that may hand out a SubscribeURL is the one that checked it.
    const decision = await shouldConfirmSubscription(body, deps.snsVerifier);
    if (!decision.confirm) {
      countSubscription('refused');
      return refuse(decision.error ?? new IntakeError('INVALID_PAYLOAD', decision.reason));
    }
    try {
      await deps.confirmSubscription(decision.subscribeUrl);
    } catch (err) {
      countSubscription('failed');
      // The SubscribeURL carries the confirmation token: it is never logged.
      log.error({ topicArn: envelope.TopicArn, err: errorSummary(err) }, 'could not confirm the SNS subscription; answering 503 so SNS re-sends the confirmation');
      return { kind: 'answer', status: 503, body: { error: 'the subscription could not be confirmed right now; retry later', code: 'SUBSCRIPTION_NOT_CONFIRMED' } };
    }
    countSubscription('confirmed');
    log.info({ topicArn: envelope.TopicArn }, 'confirmed the SNS subscription');
    return { kind: 'answer', status: 200, body: { confirmed: true, topicArn: envelope.TopicArn } };
  };

  return {
    source: 'sns',
    async process(body, _req, log) {
      // Signature and topic first: nothing below runs (and nothing is fetched) for a forgery.
      const verification = await deps.snsVerifier.verify(body);
      if (!verification.ok) return refuse(verification.error);
      const { envelope } = verification;
      switch (envelope.Type) {
        case 'SubscriptionConfirmation':
          return confirm(body, envelope, log);
        case 'UnsubscribeConfirmation':
          // Its SubscribeURL would re-subscribe and its UnsubscribeURL is never followed: log only.
          log.warn({ topicArn: envelope.TopicArn }, 'SNS says this endpoint was unsubscribed from the topic; Lifeboat does not re-subscribe by itself');
          return { kind: 'ignore', reason: 'UnsubscribeConfirmation: nothing to do' };
        case 'Notification':
          return verdictOf(parseSnsMessage(envelope, { receivedAt: deps.clock.now() }));
      }
    },
  };
}

// --- EventBridge API destination --------------------------------------------------------------

function eventBridgeStep(deps: IntakeRouteDeps): SourceStep {
  const { tokens } = deps.settings.eventbridge;
  // Node lowercases incoming header names.
  const header = deps.settings.eventbridge.header.toLowerCase();
  return {
    source: 'eventbridge',
    authorize: (req) => verifySharedSecret(req.headers[header], tokens, header),
    process(body) {
      const read = readJson(body);
      if (!read.ok) return refuse(read.error);
      const { json } = read;
      // An API destination sends one event per invocation; an array (an input transformer, a
      // batching proxy) is taken too — all or nothing, so a refusal never follows a partial store.
      const events = Array.isArray(json) ? (json as unknown[]) : [json];
      if (events.length === 0) return refuse(new IntakeError('UNKNOWN_SHAPE', 'an empty array carries no EventBridge event'));
      const receivedAt = deps.clock.now();
      const alerts: Alert[] = [];
      const ignored: string[] = [];
      for (const [i, event] of events.entries()) {
        const result = parseEventBridgeEvent(event, { receivedAt });
        if (!result.ok) {
          const { error } = result;
          return refuse(Array.isArray(json) ? new IntakeError(error.code, `event ${i}: ${error.reason}`, { cause: error }) : error);
        }
        alerts.push(...result.alerts);
        if (result.alerts.length === 0) ignored.push(result.ignored ?? 'the event carries no alert');
      }
      if (alerts.length > 0) return { kind: 'store', alerts };
      return { kind: 'ignore', reason: [...new Set(ignored)].join('; ') };
    },
  };
}

// --- Alertmanager ----------------------------------------------------------------------------

function alertmanagerStep(deps: IntakeRouteDeps): SourceStep {
  const { tokens } = deps.settings.alertmanager;
  return {
    source: 'alertmanager',
    authorize: (req) => verifyBearerToken(req.headers.authorization, tokens),
    process: (body) => verdictOf(parseAlertmanagerWebhook(body, { receivedAt: deps.clock.now() })),
  };
}

// --- Generic (HMAC) --------------------------------------------------------------------------

function genericStep(deps: IntakeRouteDeps): SourceStep {
  const { secrets, toleranceMs } = deps.settings.generic;
  return {
    source: 'generic',
    process(body, req: IncomingMessage) {
      const auth = verifyGenericSignature({
        rawBody: body,
        timestamp: req.headers[TIMESTAMP_HEADER],
        signature: req.headers[SIGNATURE_HEADER],
        secrets,
        clock: deps.clock,
        toleranceMs,
      });
      if (!auth.ok) return refuse(auth.error);
      return verdictOf(parseGenericAlert(body, { receivedAt: deps.clock.now() }));
    },
  };
}

function readJson(body: Buffer): { ok: true; json: unknown } | { ok: false; error: IntakeError } {
  try {
    return { ok: true, json: readJsonPayload(body) };
  } catch (err) {
    if (isIntakeError(err)) return { ok: false, error: err };
    throw err;
  }
}
