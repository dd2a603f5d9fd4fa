/**
 * What a service's tasks pull, and what a new deployment would pull — built from the images
 * module (`buildImageGraph`, the ECR/OCI gatherers, `classifyImage`), so recovery and
 * `check images` can never disagree about availability.
 *
 * For every container of every deployment that can start tasks (PRIMARY and ACTIVE):
 * - `current`: the image the next task of that deployment pulls — the pinned digest when ECS
 *   pinned one (DOMAIN fact 1), with the index child for the task's platform;
 * - `resolved`: what a new deployment (`UpdateService forceNewDeployment`) would pull — the tag
 *   resolved again now. This is what decides between `redeploy` and `rebuild`.
 */
import { LifeboatError } from '../core/errors.js';
import { classifyImage, unchecked, unknownAvailability, type Availability, type ImageToCheck } from '../images/availability.js';
import type { CallBudget } from '../images/call-budget.js';
import { gatherEcrRepository } from '../images/ecr-gather.js';
import { buildImageGraph, nameOf, type Pinning, type ServiceNode } from '../images/graph.js';
import { repositoryKey, type ImageReference } from '../images/image-reference.js';
import { formatPlatform, type Platform } from '../images/platform.js';
import { gatherRegistryRepository } from '../images/registry-gather.js';
import type { RepositorySnapshot } from '../images/repository-snapshot.js';
import { scanBudgets, type ScanDeps } from '../images/scan.js';
import type { ServiceTarget } from './targets.js';

/** One container of one deployment, and the two answers about its image. */
export interface ContainerState {
  /** PRIMARY | ACTIVE | SERVICE. */
  deployment: string;
  deploymentId?: string;
  taskDefinition: string;
  platform: Platform;
  container: string;
  /** The reference as the task definition spells it. */
  image: string;
  ref?: ImageReference;
  essential: boolean;
  pinning: Pinning;
  pinnedDigest?: string;
  /** What the next task of this deployment pulls. */
  current: Availability;
  /** What a new deployment would pull (the tag resolved again). */
  resolved: Availability;
}

/** A service's image state. */
export interface ServiceImages {
  node: ServiceNode;
  containers: ContainerState[];
}

/** Image-module dependencies plus the account and Region recovery acts in. */
export interface ImageCheckDeps {
  account: string;
  region: string;
  images: ScanDeps;
}

/**
 * Inspect one service. `extra` may add checks once the graph is known (e.g. `redeploy --digest`
 * asks for the digest in each candidate repository); they are answered in the same pass.
 */
