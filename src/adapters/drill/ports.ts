/**
 * The ports Lifeboat's features need, implemented over the simulated account with the same
 * contract and error semantics as the SDK adapters (`adapters/aws`): whole-call failures are
 * `LifeboatError`s worded like `mapAwsError`'s (`AWS_NOT_FOUND` naming the resource,
 * `AWS_ACCESS_DENIED` naming the IAM action), per-item outcomes are returned, batch limits are
 * enforced (10 services, 20 revisions, 100 image ids), listings page.
 *
 * Every adapter reads the account through a getter, so the composition root can build them once
 * and `drill start` can swap the account underneath. `deny` simulates a missing IAM permission of
 * Lifeboat's own role (e.g. `cloudwatch:GetMetricData`) to exercise the error paths.
 */
import { LifeboatError } from '../../core/errors.js';
import { ACCEPTED_MANIFEST_TYPES } from '../../images/oci-index.js';
import type {
  EcrImage,
  EcrImageFailure,
  EcrImageId,
  EcrManifest,
  EcrReader,
  EcsFailure,
  EcsReader,
  EcsService,
  EcsServiceRevision,
  EcsTaskDefinition,
  ImmutableCache,
  LifecyclePreviewPage,
  ManifestLookup,
  ManifestRef,
  Page,
  RegistryClient,
  TagListing,
} from '../../images/ports.js';
import type {
  BuildState,
  CodeBuildOps,
  EcsOps,
  EcsServiceState,
  EcsTaskState,
  ImageConfig,
  ImageConfigReader,
  QueueBacklog,
  QueueOps,
  RegisterRevisionInput,
  RegisterScalableTargetInput,
  ScalableTargetState,
  ScalingOps,
  StartBuildInput,
  UpdateServiceInput,
} from '../../recovery/ports.js';
import type { DrillAccount } from './account.js';
import type { SimBuild } from './codebuild.js';
import { repositoryNotFound, type DrillEcr, type SimEcrImage } from './ecr.js';
import { nameOf, type SimService, type SimTask } from './ecs.js';
import { DRILL_ACCOUNT, DRILL_GHCR_HOST, DRILL_REGION } from './ids.js';

/** How the adapters reach the account (swapped by `drill start`). */
export type AccountSource = () => DrillAccount;

/** Options shared by the drill adapters. */
export interface DrillPortOptions {
  /** IAM actions Lifeboat's own role is denied in this drill (`cloudwatch:GetMetricData`, …). */
  deny?: readonly string[];
}

const LIST_PAGE = 100;
const ECR_LIST_PAGE = 1000;

function denied(options: DrillPortOptions, action: string, resource: string): void {
  if (options.deny?.includes(action)) {
    throw new LifeboatError('AWS_ACCESS_DENIED', `Lifeboat is not allowed ${action} on ${resource}; add it to Lifeboat's read-only IAM policy (deploy/iam).`, {
      cause: new Error(`AccessDeniedException: User is not authorized to perform: ${action} on resource: ${resource}`),
    });
  }
}

function tooMany(action: string, limit: number, got: number): LifeboatError {
  return new LifeboatError('AWS_ERROR', `${action.split(':')[0]?.toUpperCase() ?? 'AWS'} rejected ${action} (InvalidParameterException: at most ${limit} items per call, got ${got}).`, { retryable: false });
}

function page<T>(items: readonly T[], nextToken: string | undefined, size: number): Page<T> {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? String(start + size) : undefined;
  return next !== undefined ? { items: slice, nextToken: next } : { items: slice };
}

// ── images ports ──────────────────────────────────────────────────────────────────────────

/** `EcsReader` over the simulated ECS. */
export class DrillEcsReader implements EcsReader {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  listClusters(nextToken?: string): Promise<Page<string>> {
    return attempt(() => {
      denied(this.options, 'ecs:ListClusters', '*');
      const ecs = this.account().ecs;
      return page([...ecs.clusters].sort().map((c) => `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:cluster/${c}`), nextToken, LIST_PAGE);
    });
  }

