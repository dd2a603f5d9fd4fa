/**
 * The request pipeline every intake route shares:
 *
 *   header auth (tokens) → read the body (capped) → source step (signature, parse) → store → answer
 *
 * and the one rule that matters most: **2xx only after `sink.accept` resolved**. A store that
 * fails or does not answer in time is a 503, so the sender retries (SNS, EventBridge and
 * Alertmanager all retry 5xx); the store recognises the retry by its deliveryId. Every refusal is
 * the IntakeError's 4xx with `{ error, code }`, nothing stored, and one count in
 * `lifeboat_intake_rejected_total{source,reason}`.
 *
 * Logs: one child logger per request; reasons, codes, counts and deliveryIds only — never a
 * header value, a token or a body. Refusals are warnings (errors when they are ours to fix), store
 * failures errors; stored and ignored payloads are debug lines (the counters carry them).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import { IntakeError, type Alert, type AuthResult, type IntakeResult } from '../../../intake/index.js';
import { INTAKE_METRICS, type IntakeTransport } from '../../../intake/metrics.js';
import type { AlertSink } from '../../../intake/sink.js';
import { readBody, type RouteHandler } from '../http-server.js';

/** What a source step decided about one request. */
export type Verdict =
  /** Store these alerts, then answer 200. */
  | { kind: 'store'; alerts: readonly Alert[] }
  /** Well-formed, not an alert: answer 200, count it, store nothing. */
  | { kind: 'ignore'; reason: string }
  /** Refused: answer the error's status, count it, store nothing. */
  | { kind: 'refuse'; error: IntakeError }
  /** The step answered itself (SNS subscription confirmation); already counted and logged. */
  | { kind: 'answer'; status: number; body: Record<string, unknown> };

export interface SourceStep {
  source: IntakeTransport;
  /** Checks made on headers alone, before the body is read (bearer token, shared secret). */
  authorize?(req: IncomingMessage): AuthResult;
  /** The raw body (exact bytes, as signatures need) → a verdict. */
  process(body: Buffer, req: IncomingMessage, log: Logger): Verdict | Promise<Verdict>;
}

export interface PipelineDeps {
  sink: AlertSink;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  maxBodyBytes: number;
  /** How long to wait for the store before answering 503 (the sender's own timeout is short). */
  storeTimeoutMs: number;
}

/** Turns a parser result into a verdict; an empty, un-ignored result counts as ignored. */
export function verdictOf(result: IntakeResult): Verdict {
  if (!result.ok) return { kind: 'refuse', error: result.error };
  if (result.alerts.length > 0) return { kind: 'store', alerts: result.alerts };
  return { kind: 'ignore', reason: result.ignored ?? 'the payload carries no alert' };
}

export function refuse(error: IntakeError): Verdict {
  return { kind: 'refuse', error };
}

/** A route handler running `step` through the shared pipeline. */
export function intakeHandler(step: SourceStep, deps: PipelineDeps): RouteHandler {
  const { metrics } = deps;
  const source = step.source;

  return async (req: IncomingMessage, res: ServerResponse) => {
    const log = deps.logger.child({ intake: source, request: randomUUID().slice(0, 8) });
    // Read now: once a refused body is abandoned, the request lets go of its socket.
    const remote = req.socket.remoteAddress;

    const refused = (error: IntakeError): void => {
      metrics.increment(INTAKE_METRICS.rejected.name, { source, reason: error.code });
      // 503 CERT_UNAVAILABLE is ours to fix (outbound HTTPS), the 4xx are the sender's.
      const level = error.status >= 500 ? 'error' : 'warn';
      const cause = error.cause === undefined ? {} : { cause: errorSummary(error.cause) };
      log[level]({ code: error.code, status: error.status, reason: error.reason, remote, ...cause }, 'intake refused');
      sendJson(res, error.status, { error: error.reason, code: error.code });
    };

    const auth = step.authorize?.(req);
    if (auth && !auth.ok) {
      // Not reading an unauthenticated body: drop it and close the connection after answering.
      req.resume();
      res.setHeader('connection', 'close');
      return refused(auth.error);
    }

    const read = await readBody(req, deps.maxBodyBytes);
    if (!read.ok) {
      res.setHeader('connection', 'close');
      return refused(new IntakeError('TOO_LARGE', `the body is over the limit of ${deps.maxBodyBytes} bytes`));
    }

    const verdict = await step.process(read.body, req, log);
    switch (verdict.kind) {
      case 'refuse':
        return refused(verdict.error);
      case 'answer':
        return sendJson(res, verdict.status, verdict.body);
      case 'ignore':
        metrics.increment(INTAKE_METRICS.ignored.name, { source });
        log.debug({ reason: verdict.reason }, 'intake ignored a payload that is not an alert');
        return sendJson(res, 200, { accepted: 0, ignored: verdict.reason });
      case 'store': {
        const { alerts } = verdict;
        try {
          await withTimeout(deps.sink.accept(alerts), deps.storeTimeoutMs);
        } catch (err) {
          metrics.increment(INTAKE_METRICS.storeFailures.name, { source });
          log.error({ err: errorSummary(err), alerts: alerts.length, deliveryIds: sample(alerts) }, 'intake could not store alerts; answering 503 so the sender retries');
          res.setHeader('retry-after', '5');
          return sendJson(res, 503, { error: 'the alerts could not be stored right now; retry later', code: 'STORE_UNAVAILABLE' });
        }
        metrics.increment(INTAKE_METRICS.alerts.name, { source }, alerts.length);
        // Debug, not info: at thousands of alerts a second the counters tell the story.
        log.debug({ alerts: alerts.length, deliveryIds: sample(alerts) }, 'intake stored alerts');
        return sendJson(res, 200, { accepted: alerts.length });
      }
    }
  };
}

export function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Rejects after `ms`; the store may still finish later, and the sender's retry is then a duplicate. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sample(alerts: readonly Alert[]): string[] {
  return alerts.slice(0, 10).map((a) => a.deliveryId);
}

/** An error for the log without dumping objects that might carry payload data. */
export function errorSummary(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'unknown', message: String(err) };
}
