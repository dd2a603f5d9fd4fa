/**
 * Every failure Lifeboat reports has a stable code, an audience and a retry verdict.
 * The user sees `userMessage` (a sentence that says what to do); logs see `cause`.
 * `docs/errors.md` lists every code with its meaning and fix — keep them in step.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { retryable: false, audience: 'operator' },
  DEFINITION_INVALID: { retryable: false, audience: 'operator' },
  COMMAND_UNKNOWN: { retryable: false, audience: 'user' },
  COMMAND_ARGS_INVALID: { retryable: false, audience: 'user' },
  COMMAND_NOT_AVAILABLE: { retryable: false, audience: 'user' },
  PERMISSION_DENIED: { retryable: false, audience: 'user' },
  CONFIRMATION_EXPIRED: { retryable: false, audience: 'user' },
  CONFIRMATION_NOT_YOURS: { retryable: false, audience: 'user' },
  REDIS_UNAVAILABLE: { retryable: true, audience: 'user' },
  REDIS_NOT_INSTALLED: { retryable: false, audience: 'operator' },
  JOB_FAILED: { retryable: false, audience: 'user' },
  JOB_CANCELLED: { retryable: false, audience: 'user' },
  SLACK_API_ERROR: { retryable: true, audience: 'operator' },
  AWS_ACCESS_DENIED: { retryable: false, audience: 'user' },
  AWS_THROTTLED: { retryable: true, audience: 'user' },
  AWS_NOT_FOUND: { retryable: false, audience: 'user' },
  AWS_ERROR: { retryable: true, audience: 'user' },
  INTERNAL: { retryable: false, audience: 'operator' },
} as const satisfies Record<string, { retryable: boolean; audience: 'user' | 'operator' }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly audience: 'user' | 'operator';
  /** What a person should read: what happened and what to do next. */
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(`${code}: ${userMessage}`, { cause: options.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.userMessage = userMessage;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.audience = ERROR_CODES[code].audience;
  }
}

export function isLifeboatError(err: unknown): err is LifeboatError {
  return err instanceof LifeboatError;
}

/** A sentence safe to show a person for any thrown value; internals stay in the logs. */
export function userFacingMessage(err: unknown): string {
  if (isLifeboatError(err)) return err.userMessage;
  return 'Something went wrong inside Lifeboat; the details are in its log.';
}