  listServices(cluster: string, nextToken?: string): Promise<Page<string>> {
    return attempt(() => {
      denied(this.options, 'ecs:ListServices', cluster);
      const ecs = this.account().ecs;
      const name = ecs.cluster(cluster);
      const arns = [...ecs.services.values()].filter((s) => s.cluster === name).map((s) => s.arn).sort();
      return page(arns, nextToken, LIST_PAGE);
    });
  }

  describeServices(cluster: string, services: readonly string[]): Promise<{ services: EcsService[]; failures: EcsFailure[] }> {
    return attempt(() => {
      denied(this.options, 'ecs:DescribeServices', cluster);
      if (services.length > 10) throw tooMany('ecs:DescribeServices', 10, services.length);
      const account = this.account();
      const name = account.ecs.cluster(cluster);
      const found: EcsService[] = [];
      const failures: EcsFailure[] = [];
      for (const id of services) {
        const s = account.ecs.services.get(`${name}/${nameOf(id)}`);
        if (s) found.push(ecsService(account, s));
        else failures.push({ arn: id.startsWith('arn:') ? id : `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:service/${name}/${id}`, reason: 'MISSING' });
      }
      return { services: found, failures };
    });
  }

  describeServiceRevisions(arns: readonly string[]): Promise<{ revisions: EcsServiceRevision[]; failures: EcsFailure[] }> {
    return attempt(() => {
      denied(this.options, 'ecs:DescribeServiceRevisions', '*');
      if (arns.length > 20) throw tooMany('ecs:DescribeServiceRevisions', 20, arns.length);
      const ecs = this.account().ecs;
      const revisions: EcsServiceRevision[] = [];
      const failures: EcsFailure[] = [];
      for (const arn of arns) {
        const r = ecs.revisions.get(arn);
        if (!r) {
          failures.push({ arn, reason: 'MISSING' });
          continue;
        }
        revisions.push({
          arn: r.arn,
          serviceArn: r.serviceArn,
          taskDefinition: r.taskDefinition,
          createdAt: r.createdAt,
          containerImages: r.containerImages.map((c) => ({ ...c })),
        });
      }
      return { revisions, failures };
    });
  }

  describeTaskDefinition(arn: string): Promise<EcsTaskDefinition> {
    return attempt(() => {
      denied(this.options, 'ecs:DescribeTaskDefinition', arn);
      const td = this.account().ecs.taskDefinition(arn);
      const out: EcsTaskDefinition = {
        arn: td.arn,
        family: td.family,
        revision: td.revision,
        containers: td.containers.map((c) => ({
          name: c.name,
          image: c.image,
          ...(c.versionConsistency !== undefined ? { versionConsistency: c.versionConsistency } : {}),
          ...(c.essential !== undefined ? { essential: c.essential } : {}),
        })),
      };
      if (td.runtimePlatform) out.runtimePlatform = { ...td.runtimePlatform };
      return out;
    });
  }
}

function ecsService(account: DrillAccount, s: SimService): EcsService {
  const live = account.ecs.liveTasks(s);
  const running = (deploymentId?: string) => live.filter((t) => t.lastStatus === 'RUNNING' && (deploymentId === undefined || t.deploymentId === deploymentId)).length;
  const pending = (deploymentId?: string) => live.filter((t) => t.lastStatus !== 'RUNNING' && (deploymentId === undefined || t.deploymentId === deploymentId)).length;
  const primary = s.deployments[0];
  const out: EcsService = {
    arn: s.arn,
    name: s.name,
    clusterArn: s.clusterArn,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: running(),
    pendingCount: pending(),
    deployments: s.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.status === 'PRIMARY' ? s.desiredCount : live.filter((t) => t.deploymentId === d.id).length,
      runningCount: running(d.id),
      pendingCount: pending(d.id),
      rolloutState: d.rolloutState,
      createdAt: d.createdAt,
    })),
    currentRevisions: s.deployments.map((d) => ({
      arn: d.revisionArn,
      requestedTaskCount: d.status === 'PRIMARY' ? s.desiredCount : live.filter((t) => t.deploymentId === d.id).length,
      runningTaskCount: running(d.id),
      pendingTaskCount: pending(d.id),
    })),
  };
  if (primary) out.taskDefinition = primary.taskDefinition;
  return out;
}

