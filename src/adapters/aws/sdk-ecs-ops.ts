/**
 * `EcsOps` (recovery) on the AWS SDK v3 ECS client: describe one service with its deployments and
 * events, update it, read its tasks, and register a task-definition revision with new images.
 * The client is passed in — created at the composition root with the target's credentials.
 * Create the client with `maxAttempts: 1`: recovery's `RecoveryCalls` owns retries, and must be the
 * one to decide that a mutation whose answer was lost (5xx) is not simply sent again.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { LifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import type { EcsOps, EcsServiceState, EcsTaskState, RegisterRevisionInput, UpdateServiceInput } from '../../recovery/ports.js';
import { deploymentBase, serviceBase } from './ecs-service-mapping.js';
import { opsCall, type OpsCallContext } from './ops-call.js';
import { lastSegment, toEpochMs } from './sdk-call.js';

/** Options of `SdkEcsOps`. */
export interface SdkEcsOpsOptions {
  /** The account the client's credentials act in: names resources in error messages. */
  account: string;
  region: string;
}

/** Every operation `SdkEcsOps` can send, as IAM actions. */
export const SDK_ECS_OPS_ACTIONS = ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'] as const;

/** `EcsOps` on `ECSClient`; failures leave as `LifeboatError`. */
export class SdkEcsOps implements EcsOps {
  constructor(
    private readonly client: ECSClient,
    private readonly options: SdkEcsOpsOptions,
  ) {}

  async describeService(cluster: string, service: string): Promise<EcsServiceState> {
    const out = await opsCall(this.serviceCtx('ecs:DescribeServices', cluster, service), () => this.client.send(new DescribeServicesCommand({ cluster, services: [service] })));
    const found = out.services?.[0];
    if (found) return toServiceState(found);
    const failure = out.failures?.[0];
    if (!failure || failure.reason === 'MISSING') {
      throw new LifeboatError('AWS_NOT_FOUND', `Service ${service} was not found in cluster ${cluster} (account ${this.options.account} ${this.options.region}).`);
    }
    throw new LifeboatError('AWS_ERROR', `ECS could not describe service ${service} in cluster ${cluster}: ${failure.reason ?? 'no reason given'}${failure.detail ? ` (${failure.detail})` : ''}.`, { retryable: false });
  }

  async updateService(input: UpdateServiceInput): Promise<EcsServiceState> {
    const out = await opsCall({ ...this.serviceCtx('ecs:UpdateService', input.cluster, input.service), notFoundErrors: ['ServiceNotActiveException'] }, () =>
      this.client.send(new UpdateServiceCommand({ ...input })),
    );
    if (!out.service) throw new LifeboatError('AWS_ERROR', `ECS answered the update of ${input.service} without the service.`, { retryable: false });
    return toServiceState(out.service);
  }

