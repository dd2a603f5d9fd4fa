/**
 * The image graph of one account and Region: clusters → services → every deployment that can
 * start tasks (PRIMARY and ACTIVE, DOMAIN fact 2) → the digests its service revision pinned and its
 * task definition → every container image. Read-only, and failures stay local: a cluster that
 * cannot be read becomes a `ScopeProblem` and the rest of the graph is still built.
 *
 * Call economy: ListClusters pages, ListServices at 100 a page, DescribeServices 10 a call,
 * DescribeServiceRevisions 20 a call, DescribeTaskDefinition once per ARN ever (cached: task
 * definitions are immutable). Fully pinned revisions are cached too: once every container's digest
 * is resolved, a revision never changes. Task definitions are described as soon as a
 * DescribeServices batch names them, and image references are reported as soon as they are known
 * (`onImages`), so the rest of the scan can start while the graph is still being read.
 */
import { isLifeboatError, LifeboatError } from '../core/errors.js';
import type { CallBudget } from './call-budget.js';
import { chunk, unique } from './collections.js';
import { parseImageReference, type ParseImageResult } from './image-reference.js';
import { platformFromRuntime, type Platform } from './platform.js';
import type { EcsDeployment, EcsReader, EcsService, EcsServiceRevision, EcsTaskDefinition, ImmutableCache, Page } from './ports.js';

/** One account and Region to scan. */
export interface ScanTarget {
  account: string;
  region: string;
  ecs: EcsReader;
}

/** What `check images [cluster[/service]] [--account A] [--region R]` narrows to. */
export interface ScanScope {
  cluster?: string;
  service?: string;
  account?: string;
  region?: string;
}

/** Whether tasks pull a pinned digest (`pinned`), the tag (`disabled`), or the tag until ECS resolves one (`unpinned`). */
export type Pinning = 'pinned' | 'unpinned' | 'disabled';

/** One container of a deployment and the image it pulls. */
export interface ContainerImageUse {
  container: string;
  image: string;
  ref: ParseImageResult;
  /** The digest tasks of this deployment pull (when pinned). */
  pinnedDigest?: string;
  pinning: Pinning;
  essential: boolean;
}

/** A deployment (or service revision) that can start tasks. */
export interface DeploymentUnit {
  /** PRIMARY | ACTIVE, or SERVICE when the service has no deployment list (other controllers). */
  label: string;
  deploymentId?: string;
  revisionArn?: string;
  taskDefinition: string;
  /** Tasks this deployment wants (desired / requested). */
  tasks: number;
  platform: Platform;
  containers: ContainerImageUse[];
}

/** A service and the deployments that can start its tasks. */
export interface ServiceNode {
  account: string;
  region: string;
  clusterArn: string;
  cluster: string;
  service: string;
  arn: string;
  desiredCount: number;
  runningCount: number;
  units: DeploymentUnit[];
}

/** A part of the scope that could not be read: reported as unknown, never skipped silently. */
export interface ScopeProblem {
  account: string;
  region: string;
  /** e.g. `cluster prod`, `services of cluster prod`, `task definition arn:…`. */
  scope: string;
  code: string;
  message: string;
}

/** The graph of one target, with the parts that could not be read. */
export interface ImageGraph {
  services: ServiceNode[];
  problems: ScopeProblem[];
}

/** Budget and caches the graph builder uses. */
export interface GraphDeps {
  budget: CallBudget;
  taskDefinitions: ImmutableCache<EcsTaskDefinition>;
  revisions?: ImmutableCache<EcsServiceRevision>;
  signal?: AbortSignal;
  /**
   * Told every image reference as soon as a service revision or task definition names it, before
   * the graph is complete: the scan starts reading those repositories meanwhile.
   */
  onImages?: (images: readonly string[]) => void;
}

const DESCRIBE_SERVICES_BATCH = 10;
const DESCRIBE_REVISIONS_BATCH = 20;
const CAN_START_TASKS = new Set(['PRIMARY', 'ACTIVE']);

