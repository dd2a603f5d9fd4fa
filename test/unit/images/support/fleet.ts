/** Builders for ECS services, task definitions and revisions in the fakes, and for ECR images. */
import { ManualClock } from '../../../../src/core/clock.js';
import { MemoryCache } from '../../../../src/images/cache.js';
import type { EcrImage, EcsService } from '../../../../src/images/ports.js';
import type { ScanDeps } from '../../../../src/images/scan.js';
import type { FakeEcr, FakeEcs } from './fakes.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const NOW = Date.UTC(2026, 0, 31, 12);
export const DAY = 86_400_000;

export const dig = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
export const ecrRef = (repo: string, tag: string, account = ACCOUNT, region = REGION) => `${account}.dkr.ecr.${region}.amazonaws.com/${repo}:${tag}`;

export interface ContainerSpec {
  name: string;
  image: string;
  /** The digest the deployment pinned (omit for not yet resolved). */
  digest?: string;
  versionConsistency?: 'enabled' | 'disabled';
}

export interface DeploymentSpec {
  status?: 'PRIMARY' | 'ACTIVE';
  revision?: number;
  desired?: number;
  containers: ContainerSpec[];
  runtimePlatform?: { cpuArchitecture?: string; operatingSystemFamily?: string };
  /** Leave the revision out of currentServiceRevisions (older data, unresolved deployment). */
  noRevision?: boolean;
}

let revisionSeq = 0;

/** Add a service whose deployments are described by `deployments` (first = PRIMARY). */
export function addService(ecs: FakeEcs, cluster: string, name: string, deployments: DeploymentSpec[], account = ACCOUNT, region = REGION): EcsService {
  const clusterArn = `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;
  const service: EcsService = {
    arn: `arn:aws:ecs:${region}:${account}:service/${cluster}/${name}`,
    name,
    clusterArn,
    status: 'ACTIVE',
    desiredCount: deployments[0]?.desired ?? 1,
    runningCount: deployments[0]?.desired ?? 1,
    pendingCount: 0,
    deployments: [],
    currentRevisions: [],
  };
  deployments.forEach((spec, i) => {
    const tdArn = `arn:aws:ecs:${region}:${account}:task-definition/${name}:${spec.revision ?? i + 1}`;
    const td = {
      arn: tdArn,
      family: name,
      revision: spec.revision ?? i + 1,
      containers: spec.containers.map((c) => ({ name: c.name, image: c.image, ...(c.versionConsistency ? { versionConsistency: c.versionConsistency } : {}) })),
      ...(spec.runtimePlatform ? { runtimePlatform: spec.runtimePlatform } : {}),
    };
    ecs.taskDefinitions.set(tdArn, td);
    const createdAt = NOW - (deployments.length - i) * DAY;
    service.deployments.push({
      id: `ecs-svc/${name}-${i}`,
      status: spec.status ?? (i === 0 ? 'PRIMARY' : 'ACTIVE'),
      taskDefinition: tdArn,
      desiredCount: spec.desired ?? 1,
      runningCount: spec.desired ?? 1,
      pendingCount: 0,
      createdAt,
    });
    if (spec.noRevision) return;
    const revArn = `arn:aws:ecs:${region}:${account}:service-revision/${cluster}/${name}/${++revisionSeq}`;
    ecs.revisions.set(revArn, {
      arn: revArn,
      serviceArn: service.arn,
      taskDefinition: tdArn,
      createdAt,
      containerImages: spec.containers.map((c) => ({ containerName: c.name, image: c.image, ...(c.digest ? { imageDigest: c.digest } : {}) })),
    });
    service.currentRevisions.push({ arn: revArn, requestedTaskCount: spec.desired ?? 1, runningTaskCount: spec.desired ?? 1, pendingTaskCount: 0 });
  });
  const list = ecs.clusters.get(clusterArn) ?? [];
  list.push(service);
  ecs.clusters.set(clusterArn, list);
  return service;
}

export function ecrImage(repository: string, digest: string, tags: string[], extra: Partial<EcrImage> = {}): EcrImage {
  return {
    registryId: ACCOUNT,
    repository,
    digest,
    tags,
    pushedAt: NOW - 30 * DAY,
    status: 'ACTIVE',
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...extra,
  };
}

/** Scan dependencies over fakes, on a manual clock, with fresh caches unless given. */
export function scanDeps(ecs: FakeEcs, ecr: FakeEcr, extra: Partial<ScanDeps> = {}): ScanDeps {
  const clock = new ManualClock(NOW);
  return {
    targets: [{ account: ACCOUNT, region: REGION, ecs }],
    ecrFor: () => ecr,
    taskDefinitions: new MemoryCache(),
    manifests: new MemoryCache(),
    revisions: new MemoryCache(),
    clock,
    // Waiting moves the fake clock, so the token bucket refills without real time passing.
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    ...extra,
  };
}
