/**
 * Simulated Amazon ECS (Fargate, rolling-update controller), close enough to the real scheduler
 * that Lifeboat's reasoning about it is tested, not assumed:
 *
 * - A deployment resolves each container's tag to a digest once, when it is created, and every
 *   task it ever starts pulls that digest (DOMAIN fact 1; `versionConsistency: disabled` pulls the
 *   tag). Re-pushing the tag changes nothing; `forceNewDeployment` resolves again.
 * - A task goes PROVISIONING → PENDING → (registry auth, secrets, log stream, image pull) →
 *   RUNNING → healthy, or stops on the way with the real reason strings
 *   (corpus ecs/cannotpull-stopped-reasons.json) and `stopCode: TaskFailedToStart`.
 * - The service scheduler replaces missing tasks, backs off after repeated start failures (up to
 *   15 minutes) and reports `SERVICE_TASK_START_IMPAIRED`; tasks that fail *after* running do not
 *   count (corpus ecs/SEMANTICS.md "Service throttle logic").
 * - Deployments roll out over time (maximumPercent 200, minimumHealthyPercent 100), complete, or
 *   trip the circuit breaker (threshold ceil(desired / 2) clamped to [3, 200]) and roll back to the
 *   last completed deployment.
 * - Every state change emits the EventBridge event ECS would (`ECS Task State Change`,
 *   `ECS Service Action`, `ECS Deployment State Change`); stopped tasks stay describable for an hour.
 */
import { LifeboatError } from '../../core/errors.js';
import { parseImageReference } from '../../images/image-reference.js';
import { parseImageIndex, selectPlatform } from '../../images/oci-index.js';
import { formatPlatform, platformFromRuntime, type Platform } from '../../images/platform.js';
import type { EventLog } from './events.js';
import type { DrillIam, DrillLogs } from './iam.js';
import {
  clusterArn as makeClusterArn,
  DRILL_ACCOUNT,
  DRILL_REGION,
  isoMillis,
  serviceArn as makeServiceArn,
  serviceRevisionArn,
  taskArn as makeTaskArn,
  taskDefinitionArn,
  type DrillIds,
} from './ids.js';
import type { PullSource } from './registry-model.js';
import type { Scheduled, SimScheduler } from './scheduler.js';

/** A container definition (the fields the simulation acts on). */
export interface SimContainerDef {
  name: string;
  image: string;
  essential?: boolean;
  versionConsistency?: 'enabled' | 'disabled';
  logConfiguration?: { logDriver: string; options: Record<string, string> };
  secrets?: { name: string; valueFrom: string }[];
  portMappings?: { containerPort: number; protocol?: string }[];
}

/** `RegisterTaskDefinition` input. */
export interface TaskDefinitionInput {
  family: string;
  containers: SimContainerDef[];
  runtimePlatform?: { cpuArchitecture?: 'X86_64' | 'ARM64'; operatingSystemFamily?: 'LINUX' };
  taskRoleArn?: string;
  executionRoleArn?: string;
  cpu?: string;
  memory?: string;
}

/** A registered (immutable) task definition. */
export interface SimTaskDefinition extends TaskDefinitionInput {
  arn: string;
  revision: number;
  registeredAt: number;
  cpu: string;
  memory: string;
}

/**
 * How the application inside a task family behaves — simulation only, invisible through the API,
 * like a real app: how long it takes to answer health checks, and which AWS actions it calls at
 * start with its *task* role (it exits with code 1 if the task role does not allow them).
 */
export interface AppBehaviour {
  startupSeconds: number;
  taskRoleActions?: string[];
}

/** A deployment (rolling-update controller). */
export interface SimDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  failedTasks: number;
  /** A task of this deployment became healthy: the circuit breaker stops counting. */
  everHealthy: boolean;
  revisionArn: string;
  /** Container name → digest ECS resolved (undefined: not resolved, the tag is pulled). */
  pinned: Map<string, string | undefined>;
}

/** A service revision (`DescribeServiceRevisions`). */
export interface SimServiceRevision {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  createdAt: number;
  containerImages: { containerName: string; image: string; imageDigest?: string }[];
}

/** A container of a task. */
export interface SimTaskContainer {
  name: string;
  image: string;
  imageDigest?: string;
  lastStatus: string;
  reason?: string;
  exitCode?: number;
}

/** A task. */
export interface SimTask {
  id: string;
  arn: string;
  cluster: string;
  service: string;
  deploymentId: string;
  taskDefinitionArn: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  healthyAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  containers: SimTaskContainer[];
  version: number;
  platform: Platform;
  timers: Scheduled[];
}

/** A service. */
export interface SimService {
  name: string;
  arn: string;
  cluster: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  createdAt: number;
  healthCheckGracePeriodSeconds: number;
  loadBalancer?: { targetGroupArn: string; containerName: string; containerPort: number };
  circuitBreaker: { enable: boolean; rollback: boolean };
  minimumHealthyPercent: number;
  maximumPercent: number;
  deployments: SimDeployment[];
  events: { id: string; createdAt: number; message: string }[];
  consecutiveFailures: number;
  nextLaunchAt: number;
  impaired: boolean;
  steady: boolean;
}