/** Build the image graph of one account and Region within `scope`. Never throws for AWS failures: they become `problems`. */
export async function buildImageGraph(target: ScanTarget, scope: ScanScope, deps: GraphDeps): Promise<ImageGraph> {
  const problems: ScopeProblem[] = [];
  const problem = (where: string, err: unknown) => problems.push(toProblem(target, where, err));
  const call = <T>(op: string, fn: () => Promise<T>) => deps.budget.run(op, fn, deps.signal);

  let clusters: string[];
  if (scope.cluster !== undefined) clusters = [scope.cluster];
  else {
    try {
      clusters = await allPages((token) => call('ecs:ListClusters', () => target.ecs.listClusters(token)));
    } catch (err) {
      problem('clusters', err);
      return { services: [], problems };
    }
  }

  // Task definitions are read as soon as a DescribeServices batch names them: they are most of a
  // cold scan's calls, and their API has a bucket of its own.
  const taskDefinitions = new Map<string, EcsTaskDefinition>();
  const loading = new Map<string, Promise<void>>();
  const loadTaskDefinition = (arn: string) => {
    if (!loading.has(arn)) loading.set(arn, loadTaskDefinition1(target, arn, deps, call, problem, taskDefinitions));
  };
  const startTaskDefinitions = (batch: readonly EcsService[]) => {
    for (const s of batch) {
      if (s.status !== 'ACTIVE') continue;
      for (const d of s.deployments) if (CAN_START_TASKS.has(d.status)) loadTaskDefinition(d.taskDefinition);
      if (s.deployments.length === 0 && s.taskDefinition) loadTaskDefinition(s.taskDefinition);
    }
  };
  const described = await Promise.all(clusters.map((cluster) => describeCluster(target, cluster, scope, call, problem, startTaskDefinitions)));
  const services = described.flat().filter((s) => s.status === 'ACTIVE');

  const revisions = await loadRevisions(target, services, deps, call, problem);
  for (const s of services) {
    for (const r of s.currentRevisions) {
      const revision = revisions.get(r.arn);
      if (revision) loadTaskDefinition(revision.taskDefinition);
    }
  }
  await Promise.all(loading.values());

  return {
    services: services.map((s) => serviceNode(target, s, revisions, taskDefinitions)),
    problems,
  };
}

async function describeCluster(
  target: ScanTarget,
  cluster: string,
  scope: ScanScope,
  call: <T>(op: string, fn: () => Promise<T>) => Promise<T>,
  problem: (where: string, err: unknown) => void,
  onBatch: (services: readonly EcsService[]) => void,
): Promise<EcsService[]> {
  let ids: string[];
  if (scope.service !== undefined) ids = [scope.service];
  else {
    try {
      ids = await allPages((token) => call('ecs:ListServices', () => target.ecs.listServices(cluster, token)));
    } catch (err) {
      problem(`services of cluster ${nameOf(cluster)}`, err);
      return [];
    }
  }
  const batches = chunk(ids, DESCRIBE_SERVICES_BATCH);
  const results = await Promise.all(
    batches.map(async (batch) => {
      try {
        const got = await call('ecs:DescribeServices', () => target.ecs.describeServices(cluster, batch));
        for (const failure of got.failures) {
          const name = nameOf(failure.arn ?? '?');
          const err =
            failure.reason === 'MISSING'
              ? new LifeboatError('AWS_NOT_FOUND', `Service ${name} was not found in cluster ${nameOf(cluster)}.`)
              : new LifeboatError('AWS_ERROR', `ECS could not describe service ${name}: ${failure.reason ?? 'no reason given'}.`);
          problem(`service ${name} of cluster ${nameOf(cluster)}`, err);
        }
        onBatch(got.services);
        return got.services;
      } catch (err) {
        problem(`services ${batch.map(nameOf).join(', ')} of cluster ${nameOf(cluster)}`, err);
        return [];
      }
    }),
  );
  return results.flat();
}