/**
 * `EcrReader` over the simulated ECR in one Region (default `DRILL_REGION`): the drill account's
 * registry only — another registry is denied, like a cross-account registry without a policy; a
 * Region where the drill has no registry (no replica there) has no repositories.
 */
export class DrillEcrReader implements EcrReader {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
    private readonly region: string = DRILL_REGION,
  ) {}

  describeImages(registryId: string, repository: string, ids: readonly EcrImageId[]): Promise<{ images: EcrImage[]; failures: EcrImageFailure[] }> {
    return attempt(() => {
      const repo = this.repo(registryId, repository, 'ecr:DescribeImages');
      if (ids.length > 100) throw tooMany('ecr:DescribeImages', 100, ids.length);
      const images = new Map<string, EcrImage>();
      const failures: EcrImageFailure[] = [];
      for (const id of ids) {
        const image = id.digest !== undefined ? repo.images.get(id.digest) : [...repo.images.values()].find((i) => i.tags.includes(id.tag));
        if (image) images.set(image.digest, ecrImage(repository, image));
        else failures.push({ id, code: 'ImageNotFound', reason: 'Requested image not found' });
      }
      return { images: [...images.values()], failures };
    });
  }

  listImages(registryId: string, repository: string, nextToken?: string): Promise<Page<EcrImage>> {
    return attempt(() => {
      const repo = this.repo(registryId, repository, 'ecr:DescribeImages');
      const all = [...repo.images.values()].sort((a, b) => a.pushedAt - b.pushedAt || a.digest.localeCompare(b.digest)).map((i) => ecrImage(repository, i));
      return page(all, nextToken, ECR_LIST_PAGE);
    });
  }

  getManifests(registryId: string, repository: string, digests: readonly string[]): Promise<{ manifests: EcrManifest[]; failures: EcrImageFailure[] }> {
    return attempt(() => {
      const repo = this.repo(registryId, repository, 'ecr:BatchGetImage');
      if (digests.length > 100) throw tooMany('ecr:BatchGetImage', 100, digests.length);
      const manifests: EcrManifest[] = [];
      const failures: EcrImageFailure[] = [];
      for (const digest of digests) {
        const image = repo.images.get(digest);
        if (!image) failures.push({ id: { digest }, code: 'ImageNotFound', reason: 'Requested image not found' });
        else if (image.status !== 'ACTIVE') failures.push({ id: { digest }, code: 'ImageNotFound', reason: 'Requested image is archived and must be restored before it can be pulled' });
        else if (!(ACCEPTED_MANIFEST_TYPES as readonly string[]).includes(image.mediaType)) failures.push({ id: { digest }, code: 'UnsupportedImageType', reason: `manifest media type ${image.mediaType}` });
        else manifests.push({ digest, mediaType: image.mediaType, body: image.body });
      }
      return { manifests, failures };
    });
  }

  getLifecyclePolicy(registryId: string, repository: string): Promise<{ text: string; lastEvaluatedAt?: number } | null> {
    return attempt(() => {
      const repo = this.repo(registryId, repository, 'ecr:GetLifecyclePolicy');
      if (!repo.policy) return null;
      return repo.lastEvaluatedAt !== undefined ? { text: repo.policy.text, lastEvaluatedAt: repo.lastEvaluatedAt } : { text: repo.policy.text };
    });
  }

  startLifecyclePolicyPreview(registryId: string, repository: string): Promise<{ started: boolean }> {
    return attempt(() => {
      this.repo(registryId, repository, 'ecr:StartLifecyclePolicyPreview');
      return this.ecr(repository, 'ecr:StartLifecyclePolicyPreview').startPreview(repository);
    });
  }

  getLifecyclePolicyPreview(registryId: string, repository: string, nextToken?: string): Promise<LifecyclePreviewPage | null> {
    return attempt(() => {
      this.repo(registryId, repository, 'ecr:GetLifecyclePolicyPreview');
      const page = this.ecr(repository, 'ecr:GetLifecyclePolicyPreview').getPreview(repository, nextToken);
      if (!page) return null;
      const out: LifecyclePreviewPage = {
        status: page.status,
        policyText: page.policyText,
        results: page.results.map((r) => ({ digest: r.digest, tags: [...r.tags], pushedAt: r.pushedAt, action: r.action, rulePriority: r.rulePriority, storageClass: r.storageClass })),
      };
      if (page.status === 'COMPLETE') out.expiringCount = page.expiringCount;
      if (page.nextToken !== undefined) out.nextToken = page.nextToken;
      return out;
    });
  }

  private repo(registryId: string, repository: string, action: string) {
    const arn = `arn:aws:ecr:${this.region}:${registryId}:repository/${repository}`;
    if (registryId !== DRILL_ACCOUNT) {
      throw new LifeboatError('AWS_ACCESS_DENIED', `Lifeboat is not allowed ${action} on ${arn}; add it to Lifeboat's read-only IAM policy (deploy/iam).`);
    }
    denied(this.options, action, arn);
    return this.ecr(repository, action).repo(repository, action);
  }

  /** This Region's registry; none there means no repository there either. */
  private ecr(repository: string, action: string): DrillEcr {
    const ecr = this.account().ecrIn(this.region);
    if (!ecr) throw repositoryNotFound(repository, this.region, action);
    return ecr;
  }
}

