/**
 * The AWS side of `check images`, built once at the composition root: `createScanDeps` turns the
 * `aws.targets` settings into the `ScanDeps` that `runImageScan` / `createCheckImagesJob` take.
 *
 * - One ECS client per target, on the target's credentials: an assumed role
 *   (`createAssumeRoleProvider`, session `lifeboat-<host>`, the target's external id), or
 *   Lifeboat's own credentials (the SDK's default chain) when the target names no role.
 * - ECR readers per registry account and Region, on the credentials of the target that owns that
 *   account — the role there can read its own repositories. A registry account that is not a
 *   target (a shared images account) is read with Lifeboat's own credentials; list it as a target
 *   with a role if its repository policies trust that role instead.
 * - Every client has `maxAttempts: 1`: the scan's `CallBudget` owns retries and backoff, so each
 *   retry takes a token and is counted.
 * - The immutable caches (task definitions by ARN, index manifests by digest, fully pinned
 *   revisions) live as long as the returned deps, i.e. across scans.
 * - No targets configured: one target, the account of Lifeboat's own credentials (STS
 *   `GetCallerIdentity`, asked once, when the first scan starts) in `AWS_REGION`.
 */
import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import type { Clock } from '../../core/clock.js';
import { LifeboatError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { MemoryCache } from '../../images/cache.js';
import type { ScanTarget } from '../../images/graph.js';
import type { ImageReference } from '../../images/image-reference.js';
import type { ImageIndex } from '../../images/oci-index.js';
import type { EcrReader, EcsServiceRevision, EcsTaskDefinition, ImmutableCache, RegistryClient } from '../../images/ports.js';
import type { ScanDeps } from '../../images/scan.js';
import type { AwsSettings, AwsTarget } from '../../images/settings.js';
import type { ReplicationDestination } from '../../recovery/ports.js';
import { createAssumeRoleProvider, sessionNameFor, type AwsCredentialProvider } from './assume-role.js';
import { describeReplicationDestinations } from './ecr-replication.js';
import { awsCall } from './sdk-call.js';
import { SdkEcrReader } from './sdk-ecr-reader.js';
import { SdkEcsReader } from './sdk-ecs-reader.js';

/** How SDK clients are made; tests pass their own to see the configs. */
export interface ScanClientFactories {
  ecs(config: ECSClientConfig): ECSClient;
  ecr(config: ECRClientConfig): ECRClient;
  sts(config: STSClientConfig): STSClient;
}

/** Process-level inputs of `createScanDeps`. */
export interface CreateScanDepsOptions {
  /** `AWS_REGION`: the Region of the default target, and of STS when no target names one. */
  region?: string;
  clock: Clock;
  logger: Logger;
  /** OCI registry access (`OciRegistryClient` from adapters/registry); without it those images are `unchecked`. */
  registry?: RegistryClient;
  checkRegistry?: (ref: ImageReference) => boolean;
  /** Registry hosts whose untagged index children deserve a retention warning. */
  retentionWarningHosts?: ReadonlySet<string>;
  /** For the STS session name `lifeboat-<host>`; default `os.hostname()`. */
  hostname?: string;
  /** Shared caches (e.g. Redis-backed); default in-memory, kept for the life of the deps. */
  caches?: {
    taskDefinitions?: ImmutableCache<EcsTaskDefinition>;
    manifests?: ImmutableCache<ImageIndex>;
    revisions?: ImmutableCache<EcsServiceRevision>;
  };
  budgets?: ScanDeps['budgets'];
  clients?: Partial<ScanClientFactories>;
}

/** `ScanDeps` plus what the composition root needs to shut the clients down. */
export interface ScanClients extends ScanDeps {
  /**
   * Where a registry replicates to (`DescribeRegistry`), asked with the credentials of the target
   * that owns it — ECR describes only the caller's own registry. For `check images`' copy finder.
   */
  replicationDestinations(registryId: string, region: string): Promise<ReplicationDestination[]>;
  /** Close every SDK client created here (sockets). */
  destroy(): void;
}

const APP_ID = 'lifeboat';

const DEFAULT_FACTORIES: ScanClientFactories = {
  ecs: (config) => new ECSClient(config),
  ecr: (config) => new ECRClient(config),
  sts: (config) => new STSClient(config),
};

/** Build the scan's dependencies from the `aws:` settings (see the file comment). */
export function createScanDeps(settings: AwsSettings, options: CreateScanDepsOptions): ScanClients {
  const factories = { ...DEFAULT_FACTORIES, ...options.clients };
  const log = options.logger.child({ component: 'image-scan-clients' });
  const sessionName = sessionNameFor(options.hostname);
  const destroyables: { destroy(): void }[] = [];
  const made = <T extends { destroy(): void }>(client: T): T => {
    destroyables.push(client);
    return client;
  };

  // Lifeboat's own credentials (default chain): one STS client per Region.
  const stsClients = new Map<string, STSClient>();
  const stsFor = (region: string): STSClient => {
    let client = stsClients.get(region);
    if (!client) {
      client = made(factories.sts({ region, userAgentAppId: APP_ID }));
      stsClients.set(region, client);
    }
    return client;
  };

  // One provider per role (and external id), shared by that account's ECS and ECR clients.
  const providers = new Map<string, AwsCredentialProvider>();
  const credentialsOf = (target: AwsTarget): { key: string; provider?: AwsCredentialProvider } => {
    if (target.roleArn === undefined) return { key: 'default' };
    const key = `${target.roleArn}|${target.externalId ?? ''}`;
    let provider = providers.get(key);
    if (!provider) {
      provider = createAssumeRoleProvider({
        sts: stsFor(target.region),
        roleArn: target.roleArn,
        ...(target.externalId !== undefined ? { externalId: target.externalId } : {}),
        sessionName,
        clock: options.clock,
        logger: log,
      });
      providers.set(key, provider);
    }
    return { key, provider };
  };

  const targets: ScanTarget[] = settings.targets.map((t) => {
    const { provider } = credentialsOf(t);
    const client = made(factories.ecs({ region: t.region, maxAttempts: 1, userAgentAppId: APP_ID, ...(provider ? { credentials: provider } : {}) }));
    return { account: t.account, region: t.region, ecs: new SdkEcsReader(client, { account: t.account, region: t.region }) };
  });

  // ECR: a reader per registry account and Region, a client per credentials and Region.
  const ecrClients = new Map<string, ECRClient>();
  const readers = new Map<string, EcrReader>();
  /** The ECR client on the credentials of the target that owns `registryId` (else Lifeboat's own). */
  const ecrClientFor = (registryId: string, region: string): ECRClient => {
    const owner = settings.targets.find((t) => t.account === registryId && t.region === region) ?? settings.targets.find((t) => t.account === registryId);
    const { key, provider } = owner ? credentialsOf(owner) : { key: 'default', provider: undefined };
    const clientKey = `${key}|${region}`;
    let client = ecrClients.get(clientKey);
    if (!client) {
      client = made(factories.ecr({ region, maxAttempts: 1, userAgentAppId: APP_ID, ...(provider ? { credentials: provider } : {}) }));
      ecrClients.set(clientKey, client);
    }
    return client;
  };
  const ecrFor = (registryId: string, region: string): EcrReader => {
    const readerKey = `${registryId}|${region}`;
    let reader = readers.get(readerKey);
    if (!reader) {
      reader = new SdkEcrReader(ecrClientFor(registryId, region), { region });
      readers.set(readerKey, reader);
    }
    return reader;
  };

  // No targets: Lifeboat's own account (asked once) in AWS_REGION.
  let prepare: (() => Promise<void>) | undefined;
  if (settings.targets.length === 0) {
    let resolved: Promise<void> | undefined;
    prepare = () => {
      resolved ??= resolveDefaultTarget(options, stsFor, factories, made, targets, log).catch((err: unknown) => {
        // Not remembered: the next scan asks again (credentials may appear, STS may recover).
        resolved = undefined;
        throw err;
      });
      return resolved;
    };
  } else {
    log.info({ targets: settings.targets.map((t) => ({ account: t.account, region: t.region, role: t.roleArn ?? 'own credentials', ...(t.name ? { name: t.name } : {}) })) }, 'image scan targets');
  }

  const deps: ScanClients = {
    targets,
    ecrFor,
    replicationDestinations: (registryId, region) => describeReplicationDestinations(ecrClientFor(registryId, region), registryId, region),
    taskDefinitions: options.caches?.taskDefinitions ?? new MemoryCache<EcsTaskDefinition>(),
    manifests: options.caches?.manifests ?? new MemoryCache<ImageIndex>(),
    revisions: options.caches?.revisions ?? new MemoryCache<EcsServiceRevision>(),
    clock: options.clock,
    destroy: () => {
      for (const client of destroyables.splice(0)) client.destroy();
    },
  };
  if (prepare) deps.prepare = prepare;
  if (options.registry) deps.registry = options.registry;
  if (options.checkRegistry) deps.checkRegistry = options.checkRegistry;
  if (options.retentionWarningHosts) deps.retentionWarningHosts = options.retentionWarningHosts;
  if (options.budgets) deps.budgets = options.budgets;
  return deps;
}

async function resolveDefaultTarget(
  options: CreateScanDepsOptions,
  stsFor: (region: string) => STSClient,
  factories: ScanClientFactories,
  made: <T extends { destroy(): void }>(client: T) => T,
  targets: ScanTarget[],
  log: Logger,
): Promise<void> {
  const region = options.region;
  if (region === undefined) {
    throw new LifeboatError('CONFIG_INVALID', 'Lifeboat does not know which Region to scan: set AWS_REGION, or list aws.targets in lifeboat.yaml.');
  }
  const identity = await awsCall({ action: 'sts:GetCallerIdentity', resource: '*' }, () => stsFor(region).send(new GetCallerIdentityCommand({})));
  const account = identity.Account;
  if (account === undefined) throw new LifeboatError('AWS_ERROR', 'STS GetCallerIdentity answered without an account id.', { retryable: false });
  const client = made(factories.ecs({ region, maxAttempts: 1, userAgentAppId: APP_ID }));
  targets.push({ account, region, ecs: new SdkEcsReader(client, { account, region }) });
  log.info({ account, region, principal: identity.Arn }, 'no aws.targets configured: scanning the account of Lifeboat\'s own credentials');
}
