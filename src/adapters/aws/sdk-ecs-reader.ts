/**
 * `EcsReader` on the AWS SDK v3 ECS client. The client is passed in — created at the composition
 * root with the target's credentials (assumed role) and Region — never defaulted here.
 */
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListServicesCommand,
  type ECSClient,
  type Service,
  type ServiceRevision,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { LifeboatError } from '../../core/errors.js';
import type {
  EcsFailure,
  EcsReader,
  EcsService,
  EcsServiceRevision,
  EcsTaskDefinition,
  Page,
} from '../../images/ports.js';
import { partitionOf } from '../../images/image-reference.js';
import { deploymentBase, serviceBase } from './ecs-service-mapping.js';
import { awsCall, lastSegment as nameOf, toEpochMs as toMs } from './sdk-call.js';

/** Options of `SdkEcsReader`. */
export interface SdkEcsReaderOptions {
  /** The account the client's credentials act in: names resources in error messages. */
  account: string;
  region: string;
}

/** The most the ECS list APIs return a page (their default is 10). */
const PAGE_SIZE = 100;

/** `EcsReader` on `ECSClient`; failures leave as `LifeboatError`. */
export class SdkEcsReader implements EcsReader {
  constructor(
    private readonly client: ECSClient,
    private readonly options: SdkEcsReaderOptions,
  ) {}

  async listClusters(nextToken?: string): Promise<Page<string>> {
    const out = await awsCall({ action: 'ecs:ListClusters', resource: '*' }, () =>
      this.client.send(new ListClustersCommand({ maxResults: PAGE_SIZE, nextToken })),
    );
    return page(out.clusterArns ?? [], out.nextToken);
  }

  async listServices(cluster: string, nextToken?: string): Promise<Page<string>> {
    const ctx = { action: 'ecs:ListServices', resource: this.clusterArn(cluster), notFound: `cluster ${nameOf(cluster)} in ${this.where()}` };
    const out = await awsCall(ctx, () => this.client.send(new ListServicesCommand({ cluster, maxResults: PAGE_SIZE, nextToken })));
    return page(out.serviceArns ?? [], out.nextToken);
  }

  async describeServices(cluster: string, services: readonly string[]): Promise<{ services: EcsService[]; failures: EcsFailure[] }> {
    const ctx = {
      action: 'ecs:DescribeServices',
      resource: services.length === 1 ? this.serviceArn(cluster, services[0] ?? '') : `${this.clusterArn(cluster).replace(':cluster/', ':service/')}/*`,
      notFound: `cluster ${nameOf(cluster)} in ${this.where()}`,
    };
    const out = await awsCall(ctx, () => this.client.send(new DescribeServicesCommand({ cluster, services: [...services] })));
    return { services: (out.services ?? []).map(toService), failures: (out.failures ?? []).map(toFailure) };
  }

  async describeServiceRevisions(arns: readonly string[]): Promise<{ revisions: EcsServiceRevision[]; failures: EcsFailure[] }> {
    const ctx = {
      action: 'ecs:DescribeServiceRevisions',
      resource: arns.length === 1 ? (arns[0] ?? '*') : `arn:${partitionOf(this.options.region)}:ecs:${this.options.region}:${this.options.account}:service-revision/*`,
    };
    const out = await awsCall(ctx, () => this.client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [...arns] })));
    return { revisions: (out.serviceRevisions ?? []).flatMap(toRevision), failures: (out.failures ?? []).map(toFailure) };
  }

  async describeTaskDefinition(arn: string): Promise<EcsTaskDefinition> {
    const ctx = { action: 'ecs:DescribeTaskDefinition', resource: arn, notFound: `task definition ${arn}` };
    const out = await awsCall(ctx, () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })));
    if (!out.taskDefinition) throw new LifeboatError('AWS_ERROR', `ECS returned no task definition for ${arn}.`, { retryable: false });
    return toTaskDefinition(out.taskDefinition, arn);
  }

  private clusterArn(cluster: string): string {
    if (cluster.startsWith('arn:')) return cluster;
    return `arn:${partitionOf(this.options.region)}:ecs:${this.options.region}:${this.options.account}:cluster/${cluster}`;
  }

  private serviceArn(cluster: string, service: string): string {
    if (service.startsWith('arn:')) return service;
    return `arn:${partitionOf(this.options.region)}:ecs:${this.options.region}:${this.options.account}:service/${nameOf(cluster)}/${service}`;
  }

  private where(): string {
    return `account ${this.options.account} ${this.options.region}`;
  }
}

function page<T>(items: T[], nextToken: string | undefined): Page<T> {
  return nextToken ? { items, nextToken } : { items };
}

function toService(s: Service): EcsService {
  return {
    ...serviceBase(s),
    deployments: (s.deployments ?? []).map(deploymentBase),
    currentRevisions: (s.currentServiceRevisions ?? []).flatMap((r) =>
      r.arn === undefined
        ? []
        : [{ arn: r.arn, requestedTaskCount: r.requestedTaskCount ?? 0, runningTaskCount: r.runningTaskCount ?? 0, pendingTaskCount: r.pendingTaskCount ?? 0 }],
    ),
  };
}

function toRevision(r: ServiceRevision): EcsServiceRevision[] {
  if (r.serviceRevisionArn === undefined || r.taskDefinition === undefined) return [];
  return [
    {
      arn: r.serviceRevisionArn,
      ...(r.serviceArn !== undefined ? { serviceArn: r.serviceArn } : {}),
      taskDefinition: r.taskDefinition,
      ...(r.createdAt !== undefined ? { createdAt: toMs(r.createdAt) } : {}),
      containerImages: (r.containerImages ?? []).map((c) => ({
        containerName: c.containerName ?? '',
        ...(c.image !== undefined ? { image: c.image } : {}),
        ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
      })),
    },
  ];
}

function toTaskDefinition(td: TaskDefinition, arn: string): EcsTaskDefinition {
  const out: EcsTaskDefinition = {
    arn: td.taskDefinitionArn ?? arn,
    containers: (td.containerDefinitions ?? []).flatMap((c) =>
      c.name === undefined || c.image === undefined
        ? []
        : [
            {
              name: c.name,
              image: c.image,
              ...(c.versionConsistency !== undefined ? { versionConsistency: c.versionConsistency } : {}),
              ...(c.essential !== undefined ? { essential: c.essential } : {}),
            },
          ],
    ),
  };
  if (td.family !== undefined) out.family = td.family;
  if (td.revision !== undefined) out.revision = td.revision;
  if (td.runtimePlatform) {
    out.runtimePlatform = {
      ...(td.runtimePlatform.cpuArchitecture !== undefined ? { cpuArchitecture: td.runtimePlatform.cpuArchitecture } : {}),
      ...(td.runtimePlatform.operatingSystemFamily !== undefined ? { operatingSystemFamily: td.runtimePlatform.operatingSystemFamily } : {}),
    };
  }
  return out;
}

function toFailure(f: { arn?: string; reason?: string; detail?: string }): EcsFailure {
  return { ...(f.arn !== undefined ? { arn: f.arn } : {}), ...(f.reason !== undefined ? { reason: f.reason } : {}), ...(f.detail !== undefined ? { detail: f.detail } : {}) };
}