function ecrImage(repository: string, i: SimEcrImage): EcrImage {
  const image: EcrImage = { registryId: DRILL_ACCOUNT, repository, digest: i.digest, tags: [...i.tags], pushedAt: i.pushedAt, status: i.status, mediaType: i.mediaType };
  if (i.lastPulledAt !== undefined) image.lastPulledAt = i.lastPulledAt;
  if (i.lastArchivedAt !== undefined) image.lastArchivedAt = i.lastArchivedAt;
  if (i.lastActivatedAt !== undefined) image.lastActivatedAt = i.lastActivatedAt;
  if (i.artifactMediaType !== undefined) image.artifactMediaType = i.artifactMediaType;
  if (i.subjectDigest !== undefined) image.subjectDigest = i.subjectDigest;
  return image;
}

/**
 * `RegistryClient` for the simulated `ghcr.io`. Any other host answers with an error (never a
 * request): a drill must not reach a real registry.
 */
export class DrillRegistryClient implements RegistryClient {
  constructor(private readonly account: AccountSource) {}

  headManifest(ref: ManifestRef): Promise<ManifestLookup> {
    return Promise.resolve(this.lookup(ref, false));
  }

  getManifest(ref: ManifestRef): Promise<ManifestLookup> {
    return Promise.resolve(this.lookup(ref, true));
  }

  listTags(ref: { host: string; repository: string }): Promise<TagListing> {
    if (ref.host !== DRILL_GHCR_HOST) return Promise.resolve({ kind: 'error', detail: `the drill account has no registry ${ref.host} (drills never contact real registries)` });
    const versions = this.account().ghcr.packages.get(ref.repository);
    if (!versions) return Promise.resolve({ kind: 'not-found', detail: `${ref.host}/${ref.repository} does not exist` });
    return Promise.resolve({ kind: 'tags', tags: [...versions.values()].flatMap((v) => v.tags).sort(), complete: true });
  }

  private lookup(ref: ManifestRef, withBody: boolean): ManifestLookup {
    if (ref.host !== DRILL_GHCR_HOST) return { kind: 'error', detail: `the drill account has no registry ${ref.host} (drills never contact real registries)` };
    const found = this.account().ghcr.lookup(ref.repository, ref.reference);
    switch (found.kind) {
      case 'found':
        return withBody ? { kind: 'found', digest: found.digest, mediaType: found.mediaType, body: found.body } : { kind: 'found', digest: found.digest, mediaType: found.mediaType };
      case 'repository-missing':
        return { kind: 'not-found', code: 'NAME_UNKNOWN' };
      default:
        return { kind: 'not-found', code: 'MANIFEST_UNKNOWN' };
    }
  }
}

/**
 * An `ImmutableCache` whose keys are scoped to the drill running now: task-definition ARNs and
 * revision ARNs repeat across drills (`api:1`), so a cache shared across `drill start`s must not
 * answer one drill with another's entry.
 */
