/**
 * SDK v3 errors → `LifeboatError`, so callers see a stable code, a retry verdict and a sentence
 * a person can act on (which IAM action on which resource; which resource is missing). The SDK
 * error stays attached as `cause` for the log.
 */
import { LifeboatError } from '../../core/errors.js';

/** What the failed call was: the IAM action and the resource it acted on. */
export interface AwsCallContext {
  /** IAM action, e.g. `ecr:DescribeImages`. */
  action: string;
  /** Resource ARN, or `*` for account-wide listings. */
  resource: string;
  /** What a missing resource is called in a sentence, e.g. `repository web in registry 123…`. */
  notFound?: string;
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'CredentialsProviderError',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);
const NOT_FOUND = new Set(['RepositoryNotFoundException', 'ServiceNotFoundException', 'ClusterNotFoundException', 'ResourceNotFoundException']);
const TRANSIENT = new Set(['ServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

/** Map any error thrown by an SDK call. */
export function mapAwsError(err: unknown, ctx: AwsCallContext): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const service = ctx.action.split(':')[0]?.toUpperCase() ?? 'AWS';

  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(e.message ?? '')) {
    const credentials = name !== 'AccessDeniedException' && name !== 'AccessDenied' && name !== 'UnauthorizedOperation';
    const sentence = credentials
      ? `Lifeboat's AWS credentials were rejected calling ${ctx.action} (${name}); check the configured role and its trust policy.`
      : `Lifeboat is not allowed ${ctx.action} on ${ctx.resource}; add it to Lifeboat's read-only IAM policy (deploy/iam).`;
    return new LifeboatError('AWS_ACCESS_DENIED', sentence, { cause: err });
  }
  if (THROTTLED.has(name) || status === 429) {
    return new LifeboatError('AWS_THROTTLED', `${service} is throttling Lifeboat (${ctx.action}); it backs off and retries.`, { cause: err });
  }
  if (NOT_FOUND.has(name)) {
    return new LifeboatError('AWS_NOT_FOUND', `${capitalise(ctx.notFound ?? ctx.resource)} does not exist.`, { cause: err });
  }
  if (TRANSIENT.has(name) || e.$fault === 'server' || (status !== undefined && status >= 500) || TRANSIENT_NETWORK.has(e.code ?? '')) {
    return new LifeboatError('AWS_ERROR', `${service} failed to answer ${ctx.action} (${name || 'network error'}); Lifeboat retries.`, { cause: err });
  }
  // A client error Lifeboat does not know (invalid parameter, new exception): retrying will not help.
  return new LifeboatError('AWS_ERROR', `${service} rejected ${ctx.action} on ${ctx.resource} (${name || 'unknown error'}).`, { cause: err, retryable: false });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
