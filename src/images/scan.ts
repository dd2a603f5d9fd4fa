/**
 * `check images`: build the image graph of every target, check each distinct image once where it
 * lives, evaluate lifecycle exposure for the ECR repositories in use, and assemble a `ScanReport`.
 *
 * Partial failure is the normal case at scale: a denied account, a throttled repository or an
 * unreadable task definition becomes `unknown` for that part, and the rest of the scan completes.
 */
import type { Clock } from '../core/clock.js';
import { isLifeboatError } from '../core/errors.js';
import { classifyImage, unchecked, unknownAvailability, type Availability, type ImageToCheck } from './availability.js';
import { CallBudget, DEFAULT_BUDGETS, sleep as realSleep, type CallBudgetOptions, type CallStats } from './call-budget.js';
import { gatherEcrRepository, prefetchEcrRepository, type EcrPrefetch, type EcrRepositoryRequest, type EcrRepositoryResult } from './ecr-gather.js';
import { assessExposure, type ExposureFinding, type ExposureImage, type InUseDigest } from './exposure.js';
import { buildImageGraph, type ContainerImageUse, type DeploymentUnit, type ScanScope, type ScanTarget, type ScopeProblem, type ServiceNode } from './graph.js';
import { groupBy, unique } from './collections.js';
import { canonicalReference, parseImageReference, repositoryKey, shortDigest, type ImageReference } from './image-reference.js';
import { DAY_MS } from './lifecycle/evaluate.js';
import { comparePreview, previewSentence, runLifecyclePreview, type PreviewOutcome, type PreviewTiming } from './lifecycle-preview.js';
import type { LifecyclePolicy } from './lifecycle/policy.js';
import { isIndexMediaType, type ImageIndex } from './oci-index.js';
import { formatPlatform, type Platform } from './platform.js';
import type { BudgetedRead, DigestCopyFinder, DigestLocation, EcrReader, EcsServiceRevision, EcsTaskDefinition, ImmutableCache, RegistryClient } from './ports.js';
import { gatherRegistryRepository, type RegistryRepositoryRequest } from './registry-gather.js';
import { checkRegistryRetention, type InUseIndex } from './registry-retention.js';
import type { RepositorySnapshot } from './repository-snapshot.js';
import {
  atRiskSentence,
  compareSeverity,
  missingSentence,
  nextCommand,
  SCAN_REPORT_VERSION,
  worstSeverity,
  type ExposureSummary,
  type ImageReport,
  type PreviewReport,
  type RepositoryReport,
  type ScanNote,
  type ScanReport,
  type ServiceFinding,
  type ServiceReport,
  type TrapReport,
} from './report.js';

type BudgetSettings = Pick<CallBudgetOptions, 'ratePerSecond' | 'burst' | 'maxInFlight' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'bucketOf' | 'adaptive'>;

/** Everything a scan needs from outside; the composition root builds it once. */
export interface ScanDeps {
  targets: readonly ScanTarget[];
  /**
   * Called when a scan starts, before `targets` is read: resolves what is found lazily (the
   * default target, whose account comes from STS `GetCallerIdentity`). A failure is reported as a
   * problem of the scan. Other users of `targets` (recovery) should await it too.
   */
  prepare?: () => Promise<void>;
  /** ECR access for a registry (account id) in a Region — cross-account images included. */
  ecrFor(registryId: string, region: string): EcrReader;
  /** OCI distribution access for other registries; without it those images are `unchecked`. */
  registry?: RegistryClient;
  /** Which non-ECR images to check through `registry` (default: all). */
  checkRegistry?: (ref: ImageReference) => boolean;
  /**
   * Registry hosts (other than ECR) whose retention Lifeboat cannot see or stop: an in-use
   * multi-arch image there gets a warning when its per-platform children are untagged (a cleanup
   * of "untagged versions" deletes them). Missing children are warned about on every host.
   */
  retentionWarningHosts?: ReadonlySet<string>;
  /**
   * Where else a missing ECR digest still is (replicas, configured sources): a missing image with
   * a copy gets `restore` as its next command instead of `rebuild`. Without it, none is looked for.
   */
  findCopy?: DigestCopyFinder;
  /** Task definitions by ARN; immutable, so shared across scans. */
  taskDefinitions: ImmutableCache<EcsTaskDefinition>;
  /** Index manifests by digest; content-addressed, so shared across scans. */
  manifests: ImmutableCache<ImageIndex>;
  /** Fully pinned service revisions by ARN. */
  revisions?: ImmutableCache<EcsServiceRevision>;
  clock: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  budgets?: Partial<Record<'ecs' | 'ecr' | 'registry', Partial<BudgetSettings>>>;
  random?: () => number;
}