export class DrillScopedCache<T> implements ImmutableCache<T> {
  constructor(
    private readonly inner: ImmutableCache<T>,
    private readonly generation: () => number,
  ) {}

  get(key: string): Promise<T | undefined> {
    return this.inner.get(`${this.generation()}|${key}`);
  }

  set(key: string, value: T): Promise<void> {
    return this.inner.set(`${this.generation()}|${key}`, value);
  }
}

// ── recovery ports ────────────────────────────────────────────────────────────────────────

/** `EcsOps` over the simulated ECS. */
export class DrillEcsOps implements EcsOps {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  describeService(cluster: string, service: string): Promise<EcsServiceState> {
    return attempt(() => {
      denied(this.options, 'ecs:DescribeServices', `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:service/${nameOf(cluster)}/${service}`);
      const account = this.account();
      return serviceState(account, account.ecs.service(cluster, service));
    });
  }

  updateService(input: UpdateServiceInput): Promise<EcsServiceState> {
    return attempt(() => {
      denied(this.options, 'ecs:UpdateService', `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:service/${nameOf(input.cluster)}/${input.service}`);
      const account = this.account();
      const update: Parameters<typeof account.ecs.updateService>[0] = { cluster: input.cluster, service: input.service };
      if (input.forceNewDeployment !== undefined) update.forceNewDeployment = input.forceNewDeployment;
      if (input.taskDefinition !== undefined) update.taskDefinition = input.taskDefinition;
      if (input.desiredCount !== undefined) update.desiredCount = input.desiredCount;
      return serviceState(account, account.ecs.updateService(update));
    });
  }

  listServiceTasks(cluster: string, service: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    return attempt(() => {
      denied(this.options, 'ecs:ListTasks', cluster);
      return this.account()
        .ecs.serviceTasks(cluster, service)
        .filter((t) => t.desiredStatus === desiredStatus)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, 100)
        .map((t) => t.arn);
    });
  }

  describeTasks(cluster: string, taskArns: readonly string[]): Promise<EcsTaskState[]> {
    return attempt(() => {
      denied(this.options, 'ecs:DescribeTasks', cluster);
      if (taskArns.length > 100) throw tooMany('ecs:DescribeTasks', 100, taskArns.length);
      const ecs = this.account().ecs;
      ecs.cluster(cluster);
      return taskArns.flatMap((arn) => {
        const task = ecs.tasks.get(nameOf(arn));
        return task ? [taskState(task)] : [];
      });
    });
  }

  registerRevisionWithImages(input: RegisterRevisionInput): Promise<{ arn: string }> {
    return attempt(() => {
      denied(this.options, 'ecs:RegisterTaskDefinition', input.taskDefinition);
      const ecs = this.account().ecs;
      const td = ecs.taskDefinition(input.taskDefinition);
      const registered = ecs.registerTaskDefinition({
        family: td.family,
        containers: td.containers.map((c) => ({ ...c, image: input.images[c.name] ?? c.image })),
        ...(td.runtimePlatform ? { runtimePlatform: td.runtimePlatform } : {}),
        ...(td.taskRoleArn !== undefined ? { taskRoleArn: td.taskRoleArn } : {}),
        ...(td.executionRoleArn !== undefined ? { executionRoleArn: td.executionRoleArn } : {}),
        cpu: td.cpu,
        memory: td.memory,
      });
      return { arn: registered.arn };
    });
  }
}

function serviceState(account: DrillAccount, s: SimService): EcsServiceState {
  const live = account.ecs.liveTasks(s);
  const count = (deploymentId: string, running: boolean) => live.filter((t) => t.deploymentId === deploymentId && (t.lastStatus === 'RUNNING') === running).length;
  const out: EcsServiceState = {
    arn: s.arn,
    name: s.name,
    clusterArn: s.clusterArn,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: live.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingCount: live.filter((t) => t.lastStatus !== 'RUNNING').length,
    deployments: s.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.status === 'PRIMARY' ? s.desiredCount : live.filter((t) => t.deploymentId === d.id).length,
      runningCount: count(d.id, true),
      pendingCount: count(d.id, false),
      failedTasks: d.failedTasks,
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    })),
    events: s.events.map((e) => ({ ...e })),
    deploymentController: 'ECS',
    circuitBreaker: { ...s.circuitBreaker },
  };
  const primary = s.deployments[0];
  if (primary) out.taskDefinition = primary.taskDefinition;
  return out;
}

