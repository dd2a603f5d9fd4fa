/**
 * Simulated Amazon ECR: repositories with images (digests, tags, push and pull times, the ARCHIVE
 * storage class), image indexes with per-platform children and attestation manifests, and
 * lifecycle policies that run once a day and expire or archive images as simulated time passes.
 *
 * Lifecycle decisions are not re-implemented here: the daily run feeds the repository to
 * `evaluateLifecycle` (src/images/lifecycle) and applies what it says is due — so the drill and
 * `check images` can never disagree about what a rule does. What ECR adds around the evaluator
 * is simulated: the run time of day ("within 24 hours"), the refusal to act on a child an index
 * still references (`ImageReferencedByManifestList`), and the CloudTrail `PolicyExecutionEvent`s
 * (at most 9 images each: ECR splits runs of 10 or more images into several events).
 *
 * One `DrillEcr` is one Region's registry of the drill account. With replication rules
 * (`putReplicationConfiguration`) every push — each manifest of a multi-arch push, a tag moved
 * onto an image, a `PutImage` of a copied manifest — reaches the destination Region's registry
 * `ECR_REPLICATION_DELAY_MS` later, as ECR's asynchronous cross-Region replication does; deletions,
 * lifecycle expiries and archiving are not replicated, and a lifecycle policy acts only in the
 * Region where it exists — which is why a replica can still hold a digest the source expired.
 */
import { LifeboatError } from '../../core/errors.js';
import { DAY_MS, evaluateLifecycle, type LifecycleImage } from '../../images/lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy, type LifecycleRule } from '../../images/lifecycle/policy.js';
import { isIndexMediaType } from '../../images/oci-index.js';
import type { EcrImageId } from '../../images/ports.js';
import type { EventLog } from './events.js';
import { DRILL_ACCOUNT, DRILL_REGION, ecrHost, isoSeconds, repositoryArn, type DrillIds } from './ids.js';
import { buildImage, type BuiltImage, type BuiltManifest, type ImageBuildSpec } from './manifests.js';
import type { ManifestAnswer, PullSource } from './registry-model.js';
import type { SimScheduler } from './scheduler.js';

/** One stored manifest of a repository. */
export interface SimEcrImage {
  digest: string;
  tags: string[];
  pushedAt: number;
  lastPulledAt?: number;
  status: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
  lastArchivedAt?: number;
  lastActivatedAt?: number;
  mediaType: string;
  artifactMediaType?: string;
  body: string;
  size: number;
  /** Index children (image manifests and attestations). */
  childDigests?: string[];
  subjectDigest?: string;
  /** The image configuration blob (platform, labels) of an image manifest. */
  config?: { digest: string; body: string };
}

/** The content of one manifest, wherever it is stored: what a copy or a replication carries over. */
export interface SimManifest {
  digest: string;
  mediaType: string;
  body: string;
  size: number;
  artifactMediaType?: string;
  childDigests?: string[];
  subjectDigest?: string;
  config?: { digest: string; body: string };
}

/**
 * One rule of the registry's replication configuration (`PutReplicationConfiguration`):
 * repositories whose name starts with one of `repositoryPrefixes` (`PREFIX_MATCH`; none: every
 * repository) replicate to every destination.
 */
export interface SimReplicationRule {
  destinations: { region: string; registryId: string }[];
  repositoryPrefixes: string[];
}

/** How long after a push ECR's replication delivers it (ECR: asynchronous, "typically within 30 minutes"). */
export const ECR_REPLICATION_DELAY_MS = 60_000;
/** How long a restore from the archive takes (ACTIVATING, then ACTIVE). */
export const ARCHIVE_RESTORE_MS = 20 * 60_000;

/** A `StartLifecyclePolicyPreview` run. */
export interface SimPreview {
  policyText: string;
  startedAt: number;
  /** Answered IN_PROGRESS this many more times (a preview takes seconds; the drill counts polls). */
  pollsLeft: number;
  results: { digest: string; tags: string[]; pushedAt: number; action: 'expire' | 'transition'; rulePriority: number; storageClass: 'standard' | 'archive' }[];
}