  async listServiceTasks(cluster: string, service: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const out = await opsCall(this.serviceCtx('ecs:ListTasks', cluster, service), () =>
      this.client.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, maxResults: 100 })),
    );
    return out.taskArns ?? [];
  }

  async describeTasks(cluster: string, taskArns: readonly string[]): Promise<EcsTaskState[]> {
    if (taskArns.length === 0) return [];
    const ctx: OpsCallContext = { action: 'ecs:DescribeTasks', resource: `${this.arn('task', lastSegment(cluster))}/*`, notFound: `cluster ${lastSegment(cluster)} in ${this.where()}` };
    const out = await opsCall(ctx, () => this.client.send(new DescribeTasksCommand({ cluster, tasks: [...taskArns] })));
    return (out.tasks ?? []).map(toTaskState);
  }

  async registerRevisionWithImages(input: RegisterRevisionInput): Promise<{ arn: string }> {
    const describeCtx: OpsCallContext = { action: 'ecs:DescribeTaskDefinition', resource: input.taskDefinition, notFound: `task definition ${input.taskDefinition}` };
    const out = await opsCall(describeCtx, () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.taskDefinition, include: ['TAGS'] })));
    const td = out.taskDefinition;
    if (!td?.family || !td.containerDefinitions) throw new LifeboatError('AWS_ERROR', `ECS returned no task definition for ${input.taskDefinition}.`, { retryable: false });
    const names = new Set(td.containerDefinitions.map((c) => c.name));
    const unknown = Object.keys(input.images).filter((n) => !names.has(n));
    if (unknown.length > 0) throw new LifeboatError('INTERNAL', `Task definition ${input.taskDefinition} has no container ${unknown.join(', ')}.`);

    // Everything RegisterTaskDefinition accepts is copied; only what ECS sets itself is left out.
    const {
      taskDefinitionArn: _arn,
      revision: _revision,
      status: _status,
      requiresAttributes: _requires,
      compatibilities: _compat,
      registeredAt: _at,
      registeredBy: _by,
      deregisteredAt: _dereg,
      ...registrable
    } = td;
    const containerDefinitions = td.containerDefinitions.map((c) => (c.name !== undefined && input.images[c.name] !== undefined ? { ...c, image: input.images[c.name] } : c));
    const tags = out.tags && out.tags.length > 0 ? out.tags : undefined;
    const registerCtx: OpsCallContext = { action: 'ecs:RegisterTaskDefinition', resource: this.arn('task-definition', `${td.family}:*`) };
    const registered = await opsCall(registerCtx, () =>
      this.client.send(new RegisterTaskDefinitionCommand({ ...registrable, family: td.family, containerDefinitions, ...(tags ? { tags } : {}) })),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new LifeboatError('AWS_ERROR', `ECS registered a revision of ${td.family} but returned no ARN.`, { retryable: false });
    return { arn };
  }

  private serviceCtx(action: string, cluster: string, service: string): OpsCallContext {
    const c = lastSegment(cluster);
    return { action, resource: this.arn('service', `${c}/${lastSegment(service)}`), notFound: `service ${lastSegment(service)} in cluster ${c} (${this.where()})` };
  }

  private arn(type: string, id: string): string {
    const { region, account } = this.options;
    return `arn:${partitionOf(region)}:ecs:${region}:${account}:${type}/${id}`;
  }

  private where(): string {
    return `account ${this.options.account} ${this.options.region}`;
  }
}

function toServiceState(s: Service): EcsServiceState {
  const breaker = s.deploymentConfiguration?.deploymentCircuitBreaker;
  return {
    ...serviceBase(s),
    deployments: (s.deployments ?? []).map((d) => ({
      ...deploymentBase(d),
      failedTasks: d.failedTasks ?? 0,
      ...(d.rolloutStateReason !== undefined ? { rolloutStateReason: d.rolloutStateReason } : {}),
      ...(d.updatedAt !== undefined ? { updatedAt: toEpochMs(d.updatedAt) } : {}),
    })),
    events: (s.events ?? []).map((e) => ({ id: e.id ?? '', message: e.message ?? '', ...(e.createdAt !== undefined ? { createdAt: toEpochMs(e.createdAt) } : {}) })),
    ...(s.deploymentController?.type !== undefined ? { deploymentController: s.deploymentController.type } : {}),
    ...(breaker ? { circuitBreaker: { enable: breaker.enable ?? false, rollback: breaker.rollback ?? false } } : {}),
  };
}

function toTaskState(t: Task): EcsTaskState {
  return {
    arn: t.taskArn ?? '',
    ...(t.taskDefinitionArn !== undefined ? { taskDefinitionArn: t.taskDefinitionArn } : {}),
    ...(t.lastStatus !== undefined ? { lastStatus: t.lastStatus } : {}),
    ...(t.desiredStatus !== undefined ? { desiredStatus: t.desiredStatus } : {}),
    ...(t.startedBy !== undefined ? { startedBy: t.startedBy } : {}),
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.createdAt !== undefined ? { createdAt: toEpochMs(t.createdAt) } : {}),
    ...(t.stoppedAt !== undefined ? { stoppedAt: toEpochMs(t.stoppedAt) } : {}),
    containers: (t.containers ?? []).map((c) => ({
      name: c.name ?? '',
      ...(c.image !== undefined ? { image: c.image } : {}),
      ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
      ...(c.lastStatus !== undefined ? { lastStatus: c.lastStatus } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    })),
  };
}