function taskState(t: SimTask): EcsTaskState {
  const out: EcsTaskState = {
    arn: t.arn,
    taskDefinitionArn: t.taskDefinitionArn,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    startedBy: t.deploymentId,
    createdAt: t.createdAt,
    containers: t.containers.map((c) => {
      const container: EcsTaskState['containers'][number] = { name: c.name, image: c.image, lastStatus: c.lastStatus };
      if (c.imageDigest !== undefined) container.imageDigest = c.imageDigest;
      if (c.reason !== undefined) container.reason = c.reason;
      if (c.exitCode !== undefined) container.exitCode = c.exitCode;
      return container;
    }),
  };
  if (t.stopCode !== undefined) out.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) out.stoppedReason = t.stoppedReason;
  if (t.stoppedAt !== undefined) out.stoppedAt = t.stoppedAt;
  return out;
}

/** `CodeBuildOps` over the simulated CodeBuild. */
export class DrillCodeBuildOps implements CodeBuildOps {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  projectExists(name: string): Promise<boolean> {
    return attempt(() => {
      denied(this.options, 'codebuild:BatchGetProjects', name);
      return this.account().codebuild.projects.has(name);
    });
  }

  projectsTagged(key: string, value: string): Promise<string[]> {
    return attempt(() => {
      denied(this.options, 'codebuild:ListProjects', '*');
      return [...this.account().codebuild.projects.values()].filter((p) => p.tags.some((t) => t.key === key && t.value === value)).map((p) => p.name).sort();
    });
  }

  startBuild(input: StartBuildInput): Promise<BuildState> {
    return attempt(() => {
      denied(this.options, 'codebuild:StartBuild', input.projectName);
      const params: Parameters<DrillAccount['codebuild']['startBuild']>[0] = {
        projectName: input.projectName,
        idempotencyToken: input.idempotencyToken,
        environmentVariablesOverride: input.environmentVariablesOverride.map((e) => ({ name: e.name, value: e.value })),
      };
      if (input.sourceVersion !== undefined) params.sourceVersion = input.sourceVersion;
      return buildState(this.account().codebuild.startBuild(params));
    });
  }

  getBuild(id: string): Promise<BuildState | undefined> {
    return attempt(() => {
      denied(this.options, 'codebuild:BatchGetBuilds', id);
      const build = this.account().codebuild.getBuild(id);
      return build ? buildState(build) : undefined;
    });
  }

  recentBuilds(projectName: string, limit: number): Promise<BuildState[]> {
    return attempt(() => {
      denied(this.options, 'codebuild:ListBuildsForProject', projectName);
      const codebuild = this.account().codebuild;
      codebuild.project(projectName);
      return codebuild.recentBuilds(projectName, limit).map(buildState);
    });
  }

  stopBuild(id: string): Promise<void> {
    return attempt(() => {
      denied(this.options, 'codebuild:StopBuild', id);
      this.account().codebuild.stopBuild(id);
    });
  }
}

function buildState(b: SimBuild): BuildState {
  const out: BuildState = {
    id: b.id,
    arn: b.arn,
    projectName: b.projectName,
    buildStatus: b.buildStatus,
    currentPhase: b.currentPhase,
    buildComplete: b.buildComplete,
    startTime: b.startTime,
    phases: b.phases.map((p) => {
      const phase: BuildState['phases'][number] = { phaseType: p.phaseType, startTime: p.startTime, contexts: p.contexts.map((c) => ({ ...c })) };
      if (p.phaseStatus !== undefined) phase.phaseStatus = p.phaseStatus;
      if (p.endTime !== undefined) phase.endTime = p.endTime;
      if (p.durationInSeconds !== undefined) phase.durationInSeconds = p.durationInSeconds;
      return phase;
    }),
    logsDeepLink: b.logs.deepLink,
    environmentVariables: b.environmentVariables.map((e) => ({ ...e })),
  };
  if (b.endTime !== undefined) out.endTime = b.endTime;
  if (b.sourceVersion !== undefined) out.sourceVersion = b.sourceVersion;
  if (b.resolvedSourceVersion !== undefined) out.resolvedSourceVersion = b.resolvedSourceVersion;
  return out;
}

