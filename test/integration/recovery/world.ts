/**
 * A small AWS account behind `aws-sdk-client-mock`: the real SDK clients and the real recovery
 * adapters talk to it, and it answers from state built out of corpus payloads
 * (test/fixtures/recovery, see SOURCES.md there). Rollouts, builds and queue backlogs move one
 * step per poll, as scripted by each test; time is a `ManualClock` that `sleep` advances.
 */
import { readFileSync } from 'node:fs';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  type DescribeScalableTargetsResponse,
  type RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type GetMetricDataOutput } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetBuildsCommand,
  BatchGetProjectsCommand,
  CodeBuildClient,
  CodeBuildServiceException,
  ListBuildsForProjectCommand,
  ListProjectsCommand,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
  type BuildPhase,
  type StartBuildInput,
} from '@aws-sdk/client-codebuild';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  RepositoryNotFoundException,
  type BatchGetImageRequest,
  type DescribeImagesRequest,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment,
  type RegisterTaskDefinitionRequest,
  type RuntimePlatform,
  type Service,
  type ServiceRevision,
  type Task,
  type TaskDefinition,
  type UpdateServiceRequest,
} from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SdkCodeBuildOps } from '../../../src/adapters/aws/sdk-codebuild-ops.js';
import { SdkEcrRestoreOps } from '../../../src/adapters/aws/sdk-ecr-restore-ops.js';
import { SdkEcrImageConfigReader } from '../../../src/adapters/aws/sdk-ecr-image-config.js';
import { SdkEcrReader } from '../../../src/adapters/aws/sdk-ecr-reader.js';
import { SdkEcsOps } from '../../../src/adapters/aws/sdk-ecs-ops.js';
import { SdkEcsReader } from '../../../src/adapters/aws/sdk-ecs-reader.js';
import { SdkQueueOps } from '../../../src/adapters/aws/sdk-queue-ops.js';
import { SdkScalingOps } from '../../../src/adapters/aws/sdk-scaling-ops.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { JobContext } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../../src/images/oci-index.js';
import type { RecoveryDeps } from '../../../src/recovery/deps.js';
import { MemoryScaleRecordStore } from '../../../src/recovery/memory-scale-records.js';
import { recoverySettingsSchema } from '../../../src/recovery/settings.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
export const REVISION = '3f9c2ab6d1e0c4b8a7f5e2d9c1b0a3f4e5d6c7b8';

/** The mocks live once per test file: `mockClient` wraps each client class's `send`. */
export const mocks = {
  ecs: mockClient(ECSClient),
  ecr: mockClient(ECRClient),
  codebuild: mockClient(CodeBuildClient),
  sqs: mockClient(SQSClient),
  cloudwatch: mockClient(CloudWatchClient),
  scaling: mockClient(ApplicationAutoScalingClient),
};

/** Commands that change something: a dry run sends none of them. */
export function mutations(): Record<string, number> {
  return {
    UpdateService: mocks.ecs.commandCalls(UpdateServiceCommand).length,
    RegisterTaskDefinition: mocks.ecs.commandCalls(RegisterTaskDefinitionCommand).length,
    StartBuild: mocks.codebuild.commandCalls(StartBuildCommand).length,
    StopBuild: mocks.codebuild.commandCalls(StopBuildCommand).length,
    RegisterScalableTarget: mocks.scaling.commandCalls(RegisterScalableTargetCommand).length,
  };
}

export function totalMutations(): number {
  return Object.values(mutations()).reduce((a, b) => a + b, 0);
}

/** Every command sent, as `service:Operation`, for the IAM coverage check. */
export function sentActions(): string[] {
  const prefix: Record<keyof typeof mocks, string> = { ecs: 'ecs', ecr: 'ecr', codebuild: 'codebuild', sqs: 'sqs', cloudwatch: 'cloudwatch', scaling: 'application-autoscaling' };
  return (Object.keys(mocks) as (keyof typeof mocks)[]).flatMap((k) => mocks[k].calls().map((c) => `${prefix[k]}:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`));
}

