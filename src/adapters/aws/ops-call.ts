/**
 * Error mapping for the recovery adapters: `mapAwsError` (sdk-call.ts / errors.ts), plus what
 * recovery needs on top of it:
 * - service-specific "does not exist" errors (`QueueDoesNotExist`, `ObjectNotFoundException`,
 *   `ServiceNotActiveException`) become `AWS_NOT_FOUND` naming the resource;
 * - a denied call names the recovery IAM policy (these calls are not in the read-only policy);
 * - a client error Lifeboat does not know keeps AWS's own message, which says what was wrong.
 */
import { LifeboatError } from '../../core/errors.js';
import { mapAwsError, type AwsCallContext } from './errors.js';

/** The call, and which service-specific error names mean "missing". */
export interface OpsCallContext extends AwsCallContext {
  notFoundErrors?: readonly string[];
}

/** Errors that mean the credentials themselves were rejected (not a missing permission). */
const CREDENTIAL_ERRORS = new Set(['ExpiredTokenException', 'UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'CredentialsProviderError', 'UnauthorizedException']);

/** Run one SDK call of a recovery adapter; any failure leaves as a `LifeboatError`. */
export async function opsCall<T>(ctx: OpsCallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapOpsError(err, ctx);
  }
}

/** Map an SDK error (see the file comment). */
export function mapOpsError(err: unknown, ctx: OpsCallContext): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const name = errorName(err);
  if (ctx.notFoundErrors?.includes(name)) {
    return new LifeboatError('AWS_NOT_FOUND', `${capitalise(ctx.notFound ?? ctx.resource)} does not exist.`, { cause: err });
  }
  const mapped = mapAwsError(err, ctx);
  if (mapped.code === 'AWS_ACCESS_DENIED' && !CREDENTIAL_ERRORS.has(name)) {
    return new LifeboatError('AWS_ACCESS_DENIED', `Lifeboat is not allowed ${ctx.action} on ${ctx.resource}; add it to Lifeboat's recovery IAM policy (deploy/iam; every action is listed in RECOVERY_IAM_ACTIONS).`, { cause: err });
  }
  if (mapped.code === 'AWS_ERROR' && !mapped.retryable) {
    const message = err instanceof Error ? err.message.trim() : '';
    if (message) return new LifeboatError('AWS_ERROR', `${mapped.userMessage.replace(/\.$/, '')}: ${message.slice(0, 300)}`, { cause: err, retryable: false });
  }
  return mapped;
}

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string' ? err.name : '';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