/** One repository. */
export interface SimRepository {
  name: string;
  arn: string;
  uri: string;
  createdAt: number;
  images: Map<string, SimEcrImage>;
  policy?: { text: string; parsed: LifecyclePolicy; id: string; version: number };
  lastEvaluatedAt?: number;
  /** When in the day (UTC ms after midnight) ECR runs this repository's lifecycle policy. */
  lifecycleRunOffsetMs: number;
  preview?: SimPreview;
}

/** The result of one push. */
export interface PushResult {
  repository: string;
  /** The digest the tag now points to (the index for a multi-arch push). */
  digest: string;
  tag?: string;
  image: BuiltImage;
}

/** One lifecycle run's outcome, for tests and drill status. */
export interface LifecycleRun {
  repository: string;
  at: number;
  expired: string[];
  archived: string[];
  /** Children ECR refused to act on while an index references them. */
  refused: { digest: string; indexes: string[] }[];
}

/** Per-id outcome of BatchDeleteImage. */
export interface DeleteResult {
  deleted: { digest: string; tag?: string }[];
  failures: { id: EcrImageId; code: string; reason: string }[];
}

const IMAGES_PER_POLICY_EVENT = 9;

/** Where a registry is and how it reaches the registries of other Regions (replication). */
export interface DrillEcrOptions {
  /** Default `DRILL_REGION`. */
  region?: string;
  /** The drill account's registry in another Region, if the drill has one there. */
  registryIn?: (region: string) => DrillEcr | undefined;
}

