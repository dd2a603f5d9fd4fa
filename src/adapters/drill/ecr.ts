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
 */
import { LifeboatError } from '../../core/errors.js';
import { DAY_MS, evaluateLifecycle, type LifecycleImage } from '../../images/lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy, type LifecycleRule } from '../../images/lifecycle/policy.js';
import { isIndexMediaType } from '../../images/oci-index.js';
import type { EcrImageId } from '../../images/ports.js';
import type { EventLog } from './events.js';
import { DRILL_ACCOUNT, DRILL_ECR_HOST, DRILL_REGION, isoSeconds, repositoryArn, type DrillIds } from './ids.js';
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

/** The simulated registry `000000000000.dkr.ecr.us-east-1.amazonaws.com`. */
export class DrillEcr implements PullSource {
  readonly host = DRILL_ECR_HOST;
  readonly repositories = new Map<string, SimRepository>();
  readonly lifecycleRuns: LifecycleRun[] = [];

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly events: EventLog,
    private readonly ids: DrillIds,
  ) {}

  /** Create a repository; its lifecycle policy (if any) runs daily at `lifecycleRunAt` (UTC `HH:MM`, default 03:17). */
  createRepository(name: string, options: { policy?: string; lifecycleRunAt?: string } = {}): SimRepository {
    const [h = 3, m = 17] = (options.lifecycleRunAt ?? '03:17').split(':').map(Number);
    const repo: SimRepository = {
      name,
      arn: repositoryArn(name),
      uri: `${DRILL_ECR_HOST}/${name}`,
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
    const store = (m: BuiltManifest, tags: string[]) => {
      const existing = repo.images.get(m.digest);
      if (existing) {
        for (const t of tags) if (!existing.tags.includes(t)) existing.tags.push(t);
        return;
      }
      const stored: SimEcrImage = { digest: m.digest, tags, pushedAt: at, status: 'ACTIVE', mediaType: m.mediaType, body: m.body, size: m.size };
      if (m.children) stored.childDigests = m.children;
      if (m.config) stored.config = m.config;
      if (m.role === 'attestation') {
        stored.artifactMediaType = 'application/vnd.in-toto+json';
        if (m.subject !== undefined) stored.subjectDigest = m.subject;
      }
      repo.images.set(m.digest, stored);
    };
    if (options.tag !== undefined) this.untag(repo, options.tag);
    for (const child of image.others) store(child, []);
    store(image.top, options.tag !== undefined ? [options.tag] : []);
    // Pushes in the past (scenario history) happened before Lifeboat was listening: no events.
    if (options.pushedAt === undefined || options.pushedAt >= this.scheduler.now()) {
      for (const m of [...image.others, image.top]) this.imageAction('PUSH', repository, m.digest, m === image.top ? options.tag : undefined);
    }
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

  /** Restore an archived image: ACTIVATING for `restoreMs` (default 20 min), then ACTIVE. */
  restore(repository: string, digest: string, restoreMs = 20 * 60_000): void {
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
      this.events.eventBridge('aws.ecr', 'AWS Service Event via CloudTrail', [], {
        eventVersion: '1.05',
        userIdentity: { accountId: DRILL_ACCOUNT, invokedBy: 'AWS Internal' },
        eventTime: isoSeconds(now),
        eventSource: 'ecr.amazonaws.com',
        eventName: 'PolicyExecutionEvent',
        awsRegion: DRILL_REGION,
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
      });
    }
    for (const { image: archived, action } of acted) {
      if (action === 'transition') this.imageAction('UPDATE_STORAGE_CLASS', repo.name, archived.digest, archived.tags[0], { 'target-storage-class': 'ARCHIVE' });
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  /** The repository, or `AWS_NOT_FOUND` worded like the SDK adapter's. */
  repo(repository: string, action: string): SimRepository {
    const repo = this.repositories.get(repository);
    if (!repo) {
      throw new LifeboatError('AWS_NOT_FOUND', `Repository ${repository} in registry ${DRILL_ACCOUNT} (${DRILL_REGION}) does not exist.`, {
        cause: new Error(`RepositoryNotFoundException (${action}): The repository with name '${repository}' does not exist in the registry with id '${DRILL_ACCOUNT}'`),
      });
    }
    return repo;
  }

  private image(repository: string, digest: string): SimEcrImage {
    const image = this.repo(repository, 'ecr:DescribeImages').images.get(digest);
    if (!image) throw new LifeboatError('AWS_NOT_FOUND', `Image ${digest} in repository ${repository} does not exist.`);
    return image;
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
    this.events.eventBridge('aws.ecr', 'ECR Image Action', [], detail);
  }
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