/** Where a running scan is, for progress messages. */
export interface ScanProgress {
  phase: 'graph' | 'images' | 'done';
  services: number;
  repositoriesDone: number;
  repositoriesTotal: number;
}

/** Per-run settings: scope, cancellation, progress, exposure horizon. */
export interface ScanOptions {
  scope?: ScanScope;
  signal?: AbortSignal;
  onProgress?: (progress: ScanProgress) => Promise<void> | void;
  /** Lifecycle hits due within this many days count as at risk. Default 14. */
  horizonDays?: number;
  /** Count-rule margin (pushes) that counts as a trap. Default 10. */
  burstMargin?: number;
  /**
   * Cross-check exposure with ECR's own dry run (`StartLifecyclePolicyPreview`) for every listed
   * repository with a policy: 2+ calls each and up to `timeoutMs` of waiting. Default off.
   */
  lifecyclePreview?: boolean | PreviewTiming;
}

/** One container image as one deployment pulls it. */
interface Use {
  node: ServiceNode;
  unit: DeploymentUnit;
  container: ContainerImageUse;
  ref?: ImageReference;
  check?: ImageToCheck;
  repoKey?: string;
  imageKey: string;
  availability?: Availability;
}

type RepoWork =
  | {
      kind: 'ecr';
      request: EcrRepositoryRequest & { digests: Set<string>; tags: Set<string>; platforms: Platform[] };
      result?: EcrRepositoryResult;
      preview?: Promise<PreviewOutcome>;
    }
  | { kind: 'oci'; request: RegistryRepositoryRequest & { digests: Set<string>; tags: Set<string>; platforms: Platform[] }; snapshot?: RepositorySnapshot };

/** Run one scan. Never throws for AWS or registry failures (they become unknown/problems); throws only on cancellation. */
/**
 * One `CallBudget` per throttling domain (`kind` + account:Region or host), made on first use:
 * the scan and a single-service inspection (recovery) share these rules.
 */
export function scanBudgets(deps: Pick<ScanDeps, 'budgets' | 'clock' | 'sleep' | 'random'>): ScanBudgets {
  const made = new Map<string, CallBudget>();
  const budgetFor = (kind: 'ecs' | 'ecr' | 'registry', key: string): CallBudget => {
    const id = `${kind}:${key}`;
    let budget = made.get(id);
    if (!budget) {
      budget = new CallBudget({
        ...DEFAULT_BUDGETS[kind],
        ...deps.budgets?.[kind],
        clock: deps.clock,
        sleep: deps.sleep ?? realSleep,
        ...(deps.random ? { random: deps.random } : {}),
      });
      made.set(id, budget);
    }
    return budget;
  };
  return Object.assign(budgetFor, { all: () => [...made.values()] });
}

/** The budget of a throttling domain, and every budget made so far (for the calls report). */
export type ScanBudgets = ((kind: 'ecs' | 'ecr' | 'registry', key: string) => CallBudget) & { all(): CallBudget[] };