/** The simulated registry `000000000000.dkr.ecr.<region>.amazonaws.com` (us-east-1 unless told). */
export class DrillEcr implements PullSource {
  readonly region: string;
  readonly host: string;
  readonly repositories = new Map<string, SimRepository>();
  readonly lifecycleRuns: LifecycleRun[] = [];
  private rules: SimReplicationRule[] = [];
  private readonly registryIn: (region: string) => DrillEcr | undefined;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly events: EventLog,
    private readonly ids: DrillIds,
    options: DrillEcrOptions = {},
  ) {
    this.region = options.region ?? DRILL_REGION;
    this.host = ecrHost(this.region);
    this.registryIn = options.registryIn ?? (() => undefined);
  }

  /** Create a repository; its lifecycle policy (if any) runs daily at `lifecycleRunAt` (UTC `HH:MM`, default 03:17). */
  createRepository(name: string, options: { policy?: string; lifecycleRunAt?: string } = {}): SimRepository {
    const [h = 3, m = 17] = (options.lifecycleRunAt ?? '03:17').split(':').map(Number);
    const repo: SimRepository = {
      name,
      arn: repositoryArn(name, this.region),
      uri: `${this.host}/${name}`,
      createdAt: this.scheduler.now(),
      images: new Map(),
      lifecycleRunOffsetMs: (h * 60 + m) * 60_000,
    };
    this.repositories.set(name, repo);
    if (options.policy !== undefined) this.putLifecyclePolicy(name, options.policy);
    this.scheduleLifecycle(repo);
    return repo;
  }

  /** `PutLifecyclePolicy`: the text must be a policy ECR would accept. */
  putLifecyclePolicy(repository: string, text: string): void {
    const repo = this.repo(repository, 'ecr:PutLifecyclePolicy');
    const parsed = parseLifecyclePolicy(text);
    if (!parsed.ok) {
      throw new LifeboatError('AWS_ERROR', `ECR rejected the lifecycle policy of ${repository}: ${parsed.errors.join('; ')}.`, { retryable: false });
    }
    repo.policy = { text, parsed: parsed.policy, id: this.ids.uuid(), version: (repo.policy?.version ?? 0) + 1 };
  }

  /** `DeleteLifecyclePolicy`. */
  deleteLifecyclePolicy(repository: string): void {
    delete this.repo(repository, 'ecr:DeleteLifecyclePolicy').policy;
  }

  /**
   * Push an image (every manifest of a multi-arch build) and point `tag` at it. A tag moved off an
   * older image leaves that image untagged — it stays until deleted or expired. Emits one
   * `ECR Image Action` PUSH per manifest, like ECR.
   */
  push(repository: string, spec: ImageBuildSpec, options: { tag?: string; pushedAt?: number } = {}): PushResult {
    const repo = this.repo(repository, 'ecr:PutImage');
    const image = buildImage(spec);
    const at = options.pushedAt ?? this.scheduler.now();
    if (options.tag !== undefined) this.untag(repo, options.tag);
    for (const child of image.others) this.store(repo, simManifest(child), [], at);
    this.store(repo, simManifest(image.top), options.tag !== undefined ? [options.tag] : [], at);
    // Pushes in the past (scenario history) happened before Lifeboat was listening: no events.
    const history = options.pushedAt !== undefined && options.pushedAt < this.scheduler.now();
    if (!history) {
      for (const m of [...image.others, image.top]) this.imageAction('PUSH', repository, m.digest, m === image.top ? options.tag : undefined);
    }
    this.replicate(repository, [...image.others, image.top].map(simManifest), options.tag, history ? at : undefined);
    const result: PushResult = { repository, digest: image.top.digest, image };
    if (options.tag !== undefined) result.tag = options.tag;
    return result;
  }

  /**
   * `BatchDeleteImage`: by tag removes the tag (and the image with its last tag); by digest deletes
   * the image and all its tags. A child an index still references is refused with
   * `ImageReferencedByManifestList`. Emits `ECR Image Action` DELETE for each deletion.
   */
  batchDeleteImage(repository: string, ids: readonly EcrImageId[]): DeleteResult {
    const repo = this.repo(repository, 'ecr:BatchDeleteImage');
    const result: DeleteResult = { deleted: [], failures: [] };
    for (const id of ids) {
      const image = id.digest !== undefined ? repo.images.get(id.digest) : [...repo.images.values()].find((i) => i.tags.includes(id.tag));
      if (!image) {
        result.failures.push({ id, code: 'ImageNotFound', reason: 'Requested image not found' });
        continue;
      }
      const removesImage = id.digest !== undefined || image.tags.length <= 1;
      const parents = this.referencingIndexes(repo, image.digest);
      if (removesImage && parents.length > 0) {
        result.failures.push({ id, code: 'ImageReferencedByManifestList', reason: `Requested image referenced by manifest list: [${parents.join(', ')}]` });
        continue;
      }
      if (id.tag !== undefined && image.tags.length > 1) {
        image.tags = image.tags.filter((t) => t !== id.tag);
        result.deleted.push({ digest: image.digest, tag: id.tag });
        this.imageAction('DELETE', repository, image.digest, id.tag);
        continue;
      }
      repo.images.delete(image.digest);
      const tag = id.tag ?? image.tags[0];
      result.deleted.push(tag !== undefined ? { digest: image.digest, tag } : { digest: image.digest });
      this.imageAction('DELETE', repository, image.digest, tag);
    }
    return result;
  }

  /** Archive an image (`UpdateImageStorageClass` to ARCHIVE). */
  archive(repository: string, digest: string): void {
    const image = this.image(repository, digest);
    image.status = 'ARCHIVED';
    image.lastArchivedAt = this.scheduler.now();
    this.imageAction('UPDATE_STORAGE_CLASS', repository, digest, image.tags[0], { 'target-storage-class': 'ARCHIVE' });
  }

  /** Restore an archived image: ACTIVATING for `restoreMs` (default 20 min), then ACTIVE. An image not ARCHIVED is left as it is. */
  restore(repository: string, digest: string, restoreMs = ARCHIVE_RESTORE_MS): void {
    const image = this.image(repository, digest);
    if (image.status !== 'ARCHIVED') return;
    image.status = 'ACTIVATING';
    this.scheduler.after(restoreMs, `ecr restore ${repository}@${digest}`, () => {
      image.status = 'ACTIVE';
      image.lastActivatedAt = this.scheduler.now();
      this.imageAction('UPDATE_STORAGE_CLASS', repository, digest, image.tags[0], { 'target-storage-class': 'STANDARD', 'last-activated-at': isoSeconds(this.scheduler.now()) });
    });
  }

  /** Put an existing image under one more tag (`PutImage` with the same manifest). */
  tagImage(repository: string, digest: string, tag: string): void {
    const repo = this.repo(repository, 'ecr:PutImage');
    const image = this.image(repository, digest);
    this.untag(repo, tag);
    image.tags.push(tag);
    this.imageAction('PUSH', repository, digest, tag);
    const children = (image.childDigests ?? []).flatMap((d) => {
      const child = repo.images.get(d);
      return child ? [manifestOf(child)] : [];
    });
    this.replicate(repository, [...children, manifestOf(image)], tag);
  }

  /**
   * `PutImage` of a manifest copied from another repository or Region — the same bytes, so the
   * same digest. An index whose children are not all in the repository is refused
   * (`ReferencedImagesNotFoundException`): they must be copied first. When the repository already
   * holds the manifest nothing is put (`put: false`), though `tag` is still moved onto it. Emits
   * `ECR Image Action` PUSH and replicates, like any push.
   */
  putImage(repository: string, manifest: SimManifest, options: { tag?: string } = {}): { put: boolean } {
    const repo = this.repo(repository, 'ecr:PutImage');
    const missing = (manifest.childDigests ?? []).filter((d) => !repo.images.has(d));
    if (missing.length > 0) {
      throw new LifeboatError(
        'AWS_ERROR',
        `ECR rejected ecr:PutImage on ${repo.arn} (ReferencedImagesNotFoundException: the manifest list ${manifest.digest} references ${missing.length} image${missing.length === 1 ? '' : 's'} not in the repository: ${missing.join(', ')}; copy them first).`,
        { retryable: false },
      );
    }
    const tag = options.tag;
    const existing = repo.images.get(manifest.digest);
    if (existing) {
      if (tag === undefined || existing.tags.includes(tag)) return { put: false };
      // The same operation as tagging: the replica gets the children too.
      this.tagImage(repository, existing.digest, tag);
      return { put: false };
    }
    if (tag !== undefined) this.untag(repo, tag);
    this.store(repo, manifest, tag !== undefined ? [tag] : [], this.scheduler.now());
    this.imageAction('PUSH', repository, manifest.digest, tag);
    this.replicate(repository, [manifest], tag);
    return { put: true };
  }

  /** The blobs (configs and layers) the repository's manifests reference: what `BatchCheckLayerAvailability` finds there. */
  blobDigests(repository: string): Set<string> {
    const repo = this.repo(repository, 'ecr:BatchCheckLayerAvailability');
    return new Set([...repo.images.values()].flatMap((i) => manifestBlobs(i.body).map((b) => b.digest)));
  }

  // ── Replication ─────────────────────────────────────────────────────────────────────────

  /** The replication configuration (`DescribeRegistry`); empty: this registry replicates nowhere. */
  get replicationRules(): readonly SimReplicationRule[] {
    return this.rules;
  }

  /**
   * `PutReplicationConfiguration`: replace the rules. A destination must be another Region of the
   * drill account that the drill has a registry in (the drill has no other accounts). Like ECR,
   * only what is pushed from now on replicates: images already here are not copied.
   */
  putReplicationConfiguration(rules: readonly SimReplicationRule[]): void {
    for (const rule of rules) {
      for (const d of rule.destinations) {
        const problem =
          d.registryId !== DRILL_ACCOUNT
            ? `registry ${d.registryId} is not in the drill`
            : d.region === this.region
              ? `${d.region} is the source Region`
              : !this.registryIn(d.region)
                ? `the drill has no registry in ${d.region}`
                : undefined;
        if (problem !== undefined) {
          throw new LifeboatError('AWS_ERROR', `ECR rejected ecr:PutReplicationConfiguration (InvalidParameterException: ${problem}).`, { retryable: false });
        }
      }
    }
    this.rules = rules.map((r) => ({ destinations: r.destinations.map((d) => ({ ...d })), repositoryPrefixes: [...r.repositoryPrefixes] }));
  }

  /** The Regions a push to `repository` replicates to. */
  replicationRegions(repository: string): string[] {
    const regions = new Set<string>();
    for (const rule of this.rules) {
      if (rule.repositoryPrefixes.length > 0 && !rule.repositoryPrefixes.some((p) => repository.startsWith(p))) continue;
      for (const d of rule.destinations) regions.add(d.region);
    }
    return [...regions];
  }

  /**
   * Store what `sourceRegion`'s registry replicated here, the top manifest last (children of an
   * index arrive before it). A missing repository is created — without a lifecycle policy, as
   * ECR creates it when no repository creation template applies. `emit` records one
   * `ECR Replication Action` per manifest in this Region (corpus ecr-replication-action-success.json).
   */
  receiveReplica(sourceRegion: string, repository: string, manifests: readonly SimManifest[], tag: string | undefined, options: { at: number; emit: boolean }): void {
    const repo = this.repositories.get(repository) ?? this.createRepository(repository);
    const top = manifests[manifests.length - 1];
    if (tag !== undefined) this.untag(repo, tag);
    for (const m of manifests) this.store(repo, m, m === top && tag !== undefined ? [tag] : [], options.at);
    if (!options.emit) return;
    for (const m of manifests) {
      const detail: Record<string, unknown> = {
        result: 'SUCCESS',
        'repository-name': repository,
        'image-digest': m.digest,
        'source-account': DRILL_ACCOUNT,
        'action-type': 'REPLICATE',
        'source-region': sourceRegion,
      };
      if (m === top && tag !== undefined) detail['image-tag'] = tag;
      this.events.eventBridge('aws.ecr', 'ECR Replication Action', [repo.arn], detail, { region: this.region });
    }
  }

  /** Replicate pushed manifests (top last); `historyAt`: a push of the scenario's past, replicated at once and silently. */
  private replicate(repository: string, manifests: readonly SimManifest[], tag: string | undefined, historyAt?: number): void {
    for (const region of this.replicationRegions(repository)) {
      const target = this.registryIn(region);
      if (!target) continue;
      if (historyAt !== undefined) {
        target.receiveReplica(this.region, repository, manifests, tag, { at: Math.min(this.scheduler.now(), historyAt + ECR_REPLICATION_DELAY_MS), emit: false });
        continue;
      }
      this.scheduler.after(ECR_REPLICATION_DELAY_MS, `ecr replication ${repository} ${this.region} → ${region}`, () =>
        target.receiveReplica(this.region, repository, manifests, tag, { at: this.scheduler.now(), emit: true }),
      );
    }
  }

  // ── PullSource ──────────────────────────────────────────────────────────────────────────

  lookup(repository: string, reference: string): ManifestAnswer {
    const repo = this.repositories.get(repository);
    if (!repo) return { kind: 'repository-missing' };
    const image = reference.startsWith('sha256:') ? repo.images.get(reference) : [...repo.images.values()].find((i) => i.tags.includes(reference));
    if (!image) return { kind: 'not-found' };
    if (image.status !== 'ACTIVE') return { kind: 'archived' };
    return { kind: 'found', digest: image.digest, mediaType: image.mediaType, body: image.body };
  }

  recordPull(repository: string, digest: string, at: number): void {
    const image = this.repositories.get(repository)?.images.get(digest);
    // ECR refreshes lastRecordedPullTime at most about once a day.
    if (image && (image.lastPulledAt === undefined || at - image.lastPulledAt >= DAY_MS)) image.lastPulledAt = at;
  }

  resolveTag(repository: string, tag: string): string | undefined {
    const found = this.lookup(repository, tag);
    return found.kind === 'found' ? found.digest : undefined;
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────────────────────

  /**
   * `StartLifecyclePolicyPreview` of the current policy: what it would expire or archive now. Like
   * ECR's, the preview lists children an index still references (ECR would then refuse them).
   * `started: false` while one is in progress. It completes after one poll answered IN_PROGRESS:
   * polls are counted, not timed, because the simulated clock may stand still while Lifeboat waits.
   */
  startPreview(repository: string): { started: boolean } {
    const repo = this.repo(repository, 'ecr:StartLifecyclePolicyPreview');
    if (!repo.policy) {
      throw new LifeboatError('AWS_ERROR', `ECR rejected ecr:StartLifecyclePolicyPreview on ${repo.arn} (LifecyclePolicyNotFoundException: no lifecycle policy).`, { retryable: false });
    }
    if (repo.preview && repo.preview.pollsLeft > 0) return { started: false };
    const now = this.scheduler.now();
    const verdicts = evaluateLifecycle(repo.policy.parsed, [...repo.images.values()].map(lifecycleImage), now);
    const results: SimPreview['results'] = [];
    for (const image of repo.images.values()) {
      const hit = verdicts.get(image.digest)?.hit;
      if (!hit || hit.dueAt > now) continue;
      results.push({ digest: image.digest, tags: [...image.tags], pushedAt: image.pushedAt, action: hit.action, rulePriority: hit.rulePriority, storageClass: image.status === 'ACTIVE' ? 'standard' : 'archive' });
    }
    repo.preview = { policyText: repo.policy.text, startedAt: now, pollsLeft: 1, results };
    return { started: true };
  }

  /** `GetLifecyclePolicyPreview`, pages of 100; null when the repository never had a preview. */
  getPreview(repository: string, nextToken?: string): { status: 'IN_PROGRESS' | 'COMPLETE'; policyText: string; results: SimPreview['results']; expiringCount: number; nextToken?: string } | null {
    const preview = this.repo(repository, 'ecr:GetLifecyclePolicyPreview').preview;
    if (!preview) return null;
    if (preview.pollsLeft > 0) {
      preview.pollsLeft--;
      return { status: 'IN_PROGRESS', policyText: preview.policyText, results: [], expiringCount: 0 };
    }
    const start = nextToken === undefined ? 0 : Number(nextToken);
    const page = preview.results.slice(start, start + 100);
    const out: { status: 'COMPLETE'; policyText: string; results: SimPreview['results']; expiringCount: number; nextToken?: string } = {
      status: 'COMPLETE',
      policyText: preview.policyText,
      results: page,
      expiringCount: preview.results.filter((r) => r.action === 'expire').length,
    };
    if (start + 100 < preview.results.length) out.nextToken = String(start + 100);
    return out;
  }

  /** Run the repository's lifecycle policy now (the daily run calls this). */
  runLifecycle(repository: string): LifecycleRun {
    const repo = this.repo(repository, 'ecr:StartLifecyclePolicyPreview');
    const now = this.scheduler.now();
    const run: LifecycleRun = { repository, at: now, expired: [], archived: [], refused: [] };
    if (!repo.policy) return run;
    repo.lastEvaluatedAt = now;
    const images = [...repo.images.values()];
    const verdicts = evaluateLifecycle(repo.policy.parsed, images.map(lifecycleImage), now);
    const acted: { image: SimEcrImage; rule: number; action: 'expire' | 'transition' }[] = [];
    const failures: { image: SimEcrImage; rule: number; indexes: string[] }[] = [];
    for (const image of images) {
      const hit = verdicts.get(image.digest)?.hit;
      if (!hit || hit.dueAt > now) continue;
      if (hit.blockedByIndexes && hit.blockedByIndexes.length > 0) {
        failures.push({ image, rule: hit.rulePriority, indexes: [...hit.blockedByIndexes] });
        continue;
      }
      acted.push({ image, rule: hit.rulePriority, action: hit.action });
    }
    for (const { image, action } of acted) {
      if (action === 'expire') {
        repo.images.delete(image.digest);
        run.expired.push(image.digest);
      } else {
        image.status = 'ARCHIVED';
        image.lastArchivedAt = now;
        run.archived.push(image.digest);
      }
    }
    run.refused = failures.map((f) => ({ digest: f.image.digest, indexes: f.indexes }));
    this.lifecycleRuns.push(run);
    this.policyExecutionEvents(repo, acted, failures);
    return run;
  }

  private scheduleLifecycle(repo: SimRepository): void {
    const now = this.scheduler.now();
    const midnight = Math.floor(now / DAY_MS) * DAY_MS;
    let first = midnight + repo.lifecycleRunOffsetMs;
    if (first <= now) first += DAY_MS;
    this.scheduler.every(DAY_MS, `ecr lifecycle ${repo.name}`, () => {
      if (this.repositories.get(repo.name) === repo && repo.policy) this.runLifecycle(repo.name);
    }, first);
  }

  private policyExecutionEvents(
    repo: SimRepository,
    acted: { image: SimEcrImage; rule: number; action: 'expire' | 'transition' }[],
    failures: { image: SimEcrImage; rule: number; indexes: string[] }[],
  ): void {
    if (!repo.policy || (acted.length === 0 && failures.length === 0)) return;
    const policy = {
      lifecycleEventRules: repo.policy.parsed.rules.map(cloudTrailRule),
      lastEvaluatedAt: 0,
      policyVersion: repo.policy.version,
      policyId: repo.policy.id,
    };
    const image = (i: SimEcrImage) => ({ digest: i.digest, tagStatus: i.tags.length > 0 ? 'Tagged' : 'Untagged', tagList: i.tags.slice(0, 100), pushedAt: i.pushedAt });
    const chunks: { actions: typeof acted; failures: typeof failures }[] = [];
    for (let i = 0; i < acted.length; i += IMAGES_PER_POLICY_EVENT) chunks.push({ actions: acted.slice(i, i + IMAGES_PER_POLICY_EVENT), failures: [] });
    for (let i = 0; i < failures.length; i += IMAGES_PER_POLICY_EVENT) chunks.push({ actions: [], failures: failures.slice(i, i + IMAGES_PER_POLICY_EVENT) });
    for (const chunk of chunks) {
      const details: Record<string, unknown> = {
        repositoryName: repo.name,
        lifecycleEventPolicy: policy,
        lifecycleEventImageActions: chunk.actions.map((a) => ({ lifecycleEventImage: image(a.image), rulePriority: a.rule })),
      };
      if (chunk.failures.length > 0) {
        details.lifecycleEventFailureDetails = chunk.failures.map((f) => ({
          lifecycleEventImage: image(f.image),
          rulePriority: f.rule,
          failureCode: 'ImageReferencedByManifestList',
          failureReason: `Requested image referenced by manifest list: [${f.indexes.join(', ')}]`,
        }));
      }
      const now = this.scheduler.now();
      const record: Record<string, unknown> = {
        eventVersion: '1.05',
        userIdentity: { accountId: DRILL_ACCOUNT, invokedBy: 'AWS Internal' },
        eventTime: isoSeconds(now),
        eventSource: 'ecr.amazonaws.com',
        eventName: 'PolicyExecutionEvent',
        awsRegion: this.region,
        sourceIPAddress: 'AWS Internal',
        userAgent: 'AWS Internal',
        requestParameters: null,
        responseElements: null,
        eventID: this.ids.uuid(),
        readOnly: true,
        resources: [{ ARN: repo.arn, accountId: DRILL_ACCOUNT, type: 'AWS::ECR::Repository' }],
        eventType: 'AwsServiceEvent',
        recipientAccountId: DRILL_ACCOUNT,
        serviceEventDetails: details,
      };
      this.events.eventBridge('aws.ecr', 'AWS Service Event via CloudTrail', [], record, { region: this.region });
    }
    for (const { image: archived, action } of acted) {
      if (action === 'transition') this.imageAction('UPDATE_STORAGE_CLASS', repo.name, archived.digest, archived.tags[0], { 'target-storage-class': 'ARCHIVE' });
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  /** The repository, or `AWS_NOT_FOUND` worded like the SDK adapter's. */
  repo(repository: string, action: string): SimRepository {
    const repo = this.repositories.get(repository);
    if (!repo) throw repositoryNotFound(repository, this.region, action);
    return repo;
  }

  private image(repository: string, digest: string): SimEcrImage {
    const image = this.repo(repository, 'ecr:DescribeImages').images.get(digest);
    if (!image) throw new LifeboatError('AWS_NOT_FOUND', `Image ${digest} in repository ${repository} does not exist.`);
    return image;
  }

  private store(repo: SimRepository, m: SimManifest, tags: string[], at: number): void {
    const existing = repo.images.get(m.digest);
    if (existing) {
      for (const t of tags) if (!existing.tags.includes(t)) existing.tags.push(t);
      return;
    }
    const stored: SimEcrImage = { digest: m.digest, tags, pushedAt: at, status: 'ACTIVE', mediaType: m.mediaType, body: m.body, size: m.size };
    if (m.childDigests) stored.childDigests = [...m.childDigests];
    if (m.config) stored.config = { ...m.config };
    if (m.artifactMediaType !== undefined) stored.artifactMediaType = m.artifactMediaType;
    if (m.subjectDigest !== undefined) stored.subjectDigest = m.subjectDigest;
    repo.images.set(m.digest, stored);
  }

  private untag(repo: SimRepository, tag: string): void {
    for (const image of repo.images.values()) image.tags = image.tags.filter((t) => t !== tag);
  }

  private referencingIndexes(repo: SimRepository, digest: string): string[] {
    return [...repo.images.values()].filter((i) => i.childDigests?.includes(digest)).map((i) => i.digest);
  }

  private imageAction(actionType: string, repository: string, digest: string, tag: string | undefined, extra: Record<string, string> = {}): void {
    const detail: Record<string, unknown> = { result: 'SUCCESS', 'repository-name': repository, 'image-digest': digest, 'action-type': actionType, ...extra };
    if (tag !== undefined) detail['image-tag'] = tag;
    this.events.eventBridge('aws.ecr', 'ECR Image Action', [], detail, { region: this.region });
  }
}

/** `AWS_NOT_FOUND` for a repository of the drill account's registry in `region`, worded like the SDK adapter's. */
export function repositoryNotFound(repository: string, region: string, action: string): LifeboatError {
  return new LifeboatError('AWS_NOT_FOUND', `Repository ${repository} in registry ${DRILL_ACCOUNT} (${region}) does not exist.`, {
    cause: new Error(`RepositoryNotFoundException (${action}): The repository with name '${repository}' does not exist in the registry with id '${DRILL_ACCOUNT}'`),
  });
}

/** The content of a stored image (what a copy or replication carries). */
export function manifestOf(image: SimEcrImage): SimManifest {
  const m: SimManifest = { digest: image.digest, mediaType: image.mediaType, body: image.body, size: image.size };
  if (image.childDigests) m.childDigests = [...image.childDigests];
  if (image.config) m.config = { ...image.config };
  if (image.artifactMediaType !== undefined) m.artifactMediaType = image.artifactMediaType;
  if (image.subjectDigest !== undefined) m.subjectDigest = image.subjectDigest;
  return m;
}

function simManifest(m: BuiltManifest): SimManifest {
  const out: SimManifest = { digest: m.digest, mediaType: m.mediaType, body: m.body, size: m.size };
  if (m.children) out.childDigests = m.children;
  if (m.config) out.config = m.config;
  if (m.role === 'attestation') {
    out.artifactMediaType = 'application/vnd.in-toto+json';
    if (m.subject !== undefined) out.subjectDigest = m.subject;
  }
  return out;
}

/** The blobs (config and layers, with sizes) an image manifest references; none for an index. */
export function manifestBlobs(body: string): { digest: string; size: number }[] {
  const parsed = JSON.parse(body) as { config?: { digest?: unknown; size?: unknown }; layers?: { digest?: unknown; size?: unknown }[] };
  const blobs: { digest: string; size: number }[] = [];
  for (const b of [parsed.config, ...(parsed.layers ?? [])]) {
    if (b && typeof b.digest === 'string') blobs.push({ digest: b.digest, size: typeof b.size === 'number' ? b.size : 0 });
  }
  return blobs;
}

/** The evaluator's view of a stored image. */
export function lifecycleImage(image: SimEcrImage): LifecycleImage {
  const out: LifecycleImage = {
    digest: image.digest,
    tags: image.tags,
    pushedAt: image.pushedAt,
    storageClass: image.status === 'ACTIVE' ? 'standard' : 'archive',
  };
  if (image.lastPulledAt !== undefined) out.lastPulledAt = image.lastPulledAt;
  if (image.lastArchivedAt !== undefined) out.lastArchivedAt = image.lastArchivedAt;
  if (image.lastActivatedAt !== undefined) out.lastActivatedAt = image.lastActivatedAt;
  if (image.childDigests && isIndexMediaType(image.mediaType)) out.childDigests = image.childDigests;
  return out;
}

/** A rule as CloudTrail's `lifecycleEventRules[]` spells it (title-case values). */
function cloudTrailRule(rule: LifecycleRule): Record<string, unknown> {
  const countType = {
    imageCountMoreThan: 'Image count more than',
    sinceImagePushed: 'Since image pushed',
    sinceImagePulled: 'Since image pulled',
    sinceImageTransitioned: 'Since image transitioned',
  }[rule.count.type];
  const selection: Record<string, unknown> = {
    tagStatus: rule.tagStatus.charAt(0).toUpperCase() + rule.tagStatus.slice(1),
    tagPrefixList: rule.tagPrefixList ?? [],
    countType,
    countNumber: rule.count.type === 'imageCountMoreThan' ? rule.count.number : rule.count.days,
  };
  if (rule.tagPatternList) selection.tagPatternList = rule.tagPatternList;
  if (rule.count.type !== 'imageCountMoreThan') selection.countUnit = 'days';
  const out: Record<string, unknown> = { rulePriority: rule.priority, lifecycleEventSelection: selection, action: rule.action };
  if (rule.description !== undefined) out.description = rule.description;
  return out;
}