/** `CreateService` input. */
export interface CreateServiceInput {
  cluster: string;
  name: string;
  taskDefinition: string;
  desiredCount: number;
  healthCheckGracePeriodSeconds?: number;
  loadBalancer?: { targetGroupArn: string; containerName: string; containerPort: number };
  circuitBreaker?: { enable: boolean; rollback: boolean };
  /**
   * Start as a service that has run for a while: its deployment COMPLETED at `runningSince` and
   * its tasks RUNNING (no events for that past). Without it the service starts deploying now.
   */
  runningSince?: number;
}

/** What ECS needs from the rest of the account. */
export interface EcsDeps {
  scheduler: SimScheduler;
  events: EventLog;
  ids: DrillIds;
  registries: ReadonlyMap<string, PullSource>;
  iam: DrillIam;
  logs: DrillLogs;
  /** Emit every n-th delivered task event twice (ECS may send an event twice; 0 = never). */
  duplicateTaskEventsEvery?: number;
}

const RECONCILE_MS = 15_000;
const STOPPED_VISIBLE_MS = 60 * 60_000;
const IMPAIRED_AFTER = 3;
const MAX_BACKOFF_MS = 15 * 60_000;
const HEALTH_CHECK_INTERVAL_S = 10;
const UNHEALTHY_THRESHOLD = 3;
const TIMING = { pending: 8_000, resources: 15_000, pullOk: 12_000, pullFail: 30_000, copyFail: 20_000, running: 3_000, stopping: 3_000, appCrash: 4_000 };

/** ECS of the simulated account. */
export class DrillEcs {
  readonly clusters = new Set<string>();
  readonly taskDefinitions = new Map<string, SimTaskDefinition>();
  readonly services = new Map<string, SimService>();
  readonly tasks = new Map<string, SimTask>();
  readonly revisions = new Map<string, SimServiceRevision>();
  readonly apps = new Map<string, AppBehaviour>();
  private readonly families = new Map<string, number>();
  private taskEvents = 0;

  constructor(private readonly deps: EcsDeps) {
    deps.scheduler.every(RECONCILE_MS, 'ecs scheduler', () => this.reconcileAll());
  }

  private get now(): number {
    return this.deps.scheduler.now();
  }

  // ── setup ───────────────────────────────────────────────────────────────────────────────

  createCluster(name: string): string {
    this.clusters.add(name);
    return makeClusterArn(name);
  }

  registerTaskDefinition(input: TaskDefinitionInput): SimTaskDefinition {
    const revision = (this.families.get(input.family) ?? 0) + 1;
    this.families.set(input.family, revision);
    const td: SimTaskDefinition = {
      ...input,
      containers: input.containers.map((c) => ({ ...c })),
      arn: taskDefinitionArn(input.family, revision),
      revision,
      registeredAt: this.now,
      cpu: input.cpu ?? '512',
      memory: input.memory ?? '1024',
    };
    this.taskDefinitions.set(td.arn, td);
    return td;
  }

  /** Describe how the app of a task family behaves (simulation only). */
  setApp(family: string, behaviour: AppBehaviour): void {
    this.apps.set(family, behaviour);
  }