async function loadRevisions(
  target: ScanTarget,
  services: readonly EcsService[],
  deps: GraphDeps,
  call: <T>(op: string, fn: () => Promise<T>) => Promise<T>,
  problem: (where: string, err: unknown) => void,
): Promise<Map<string, EcsServiceRevision>> {
  const found = new Map<string, EcsServiceRevision>();
  const wanted = unique(services.flatMap((s) => s.currentRevisions.map((r) => r.arn)));
  const missing: string[] = [];
  for (const arn of wanted) {
    const cached = await deps.revisions?.get(arn);
    if (cached) found.set(arn, cached);
    else missing.push(arn);
  }
  deps.onImages?.([...found.values()].flatMap((r) => r.containerImages.flatMap((c) => (c.image !== undefined ? [c.image] : []))));
  await Promise.all(
    chunk(missing, DESCRIBE_REVISIONS_BATCH).map(async (batch) => {
      try {
        const got = await call('ecs:DescribeServiceRevisions', () => target.ecs.describeServiceRevisions(batch));
        deps.onImages?.(got.revisions.flatMap((r) => r.containerImages.flatMap((c) => (c.image !== undefined ? [c.image] : []))));
        for (const revision of got.revisions) {
          found.set(revision.arn, revision);
          const complete = revision.containerImages.length > 0 && revision.containerImages.every((c) => c.imageDigest !== undefined);
          if (complete) await deps.revisions?.set(revision.arn, revision);
        }
        for (const failure of got.failures) {
          problem(`service revision ${failure.arn ?? '?'}`, new LifeboatError('AWS_ERROR', `ECS could not describe the revision: ${failure.reason ?? 'no reason given'}.`));
        }
      } catch (err) {
        problem(`service revisions ${batch.map(nameOf).join(', ')}`, err);
      }
    }),
  );
  return found;
}

/** Read one task definition (cache first) into `found`; a failure becomes a problem. */
async function loadTaskDefinition1(
  target: ScanTarget,
  arn: string,
  deps: GraphDeps,
  call: <T>(op: string, fn: () => Promise<T>) => Promise<T>,
  problem: (where: string, err: unknown) => void,
  found: Map<string, EcsTaskDefinition>,
): Promise<void> {
  const cached = await deps.taskDefinitions.get(arn);
  if (cached) {
    found.set(arn, cached);
    deps.onImages?.(cached.containers.map((c) => c.image));
    return;
  }
  try {
    const td = await call('ecs:DescribeTaskDefinition', () => target.ecs.describeTaskDefinition(arn));
    found.set(arn, td);
    deps.onImages?.(td.containers.map((c) => c.image));
    await deps.taskDefinitions.set(arn, td);
  } catch (err) {
    problem(`task definition ${nameOf(arn)}`, err);
  }
}

function serviceNode(
  target: ScanTarget,
  service: EcsService,
  revisions: Map<string, EcsServiceRevision>,
  taskDefinitions: Map<string, EcsTaskDefinition>,
): ServiceNode {
  const deployments = service.deployments.filter((d) => CAN_START_TASKS.has(d.status));
  const units: DeploymentUnit[] = [];
  const matched = new Set<EcsDeployment>();

  for (const summary of service.currentRevisions) {
    const revision = revisions.get(summary.arn);
    if (!revision) continue;
    const deployment = matchDeployment(revision, deployments, matched);
    if (deployment) matched.add(deployment);
    const unit = unitFrom(revision.taskDefinition, taskDefinitions, revision);
    if (!unit) continue;
    unit.label = deployment?.status ?? 'ACTIVE';
    if (deployment) unit.deploymentId = deployment.id;
    unit.revisionArn = revision.arn;
    unit.tasks = Math.max(summary.requestedTaskCount, deployment?.desiredCount ?? 0);
    units.push(unit);
  }
  // Deployments no revision accounts for (not yet resolved, or older API data): the tag decides.
  for (const deployment of deployments) {
    if (matched.has(deployment)) continue;
    const unit = unitFrom(deployment.taskDefinition, taskDefinitions, undefined);
    if (!unit) continue;
    unit.label = deployment.status;
    unit.deploymentId = deployment.id;
    unit.tasks = deployment.desiredCount;
    units.push(unit);
  }
  if (service.deployments.length === 0 && service.taskDefinition) {
    const unit = unitFrom(service.taskDefinition, taskDefinitions, undefined);
    if (unit) {
      unit.label = 'SERVICE';
      unit.tasks = service.desiredCount;
      units.push(unit);
    }
  }
  return {
    account: target.account,
    region: target.region,
    clusterArn: service.clusterArn,
    cluster: nameOf(service.clusterArn),
    service: service.name,
    arn: service.arn,
    desiredCount: service.desiredCount,
    runningCount: service.runningCount,
    units,
  };
}

