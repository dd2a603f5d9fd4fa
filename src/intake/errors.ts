/**
 * Why an intake request was refused. Every refusal is a 4xx (the sender's fault, never retried by
 * Alertmanager, dead-lettered by EventBridge) except `CERT_UNAVAILABLE`: when the SNS signing
 * certificate cannot be fetched the message may well be genuine, so we answer 503 and SNS retries.
 */
export const INTAKE_ERRORS = {
  /** The body is not JSON (or not the JSON string a field should hold). */
  INVALID_JSON: 400,
  /** Valid JSON, but not a shape this endpoint understands. */
  UNKNOWN_SHAPE: 400,
  /** The right shape with a wrong or missing field; the reason names the field. */
  INVALID_PAYLOAD: 400,
  /** Signature missing, malformed or not matching. */
  BAD_SIGNATURE: 401,
  /** Signed longer ago than the tolerance allows (replay protection). */
  STALE_SIGNATURE: 401,
  /** The SNS `SigningCertURL` is not an SNS certificate URL; nothing was fetched. */
  CERT_URL_REJECTED: 401,
  /** The shared secret / bearer token header is absent. */
  MISSING_TOKEN: 401,
  /** The shared secret / bearer token does not match. */
  BAD_TOKEN: 401,
  /** The SNS topic is not in the configured allow-list. */
  TOPIC_NOT_ALLOWED: 403,
  /** The body is larger than the configured limit. */
  TOO_LARGE: 413,
  /** The signing certificate could not be fetched or read; the sender should retry. */
  CERT_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type IntakeErrorCode = keyof typeof INTAKE_ERRORS;
export type IntakeHttpStatus = (typeof INTAKE_ERRORS)[IntakeErrorCode];

/**
 * A refused intake request: a stable code, the HTTP status to answer with and a reason that names
 * the problem (safe to send back to the sender: it never echoes secrets, only field names and
 * short, clipped values).
 */
export class IntakeError extends Error {
  readonly code: IntakeErrorCode;
  readonly status: IntakeHttpStatus;
  readonly reason: string;

  constructor(code: IntakeErrorCode, reason: string, options: { cause?: unknown } = {}) {
    super(`${code}: ${reason}`, { cause: options.cause });
    this.name = 'IntakeError';
    this.code = code;
    this.status = INTAKE_ERRORS[code];
    this.reason = reason;
  }
}

export function isIntakeError(err: unknown): err is IntakeError {
  return err instanceof IntakeError;
}
