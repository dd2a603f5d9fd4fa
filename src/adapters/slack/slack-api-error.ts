import { webApi } from '@slack/bolt';
import { LifeboatError } from '../../core/errors.js';

/**
 * A Slack Web API call that failed for good. Carries Slack's own error string (`not_in_channel`,
 * `invalid_blocks` …) so callers can react to specific refusals; the user sees `userMessage`.
 */
export class SlackApiError extends LifeboatError {
  readonly method: string;
  /** Slack's `error` field for platform errors; undefined for network/HTTP failures. */
  readonly slackError: string | undefined;

  constructor(method: string, slackError: string | undefined, options: { cause?: unknown; retryable: boolean }) {
    super('SLACK_API_ERROR', `Slack refused ${method}${slackError ? ` (${slackError})` : ''}; the details are in Lifeboat's log.`, options);
    this.name = 'SlackApiError';
    this.method = method;
    this.slackError = slackError;
  }
}

/** Seconds Slack asked us to wait, when `err` is a rejected rate-limited call; otherwise undefined. */
export function retryAfterSeconds(err: unknown): number | undefined {
  if (err instanceof webApi.WebAPIRateLimitedError) return err.retryAfter;
  return undefined;
}

/** Wraps whatever the Web API client threw into a {@link SlackApiError}. */
export function toSlackApiError(method: string, err: unknown): SlackApiError {
  if (err instanceof SlackApiError) return err;
  if (err instanceof webApi.WebAPIPlatformError) {
    // ok:false answers are deliberate refusals (bad args, missing scope); repeating will not help.
    return new SlackApiError(method, err.data.error, { cause: err, retryable: false });
  }
  return new SlackApiError(method, undefined, { cause: err, retryable: true });
}