  createService(input: CreateServiceInput): SimService {
    this.cluster(input.cluster);
    const key = serviceKey(input.cluster, input.name);
    if (this.services.has(key)) throw new LifeboatError('AWS_ERROR', `Service ${input.name} already exists in cluster ${input.cluster}.`, { retryable: false });
    const service: SimService = {
      name: input.name,
      arn: makeServiceArn(input.cluster, input.name),
      cluster: input.cluster,
      clusterArn: makeClusterArn(input.cluster),
      status: 'ACTIVE',
      desiredCount: input.desiredCount,
      createdAt: input.runningSince ?? this.now,
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? 0,
      circuitBreaker: input.circuitBreaker ?? { enable: false, rollback: false },
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deployments: [],
      events: [],
      consecutiveFailures: 0,
      nextLaunchAt: 0,
      impaired: false,
      steady: false,
    };
    if (input.loadBalancer) service.loadBalancer = input.loadBalancer;
    this.services.set(key, service);
    const deployment = this.newDeployment(service, input.taskDefinition, input.runningSince);
    if (input.runningSince !== undefined) {
      deployment.rolloutState = 'COMPLETED';
      deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
      deployment.everHealthy = true;
      for (let i = 0; i < input.desiredCount; i++) this.runningTask(service, deployment, input.runningSince);
      service.steady = true;
    } else {
      this.deploymentEvent(service, deployment, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', `ECS deployment ${deployment.id} in progress.`);
      this.reconcileSoon(service);
    }
    return service;
  }

  // ── API-like operations ─────────────────────────────────────────────────────────────────

  /** `UpdateService` (the fields the simulation models). */
  updateService(input: {
    cluster: string;
    service: string;
    desiredCount?: number;
    taskDefinition?: string;
    forceNewDeployment?: boolean;
    healthCheckGracePeriodSeconds?: number;
    cause?: string;
  }): SimService {
    const service = this.service(input.cluster, input.service);
    if (input.taskDefinition !== undefined && !this.taskDefinitions.has(input.taskDefinition)) {
      throw new LifeboatError('AWS_ERROR', `ECS rejected ecs:UpdateService (ClientException: TaskDefinition not found: ${input.taskDefinition}).`, { retryable: false });
    }
    if (input.healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    if (input.desiredCount !== undefined && input.desiredCount !== service.desiredCount) {
      service.desiredCount = input.desiredCount;
      const primary = service.deployments[0];
      if (primary) primary.desiredCount = input.desiredCount;
      if (input.cause !== undefined) {
        this.serviceAction(service, 'SERVICE_DESIRED_COUNT_UPDATED', 'INFO');
        this.serviceEvent(service, `desired count updated to ${input.desiredCount} by ${input.cause}.`);
      }
    }
    const primary = service.deployments[0];
    const changesDefinition = input.taskDefinition !== undefined && input.taskDefinition !== primary?.taskDefinition;
    if (input.forceNewDeployment === true || changesDefinition) {
      const deployment = this.newDeployment(service, input.taskDefinition ?? primary?.taskDefinition ?? '');
      this.deploymentEvent(service, deployment, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', `ECS deployment ${deployment.id} in progress.`);
    }
    this.reconcileSoon(service);
    return service;
  }

  /** AWS stops `count` running tasks of the service (Fargate task retirement, host maintenance). */
  retireTasks(cluster: string, service: string, count: number, reason = 'Task retired: the Fargate platform version revision it ran on was retired for maintenance.'): SimTask[] {
    const running = this.liveTasks(this.service(cluster, service)).filter((t) => t.lastStatus === 'RUNNING').slice(0, count);
    for (const task of running) this.stopTask(task, 'TerminationNotice', reason, false);
    this.reconcileSoon(this.service(cluster, service));
    return running;
  }

  /** The service, or `AWS_NOT_FOUND` naming it. */
  service(cluster: string, name: string): SimService {
    this.cluster(cluster);
    const service = this.services.get(serviceKey(cluster, nameOf(name)));
    if (!service) {
      throw new LifeboatError('AWS_NOT_FOUND', `Service ${nameOf(name)} in cluster ${nameOf(cluster)} (account ${DRILL_ACCOUNT} ${DRILL_REGION}) does not exist.`, {
        cause: new Error('ServiceNotFoundException: Service not found.'),
      });
    }
    return service;
  }

  /** The cluster name, or `AWS_NOT_FOUND`. */
  cluster(cluster: string): string {
    const name = nameOf(cluster);
    if (!this.clusters.has(name)) {
      throw new LifeboatError('AWS_NOT_FOUND', `Cluster ${name} in account ${DRILL_ACCOUNT} ${DRILL_REGION} does not exist.`, {
        cause: new Error('ClusterNotFoundException: Cluster not found.'),
      });
    }
    return name;
  }

  taskDefinition(arn: string): SimTaskDefinition {
    const td = this.taskDefinitions.get(arn) ?? this.latestOfFamily(arn);
    if (!td) {
      throw new LifeboatError('AWS_ERROR', `ECS rejected ecs:DescribeTaskDefinition on ${arn} (ClientException: Unable to describe task definition).`, { retryable: false });
    }
    return td;
  }

  /** Tasks of a service not yet STOPPED. */
  liveTasks(service: SimService): SimTask[] {
    return [...this.tasks.values()].filter((t) => t.cluster === service.cluster && t.service === service.name && t.lastStatus !== 'STOPPED');
  }

  /** Tasks of a service, stopped ones included (while ECS still shows them). */
  serviceTasks(cluster: string, service: string): SimTask[] {
    const s = this.service(cluster, service);
    return [...this.tasks.values()].filter((t) => t.cluster === s.cluster && t.service === s.name);
  }

  /** RUNNING tasks of a service (0 for an unknown service: queue consumers ask without knowing). */
  runningCount(cluster: string, service: string): number {
    const s = this.services.get(serviceKey(cluster, service));
    return s ? this.liveTasks(s).filter((t) => t.lastStatus === 'RUNNING').length : 0;
  }

  pendingCount(service: SimService): number {
    return this.liveTasks(service).filter((t) => t.lastStatus !== 'RUNNING').length;
  }

  /** Is the service in steady state: one COMPLETED deployment, running = desired, nothing pending? */
  isSteady(service: SimService): boolean {
    const primary = service.deployments[0];
    const live = this.liveTasks(service);
    return (
      service.deployments.length === 1 &&
      primary?.rolloutState === 'COMPLETED' &&
      live.length === service.desiredCount &&
      live.every((t) => t.lastStatus === 'RUNNING')
    );
  }

  // ── deployments ─────────────────────────────────────────────────────────────────────────

  private newDeployment(service: SimService, taskDefinition: string, at?: number, pinnedFrom?: SimDeployment): SimDeployment {
    const td = this.taskDefinition(taskDefinition);
    const createdAt = at ?? this.now;
    const pinned = new Map<string, string | undefined>();
    for (const c of td.containers) {
      if (c.versionConsistency === 'disabled') pinned.set(c.name, undefined);
      else if (pinnedFrom) pinned.set(c.name, pinnedFrom.pinned.get(c.name));
      else pinned.set(c.name, this.resolveDigest(c.image));
    }
    const revisionId = this.deps.ids.numericId();
    const revision: SimServiceRevision = {
      arn: serviceRevisionArn(service.cluster, service.name, revisionId),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      taskDefinition: td.arn,
      createdAt,
      containerImages: td.containers.map((c) => {
        const digest = pinned.get(c.name);
        return digest !== undefined ? { containerName: c.name, image: c.image, imageDigest: digest } : { containerName: c.name, image: c.image };
      }),
    };
    this.revisions.set(revision.arn, revision);
    const deployment: SimDeployment = {
      id: `ecs-svc/${this.deps.ids.numericId()}`,
      status: 'PRIMARY',
      taskDefinition: td.arn,
      desiredCount: service.desiredCount,
      createdAt,
      updatedAt: createdAt,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: '',
      failedTasks: 0,
      everHealthy: false,
      revisionArn: revision.arn,
      pinned,
    };
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} in progress.`;
    for (const d of service.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    service.deployments.unshift(deployment);
    // A new deployment resets the start-failure throttle at once.
    service.consecutiveFailures = 0;
    service.nextLaunchAt = 0;
    service.impaired = false;
    service.steady = false;
    return deployment;
  }

  /** Tag → digest now, as ECS does when a deployment starts; undefined when it cannot resolve. */
  private resolveDigest(image: string): string | undefined {
    const parsed = parseImageReference(image);
    if (!parsed.ok) return undefined;
    const ref = parsed.ref;
    if (ref.digest !== undefined) return ref.digest;
    const source = this.deps.registries.get(ref.registry.host);
    return source?.resolveTag(ref.repository, ref.tag ?? 'latest');
  }

  private reconcileSoon(service: SimService): void {
    this.deps.scheduler.after(0, `ecs reconcile ${service.name}`, () => this.reconcile(service));
  }

  private reconcileAll(): void {
    const cutoff = this.now - STOPPED_VISIBLE_MS;
    for (const [id, task] of this.tasks) if (task.lastStatus === 'STOPPED' && (task.stoppedAt ?? 0) < cutoff) this.tasks.delete(id);
    for (const service of this.services.values()) this.reconcile(service);
  }

  private reconcile(service: SimService): void {
    if (service.status !== 'ACTIVE') return;
    const primary = service.deployments[0];
    if (!primary) return;
    primary.desiredCount = service.desiredCount;
    const live = this.liveTasks(service);
    const ofPrimary = live.filter((t) => t.deploymentId === primary.id);
    const old = live.filter((t) => t.deploymentId !== primary.id);

    // Old deployments give way as the new one becomes healthy (minimumHealthyPercent 100).
    const healthyPrimary = ofPrimary.filter((t) => t.healthyAt !== undefined).length;
    const oldAllowed = primary.rolloutState === 'FAILED' ? old.length : Math.max(0, service.desiredCount - healthyPrimary);
    for (const task of sortForStop(old).slice(0, Math.max(0, old.length - oldAllowed))) {
      this.stopTask(task, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${primary.id})`, true);
    }
    // Scale in.
    if (ofPrimary.length > service.desiredCount) {
      for (const task of sortForStop(ofPrimary).slice(0, ofPrimary.length - service.desiredCount)) {
        this.stopTask(task, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${primary.id})`, true);
      }
    }
    // Launch what is missing, within maximumPercent and the start-failure throttle.
    const stillLive = this.liveTasks(service);
    const primaryLive = stillLive.filter((t) => t.deploymentId === primary.id).length;
    const budget = Math.floor((service.desiredCount * service.maximumPercent) / 100) - stillLive.length;
    const need = Math.min(service.desiredCount - primaryLive, Math.max(budget, service.desiredCount > 0 && stillLive.length === 0 ? 1 : 0));
    if (need > 0 && primary.rolloutState !== 'FAILED' && this.now >= service.nextLaunchAt) {
      const started = Array.from({ length: need }, () => this.launchTask(service, primary));
      this.serviceEvent(service, `has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`);
    }
    // Deployments that have no tasks left go INACTIVE.
    const after = this.liveTasks(service);
    for (const d of service.deployments.slice(1)) {
      if (!after.some((t) => t.deploymentId === d.id)) d.status = 'INACTIVE';
    }
    service.deployments = service.deployments.filter((d) => d.status !== 'INACTIVE');
    // Completion and steady state.
    const healthyNow = after.filter((t) => t.deploymentId === primary.id && t.healthyAt !== undefined).length;
    if (primary.rolloutState === 'IN_PROGRESS' && service.deployments.length === 1 && healthyNow === service.desiredCount && after.length === service.desiredCount) {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
      primary.updatedAt = this.now;
      this.deploymentEvent(service, primary, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', `ECS deployment ${primary.id} completed.`);
      this.serviceEvent(service, `(deployment ${primary.id}) deployment completed.`);
    }
    const steady = this.isSteady(service);
    if (steady && !service.steady) {
      this.serviceAction(service, 'SERVICE_STEADY_STATE', 'INFO');
      this.serviceEvent(service, 'has reached a steady state.');
    }
    service.steady = steady;
  }

  // ── tasks ───────────────────────────────────────────────────────────────────────────────

  private newTask(service: SimService, deployment: SimDeployment, at: number): SimTask {
    const td = this.taskDefinition(deployment.taskDefinition);
    const id = this.deps.ids.taskId();
    const task: SimTask = {
      id,
      arn: makeTaskArn(service.cluster, id),
      cluster: service.cluster,
      service: service.name,
      deploymentId: deployment.id,
      taskDefinitionArn: td.arn,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: at,
      containers: td.containers.map((c) => ({ name: c.name, image: c.image, lastStatus: 'PENDING' })),
      version: 1,
      platform: platformFromRuntime(td.runtimePlatform),
      timers: [],
    };
    this.tasks.set(id, task);
    return task;
  }

  /** A task that has been running since `at` (scenario history). */
  private runningTask(service: SimService, deployment: SimDeployment, at: number): SimTask {
    const task = this.newTask(service, deployment, at);
    task.lastStatus = 'RUNNING';
    task.connectivityAt = at + TIMING.pending;
    task.pullStartedAt = at + TIMING.resources;
    task.pullStoppedAt = at + TIMING.resources + TIMING.pullOk;
    task.startedAt = task.pullStoppedAt + TIMING.running;
    task.healthyAt = task.startedAt + 30_000;
    task.version = 4;
    for (const c of task.containers) {
      c.lastStatus = 'RUNNING';
      const digest = deployment.pinned.get(c.name);
      if (digest !== undefined) c.imageDigest = digest;
    }
    return task;
  }

  private launchTask(service: SimService, deployment: SimDeployment): SimTask {
    const task = this.newTask(service, deployment, this.now);
    const td = this.taskDefinition(deployment.taskDefinition);
    const at = (ms: number, label: string, run: () => void) => task.timers.push(this.deps.scheduler.after(ms, `task ${task.id} ${label}`, run));
    at(TIMING.pending, 'pending', () => {
      task.lastStatus = 'PENDING';
      task.connectivityAt = this.now;
      task.version++;
    });
    at(TIMING.resources, 'resources', () => {
      const failure = this.resourceFailure(td, task);
      if (failure) {
        this.failStart(service, task, failure);
        return;
      }
      task.pullStartedAt = this.now;
      const pulled = this.pull(td, deployment, task);
      if (!pulled.ok) {
        task.timers.push(this.deps.scheduler.after(pulled.after, `task ${task.id} pull failed`, () => this.failStart(service, task, { reason: pulled.reason, container: pulled.container })));
        return;
      }
      task.timers.push(
        this.deps.scheduler.after(TIMING.pullOk, `task ${task.id} pulled`, () => {
          task.pullStoppedAt = this.now;
          for (const [name, digest] of pulled.digests) {
            const c = task.containers.find((x) => x.name === name);
            if (c && digest !== undefined) c.imageDigest = digest;
          }
          const logFailure = this.logFailure(td, task);
          if (logFailure) {
            this.failStart(service, task, logFailure);
            return;
          }
          task.timers.push(this.deps.scheduler.after(TIMING.running, `task ${task.id} running`, () => this.taskRunning(service, deployment, td, task)));
        }),
      );
    });
    return task;
  }

  private taskRunning(service: SimService, deployment: SimDeployment, td: SimTaskDefinition, task: SimTask): void {
    task.lastStatus = 'RUNNING';
    task.startedAt = this.now;
    task.version++;
    for (const c of task.containers) c.lastStatus = 'RUNNING';
    this.taskEvent(task);
    // Reaching RUNNING resets the start-failure throttle (failures after this do not count).
    service.consecutiveFailures = 0;
    service.nextLaunchAt = 0;
    service.impaired = false;
    const app = this.apps.get(td.family) ?? { startupSeconds: 20 };
    this.appLog(td, task, `${td.family} starting (node server.js)`);
    const missing = (app.taskRoleActions ?? []).filter((a) => !this.deps.iam.allows(td.taskRoleArn, a));
    const essential = td.containers.find((c) => c.essential !== false) ?? td.containers[0];
    if (missing.length > 0 && essential) {
      task.timers.push(
        this.deps.scheduler.after(TIMING.appCrash, `task ${task.id} app exits`, () => {
          const c = task.containers.find((x) => x.name === essential.name);
          if (c) c.exitCode = 1;
          this.appLog(td, task, `Error: AccessDenied: User: arn:aws:sts::${DRILL_ACCOUNT}:assumed-role/${td.taskRoleArn?.split('/').pop() ?? 'none'}/${task.id} is not authorized to perform: ${missing[0] ?? '?'} (this call uses the task role)`);
          this.failAfterRunning(service, deployment, task, 'EssentialContainerExited', 'Essential container in task exited');
        }),
      );
      return;
    }
    const readyMs = app.startupSeconds * 1000;
    if (service.loadBalancer) {
      // ELB health checks start after the grace period; UNHEALTHY_THRESHOLD failures and the task is replaced.
      const killAtMs = (service.healthCheckGracePeriodSeconds + HEALTH_CHECK_INTERVAL_S * UNHEALTHY_THRESHOLD) * 1000;
      if (readyMs > killAtMs) {
        const lb = service.loadBalancer;
        task.timers.push(
          this.deps.scheduler.after(killAtMs, `task ${task.id} health checks`, () => {
            this.appLog(td, task, `received SIGTERM after ${(killAtMs / 1000).toFixed(1)} s, still starting up`);
            this.serviceEvent(service, `(port ${lb.containerPort}) is unhealthy in (target-group ${lb.targetGroupArn}) due to (reason Health checks failed).`);
            this.failAfterRunning(service, deployment, task, 'ServiceSchedulerInitiated', `Task failed ELB health checks in (target-group ${lb.targetGroupArn})`);
          }),
        );
        return;
      }
    }
    task.timers.push(
      this.deps.scheduler.after(readyMs, `task ${task.id} healthy`, () => {
        task.healthyAt = this.now;
        this.appLog(td, task, `listening on :8080, started in ${app.startupSeconds.toFixed(1)} s`);
        deployment.everHealthy = true;
        deployment.failedTasks = 0;
        this.reconcile(service);
      }),
    );
  }

  /** Registry auth and secrets, fetched with the *execution* role before anything is pulled. */
  private resourceFailure(td: SimTaskDefinition, task: SimTask): { reason: string; container?: string } | undefined {
    const role = td.executionRoleArn;
    const principal = role ? `arn:aws:sts::${DRILL_ACCOUNT}:assumed-role/${role.split('/').pop() ?? ''}/${task.id}` : 'the task (no execution role)';
    const usesEcr = td.containers.some((c) => {
      const ref = parseImageReference(c.image);
      return ref.ok && ref.ref.registry.kind === 'ecr-private';
    });
    if (usesEcr && !this.deps.iam.allows(role, 'ecr:GetAuthorizationToken')) {
      return {
        reason: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: ${principal} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
      };
    }
    for (const c of td.containers) {
      for (const secret of c.secrets ?? []) {
        if (!this.deps.iam.allows(role, 'secretsmanager:GetSecretValue')) {
          return {
            container: c.name,
            reason: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${secret.valueFrom} from secrets manager: AccessDeniedException: User: ${principal} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secret.valueFrom} because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400`,
          };
        }
      }
    }
    return undefined;
  }

  /** The awslogs driver creates the log stream with the execution role when the container is created. */
  private logFailure(td: SimTaskDefinition, task: SimTask): { reason: string; container?: string } | undefined {
    for (const c of td.containers) {
      const log = c.logConfiguration;
      if (log?.logDriver !== 'awslogs') continue;
      const group = log.options['awslogs-group'] ?? '';
      const create = log.options['awslogs-create-group'] === 'true';
      const principal = `arn:aws:sts::${DRILL_ACCOUNT}:assumed-role/${td.executionRoleArn?.split('/').pop() ?? 'none'}/${task.id}`;
      if (!this.deps.logs.exists(group)) {
        if (create && this.deps.iam.allows(td.executionRoleArn, 'logs:CreateLogGroup')) {
          this.deps.logs.createLogGroup(group, this.now);
        } else {
          return {
            container: c.name,
            reason: 'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1',
          };
        }
      }
      if (!this.deps.iam.allows(td.executionRoleArn, 'logs:CreateLogStream')) {
        return {
          container: c.name,
          reason: `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: ${principal} is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:${DRILL_REGION}:${DRILL_ACCOUNT}:log-group:${group}:log-stream:${log.options['awslogs-stream-prefix'] ?? 'ecs'}/${c.name}/${task.id} : exit status 1`,
        };
      }
    }
    return undefined;
  }

  /** Pull every container's image the way the container runtime does. */
  private pull(
    td: SimTaskDefinition,
    deployment: SimDeployment,
    task: SimTask,
  ): { ok: true; digests: Map<string, string | undefined> } | { ok: false; reason: string; container: string; after: number } {
    const digests = new Map<string, string | undefined>();
    for (const c of td.containers) {
      const parsed = parseImageReference(c.image);
      if (!parsed.ok) return { ok: false, container: c.name, after: TIMING.pullFail, reason: `CannotPullContainerError: invalid reference format: ${c.image}` };
      const ref = parsed.ref;
      const pinned = deployment.pinned.get(c.name);
      const reference = pinned ?? ref.digest ?? ref.tag ?? 'latest';
      const shown = `${ref.registry.host}/${ref.repository}${reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`}`;
      const source = this.deps.registries.get(ref.registry.host);
      const notFound = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${shown}: ${shown}: not found`;
      if (!source) {
        return {
          ok: false,
          container: c.name,
          after: TIMING.pullFail,
          reason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${shown}: failed to do request: Head "https://${ref.registry.host}/v2/${ref.repository}/manifests/${reference}": dial tcp 203.0.113.10:443: i/o timeout`,
        };
      }
      const top = source.lookup(ref.repository, reference);
      if (top.kind !== 'found') return { ok: false, container: c.name, after: TIMING.pullFail, reason: notFound };
      const index = parseImageIndex(top.body);
      if (index.ok) {
        const selection = selectPlatform(index.index, task.platform);
        if (selection.kind !== 'match') {
          return {
            ok: false,
            container: c.name,
            after: TIMING.pullFail,
            reason: `CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform '${formatPlatform(task.platform)}'`,
          };
        }
        const child = source.lookup(ref.repository, selection.digest);
        if (child.kind !== 'found') {
          return {
            ok: false,
            container: c.name,
            after: TIMING.copyFail,
            reason: `CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: content at https://${ref.registry.host}/v2/${ref.repository}/manifests/${selection.digest} not found: not found`,
          };
        }
        source.recordPull(ref.repository, selection.digest, this.now);
      }
      source.recordPull(ref.repository, top.digest, this.now);
      digests.set(c.name, top.digest);
    }
    return { ok: true, digests };
  }

  private failStart(service: SimService, task: SimTask, failure: { reason: string; container?: string }): void {
    if (task.lastStatus === 'STOPPED') return;
    for (const c of task.containers) {
      c.lastStatus = 'STOPPED';
      if (failure.container === undefined || c.name === failure.container) c.reason = failure.reason;
    }
    this.stopTask(task, 'TaskFailedToStart', failure.reason, false);
    const deployment = service.deployments.find((d) => d.id === task.deploymentId);
    this.countFailure(service, deployment);
    service.consecutiveFailures++;
    if (service.consecutiveFailures >= IMPAIRED_AFTER) {
      const backoff = Math.min(MAX_BACKOFF_MS, 30_000 * 2 ** (service.consecutiveFailures - IMPAIRED_AFTER));
      service.nextLaunchAt = this.now + backoff;
      if (!service.impaired) {
        service.impaired = true;
        this.serviceAction(service, 'SERVICE_TASK_START_IMPAIRED', 'WARN');
        this.serviceEvent(service, 'is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.');
      }
    }
    this.reconcileSoon(service);
  }

  private failAfterRunning(service: SimService, deployment: SimDeployment, task: SimTask, stopCode: string, reason: string): void {
    if (task.lastStatus === 'STOPPED') return;
    this.stopTask(task, stopCode, reason, false);
    this.countFailure(service, deployment);
    this.reconcileSoon(service);
  }

  private countFailure(service: SimService, deployment: SimDeployment | undefined): void {
    if (!deployment || deployment.everHealthy || deployment.rolloutState !== 'IN_PROGRESS') return;
    deployment.failedTasks++;
    if (!service.circuitBreaker.enable || deployment !== service.deployments[0]) return;
    const threshold = Math.min(200, Math.max(3, Math.ceil(service.desiredCount / 2)));
    if (deployment.failedTasks < threshold) return;
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = 'ECS deployment circuit breaker: task failed to start.';
    deployment.updatedAt = this.now;
    this.deploymentEvent(service, deployment, 'SERVICE_DEPLOYMENT_FAILED', 'ERROR', 'ECS deployment circuit breaker: task failed to start.');
    this.serviceEvent(service, `(deployment ${deployment.id}) deployment failed: tasks failed to start.`);
    for (const t of this.liveTasks(service).filter((x) => x.deploymentId === deployment.id)) {
      this.stopTask(t, 'ServiceSchedulerInitiated', `Deployment ${deployment.id} failed: stopped by the circuit breaker`, true);
    }
    if (!service.circuitBreaker.rollback) return;
    const previous = service.deployments.slice(1).find((d) => d.rolloutState === 'COMPLETED');
    if (!previous) return;
    const rollback = this.newDeployment(service, previous.taskDefinition, undefined, previous);
    rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`;
    this.deploymentEvent(service, rollback, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', rollback.rolloutStateReason);
    this.serviceEvent(service, `(deployment ${deployment.id}) rolling back to deployment ${previous.id}.`);
  }

  private stopTask(task: SimTask, stopCode: string, reason: string, graceful: boolean): void {
    if (task.lastStatus === 'STOPPED') return;
    for (const timer of task.timers) timer.cancel();
    task.timers = [];
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = this.now;
    task.stopCode = stopCode;
    // Fargate platform 1.4 truncates the task-level reason; containers keep the full text.
    task.stoppedReason = reason.length > 255 ? `${reason.slice(0, 252)}...` : reason;
    const finish = () => {
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.now;
      task.version++;
      for (const c of task.containers) c.lastStatus = 'STOPPED';
      this.taskEvent(task);
    };
    if (graceful) {
      // Running tasks get SIGTERM and stop a little later; they no longer count as live.
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.now + TIMING.stopping;
      task.version++;
      for (const c of task.containers) c.lastStatus = 'STOPPED';
      this.deps.scheduler.after(TIMING.stopping, `task ${task.id} stopped`, () => this.taskEvent(task));
      return;
    }
    finish();
  }

  /** What the app writes to stdout, shipped by the awslogs driver when the task has one. */
  private appLog(td: SimTaskDefinition, task: SimTask, message: string): void {
    const essential = td.containers.find((c) => c.essential !== false) ?? td.containers[0];
    const log = essential?.logConfiguration;
    if (log?.logDriver !== 'awslogs' || !essential) return;
    const group = log.options['awslogs-group'] ?? '';
    this.deps.logs.put(group, `${log.options['awslogs-stream-prefix'] ?? 'ecs'}/${essential.name}/${task.id}`, this.now, message);
  }

  // ── events ──────────────────────────────────────────────────────────────────────────────

  private taskEvent(task: SimTask): void {
    const detail: Record<string, unknown> = {
      attachments: [
        {
          id: `${task.id.slice(0, 8)}-eni`,
          type: 'eni',
          status: task.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-0d0d0d0d' },
            { name: 'networkInterfaceId', value: `eni-${task.id.slice(0, 17)}` },
          ],
        },
      ],
      availabilityZone: `${DRILL_REGION}a`,
      clusterArn: makeClusterArn(task.cluster),
      containers: task.containers.map((c) => {
        const out: Record<string, unknown> = {
          containerArn: `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:container/${task.cluster}/${task.id}/${c.name}`,
          lastStatus: c.lastStatus,
          name: c.name,
          image: c.image,
          taskArn: task.arn,
          cpu: '0',
        };
        if (c.imageDigest !== undefined) out.imageDigest = c.imageDigest;
        if (c.reason !== undefined) out.reason = c.reason;
        if (c.exitCode !== undefined) out.exitCode = c.exitCode;
        return out;
      }),
      createdAt: isoMillis(task.createdAt),
      launchType: 'FARGATE',
      cpu: this.taskDefinitions.get(task.taskDefinitionArn)?.cpu ?? '512',
      memory: this.taskDefinitions.get(task.taskDefinitionArn)?.memory ?? '1024',
      desiredStatus: task.desiredStatus,
      group: `service:${task.service}`,
      lastStatus: task.lastStatus,
      overrides: { containerOverrides: task.containers.map((c) => ({ name: c.name })) },
      connectivity: 'CONNECTED',
      updatedAt: isoMillis(this.now),
      taskArn: task.arn,
      taskDefinitionArn: task.taskDefinitionArn,
      version: task.version,
      platformVersion: '1.4.0',
      startedBy: task.deploymentId,
    };
    if (task.connectivityAt !== undefined) detail.connectivityAt = isoMillis(task.connectivityAt);
    if (task.pullStartedAt !== undefined) detail.pullStartedAt = isoMillis(task.pullStartedAt);
    if (task.pullStoppedAt !== undefined) detail.pullStoppedAt = isoMillis(task.pullStoppedAt);
    if (task.startedAt !== undefined) detail.startedAt = isoMillis(task.startedAt);
    if (task.lastStatus === 'STOPPED') {
      detail.stopCode = task.stopCode;
      detail.stoppedReason = task.stoppedReason;
      detail.stoppingAt = isoMillis(task.stoppingAt ?? this.now);
      detail.executionStoppedAt = isoMillis(task.stoppedAt ?? this.now);
      detail.stoppedAt = isoMillis(task.stoppedAt ?? this.now);
    }
    const event = this.deps.events.eventBridge('aws.ecs', 'ECS Task State Change', [task.arn], detail);
    const every = this.deps.duplicateTaskEventsEvery ?? 0;
    if (every > 0 && task.stopCode === 'TaskFailedToStart' && ++this.taskEvents % every === 0) {
      // ECS itself emits the same state change twice: a new event id, the same detail.version.
      this.deps.events.eventBridge('aws.ecs', 'ECS Task State Change', event.resources, detail);
    }
  }

  private serviceAction(service: SimService, eventName: string, eventType: 'INFO' | 'WARN' | 'ERROR'): void {
    this.deps.events.eventBridge('aws.ecs', 'ECS Service Action', [service.arn], {
      eventType,
      eventName,
      clusterArn: service.clusterArn,
      createdAt: isoMillis(this.now),
    });
  }

  private deploymentEvent(service: SimService, deployment: SimDeployment, eventName: string, eventType: 'INFO' | 'ERROR', reason: string): void {
    this.deps.events.eventBridge('aws.ecs', 'ECS Deployment State Change', [service.arn], {
      eventType,
      eventName,
      deploymentId: deployment.id,
      updatedAt: isoMillis(this.now),
      reason,
    });
  }

  private serviceEvent(service: SimService, text: string): void {
    service.events.unshift({ id: this.deps.ids.uuid(), createdAt: this.now, message: `(service ${service.name}) ${text}` });
    if (service.events.length > 100) service.events.length = 100;
  }

  private latestOfFamily(ref: string): SimTaskDefinition | undefined {
    const family = ref.includes('task-definition/') ? ref.split('task-definition/')[1] : ref;
    if (family === undefined || family.includes(':')) return undefined;
    return [...this.taskDefinitions.values()].filter((t) => t.family === family).sort((a, b) => b.revision - a.revision)[0];
  }
}

function serviceKey(cluster: string, service: string): string {
  return `${nameOf(cluster)}/${nameOf(service)}`;
}

/** The last segment of an ARN, or the name itself. */
export function nameOf(arnOrName: string): string {
  const slash = arnOrName.lastIndexOf('/');
  return slash >= 0 ? arnOrName.slice(slash + 1) : arnOrName;
}

/** Pending tasks go first, then the newest running ones. */
function sortForStop(tasks: SimTask[]): SimTask[] {
  return [...tasks].sort((a, b) => (a.lastStatus === 'RUNNING' ? 1 : 0) - (b.lastStatus === 'RUNNING' ? 1 : 0) || b.createdAt - a.createdAt);
}
