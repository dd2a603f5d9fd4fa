import type { Alert, AlertSource } from './alert.js';
import { isIntakeError, type IntakeError } from './errors.js';

/**
 * What every parser returns; parsers never throw for bad input.
 *
 * - `ok: true` with alerts: store them, answer 2xx.
 * - `ok: true` with no alerts and `ignored`: a well-formed payload that is deliberately not an
 *   alert (a RUNNING task, a scan result, a subscription confirmation); answer 2xx so the sender
 *   does not retry, and log/count the reason.
 * - `ok: false`: answer `error.status` with `error.reason`; nothing is stored.
 */
export type IntakeResult =
  | { ok: true; alerts: Alert[]; ignored?: string }
  | { ok: false; error: IntakeError };

/** Per-call facts a parser cannot know from the payload itself. */
export interface ParseContext {
  /**
   * The transport the payload came through, when it should be recorded instead of the parser's
   * default (the SQS poller passes `sqs` for EventBridge events it reads from a queue).
   */
  source?: AlertSource;
  /** When Lifeboat received the payload (ms since epoch); used only where the payload has no time. */
  receivedAt?: number;
}

export function alerts(list: Alert[]): IntakeResult {
  return { ok: true, alerts: list };
}

export function ignored(reason: string): IntakeResult {
  return { ok: true, alerts: [], ignored: reason };
}

export function refused(error: IntakeError): IntakeResult {
  return { ok: false, error };
}

/**
 * Runs a parser body that signals bad input by throwing `IntakeError` (deep validation reads better
 * that way) and turns it into a result. Anything else thrown is a bug and propagates.
 */
export function guard(body: () => IntakeResult): IntakeResult {
  try {
    return body();
  } catch (err) {
    if (isIntakeError(err)) return refused(err);
    throw err;
  }
}