/** Same task definition; among several (a forced redeploy keeps it), the closest creation time. */
function matchDeployment(revision: EcsServiceRevision, deployments: readonly EcsDeployment[], taken: Set<EcsDeployment>): EcsDeployment | undefined {
  const candidates = deployments.filter((d) => d.taskDefinition === revision.taskDefinition && !taken.has(d));
  if (candidates.length <= 1 || revision.createdAt === undefined) return candidates[0];
  const at = revision.createdAt;
  return [...candidates].sort((a, b) => Math.abs((a.createdAt ?? 0) - at) - Math.abs((b.createdAt ?? 0) - at))[0];
}

function unitFrom(
  taskDefinitionArn: string,
  taskDefinitions: Map<string, EcsTaskDefinition>,
  revision: EcsServiceRevision | undefined,
): DeploymentUnit | undefined {
  const td = taskDefinitions.get(taskDefinitionArn);
  const pinned = new Map((revision?.containerImages ?? []).map((c) => [c.containerName, c]));
  let containers: ContainerImageUse[];
  if (td) {
    containers = td.containers.map((c) => {
      const digest = pinned.get(c.name)?.imageDigest;
      const disabled = c.versionConsistency === 'disabled';
      const use: ContainerImageUse = {
        container: c.name,
        image: c.image,
        ref: parseImageReference(c.image),
        pinning: disabled ? 'disabled' : digest !== undefined ? 'pinned' : 'unpinned',
        essential: c.essential ?? true,
      };
      if (!disabled && digest !== undefined) use.pinnedDigest = digest;
      return use;
    });
  } else if (revision) {
    // The task definition could not be read; the revision still names images and digests.
    containers = revision.containerImages.flatMap((c) => {
      if (c.image === undefined) return [];
      const use: ContainerImageUse = { container: c.containerName, image: c.image, ref: parseImageReference(c.image), pinning: 'unpinned', essential: true };
      if (c.imageDigest !== undefined) {
        use.pinnedDigest = c.imageDigest;
        use.pinning = 'pinned';
      }
      return [use];
    });
  } else {
    return undefined;
  }
  return { label: '', taskDefinition: taskDefinitionArn, tasks: 0, platform: platformFromRuntime(td?.runtimePlatform), containers };
}

function toProblem(target: ScanTarget, scope: string, err: unknown): ScopeProblem {
  if (isLifeboatError(err)) return { account: target.account, region: target.region, scope, code: err.code, message: err.userMessage };
  const message = err instanceof Error ? err.message : 'an unexpected error';
  return { account: target.account, region: target.region, scope, code: 'INTERNAL', message };
}

/** Follow `nextToken` to the end; each page is one budgeted call. */
export async function allPages<T>(page: (nextToken: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const got = await page(token);
    items.push(...got.items);
    token = got.nextToken;
  } while (token !== undefined);
  return items;
}

/** The last path segment of an ARN (`…:cluster/prod` → `prod`), or the name as given. */
export function nameOf(arnOrName: string): string {
  const slash = arnOrName.lastIndexOf('/');
  return slash >= 0 ? arnOrName.slice(slash + 1) : arnOrName;
}