/** `ImageConfigReader` over the simulated ECR: the config blob of a single-platform manifest. */
export class DrillImageConfigReader implements ImageConfigReader {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  imageConfig(registryId: string, repository: string, manifestDigest: string): Promise<ImageConfig | undefined> {
    return attempt(() => {
      const arn = `arn:aws:ecr:${DRILL_REGION}:${registryId}:repository/${repository}`;
      if (registryId !== DRILL_ACCOUNT) throw new LifeboatError('AWS_ACCESS_DENIED', `Lifeboat is not allowed ecr:BatchGetImage on ${arn}; add it to Lifeboat's read-only IAM policy (deploy/iam).`);
      denied(this.options, 'ecr:GetDownloadUrlForLayer', arn);
      const image = this.account().ecr.repo(repository, 'ecr:BatchGetImage').images.get(manifestDigest);
      if (!image?.config || image.status !== 'ACTIVE') return undefined;
      const config = JSON.parse(image.config.body) as { os?: string; architecture?: string; variant?: string; config?: { Labels?: Record<string, string> } };
      const out: ImageConfig = { labels: { ...(config.config?.Labels ?? {}) }, annotations: {} };
      if (config.os !== undefined) out.os = config.os;
      if (config.architecture !== undefined) out.architecture = config.architecture;
      if (config.variant !== undefined) out.variant = config.variant;
      return out;
    });
  }
}

/** `QueueOps` over the simulated SQS and CloudWatch. */
export class DrillQueueOps implements QueueOps {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  approximateBacklog(queue: string): Promise<QueueBacklog> {
    return attempt(() => {
      const account = this.account();
      const q = account.sqs.queues.get(queue);
      if (!q) {
        throw new LifeboatError('AWS_NOT_FOUND', `Queue ${queue} in account ${DRILL_ACCOUNT} ${DRILL_REGION} does not exist.`, {
          cause: new Error('AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.'),
        });
      }
      denied(this.options, 'sqs:GetQueueAttributes', q.arn);
      const backlog: QueueBacklog = { queue, url: q.url, visible: account.sqs.visible(queue), inFlight: q.inFlight, delayed: 0 };
      if (this.options.deny?.includes('cloudwatch:GetMetricData')) {
        backlog.ageUnavailable = 'Lifeboat is not allowed cloudwatch:GetMetricData';
        return backlog;
      }
      const latest = account.cloudwatch.latest({ namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', dimensions: [{ name: 'QueueName', value: queue }] });
      if (latest) backlog.oldestAgeSeconds = latest.value;
      else backlog.ageUnavailable = 'CloudWatch has no datapoint for ApproximateAgeOfOldestMessage yet';
      return backlog;
    });
  }
}

/** `ScalingOps` over the simulated Application Auto Scaling. */
export class DrillScalingOps implements ScalingOps {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  describeScalableTarget(cluster: string, service: string): Promise<ScalableTargetState | undefined> {
    return attempt(() => {
      denied(this.options, 'application-autoscaling:DescribeScalableTargets', '*');
      const target = this.account().autoscaling.targets.get(`service/${nameOf(cluster)}/${service}`);
      if (!target) return undefined;
      return { resourceId: target.resourceId, minCapacity: target.minCapacity, maxCapacity: target.maxCapacity, suspended: { ...target.suspended } };
    });
  }

  registerScalableTarget(input: RegisterScalableTargetInput): Promise<void> {
    return attempt(() => {
      denied(this.options, 'application-autoscaling:RegisterScalableTarget', input.ResourceId);
      const account = this.account();
      const [, cluster = '', service = ''] = input.ResourceId.split('/');
      account.ecs.service(cluster, service);
      account.autoscaling.register(input.ResourceId, input.MinCapacity, input.MaxCapacity);
    });
  }
}

/** Run synchronously against the simulation, answering like an async SDK call (errors as rejections). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