export async function inspectService(
  deps: ImageCheckDeps,
  target: ServiceTarget,
  options: { signal?: AbortSignal; extra?: (node: ServiceNode) => readonly ImageToCheck[] } = {},
): Promise<{ service: ServiceImages; extra: Availability[] }> {
  // The default target (no aws.targets configured) is resolved lazily, on first use.
  await deps.images.prepare?.();
  const inRegion = deps.images.targets.filter((t) => t.region === deps.region);
  const scanTarget = inRegion.find((t) => t.account === deps.account) ?? (inRegion.length === 1 ? inRegion[0] : undefined);
  if (!scanTarget) {
    throw new LifeboatError('CONFIG_INVALID', `Account ${deps.account} in ${deps.region} is not a configured image-check target; add it so recovery can read its services.`);
  }
  const budgetFor = scanBudgets(deps.images);
  const graph = await buildImageGraph(scanTarget, { cluster: target.cluster, service: target.service }, {
    budget: budgetFor('ecs', `${deps.account}:${deps.region}`),
    taskDefinitions: deps.images.taskDefinitions,
    ...(deps.images.revisions ? { revisions: deps.images.revisions } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.signal?.throwIfAborted();
  const node = graph.services.find((s) => s.service === target.service && s.cluster === nameOf(target.cluster));
  if (!node) {
    const problem = graph.problems[0];
    if (problem) throw new LifeboatError(isKnownCode(problem.code) ? problem.code : 'AWS_ERROR', problem.message);
    throw new LifeboatError('AWS_NOT_FOUND', `Service ${target.service} is not an active service of cluster ${target.cluster} in account ${deps.account} ${deps.region}.`);
  }

  const checks: { check: ImageToCheck | undefined; fallback?: Availability }[] = [];
  const pending: { state: Omit<ContainerState, 'current' | 'resolved'>; current: number; resolved: number }[] = [];
  for (const unit of node.units) {
    for (const c of unit.containers) {
      const base: Omit<ContainerState, 'current' | 'resolved'> = {
        deployment: unit.label,
        ...(unit.deploymentId !== undefined ? { deploymentId: unit.deploymentId } : {}),
        taskDefinition: unit.taskDefinition,
        platform: unit.platform,
        container: c.container,
        image: c.image,
        ...(c.ref.ok ? { ref: c.ref.ref } : {}),
        essential: c.essential,
        pinning: c.pinning,
        ...(c.pinnedDigest !== undefined ? { pinnedDigest: c.pinnedDigest } : {}),
      };
      if (!c.ref.ok) {
        const bad: Availability = { status: 'unknown', via: 'tag', detail: `the image reference cannot be parsed: ${c.ref.error}` };
        checks.push({ check: undefined, fallback: bad }, { check: undefined, fallback: bad });
      } else {
        const current: ImageToCheck = { ref: c.ref.ref, platform: unit.platform, ...(c.pinnedDigest !== undefined ? { pinnedDigest: c.pinnedDigest } : {}) };
        checks.push({ check: current }, { check: { ref: c.ref.ref, platform: unit.platform } });
      }
      pending.push({ state: base, current: checks.length - 2, resolved: checks.length - 1 });
    }
  }
  const extraStart = checks.length;
  for (const check of options.extra?.(node) ?? []) checks.push({ check });

  const answers = await checkImages(deps, checks, budgetFor, options.signal);
  const containers = pending.map((p) => ({ ...p.state, current: answers[p.current]!, resolved: answers[p.resolved]! }));
  return { service: { node, containers }, extra: answers.slice(extraStart) };
}

/** Answer every check, gathering each repository once. Never throws for registry failures (they are `unknown`). */
async function checkImages(
  deps: ImageCheckDeps,
  checks: readonly { check: ImageToCheck | undefined; fallback?: Availability }[],
  budgetFor: (kind: 'ecs' | 'ecr' | 'registry', key: string) => CallBudget,
  signal: AbortSignal | undefined,
): Promise<Availability[]> {
  interface Work {
    kind: 'ecr' | 'oci';
    ref: ImageReference;
    digests: Set<string>;
    tags: Set<string>;
    platforms: Platform[];
    snapshot?: RepositorySnapshot;
  }
  const work = new Map<string, Work>();
  const keys: (string | Availability)[] = checks.map(({ check, fallback }) => {
    if (!check) return fallback ?? { status: 'unknown', via: 'tag', detail: 'it was not checked' };
    const { ref } = check;
    const kind = ref.registry.kind === 'ecr-private' ? 'ecr' : 'oci';
    if (kind === 'oci' && !deps.images.registry) return unchecked(check, `Lifeboat has no registry access configured for ${ref.registry.host}`);
    if (kind === 'oci' && deps.images.checkRegistry && !deps.images.checkRegistry(ref)) return unchecked(check, `images on ${ref.registry.host} are not checked (configuration)`);
    const key = repositoryKey(ref);
    let w = work.get(key);
    if (!w) {
      w = { kind, ref, digests: new Set(), tags: new Set(), platforms: [] };
      work.set(key, w);
    }
    if (check.pinnedDigest !== undefined) w.digests.add(check.pinnedDigest);
    if (ref.digest !== undefined) w.digests.add(ref.digest);
    if (ref.tag !== undefined) w.tags.add(ref.tag);
    const p = formatPlatform(check.platform);
    if (!w.platforms.some((q) => formatPlatform(q) === p)) w.platforms.push(check.platform);
    return key;
  });

  await Promise.all(
    [...work.values()].map(async (w) => {
      const registry = w.ref.registry;
      if (registry.kind === 'ecr-private') {
        const result = await gatherEcrRepository(
          { registryId: registry.account, region: registry.region, repository: w.ref.repository, digests: w.digests, tags: w.tags, platforms: w.platforms },
          {
            ecr: deps.images.ecrFor(registry.account, registry.region),
            budget: budgetFor('ecr', `${registry.account}:${registry.region}`),
            manifests: deps.images.manifests,
            ...(signal ? { signal } : {}),
          },
        );
        w.snapshot = result.snapshot;
      } else if (deps.images.registry) {
        w.snapshot = await gatherRegistryRepository(
          { host: registry.host, repository: w.ref.repository, digests: w.digests, tags: w.tags, platforms: w.platforms },
          { registry: deps.images.registry, budget: budgetFor('registry', registry.host), manifests: deps.images.manifests, ...(signal ? { signal } : {}) },
        );
      }
    }),
  );
  signal?.throwIfAborted();

  return keys.map((key, i) => {
    if (typeof key !== 'string') return key;
    const check = checks[i]?.check;
    const snapshot = work.get(key)?.snapshot;
    if (!check) return { status: 'unknown', via: 'tag', detail: 'it was not checked' };
    return snapshot ? classifyImage(check, snapshot) : unknownAvailability(check, 'the repository was not checked');
  });
}

function isKnownCode(code: string): code is 'AWS_ACCESS_DENIED' | 'AWS_THROTTLED' | 'AWS_NOT_FOUND' | 'AWS_ERROR' {
  return code === 'AWS_ACCESS_DENIED' || code === 'AWS_THROTTLED' || code === 'AWS_NOT_FOUND' || code === 'AWS_ERROR';
}