export function fixture<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/recovery/${path}`, import.meta.url), 'utf8')) as T;
}

const clone = <T>(v: T): T => structuredClone(v);

interface Repo {
  images: ImageDetail[];
  manifests: Map<string, { body: string; mediaType: string }>;
  policy?: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  digest?: string;
  essential?: boolean;
}

export interface BuildScript {
  /** Fail in this phase with this message. */
  failAt?: { phase: string; message: string };
  /** What a successful build pushes (default: the image its variables describe, as an index when several platforms). */
  push?: (world: World, env: Record<string, string>) => void;
}

interface SimBuild {
  build: Build;
  token?: string;
  input: StartBuildInput;
  startedAt: number;
  next: number;
}

const PHASES = ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'];

/** A rollout step: how the service moves on the next DescribeServices after an update. */
export type Step = (world: World, svc: Service) => void;

export class World {
  readonly clock = new ManualClock(T0);
  readonly records = new MemoryScaleRecordStore();
  readonly services = new Map<string, Service>();
  readonly revisions = new Map<string, ServiceRevision>();
  readonly taskDefinitions = new Map<string, TaskDefinition>();
  tasks: Task[] = [];
  readonly repos = new Map<string, Repo>();
  readonly configs = new Map<string, string>();
  readonly projects = new Map<string, { key: string; value: string }[]>();
  readonly builds: SimBuild[] = [];
  buildScript: BuildScript = {};
  readonly queues = new Map<string, { visible: number[]; inFlight: number[] }>();
  oldestAge: number | 'denied' | undefined = 912;
  readonly targets = new Map<string, { min: number; max: number }>();
  /** Steps applied one per DescribeServices once an update happened. */
  steps: Step[] = [];
  private updated = false;
  private seq = 0x1000;
  private readonly failures = new Map<string, { err: Error; times: number }>();
  private readonly lost = new Set<string>();

  constructor() {
    for (const m of Object.values(mocks)) m.reset();
    this.install();
  }

  /** Waiting moves the clock: polls happen instantly in real time. */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.clock.advance(ms);
    return Promise.resolve();
  };

  digest(): string {
    return `sha256:${(this.seq++).toString(16).padStart(64, '0')}`;
  }

  /** Make the next `times` calls of a command fail. */
  fail(command: string, err: Error, times = Infinity): void {
    this.failures.set(command, { err, times });
  }

  /** The next call of `command` takes effect, but its answer is lost (HTTP 500): the caller cannot know it happened. */
  loseAnswer(command: string): void {
    this.lost.add(command);
  }

  private check(command: string): void {
    const f = this.failures.get(command);
    if (!f || f.times <= 0) return;
    f.times--;
    throw f.err;
  }

  // ── ECS ──────────────────────────────────────────────────────────────────────────────────

  addService(opts: { cluster: string; name: string; desired: number; containers: ContainerSpec[]; runtimePlatform?: RuntimePlatform }): Service {
    const template = fixture<{ service: Service }>('ecs/update-service.response.mid-deployment.aws-cli-example.json').service;
    const tdTemplate = fixture<{ taskDefinition: TaskDefinition }>('ecs/describe-task-definition.response.aws-cli-example.json').taskDefinition;
    const tdArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${opts.name}:7`;
    const containerTemplate = tdTemplate.containerDefinitions?.[0] ?? {};
    this.taskDefinitions.set(tdArn, {
      ...clone(tdTemplate),
      taskDefinitionArn: tdArn,
      family: opts.name,
      revision: 7,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
      containerDefinitions: opts.containers.map((c) => ({ ...clone(containerTemplate), links: [], name: c.name, image: c.image, essential: c.essential ?? true })),
      ...(opts.runtimePlatform ? { runtimePlatform: opts.runtimePlatform } : {}),
    });
    const serviceArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${opts.cluster}/${opts.name}`;
    const deploymentId = 'ecs-svc/1111111111111111111';
    const revisionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${opts.cluster}/${opts.name}/1`;
    const old = template.deployments?.[1] ?? {};
    const svc: Service = {
      ...clone(template),
      serviceArn,
      serviceName: opts.name,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${opts.cluster}`,
      taskDefinition: tdArn,
      desiredCount: opts.desired,
      runningCount: opts.desired,
      pendingCount: 0,
      deployments: [
        {
          ...clone(old),
          id: deploymentId,
          status: 'PRIMARY',
          taskDefinition: tdArn,
          desiredCount: opts.desired,
          runningCount: opts.desired,
          pendingCount: 0,
          failedTasks: 0,
          rolloutState: 'COMPLETED',
          rolloutStateReason: `ECS deployment ${deploymentId} completed.`,
          createdAt: new Date(T0 - 3 * 86_400_000),
          updatedAt: new Date(T0 - 3 * 86_400_000),
        },
      ],
      events: (template.events ?? []).slice(0, 2).map((e) => ({ ...e, createdAt: new Date(T0 - 3 * 86_400_000), message: e.message?.replace('my-http-service', opts.name) })),
      currentServiceRevisions: [{ arn: revisionArn, requestedTaskCount: opts.desired, runningTaskCount: opts.desired, pendingTaskCount: 0 }],
    };
    this.services.set(`${opts.cluster}/${opts.name}`, svc);
    this.revisions.set(revisionArn, {
      serviceRevisionArn: revisionArn,
      serviceArn,
      clusterArn: svc.clusterArn,
      taskDefinition: tdArn,
      createdAt: new Date(T0 - 3 * 86_400_000),
      containerImages: opts.containers.map((c) => ({ containerName: c.name, image: c.image, ...(c.digest ? { imageDigest: c.digest } : {}) })),
    });
    for (let i = 0; i < opts.desired; i++) this.tasks.push(this.task(opts.cluster, opts.name, deploymentId, tdArn, 'RUNNING', opts.containers));
    return svc;
  }

  service(cluster: string, name: string): Service {
    const svc = this.services.get(`${cluster}/${name}`);
    if (!svc) throw new Error(`no service ${cluster}/${name}`);
    return svc;
  }

  task(cluster: string, service: string, startedBy: string, td: string, status: 'RUNNING' | 'STOPPED', containers: ContainerSpec[], reason?: string): Task {
    const template = fixture<{ tasks: Task[] }>('ecs/describe-tasks.response.running.aws-cli-example.json').tasks[0] ?? {};
    const id = (this.seq++).toString(16).padStart(32, 'a');
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`;
    const containerTemplate = template.containers?.[0] ?? {};
    return {
      ...clone(template),
      taskArn: arn,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`,
      group: `service:${service}`,
      startedBy,
      taskDefinitionArn: td,
      lastStatus: status,
      desiredStatus: status,
      ...(status === 'STOPPED' ? { stopCode: 'TaskFailedToStart', stoppedReason: reason ?? 'Essential container in task exited', stoppedAt: new Date(this.clock.now()) } : {}),
      containers: containers.map((c) => ({
        ...clone(containerTemplate),
        taskArn: arn,
        name: c.name,
        image: c.image,
        lastStatus: status,
        ...(status === 'RUNNING' && c.digest ? { imageDigest: c.digest } : {}),
        ...(status === 'STOPPED' && reason ? { reason } : {}),
      })),
    };
  }

  private newPrimary(svc: Service): Deployment {
    const primary = svc.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary) throw new Error('no PRIMARY deployment');
    return primary;
  }

  private onUpdate(input: UpdateServiceRequest): Service {
    const svc = this.service(input.cluster ?? 'default', input.service ?? '');
    if (input.desiredCount !== undefined) {
      svc.desiredCount = input.desiredCount;
      const primary = this.newPrimary(svc);
      primary.desiredCount = input.desiredCount;
      // Tasks start (or stop) at once here; rollouts are what the steps script.
      if (input.forceNewDeployment !== true && input.taskDefinition === undefined) {
        primary.runningCount = input.desiredCount;
        svc.runningCount = input.desiredCount;
      }
    }
    if (input.forceNewDeployment === true || input.taskDefinition !== undefined) {
      const td = input.taskDefinition ?? svc.taskDefinition ?? '';
      const id = `ecs-svc/9${String(this.seq++).padStart(18, '0')}`;
      for (const d of svc.deployments ?? []) d.status = 'ACTIVE';
      const now = new Date(this.clock.now());
      svc.deployments = [
        { id, status: 'PRIMARY', taskDefinition: td, desiredCount: svc.desiredCount, runningCount: 0, pendingCount: 0, failedTasks: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${id} in progress.`, createdAt: now, updatedAt: now, launchType: 'FARGATE' },
        ...(svc.deployments ?? []),
      ];
      svc.taskDefinition = td;
      this.updated = true;
    }
    return clone(svc);
  }

  /** The new deployment reaches steady state: its tasks run these digests, the old ones are gone. */
  static complete(digests: Record<string, string>): Step {
    return (w, svc) => {
      const primary = w.newPrimary(svc);
      const name = svc.serviceName ?? '';
      const cluster = (svc.clusterArn ?? '').split('/').pop() ?? '';
      primary.runningCount = primary.desiredCount;
      primary.pendingCount = 0;
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
      svc.deployments = [primary];
      svc.runningCount = primary.desiredCount;
      const td = w.taskDefinitions.get(primary.taskDefinition ?? '');
      const containers = (td?.containerDefinitions ?? []).map((c) => ({ name: c.name ?? '', image: c.image ?? '', ...(digests[c.name ?? ''] ? { digest: digests[c.name ?? ''] } : {}) }));
      w.tasks = w.tasks.filter((t) => !(t.group === `service:${name}` && t.lastStatus === 'RUNNING'));
      for (let i = 0; i < (primary.desiredCount ?? 0); i++) w.tasks.push(w.task(cluster, name, primary.id ?? '', primary.taskDefinition ?? '', 'RUNNING', containers));
      svc.events = [{ id: `ev-${w.seq++}`, createdAt: new Date(w.clock.now()), message: `(service ${name}) has reached a steady state.` }, ...(svc.events ?? [])];
    };
  }

  /** Some tasks of the new deployment are up. */
  static running(n: number): Step {
    return (w, svc) => {
      const primary = w.newPrimary(svc);
      primary.runningCount = n;
      primary.pendingCount = Math.max(0, (primary.desiredCount ?? 0) - n);
      svc.events = [{ id: `ev-${w.seq++}`, createdAt: new Date(w.clock.now()), message: `(service ${svc.serviceName ?? ''}) has started ${n} tasks: (task ${w.seq}).` }, ...(svc.events ?? [])];
    };
  }

  /** A task of the new deployment stopped with this reason. */
  static stopped(reason: string): Step {
    return (w, svc) => {
      const primary = w.newPrimary(svc);
      primary.failedTasks = (primary.failedTasks ?? 0) + 1;
      const cluster = (svc.clusterArn ?? '').split('/').pop() ?? '';
      const td = w.taskDefinitions.get(primary.taskDefinition ?? '');
      const containers = (td?.containerDefinitions ?? []).map((c) => ({ name: c.name ?? '', image: c.image ?? '' }));
      w.tasks.push(w.task(cluster, svc.serviceName ?? '', primary.id ?? '', primary.taskDefinition ?? '', 'STOPPED', containers, reason));
    };
  }

  /** The circuit breaker fails the new deployment and rolls back to the previous one. */
  static rollback(): Step {
    return (w, svc) => {
      const failed = w.newPrimary(svc);
      const previous = svc.deployments?.find((d) => d !== failed);
      failed.status = 'ACTIVE';
      failed.rolloutState = 'FAILED';
      failed.rolloutStateReason = 'ECS deployment circuit breaker: task failed to start.';
      const id = `ecs-svc/9${String(w.seq++).padStart(18, '0')}`;
      svc.deployments = [
        { id, status: 'PRIMARY', taskDefinition: previous?.taskDefinition ?? '', desiredCount: svc.desiredCount, runningCount: 0, pendingCount: 0, failedTasks: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${previous?.id ?? ''}.`, createdAt: new Date(w.clock.now()) },
        failed,
        ...(previous ? [previous] : []),
      ];
    };
  }

  // ── ECR ──────────────────────────────────────────────────────────────────────────────────

  repo(name: string): Repo {
    let repo = this.repos.get(name);
    if (!repo) {
      repo = { images: [], manifests: new Map() };
      this.repos.set(name, repo);
    }
    return repo;
  }

  /**
   * Push an image like docker/buildx would: one platform → an image manifest; several → an
   * index (tagged) with untagged children (+ a BuildKit attestation when asked). The tag moves.
   */
  push(repository: string, opts: { tag?: string; platforms: string[]; revision?: string; attestation?: boolean; forceIndex?: boolean }): { digest: string; children: Record<string, string> } {
    const repo = this.repo(repository);
    const single = (platform: string, tags: string[]): string => {
      const [os = 'linux', architecture = 'amd64'] = platform.split('/');
      const config = fixture<Record<string, unknown> & { config: { Labels: Record<string, string> } }>('oci/image-config.with-revision-label.CONSTRUCTED.json');
      config.os = os;
      config.architecture = architecture;
      if (opts.revision === undefined) delete config.config.Labels['org.opencontainers.image.revision'];
      else config.config.Labels['org.opencontainers.image.revision'] = opts.revision;
      const configDigest = this.digest();
      this.configs.set(configDigest, JSON.stringify(config));
      const manifestTemplate = fixture<{ images: { imageManifest: string }[] }>('ecr/batch-get-image.response.json').images[0]?.imageManifest ?? '{}';
      const manifest = JSON.parse(manifestTemplate) as { config: { digest: string } };
      manifest.config.digest = configDigest;
      const digest = this.digest();
      repo.manifests.set(digest, { body: JSON.stringify(manifest), mediaType: DOCKER_MANIFEST });
      repo.images.push(this.detail(repository, digest, tags, DOCKER_MANIFEST));
      return digest;
    };
    const tags = opts.tag !== undefined ? [opts.tag] : [];
    if (opts.tag !== undefined) for (const i of repo.images) i.imageTags = (i.imageTags ?? []).filter((t) => t !== opts.tag);
    if (opts.platforms.length === 1 && !opts.forceIndex) {
      const d = single(opts.platforms[0] ?? 'linux/amd64', tags);
      return { digest: d, children: { [opts.platforms[0] ?? '']: d } };
    }
    const template = fixture<{ manifests: Record<string, unknown>[] }>('oci/buildkit-attestation-image-index.example.json');
    const children: Record<string, string> = {};
    const entries: Record<string, unknown>[] = opts.platforms.map((p) => {
      const [os, architecture] = p.split('/');
      children[p] = single(p, []);
      return { ...clone(template.manifests[0]), digest: children[p], platform: { os, architecture } };
    });
    if (opts.attestation) {
      const att = this.digest();
      repo.manifests.set(att, { body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}', mediaType: OCI_MANIFEST });
      repo.images.push(this.detail(repository, att, [], OCI_MANIFEST));
      entries.push({ ...clone(template.manifests[1]), digest: att });
    }
    const digest = this.digest();
    repo.manifests.set(digest, { body: JSON.stringify({ ...template, manifests: entries }), mediaType: OCI_INDEX });
    repo.images.push(this.detail(repository, digest, tags, OCI_INDEX));
    return { digest, children };
  }

  /** Delete an image (as a lifecycle rule or a GHCR-style cleanup would). */
  delete(repository: string, digest: string): void {
    const repo = this.repo(repository);
    repo.images = repo.images.filter((i) => i.imageDigest !== digest);
    repo.manifests.delete(digest);
  }

  private detail(repository: string, digest: string, tags: string[], mediaType: string): ImageDetail {
    const template = fixture<{ imageDetails: ImageDetail[] }>('ecr/describe-images.response.json').imageDetails[0] ?? {};
    return { ...clone(template), registryId: ACCOUNT, repositoryName: repository, imageDigest: digest, imageTags: tags, imagePushedAt: new Date(this.clock.now()), imageManifestMediaType: mediaType, imageStatus: 'ACTIVE' };
  }

  private describeImages(input: DescribeImagesRequest) {
    const name = input.repositoryName ?? '';
    const repo = this.repos.get(name);
    if (!repo) throw new RepositoryNotFoundException({ message: `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`, $metadata: {} });
    if (!input.imageIds) return { imageDetails: clone(repo.images) };
    const found: ImageDetail[] = [];
    for (const id of input.imageIds) {
      const image = repo.images.find((i) => (id.imageDigest !== undefined ? i.imageDigest === id.imageDigest : (i.imageTags ?? []).includes(id.imageTag ?? '')));
      if (!image) {
        throw new ImageNotFoundException({
          message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${ACCOUNT}'`,
          $metadata: {},
        });
      }
      if (!found.includes(image)) found.push(image);
    }
    return { imageDetails: clone(found) };
  }

  private batchGetImage(input: BatchGetImageRequest) {
    const name = input.repositoryName ?? '';
    const repo = this.repos.get(name);
    if (!repo) throw new RepositoryNotFoundException({ message: `The repository with name '${name}' does not exist`, $metadata: {} });
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const m = repo.manifests.get(id.imageDigest ?? '');
      if (m) images.push({ registryId: ACCOUNT, repositoryName: name, imageId: { imageDigest: id.imageDigest }, imageManifest: m.body, imageManifestMediaType: m.mediaType });
      else failures.push({ imageId: { imageDigest: id.imageDigest }, failureCode: 'ImageNotFound' as const, failureReason: 'Requested image not found' });
    }
    return { images, failures };
  }

  /** `fetch` for presigned layer URLs: serves the config blobs pushed here. */
  readonly fetch = (url: string | URL | Request): Promise<Response> => {
    const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
    const digest = href.split('/').pop() ?? '';
    const blob = this.configs.get(digest);
    return Promise.resolve(blob ? new Response(blob, { status: 200 }) : new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404 }));
  };

  // ── CodeBuild ────────────────────────────────────────────────────────────────────────────

  addProject(name: string, tags: { key: string; value: string }[] = []): void {
    this.projects.set(name, tags);
  }

  private startBuild(input: StartBuildInput): { build: Build } {
    const now = this.clock.now();
    const same = this.builds.find((b) => b.token !== undefined && b.token === input.idempotencyToken && now - b.startedAt < 5 * 60_000);
    if (same) {
      if (JSON.stringify(same.input) !== JSON.stringify(input)) throw new CodeBuildServiceException({ name: 'InvalidInputException', message: 'Idempotency token parameter mismatch', $fault: 'client', $metadata: {} });
      return { build: clone(same.build) };
    }
    if (!this.projects.has(input.projectName ?? '')) {
      throw new CodeBuildServiceException({ name: 'ResourceNotFoundException', message: `Project cannot be found: arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${input.projectName ?? ''}`, $fault: 'client', $metadata: {} });
    }
    const template = fixture<{ build: Build }>('codebuild/start-build.response.aws-cli-example.json').build;
    const uuid = `${(this.seq++).toString(16).padStart(8, '0')}-a1b2-c3d4-e5f6-11111EXAMPLE`;
    const id = `${input.projectName ?? ''}:${uuid}`;
    const build: Build = {
      ...clone(template),
      id,
      arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:build/${id}`,
      projectName: input.projectName,
      sourceVersion: input.sourceVersion,
      startTime: new Date(now),
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: new Date(now), endTime: new Date(now), durationInSeconds: 0 },
        { phaseType: 'QUEUED', startTime: new Date(now) },
      ],
      environment: { ...template.environment, type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_MEDIUM', privilegedMode: true, environmentVariables: (input.environmentVariablesOverride ?? []).map((v) => ({ ...v })) },
      logs: { groupName: `/aws/codebuild/${input.projectName ?? ''}`, streamName: uuid, deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${REGION}#logEvent:group=/aws/codebuild/${input.projectName ?? ''};stream=${uuid}` },
    };
    this.builds.push({ build, ...(input.idempotencyToken ? { token: input.idempotencyToken } : {}), input: clone(input), startedAt: now, next: 0 });
    return { build: clone(build) };
  }

  /** One phase further per read. */
  private advance(sim: SimBuild): void {
    const b = sim.build;
    if (b.buildComplete) return;
    const phases = b.phases ?? [];
    const open = phases[phases.length - 1];
    const now = this.clock.now();
    const close = (p: BuildPhase, status: 'SUCCEEDED' | 'FAILED', message?: string) => {
      p.phaseStatus = status;
      p.endTime = new Date(now);
      p.durationInSeconds = Math.round((now - (p.startTime instanceof Date ? p.startTime.getTime() : now)) / 1000);
      p.contexts = [{ statusCode: status === 'FAILED' ? 'COMMAND_EXECUTION_ERROR' : '', message: message ?? '' }];
    };
    if (open) close(open, 'SUCCEEDED');
    const phase = PHASES[sim.next++];
    if (phase === undefined) {
      phases.push({ phaseType: 'COMPLETED', startTime: new Date(now) });
      b.buildStatus = 'SUCCEEDED';
      b.currentPhase = 'COMPLETED';
      b.buildComplete = true;
      b.endTime = new Date(now);
      b.resolvedSourceVersion = REVISION;
      const env = Object.fromEntries((b.environment?.environmentVariables ?? []).map((v) => [v.name ?? '', v.value ?? '']));
      (this.buildScript.push ?? defaultPush)(this, env);
      return;
    }
    const p: BuildPhase = { phaseType: phase as BuildPhase['phaseType'], startTime: new Date(now) };
    phases.push(p);
    b.currentPhase = phase;
    if (this.buildScript.failAt?.phase === phase) {
      close(p, 'FAILED', this.buildScript.failAt.message);
      for (const after of ['UPLOAD_ARTIFACTS', 'FINALIZING']) if (after !== phase) phases.push({ phaseType: after as BuildPhase['phaseType'], phaseStatus: 'SUCCEEDED', startTime: new Date(now), endTime: new Date(now), durationInSeconds: 0, contexts: [{ statusCode: '', message: '' }] });
      phases.push({ phaseType: 'COMPLETED', startTime: new Date(now) });
      b.buildStatus = 'FAILED';
      b.currentPhase = 'COMPLETED';
      b.buildComplete = true;
      b.endTime = new Date(now);
    }
  }

  // ── Queues, metrics, auto scaling ────────────────────────────────────────────────────────

  addQueue(name: string, visible: number[], inFlight: number[] = [0]): void {
    this.queues.set(name, { visible, inFlight });
  }

  private queueByUrl(url: string) {
    const name = url.split('/').pop() ?? '';
    const q = this.queues.get(name);
    if (!q) throw new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} });
    return q;
  }

  // ── wiring ───────────────────────────────────────────────────────────────────────────────

  private install(): void {
    const guard = <I, O>(name: string, fn: (input: I) => O) => (input: I): O => {
      this.check(name);
      const out = fn(input);
      if (this.lost.delete(name)) throw new ECSServiceException({ name: 'ServerException', message: 'Service Unavailable', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      return out;
    };
    mocks.ecs.on(DescribeServicesCommand).callsFake(
      guard('DescribeServices', (input: { cluster?: string; services?: string[] }) => {
        const key = `${input.cluster ?? 'default'}/${input.services?.[0] ?? ''}`;
        const svc = this.services.get(key);
        if (!svc) return { services: [], failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${key}`, reason: 'MISSING' }] };
        if (this.updated) this.steps.shift()?.(this, svc);
        return { services: [clone(svc)], failures: [] };
      }),
    );
    mocks.ecs.on(DescribeServiceRevisionsCommand).callsFake(
      guard('DescribeServiceRevisions', (input: { serviceRevisionArns?: string[] }) => ({
        serviceRevisions: (input.serviceRevisionArns ?? []).flatMap((a) => (this.revisions.has(a) ? [clone(this.revisions.get(a))] : [])),
        failures: [],
      })),
    );
    mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake(
      guard('DescribeTaskDefinition', (input: { taskDefinition?: string }) => {
        const td = this.taskDefinitions.get(input.taskDefinition ?? '');
        if (!td) throw new ECSServiceException({ name: 'ClientException', message: 'Unable to describe task definition.', $fault: 'client', $metadata: {} });
        return { taskDefinition: clone(td), tags: [{ key: 'team', value: 'payments' }] };
      }),
    );
    mocks.ecs.on(UpdateServiceCommand).callsFake(guard('UpdateService', (input: UpdateServiceRequest) => ({ service: this.onUpdate(input) })));
    mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake(
      guard('RegisterTaskDefinition', (input: RegisterTaskDefinitionRequest) => {
        const family = input.family ?? '';
        const revision = Math.max(0, ...[...this.taskDefinitions.values()].filter((t) => t.family === family).map((t) => t.revision ?? 0)) + 1;
        const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
        const td: TaskDefinition = { ...clone(input), taskDefinitionArn: arn, revision, status: 'ACTIVE' };
        this.taskDefinitions.set(arn, td);
        return { taskDefinition: clone(td), tags: input.tags };
      }),
    );
    mocks.ecs.on(ListTasksCommand).callsFake(
      guard('ListTasks', (input: { serviceName?: string; desiredStatus?: string }) => ({
        taskArns: this.tasks.filter((t) => t.group === `service:${input.serviceName ?? ''}` && t.desiredStatus === (input.desiredStatus ?? 'RUNNING')).map((t) => t.taskArn),
      })),
    );
    mocks.ecs.on(DescribeTasksCommand).callsFake(guard('DescribeTasks', (input: { tasks?: string[] }) => ({ tasks: clone(this.tasks.filter((t) => input.tasks?.includes(t.taskArn ?? ''))), failures: [] })));

    mocks.ecr.on(DescribeImagesCommand).callsFake(guard('DescribeImages', (input: DescribeImagesRequest) => this.describeImages(input)));
    mocks.ecr.on(BatchGetImageCommand).callsFake(guard('BatchGetImage', (input: BatchGetImageRequest) => this.batchGetImage(input)));
    mocks.ecr.on(GetLifecyclePolicyCommand).callsFake(
      guard('GetLifecyclePolicy', (input: { repositoryName?: string }) => {
        const repo = this.repos.get(input.repositoryName ?? '');
        if (!repo) throw new RepositoryNotFoundException({ message: 'repository does not exist', $metadata: {} });
        if (repo.policy === undefined) throw new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist', $metadata: {} });
        return { registryId: ACCOUNT, repositoryName: input.repositoryName, lifecyclePolicyText: repo.policy };
      }),
    );
    mocks.ecr.on(GetDownloadUrlForLayerCommand).callsFake(
      guard('GetDownloadUrlForLayer', (input: { layerDigest?: string }) => ({
        downloadUrl: `https://prod-${REGION}-starport-layer-bucket.s3.${REGION}.amazonaws.com/${input.layerDigest ?? ''}`,
        layerDigest: input.layerDigest,
      })),
    );

    mocks.codebuild.on(BatchGetProjectsCommand).callsFake(
      guard('BatchGetProjects', (input: { names?: string[] }) => {
        const names = input.names ?? [];
        return {
          projects: names.filter((n) => this.projects.has(n)).map((n) => ({ name: n, arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${n}`, tags: this.projects.get(n) })),
          projectsNotFound: names.filter((n) => !this.projects.has(n)),
        };
      }),
    );
    mocks.codebuild.on(ListProjectsCommand).callsFake(guard('ListProjects', () => ({ projects: [...this.projects.keys()].sort() })));
    mocks.codebuild.on(StartBuildCommand).callsFake(guard('StartBuild', (input: StartBuildInput) => this.startBuild(input)));
    mocks.codebuild.on(BatchGetBuildsCommand).callsFake(
      guard('BatchGetBuilds', (input: { ids?: string[] }) => {
        const found = this.builds.filter((b) => input.ids?.includes(b.build.id ?? ''));
        for (const b of found) this.advance(b);
        return { builds: found.map((b) => clone(b.build)), buildsNotFound: (input.ids ?? []).filter((id) => !found.some((b) => b.build.id === id)) };
      }),
    );
    mocks.codebuild.on(ListBuildsForProjectCommand).callsFake(
      guard('ListBuildsForProject', (input: { projectName?: string }) => ({ ids: this.builds.filter((b) => b.build.projectName === input.projectName).map((b) => b.build.id).reverse() })),
    );
    mocks.codebuild.on(StopBuildCommand).callsFake(
      guard('StopBuild', (input: { id?: string }) => {
        const sim = this.builds.find((b) => b.build.id === input.id);
        if (!sim) throw new CodeBuildServiceException({ name: 'ResourceNotFoundException', message: 'Build not found', $fault: 'client', $metadata: {} });
        Object.assign(sim.build, { buildStatus: 'STOPPED', buildComplete: true, currentPhase: 'COMPLETED' });
        return { build: clone(sim.build) };
      }),
    );

    mocks.sqs.on(GetQueueUrlCommand).callsFake(
      guard('GetQueueUrl', (input: { QueueName?: string }) => {
        if (!this.queues.has(input.QueueName ?? '')) throw new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} });
        return { QueueUrl: fixture<{ QueueUrl: string }>('sqs/get-queue-url.response.CONSTRUCTED.json').QueueUrl.replace('hooks-queue', input.QueueName ?? '') };
      }),
    );
    mocks.sqs.on(GetQueueAttributesCommand).callsFake(
      guard('GetQueueAttributes', (input: { QueueUrl?: string }) => {
        const q = this.queueByUrl(input.QueueUrl ?? '');
        const visible = q.visible.length > 1 ? (q.visible.shift() ?? 0) : (q.visible[0] ?? 0);
        const inFlight = q.inFlight.length > 1 ? (q.inFlight.shift() ?? 0) : (q.inFlight[0] ?? 0);
        const out = fixture<{ Attributes: Record<string, string> }>('sqs/get-queue-attributes.backlog.response.CONSTRUCTED.json');
        out.Attributes.ApproximateNumberOfMessages = String(visible);
        out.Attributes.ApproximateNumberOfMessagesNotVisible = String(inFlight);
        return out;
      }),
    );
    mocks.cloudwatch.on(GetMetricDataCommand).callsFake(
      guard('GetMetricData', (): GetMetricDataOutput => {
        if (this.oldestAge === 'denied') {
          throw new CloudWatchServiceException({ name: 'AccessDenied', message: 'User: arn:aws:sts::123456789012:assumed-role/lifeboat/x is not authorized to perform: cloudwatch:GetMetricData', $fault: 'client', $metadata: { httpStatusCode: 403 } });
        }
        const out = fixture<GetMetricDataOutput>('cloudwatch/get-metric-data.sqs-oldest-message-age.response.CONSTRUCTED.json');
        const first = out.MetricDataResults?.[0];
        if (first) first.Values = this.oldestAge === undefined ? [] : [this.oldestAge];
        return out;
      }),
    );
    mocks.scaling.on(DescribeScalableTargetsCommand).callsFake(
      guard('DescribeScalableTargets', (input: { ResourceIds?: string[] }): DescribeScalableTargetsResponse => {
        const id = input.ResourceIds?.[0] ?? '';
        const t = this.targets.get(id);
        if (!t) return { ScalableTargets: [] };
        const out = fixture<DescribeScalableTargetsResponse>('application-autoscaling/describe-scalable-targets.ecs-service.response.CONSTRUCTED.json');
        const target = out.ScalableTargets?.[0];
        return { ScalableTargets: target ? [{ ...target, ResourceId: id, MinCapacity: t.min, MaxCapacity: t.max }] : [] };
      }),
    );
    mocks.scaling.on(RegisterScalableTargetCommand).callsFake(
      guard('RegisterScalableTarget', (input: RegisterScalableTargetRequest) => {
        this.targets.set(input.ResourceId ?? '', { min: input.MinCapacity ?? 0, max: input.MaxCapacity ?? 0 });
        return { ScalableTargetARN: 'arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0ec9b1d9a0ba4b2b8d7b7bc05d8d3e3e' };
      }),
    );
  }

  /** Recovery dependencies on the real adapters and SDK clients (mocked at `send`). */
  deps(settings: Record<string, unknown> = {}): RecoveryDeps {
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const ecsClient = new ECSClient({ region: REGION, credentials });
    const ecrClient = new ECRClient({ region: REGION, credentials });
    const where = { account: ACCOUNT, region: REGION };
    return {
      ...where,
      ecs: new SdkEcsOps(ecsClient, where),
      codebuild: new SdkCodeBuildOps(new CodeBuildClient({ region: REGION, credentials }), where),
      queues: new SdkQueueOps(new SQSClient({ region: REGION, credentials }), new CloudWatchClient({ region: REGION, credentials }), { ...where, clock: this.clock }),
      scaling: new SdkScalingOps(new ApplicationAutoScalingClient({ region: REGION, credentials }), where),
      imageConfig: new SdkEcrImageConfigReader(ecrClient, { region: REGION, fetch: this.fetch }),
      restore: new SdkEcrRestoreOps(() => ecrClient, { fetch: this.fetch }),
      images: {
        targets: [{ ...where, ecs: new SdkEcsReader(ecsClient, where) }],
        ecrFor: () => new SdkEcrReader(ecrClient, { region: REGION }),
        taskDefinitions: new MemoryCache(),
        manifests: new MemoryCache(),
        revisions: new MemoryCache(),
        clock: this.clock,
        sleep: this.sleep,
        random: () => 0.5,
      },
      scaleRecords: this.records,
      settings: recoverySettingsSchema.parse(settings),
      clock: this.clock,
      sleep: this.sleep,
      random: () => 0.5,
    };
  }
}

/** The default build push: what IMAGE_REPO_NAME / IMAGE_TAG / PLATFORMS ask for. */
function defaultPush(world: World, env: Record<string, string>): void {
  const platforms = (env.PLATFORMS ?? 'linux/amd64').split(',').filter(Boolean);
  world.push(env.IMAGE_REPO_NAME ?? '', { tag: env.IMAGE_TAG ?? 'latest', platforms, revision: REVISION, attestation: platforms.length > 1 });
}

/** Thrown by the checkpoint store to simulate a worker killed right after recording a step. */
export class WorkerKilled extends Error {
  constructor(readonly after: string) {
    super(`worker killed after checkpoint ${after}`);
  }
}

/** A job's context with checkpoints that survive "worker restarts" (new contexts on the same job). */
export class TestJob {
  readonly checkpoints = new Map<string, string>();
  readonly progress: Message[] = [];
  controller = new AbortController();
  /** Kill the worker right after this checkpoint is recorded (once). */
  crashAfter: string | undefined;
  /** Called with every progress message (e.g. to press Cancel mid-way). */
  onProgress: ((m: Message, job: TestJob) => void) | undefined;

  constructor(readonly jobId: string) {}

  context(): JobContext {
    this.controller = new AbortController();
    return {
      jobId: this.jobId,
      signal: this.controller.signal,
      progress: (m) => {
        this.progress.push(m);
        this.onProgress?.(m, this);
        return Promise.resolve();
      },
      checkpoint: {
        get: <T>(key: string) => Promise.resolve(this.checkpoints.has(key) ? (JSON.parse(this.checkpoints.get(key) ?? 'null') as T) : undefined),
        set: (key: string, value: unknown) => {
          this.checkpoints.set(key, JSON.stringify(value ?? null));
          if (key === this.crashAfter) {
            this.crashAfter = undefined;
            return Promise.reject(new WorkerKilled(key));
          }
          return Promise.resolve();
        },
      },
      log: silentLogger,
    };
  }
}

/** Every text of a message, for assertions. */
export function text(m: Message): string {
  return [
    m.summary,
    ...m.blocks.map((b) => {
      switch (b.type) {
        case 'header':
        case 'text':
        case 'code':
        case 'context':
          return b.text;
        case 'fields':
          return b.fields.map((f) => `${f.label}: ${f.value}`).join('\n');
        case 'list':
          return b.items.join('\n');
        default:
          return '';
      }
    }),
  ].join('\n');
}