export async function runImageScan(deps: ScanDeps, options: ScanOptions = {}): Promise<ScanReport> {
  const startedAt = deps.clock.now();
  const scope = options.scope ?? {};
  const budgetFor = scanBudgets(deps);
  const progress = async (p: ScanProgress) => {
    await options.onProgress?.(p);
  };

  // 1. The graph, per account and Region.
  const problems: ScopeProblem[] = [];
  const targets = (await resolveTargets(deps, scope, problems)).filter(
    (t) => (scope.account === undefined || t.account === scope.account) && (scope.region === undefined || t.region === scope.region),
  );
  if (targets.length === 0 && problems.length === 0) {
    problems.push({ account: scope.account ?? '*', region: scope.region ?? '*', scope: 'targets', code: 'COMMAND_ARGS_INVALID', message: 'No configured account and Region matches the scope.' });
  }
  // ECR repositories are read from the moment a revision or task definition names them: their
  // policy and listing need no image ids, so they overlap the ECS part of the scan.
  const prefetches = new Map<string, Promise<EcrPrefetch>>();
  const seen = new Set<string>();
  const onImages = (images: readonly string[]) => {
    for (const image of images) {
      if (seen.has(image)) continue;
      seen.add(image);
      const parsed = parseImageReference(image);
      if (!parsed.ok || parsed.ref.registry.kind !== 'ecr-private') continue;
      const { account, region } = parsed.ref.registry;
      const key = ecrRepoKey(account, region, parsed.ref.repository);
      if (prefetches.has(key)) continue;
      const prefetch = prefetchEcrRepository(
        { registryId: account, repository: parsed.ref.repository },
        { ecr: deps.ecrFor(account, region), budget: budgetFor('ecr', `${account}:${region}`), ...(options.signal ? { signal: options.signal } : {}) },
      );
      prefetch.catch(() => undefined);
      prefetches.set(key, prefetch);
    }
  };
  const graphs = await Promise.all(
    targets.map((t) =>
      buildImageGraph(t, scope, {
        budget: budgetFor('ecs', `${t.account}:${t.region}`),
        taskDefinitions: deps.taskDefinitions,
        onImages,
        ...(deps.revisions ? { revisions: deps.revisions } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    ),
  );
  // Gatherers turn failed calls into unknowns; a cancelled job must stop instead of reporting them.
  options.signal?.throwIfAborted();
  const nodes = graphs.flatMap((g) => g.services);
  problems.push(...graphs.flatMap((g) => g.problems));

  // 2. Every container image use, grouped by the repository that answers for it.
  const uses: Use[] = [];
  const work = new Map<string, RepoWork>();
  for (const node of nodes) {
    for (const unit of node.units) {
      for (const container of unit.containers) uses.push(planUse(node, unit, container, work, deps));
    }
  }
  await progress({ phase: 'graph', services: nodes.length, repositoriesDone: 0, repositoriesTotal: work.size });

  // 3. Gather facts, one repository at a time each, all repositories concurrently (budgets bound it).
  let done = 0;
  await Promise.all(
    [...work].map(async ([key, w]) => {
      if (w.kind === 'ecr') {
        const ecr = deps.ecrFor(w.request.registryId, w.request.region);
        const budget = budgetFor('ecr', `${w.request.registryId}:${w.request.region}`);
        const prefetch = prefetches.get(key);
        w.result = await gatherEcrRepository(w.request, {
          ecr,
          budget,
          manifests: deps.manifests,
          ...(prefetch ? { prefetch } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (options.lifecyclePreview && w.result.policy.kind === 'ok' && w.result.listed) {
          // Runs on while other repositories are gathered; awaited when exposure is assessed.
          w.preview = runLifecyclePreview(w.request.registryId, w.request.repository, w.result.policy.policy, {
            ecr,
            budget,
            clock: deps.clock,
            sleep: deps.sleep ?? realSleep,
            ...(typeof options.lifecyclePreview === 'object' ? options.lifecyclePreview : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          w.preview.catch(() => undefined);
        }
      } else if (deps.registry) {
        w.snapshot = await gatherRegistryRepository(w.request, {
          registry: deps.registry,
          budget: budgetFor('registry', w.request.host),
          manifests: deps.manifests,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }
      done++;
      await progress({ phase: 'images', services: nodes.length, repositoriesDone: done, repositoriesTotal: work.size });
    }),
  );

  options.signal?.throwIfAborted();

  // 4. Classify every use against its repository's facts.
  for (const use of uses) {
    if (use.availability || !use.check || use.repoKey === undefined) continue;
    const w = work.get(use.repoKey);
    const facts = w?.kind === 'ecr' ? w.result?.snapshot : w?.snapshot;
    use.availability = facts ? classifyImage(use.check, facts) : unknownAvailability(use.check, 'the repository was not checked');
  }

  // 4a. A missing ECR digest may still be somewhere else (a replica Region): restore beats rebuild.
  if (deps.findCopy) await findCopies(uses, deps.findCopy, (key) => budgetFor('ecr', key), options.signal);
  options.signal?.throwIfAborted();

  // 4b. Retention on other registries: notes about in-use multi-arch images (children missing or untagged).
  const retentionNotes = deps.registry ? await registryRetention(work, uses, deps, deps.registry, budgetFor, options.signal) : [];
  options.signal?.throwIfAborted();

  // 5. Lifecycle exposure for ECR repositories with a policy.
  const now = deps.clock.now();
  const usesByRepo = groupBy(uses, (u) => u.repoKey);
  const exposures = new Map<string, Map<string, ExposureFinding>>();
  const traps: TrapReport[] = [];
  const notes: ScanNote[] = [...retentionNotes];
  const repositories: RepositoryReport[] = [];
  for (const [key, w] of work) {
    if (w.kind !== 'ecr' || !w.result) continue;
    const { result, request } = w;
    const complete = result.policy.kind !== 'ok' || result.listed;
    const policy = complete ? policyLabel(result) : 'unknown: the repository could not be listed, so its lifecycle exposure was not evaluated';
    const repositoryReport: RepositoryReport = { registryId: request.registryId, region: request.region, repository: request.repository, policy, listed: result.listed };
    repositories.push(repositoryReport);
    // Count rules rank every image of the repository: a partial view would give wrong answers.
    if (result.policy.kind !== 'ok' || !result.listed) continue;
    const inRepo = (usesByRepo.get(key) ?? []).filter((u) => u.availability?.status === 'available');
    const inUse = inUseDigests(inRepo);
    const images = exposureImages(result);
    if (w.preview) {
      const preview = previewReport(request.repository, await w.preview, { policy: result.policy.policy, images, inUse, now });
      repositoryReport.preview = preview;
      if (preview.status === 'disagrees') {
        notes.push({ kind: 'lifecycle-preview', repository: request.repository, services: unique(inUse.flatMap((u) => u.services)).sort(), sentence: preview.sentence });
      }
    }
    const report = assessExposure({
      repository: request.repository,
      policy: result.policy.policy,
      images,
      inUse,
      now,
      horizonMs: (options.horizonDays ?? 14) * DAY_MS,
      burstMargin: options.burstMargin ?? 10,
    });
    exposures.set(key, new Map(report.findings.map((f) => [f.digest, f])));
    for (const trap of report.traps) {
      traps.push({ kind: trap.kind, repository: request.repository, rulePriority: trap.rulePriority, services: [...trap.services], sentence: trap.sentence });
    }
  }

  // 6. Per image and per service.
  const first = deps.targets[0];
  const home: Home = first ? { account: first.account, region: first.region } : undefined;
  const images = new Map<string, ImageReport>();
  const services: ServiceReport[] = [];
  const usesByNode = groupBy(uses, (u) => u.node);
  for (const node of nodes) {
    const label = `${node.cluster}/${node.service}`;
    const findings: ServiceFinding[] = [];
    for (const use of usesByNode.get(node) ?? []) {
      // Every use was classified in step 4 or planned with an answer; the fallback keeps types honest.
      const availability: Availability = use.availability ?? { status: 'unknown', via: 'tag', detail: 'it was not checked' };
      const exposure = exposureFor(use, availability, exposures);
      const image = imageReport(use, availability, exposure, images);
      if (!image.services.includes(label)) image.services.push(label);
      const finding = serviceFinding(use, availability, exposure, label, home);
      if (finding) findings.push(finding);
    }
    services.push({
      account: node.account,
      region: node.region,
      cluster: node.cluster,
      service: node.service,
      desiredCount: node.desiredCount,
      runningCount: node.runningCount,
      status: worstSeverity(findings),
      findings,
    });
  }
  services.sort((a, b) => compareSeverity(a.status, b.status) || `${a.cluster}/${a.service}`.localeCompare(`${b.cluster}/${b.service}`));
  const imageList = [...images.values()].sort((a, b) => statusRank(a) - statusRank(b) || a.image.localeCompare(b.image));

  const report: ScanReport = {
    version: SCAN_REPORT_VERSION,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(deps.clock.now()).toISOString(),
    scope,
    totals: {
      services: nodes.length,
      images: imageList.length,
      available: imageList.filter((i) => i.status === 'available').length,
      missing: imageList.filter((i) => i.status === 'missing').length,
      atRisk: imageList.filter((i) => i.status === 'available' && i.exposure?.atRisk === true).length,
      unknown: imageList.filter((i) => i.status === 'unknown').length,
      unchecked: imageList.filter((i) => i.status === 'unchecked').length,
    },
    services,
    images: imageList,
    repositories: repositories.sort((a, b) => a.repository.localeCompare(b.repository)),
    traps,
    problems,
    calls: mergeStats(budgetFor.all().map((b) => b.stats())),
  };
  if (notes.length > 0) report.notes = notes;
  await progress({ phase: 'done', services: nodes.length, repositoriesDone: done, repositoriesTotal: work.size });
  return report;
}

async function resolveTargets(deps: ScanDeps, scope: ScanScope, problems: ScopeProblem[]): Promise<readonly ScanTarget[]> {
  try {
    await deps.prepare?.();
    return deps.targets;
  } catch (err) {
    const code = isLifeboatError(err) ? err.code : 'INTERNAL';
    const message = isLifeboatError(err) ? err.userMessage : 'Lifeboat could not work out which account to scan (see the log).';
    problems.push({ account: scope.account ?? '*', region: scope.region ?? '*', scope: 'targets', code, message });
    return [];
  }
}

function planUse(node: ServiceNode, unit: DeploymentUnit, container: ContainerImageUse, work: Map<string, RepoWork>, deps: ScanDeps): Use {
  const platform = formatPlatform(unit.platform);
  if (!container.ref.ok) {
    return {
      node,
      unit,
      container,
      imageKey: `invalid|${container.image}`,
      availability: { status: 'unknown', via: 'tag', detail: `the image reference cannot be parsed: ${container.ref.error}` },
    };
  }
  const ref = container.ref.ref;
  const check: ImageToCheck = { ref, platform: unit.platform };
  if (container.pinnedDigest !== undefined) check.pinnedDigest = container.pinnedDigest;
  const imageKey = `${canonicalReference(ref)}|${container.pinnedDigest ?? ''}|${platform}`;
  const base: Use = { node, unit, container, ref, check, imageKey };

  const registry = ref.registry;
  if (registry.kind === 'ecr-private') {
    const repoKey = ecrRepoKey(registry.account, registry.region, ref.repository);
    let w = work.get(repoKey);
    if (!w) {
      w = { kind: 'ecr', request: { registryId: registry.account, region: registry.region, repository: ref.repository, digests: new Set(), tags: new Set(), platforms: [] } };
      work.set(repoKey, w);
    }
    addWanted(w.request, check);
    return { ...base, repoKey };
  }
  if (!deps.registry) {
    return { ...base, availability: unchecked(check, `Lifeboat has no registry access configured for ${registry.host}`) };
  }
  if (deps.checkRegistry && !deps.checkRegistry(ref)) {
    return { ...base, availability: unchecked(check, `images on ${registry.host} are not checked (configuration)`) };
  }
  const repoKey = `oci|${repositoryKey(ref)}`;
  let w = work.get(repoKey);
  if (!w) {
    w = { kind: 'oci', request: { host: registry.host, repository: ref.repository, digests: new Set(), tags: new Set(), platforms: [] } };
    work.set(repoKey, w);
  }
  addWanted(w.request, check);
  return { ...base, repoKey };
}

function ecrRepoKey(account: string, region: string, repository: string): string {
  return `ecr|${account}|${region}|${repository}`;
}

function addWanted(request: { digests: Set<string>; tags: Set<string>; platforms: Platform[] }, check: ImageToCheck): void {
  if (check.pinnedDigest !== undefined) request.digests.add(check.pinnedDigest);
  if (check.ref.digest !== undefined) request.digests.add(check.ref.digest);
  // The tag is looked up even when a digest is pinned: it decides between redeploy and rebuild.
  if (check.ref.tag !== undefined) request.tags.add(check.ref.tag);
  const p = formatPlatform(check.platform);
  if (!request.platforms.some((q) => formatPlatform(q) === p)) request.platforms.push(check.platform);
}

function exposureImages(result: EcrRepositoryResult): ExposureImage[] {
  return result.images.map((i) => {
    const image: ExposureImage = {
      digest: i.digest,
      tags: i.tags,
      // ECR always reports a push time; without one, the oldest possible is the safe assumption.
      pushedAt: i.pushedAt ?? 0,
      storageClass: i.status === 'ACTIVE' ? 'standard' : 'archive',
      isIndex: isIndexMediaType(i.mediaType),
    };
    if (i.lastPulledAt !== undefined) image.lastPulledAt = i.lastPulledAt;
    if (i.lastArchivedAt !== undefined) image.lastArchivedAt = i.lastArchivedAt;
    if (i.lastActivatedAt !== undefined) image.lastActivatedAt = i.lastActivatedAt;
    const children = result.indexChildren.get(i.digest);
    if (children) image.childDigests = children;
    return image;
  });
}

/** Reasons a copy can fix: the exact digest (or its platform child) is gone from the repository. */
const COPYABLE: ReadonlySet<string> = new Set(['pinned-digest-gone', 'image-not-found', 'platform-child-missing']);

/** Copy lookups in flight at once: a fleet-wide outage must not become a burst of ECR calls. */
const COPY_LOOKUPS_IN_FLIGHT = 4;

/** Look up a copy of each distinct missing ECR digest once, and note it on the availability. */
async function findCopies(uses: readonly Use[], findCopy: DigestCopyFinder, budget: (key: string) => CallBudget, signal: AbortSignal | undefined): Promise<void> {
  const lookups = new Map<string, { missing: DigestLocation; digest: string; uses: { use: Use; a: Availability }[] }>();
  for (const use of uses) {
    const a = use.availability;
    const registry = use.ref?.registry;
    if (a?.status !== 'missing' || a.reason === undefined || !COPYABLE.has(a.reason) || registry?.kind !== 'ecr-private' || !use.ref) continue;
    const digest = a.reason === 'platform-child-missing' ? a.platformDigest : a.digest;
    if (digest === undefined) continue;
    const missing: DigestLocation = { registryId: registry.account, region: registry.region, repository: use.ref.repository };
    const key = `${missing.registryId}|${missing.region}|${missing.repository}|${digest}`;
    const entry = lookups.get(key) ?? { missing, digest, uses: [] };
    entry.uses.push({ use, a });
    lookups.set(key, entry);
  }
  const queue = [...lookups.values()];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { missing, digest } = next;
      // Under the scan's ECR budget for the registry: throttling during a fleet-wide outage is retried, not read as "no copy".
      const read: BudgetedRead = (action, fn) => budget(`${missing.registryId}:${missing.region}`).run(action, fn, signal);
      const at = await findCopy(missing, digest, signal, read).catch(() => undefined);
      if (!at) continue;
      const where = at.registryId !== missing.registryId ? `registry ${at.registryId} (${at.region})` : at.region !== missing.region ? `the ${at.region} replica` : `repo ${at.repository}`;
      for (const { use, a } of next.uses) {
        use.availability = { ...a, copy: { digest, at }, detail: `${a.detail}; ${digest === a.digest ? 'it' : shortDigest(digest)} is still in ${where}, so it can be restored exactly` };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(COPY_LOOKUPS_IN_FLIGHT, queue.length) }, worker));
}

function inUseDigests(uses: readonly Use[]): InUseDigest[] {
  const byDigest = new Map<string, { services: Set<string>; role: InUseDigest['role'] }>();
  const add = (digest: string, role: InUseDigest['role'], service: string) => {
    const entry = byDigest.get(digest) ?? { services: new Set<string>(), role };
    entry.services.add(service);
    byDigest.set(digest, entry);
  };
  for (const use of uses) {
    const label = `${use.node.cluster}/${use.node.service}`;
    if (use.availability?.digest !== undefined) add(use.availability.digest, 'image', label);
    if (use.availability?.platformDigest !== undefined) add(use.availability.platformDigest, 'platform-child', label);
  }
  return [...byDigest].map(([digest, e]) => ({ digest, services: [...e.services].sort(), role: e.role }));
}

function exposureFor(use: Use, availability: Availability, exposures: Map<string, Map<string, ExposureFinding>>): ExposureSummary | undefined {
  if (availability.status !== 'available' || use.repoKey === undefined) return undefined;
  const findings = exposures.get(use.repoKey);
  if (!findings) return undefined;
  const candidates = [availability.digest, availability.platformDigest].flatMap((d) => {
    const finding = d !== undefined ? findings.get(d) : undefined;
    return finding ? [finding] : [];
  });
  const first = candidates.sort((a, b) => a.hit.dueAt - b.hit.dueAt)[0];
  if (!first) return undefined;
  return {
    rulePriority: first.hit.rulePriority,
    action: first.hit.action,
    dueAt: new Date(Math.max(first.hit.dueAt, 0)).toISOString(),
    withinDays: first.withinDays,
    atRisk: first.atRisk,
    sentence: first.sentence,
  };
}

function imageReport(use: Use, availability: Availability, exposure: ExposureSummary | undefined, images: Map<string, ImageReport>): ImageReport {
  const existing = images.get(use.imageKey);
  if (existing) return existing;
  const report: ImageReport = {
    key: use.imageKey,
    image: use.container.image,
    registry: use.ref?.registry.kind ?? 'invalid',
    platform: formatPlatform(use.unit.platform),
    status: availability.status,
    detail: availability.detail,
    services: [],
  };
  if (use.ref) {
    report.host = use.ref.registry.host;
    report.repository = use.ref.repository;
  }
  if (use.ref?.tag !== undefined) report.tag = use.ref.tag;
  if (availability.digest !== undefined) report.digest = availability.digest;
  if (availability.reason !== undefined) report.reason = availability.reason;
  if (exposure) report.exposure = exposure;
  images.set(use.imageKey, report);
  return report;
}

/** The account and Region recovery acts in (the first target): a `restore` of an image elsewhere names its registry. */
type Home = { account: string; region: string } | undefined;

function serviceFinding(use: Use, availability: Availability, exposure: ExposureSummary | undefined, label: string, home: Home): ServiceFinding | undefined {
  const base = { container: use.container.container, deployment: use.unit.label, image: use.container.image };
  const service = use.node.service;
  switch (availability.status) {
    case 'missing': {
      const finding: ServiceFinding = { ...base, severity: 'missing', sentence: missingSentence(service, use.unit.label, use.unit.tasks, availability) };
      const next = use.ref ? nextCommand(use.ref, availability, label, home) : undefined;
      if (next !== undefined) finding.next = next;
      return finding;
    }
    case 'unknown':
      return { ...base, severity: 'unknown', sentence: `Lifeboat cannot tell whether ${service} can start tasks with ${use.container.image}: ${availability.detail}` };
    case 'unchecked':
      return { ...base, severity: 'unchecked', sentence: `${use.container.image} is not checked: ${availability.detail}` };
    case 'available': {
      if (!exposure?.atRisk || availability.digest === undefined) return undefined;
      const finding: ServiceFinding = {
        ...base,
        severity: 'at-risk',
        sentence: atRiskSentence(service, availability.digest, use.ref?.repository ?? '?', exposure),
      };
      // A new deployment moves the service onto the tag's current image, which the rule may spare.
      if (availability.tag?.kind === 'moved' && availability.tag.usable) finding.next = `redeploy ${label}`;
      return finding;
    }
  }
}

/** Retention notes for every OCI repository with in-use indexes (see registry-retention.ts). */
async function registryRetention(
  work: Map<string, RepoWork>,
  uses: readonly Use[],
  deps: ScanDeps,
  registry: RegistryClient,
  budgetFor: (kind: 'registry', key: string) => CallBudget,
  signal: AbortSignal | undefined,
): Promise<ScanNote[]> {
  const byRepo = new Map<string, Map<string, InUseIndex>>();
  for (const use of uses) {
    const a = use.availability;
    if (use.repoKey === undefined || a?.status !== 'available' || a.digest === undefined || a.platformDigest === undefined) continue;
    const indexes = byRepo.get(use.repoKey) ?? new Map<string, InUseIndex>();
    byRepo.set(use.repoKey, indexes);
    const index = indexes.get(a.digest) ?? { digest: a.digest, ...(use.ref?.tag !== undefined ? { tag: use.ref.tag } : {}), pulled: [] };
    indexes.set(a.digest, index);
    const label = `${use.node.cluster}/${use.node.service}`;
    const pulled = index.pulled.find((p) => p.digest === a.platformDigest);
    if (!pulled) index.pulled.push({ digest: a.platformDigest, platform: use.unit.platform, services: [label] });
    else if (!pulled.services.includes(label)) pulled.services = [...pulled.services, label];
  }
  const all = await Promise.all(
    [...byRepo].map(([key, indexes]) => {
      const w = work.get(key);
      if (w?.kind !== 'oci' || !w.snapshot) return Promise.resolve([]);
      const host = w.request.host;
      return checkRegistryRetention(
        { host, repository: w.request.repository, indexes: [...indexes.values()], untagged: deps.retentionWarningHosts?.has(host) ?? host === 'ghcr.io' },
        { registry, budget: budgetFor('registry', host), manifests: deps.manifests, snapshot: w.snapshot, ...(signal ? { signal } : {}) },
      );
    }),
  );
  return all.flat();
}

function previewReport(
  repository: string,
  outcome: PreviewOutcome,
  input: { policy: LifecyclePolicy; images: readonly ExposureImage[]; inUse: readonly InUseDigest[]; now: number },
): PreviewReport {
  if (outcome.kind === 'unavailable') {
    return { status: 'unavailable', sentence: `ECR's lifecycle preview of repo ${repository} could not be compared: ${outcome.detail}.` };
  }
  const comparison = comparePreview({
    policy: input.policy,
    images: input.images,
    results: outcome.results,
    now: input.now,
    inUse: new Map(input.inUse.map((u) => [u.digest, u.services])),
  });
  const report: PreviewReport = { status: comparison.agrees ? 'agrees' : 'disagrees', sentence: previewSentence(repository, comparison), previewCount: comparison.previewCount };
  const differences = [...comparison.onlyPreview, ...comparison.onlyLifeboat, ...comparison.otherRule].slice(0, 20);
  if (differences.length > 0) report.differences = differences.map((d) => ({ ...d, tags: [...d.tags], services: [...d.services] }));
  return report;
}

function policyLabel(result: EcrRepositoryResult): string {
  switch (result.policy.kind) {
    case 'none':
      return result.snapshot.repositoryProblem?.kind === 'not-found' ? 'unknown: the repository does not exist' : 'none';
    case 'ok':
      return 'ok';
    case 'invalid':
      return `invalid: ${result.policy.errors.join('; ')}`;
    case 'unknown':
      return `unknown: ${result.policy.detail}`;
  }
}

function statusRank(image: ImageReport): number {
  if (image.status === 'missing') return 0;
  if (image.status === 'available' && image.exposure?.atRisk) return 1;
  return { unknown: 2, unchecked: 3, available: 4, missing: 0 }[image.status];
}

function mergeStats(all: readonly Record<string, CallStats>[]): Record<string, CallStats> {
  const merged: Record<string, CallStats> = {};
  for (const stats of all) {
    for (const [op, s] of Object.entries(stats)) {
      const m = (merged[op] ??= { calls: 0, retries: 0, failures: 0 });
      m.calls += s.calls;
      m.retries += s.retries;
      m.failures += s.failures;
    }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}
