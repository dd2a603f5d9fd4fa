/**
 * A refreshing credential provider for a role Lifeboat assumes in a target account
 * (`sts:AssumeRole`, with the `sts:ExternalId` the role's trust policy asks for).
 *
 * Why not `getDefaultRoleAssumer` from `@aws-sdk/client-sts`: it calls STS on every use (no
 * cache), builds its own STS client (so the source credentials and Region are not ours to choose),
 * and its errors are raw SDK errors. Here:
 *
 * - credentials are cached until 5 minutes before they expire, and one refresh serves every
 *   concurrent caller;
 * - a refresh that fails with a retryable error while the old credentials are still valid keeps
 *   using them (a blip at STS does not fail a scan);
 * - a refusal (access denied, region disabled) is remembered for a minute, so a scan of a denied
 *   account does not send one `AssumeRole` per ECS/ECR call;
 * - failures leave as `LifeboatError`: `AWS_ACCESS_DENIED` names `sts:AssumeRole on <roleArn>`
 *   and what to fix (the trust policy, the external id, Lifeboat's own permission).
 *
 * The STS client is passed in, created at the composition root on Lifeboat's own credentials
 * (the default chain) — never defaulted here.
 */
import { hostname as osHostname } from 'node:os';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../../core/clock.js';
import { isLifeboatError, LifeboatError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { mapAwsError } from './errors.js';

/** Credentials as the SDK clients take them (structurally `AwsCredentialIdentity`). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** What an SDK client's `credentials` option accepts as a function. */
export type AwsCredentialProvider = () => Promise<AwsCredentials>;

/** Options of `createAssumeRoleProvider`. */
export interface AssumeRoleProviderOptions {
  /** STS client on the source credentials (Lifeboat's own). */
  sts: STSClient;
  roleArn: string;
  externalId?: string;
  /** `RoleSessionName`, visible in the target account's CloudTrail; see `sessionNameFor`. */
  sessionName: string;
  /** Requested lifetime (900–43200 s, capped by the role's maximum). Default 3600. */
  durationSeconds?: number;
  /** Refresh this long before expiry. Default 5 minutes. */
  refreshBeforeMs?: number;
  /** How long a non-retryable failure is remembered. Default 60 s. */
  failureTtlMs?: number;
  clock: Clock;
  logger?: Logger;
}

const DEFAULT_DURATION_S = 3600;
const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;
const DEFAULT_FAILURE_TTL_MS = 60_000;

/** A provider that assumes `roleArn` and keeps the credentials fresh (see the file comment). */
export function createAssumeRoleProvider(options: AssumeRoleProviderOptions): AwsCredentialProvider {
  const { clock, roleArn } = options;
  const log = (options.logger ?? silentLogger).child({ component: 'assume-role', roleArn });
  const refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const durationSeconds = options.durationSeconds ?? DEFAULT_DURATION_S;
  let cached: { credentials: AwsCredentials; expiresAt: number } | undefined;
  let refusal: { error: LifeboatError; until: number } | undefined;
  let inFlight: Promise<AwsCredentials> | undefined;

  const assume = async (): Promise<AwsCredentials> => {
    try {
      const out = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: durationSeconds,
          ...(options.externalId !== undefined ? { ExternalId: options.externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new LifeboatError('AWS_ERROR', `STS answered AssumeRole for ${roleArn} without credentials.`);
      }
      const expiresAt = c.Expiration ? c.Expiration.getTime() : clock.now() + durationSeconds * 1000;
      const credentials: AwsCredentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken !== undefined ? { sessionToken: c.SessionToken } : {}),
        expiration: new Date(expiresAt),
      };
      cached = { credentials, expiresAt };
      refusal = undefined;
      log.debug({ expiresAt: new Date(expiresAt).toISOString() }, 'assumed role');
      return credentials;
    } catch (err) {
      const error = mapAssumeRoleError(err, options);
      const now = clock.now();
      // Still-valid credentials outlive a transient failure; the next call tries again.
      if (error.retryable && cached && cached.expiresAt > now) {
        log.warn({ code: error.code }, 'could not refresh the assumed role; using the current credentials until they expire');
        return cached.credentials;
      }
      if (!error.retryable) refusal = { error, until: now + (options.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS) };
      log.warn({ code: error.code, cause: causeName(err) }, error.userMessage);
      throw error;
    }
  };

  return () => {
    const now = clock.now();
    if (cached && now < cached.expiresAt - refreshBefore) return Promise.resolve(cached.credentials);
    if (refusal && now < refusal.until) return Promise.reject(refusal.error);
    inFlight ??= assume().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/**
 * `lifeboat-<host>`, cut to the 64 characters STS allows and to its character set
 * (`[\w+=,.@-]`): CloudTrail in the target account then says which Lifeboat process acted.
 */
export function sessionNameFor(host: string = osHostname()): string {
  const clean = host.replace(/[^\w+=,.@-]/g, '-');
  return `lifeboat-${clean || 'unknown'}`.slice(0, 64);
}

function mapAssumeRoleError(err: unknown, options: AssumeRoleProviderOptions): LifeboatError {
  if (isLifeboatError(err)) return err;
  const name = causeName(err);
  const { roleArn } = options;
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    const externalId = options.externalId !== undefined ? ' and the external id configured for it' : '';
    return new LifeboatError(
      'AWS_ACCESS_DENIED',
      `Lifeboat is not allowed sts:AssumeRole on ${roleArn}: the role's trust policy must trust Lifeboat's own principal${externalId} ` +
        `(deploy/iam/trust-policy.json), and Lifeboat's own policy must allow sts:AssumeRole on the role.`,
      { cause: err },
    );
  }
  if (name === 'RegionDisabledException') {
    return new LifeboatError('AWS_ACCESS_DENIED', `STS is not activated in this Region for the account of Lifeboat's credentials, so it cannot assume ${roleArn}; activate the Region in IAM account settings.`, {
      cause: err,
    });
  }
  return mapAwsError(err, { action: 'sts:AssumeRole', resource: roleArn });
}

function causeName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string' ? err.name : undefined;
}
