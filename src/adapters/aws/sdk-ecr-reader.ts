/**
 * `EcrReader` on the AWS SDK v3 ECR client (one client per Region, passed in).
 *
 * `DescribeImages` with `imageIds` does not answer per id the way `BatchGetImage` does: when any id
 * is missing the whole call fails with `ImageNotFoundException` naming one id
 * ("The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the
 * repository …"). The port promises a per-id answer, so this adapter records that id as
 * `ImageNotFound` and asks again for the rest — or, if the message cannot be read, splits the
 * batch in halves. A healthy batch stays one call; each missing id costs one more.
 *
 * The lifecycle preview (`StartLifecyclePolicyPreview` / `GetLifecyclePolicyPreview`) previews the
 * repository's current policy; "a preview is already running" and "there is no preview" are
 * answers (`started: false`, `null`), not failures.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  StartLifecyclePolicyPreviewCommand,
  type ECRClient,
  type ImageDetail,
  type LifecyclePolicyPreviewResult,
} from '@aws-sdk/client-ecr';
import { ACCEPTED_MANIFEST_TYPES } from '../../images/oci-index.js';
import { partitionOf } from '../../images/image-reference.js';
import type { EcrImage, EcrImageFailure, EcrImageId, EcrManifest, EcrReader, LifecyclePreviewPage, LifecyclePreviewResult as PreviewResult, Page } from '../../images/ports.js';
import type { AwsCallContext } from './errors.js';
import { awsCall, toEpochMs } from './sdk-call.js';

/** Options of `SdkEcrReader`. */
export interface SdkEcrReaderOptions {
  /** The client's Region: names repository ARNs in error messages. */
  region: string;
}

/** The most DescribeImages returns a page when listing. */
const LIST_PAGE = 1000;
/** The most GetLifecyclePolicyPreview returns a page. */
const PREVIEW_PAGE = 100;
const MISSING_ID = /imageDigest:'([^']*)',\s*imageTag:'([^']*)'/;

/** `EcrReader` on `ECRClient`; failures leave as `LifeboatError`. */
export class SdkEcrReader implements EcrReader {
  /**
   * Whether DescribeImages by id takes the `imageStatus` filter. ECR documents the filter without
   * saying whether it combines with `imageIds`; if ECR ever refuses the pair, drop the filter
   * rather than every lookup (archived images then read as gone, the pre-archive behaviour).
   */
  private statusFilterWithIds = true;

  constructor(
    private readonly client: ECRClient,
    private readonly options: SdkEcrReaderOptions,
  ) {}

  async describeImages(registryId: string, repository: string, ids: readonly EcrImageId[]): Promise<{ images: EcrImage[]; failures: EcrImageFailure[] }> {
    const images = new Map<string, EcrImage>();
    const failures: EcrImageFailure[] = [];
    let pending = [...ids];
    const ctx = this.ctx('ecr:DescribeImages', registryId, repository);
    // Each round either answers everything pending or removes at least one missing id.
    while (pending.length > 0) {
      try {
        const withFilter = this.statusFilterWithIds;
        const out = await awsCall(ctx, () =>
          // ECR answers ACTIVE images only unless asked: an archived pinned digest must read as archived, not gone.
          this.client.send(new DescribeImagesCommand({ registryId, repositoryName: repository, imageIds: pending.map(toSdkId), ...(withFilter ? { filter: { imageStatus: 'ANY' as const } } : {}) })),
        ).catch((err: unknown) => {
          // Only a refusal of the filter itself turns it off: any other bad parameter is a real error.
          if (!withFilter || causeName(err) !== 'InvalidParameterException' || !/filter/i.test(causeMessage(err))) throw err;
          this.statusFilterWithIds = false;
          return undefined;
        });
        if (out === undefined) continue;
        for (const detail of out.imageDetails ?? []) {
          const image = toImage(detail, registryId, repository);
          if (image) images.set(image.digest, image);
        }
        for (const id of pending) {
          const found = [...images.values()].some((i) => (id.digest !== undefined ? i.digest === id.digest : i.tags.includes(id.tag)));
          if (!found) failures.push({ id, code: 'ImageNotFound', reason: 'not in the DescribeImages answer' });
        }
        pending = [];
      } catch (err) {
        if (!isImageNotFound(err)) throw err;
        const missing = missingIdOf(err, pending);
        if (missing) {
          failures.push({ id: missing, code: 'ImageNotFound', reason: 'Requested image not found' });
          pending = pending.filter((id) => id !== missing);
        } else if (pending.length === 1) {
          failures.push({ id: pending[0]!, code: 'ImageNotFound', reason: 'Requested image not found' });
          pending = [];
        } else {
          const half = Math.ceil(pending.length / 2);
          const [a, b] = await Promise.all([
            this.describeImages(registryId, repository, pending.slice(0, half)),
            this.describeImages(registryId, repository, pending.slice(half)),
          ]);
          for (const i of [...a.images, ...b.images]) images.set(i.digest, i);
          failures.push(...a.failures, ...b.failures);
          pending = [];
        }
      }
    }
    return { images: [...images.values()], failures };
  }

  async listImages(registryId: string, repository: string, nextToken?: string): Promise<Page<EcrImage>> {
    const out = await awsCall(this.ctx('ecr:DescribeImages', registryId, repository), () =>
      this.client.send(
        // Without the filter ECR lists ACTIVE images only; archived ones matter here.
        new DescribeImagesCommand({ registryId, repositoryName: repository, maxResults: LIST_PAGE, nextToken, filter: { imageStatus: 'ANY' } }),
      ),
    );
    const items = (out.imageDetails ?? []).flatMap((d) => {
      const image = toImage(d, registryId, repository);
      return image ? [image] : [];
    });
    return out.nextToken ? { items, nextToken: out.nextToken } : { items };
  }

  async getManifests(registryId: string, repository: string, digests: readonly string[]): Promise<{ manifests: EcrManifest[]; failures: EcrImageFailure[] }> {
    const out = await awsCall(this.ctx('ecr:BatchGetImage', registryId, repository), () =>
      this.client.send(
        new BatchGetImageCommand({
          registryId,
          repositoryName: repository,
          imageIds: digests.map((imageDigest) => ({ imageDigest })),
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
        }),
      ),
    );
    const manifests = (out.images ?? []).flatMap((i) => {
      const digest = i.imageId?.imageDigest;
      if (digest === undefined || i.imageManifest === undefined) return [];
      const manifest: EcrManifest = { digest, body: i.imageManifest };
      if (i.imageManifestMediaType !== undefined) manifest.mediaType = i.imageManifestMediaType;
      return [manifest];
    });
    const failures = (out.failures ?? []).flatMap((f): EcrImageFailure[] => {
      const id = f.imageId?.imageDigest !== undefined ? { digest: f.imageId.imageDigest } : f.imageId?.imageTag !== undefined ? { tag: f.imageId.imageTag } : undefined;
      if (!id) return [];
      const failure: EcrImageFailure = { id, code: f.failureCode ?? 'Unknown' };
      if (f.failureReason !== undefined) failure.reason = f.failureReason;
      return [failure];
    });
    return { manifests, failures };
  }

  async getLifecyclePolicy(registryId: string, repository: string): Promise<{ text: string; lastEvaluatedAt?: number } | null> {
    try {
      const out = await awsCall(this.ctx('ecr:GetLifecyclePolicy', registryId, repository), () =>
        this.client.send(new GetLifecyclePolicyCommand({ registryId, repositoryName: repository })),
      );
      if (out.lifecyclePolicyText === undefined) return null;
      return out.lastEvaluatedAt !== undefined ? { text: out.lifecyclePolicyText, lastEvaluatedAt: toEpochMs(out.lastEvaluatedAt) } : { text: out.lifecyclePolicyText };
    } catch (err) {
      // "No policy" is an answer, not a failure.
      if (causeName(err) === 'LifecyclePolicyNotFoundException') return null;
      throw err;
    }
  }

  async startLifecyclePolicyPreview(registryId: string, repository: string): Promise<{ started: boolean }> {
    try {
      // Without a policy text ECR previews the repository's current policy: the one Lifeboat evaluated.
      await awsCall(this.ctx('ecr:StartLifecyclePolicyPreview', registryId, repository), () =>
        this.client.send(new StartLifecyclePolicyPreviewCommand({ registryId, repositoryName: repository })),
      );
      return { started: true };
    } catch (err) {
      if (causeName(err) === 'LifecyclePolicyPreviewInProgressException') return { started: false };
      throw err;
    }
  }

  async getLifecyclePolicyPreview(registryId: string, repository: string, nextToken?: string): Promise<LifecyclePreviewPage | null> {
    try {
      const out = await awsCall(this.ctx('ecr:GetLifecyclePolicyPreview', registryId, repository), () =>
        this.client.send(new GetLifecyclePolicyPreviewCommand({ registryId, repositoryName: repository, maxResults: PREVIEW_PAGE, nextToken })),
      );
      const page: LifecyclePreviewPage = {
        status: out.status ?? 'IN_PROGRESS',
        results: (out.previewResults ?? []).flatMap(toPreviewResult),
      };
      if (out.lifecyclePolicyText !== undefined) page.policyText = out.lifecyclePolicyText;
      if (out.summary?.expiringImageTotalCount !== undefined) page.expiringCount = out.summary.expiringImageTotalCount;
      if (out.nextToken) page.nextToken = out.nextToken;
      return page;
    } catch (err) {
      if (causeName(err) === 'LifecyclePolicyPreviewNotFoundException') return null;
      throw err;
    }
  }

  private ctx(action: string, registryId: string, repository: string): AwsCallContext {
    const region = this.options.region;
    return {
      action,
      resource: `arn:${partitionOf(region)}:ecr:${region}:${registryId}:repository/${repository}`,
      notFound: `repository ${repository} in registry ${registryId} (${region})`,
    };
  }
}

function toPreviewResult(r: LifecyclePolicyPreviewResult): PreviewResult[] {
  if (r.imageDigest === undefined) return [];
  const result: PreviewResult = {
    digest: r.imageDigest,
    tags: r.imageTags ?? [],
    action: r.action?.type === 'TRANSITION' ? 'transition' : 'expire',
  };
  if (r.imagePushedAt !== undefined) result.pushedAt = toEpochMs(r.imagePushedAt);
  if (r.appliedRulePriority !== undefined) result.rulePriority = r.appliedRulePriority;
  if (r.storageClass !== undefined) result.storageClass = r.storageClass === 'ARCHIVE' ? 'archive' : 'standard';
  return [result];
}

function toSdkId(id: EcrImageId): { imageDigest: string } | { imageTag: string } {
  return id.digest !== undefined ? { imageDigest: id.digest } : { imageTag: id.tag };
}

function toImage(d: ImageDetail, registryId: string, repository: string): EcrImage | undefined {
  if (d.imageDigest === undefined) return undefined;
  const image: EcrImage = {
    registryId: d.registryId ?? registryId,
    repository: d.repositoryName ?? repository,
    digest: d.imageDigest,
    tags: d.imageTags ?? [],
    status: d.imageStatus ?? 'ACTIVE',
  };
  if (d.imagePushedAt !== undefined) image.pushedAt = toEpochMs(d.imagePushedAt);
  if (d.lastRecordedPullTime !== undefined) image.lastPulledAt = toEpochMs(d.lastRecordedPullTime);
  if (d.lastArchivedAt !== undefined) image.lastArchivedAt = toEpochMs(d.lastArchivedAt);
  if (d.lastActivatedAt !== undefined) image.lastActivatedAt = toEpochMs(d.lastActivatedAt);
  if (d.imageManifestMediaType !== undefined) image.mediaType = d.imageManifestMediaType;
  if (d.artifactMediaType !== undefined) image.artifactMediaType = d.artifactMediaType;
  if (d.subjectManifestDigest !== undefined) image.subjectDigest = d.subjectManifestDigest;
  return image;
}

function isImageNotFound(err: unknown): boolean {
  return causeName(err) === 'ImageNotFoundException';
}

/** The SDK error's own message behind a mapped LifeboatError. */
function causeMessage(err: unknown): string {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  return cause instanceof Error ? cause.message : '';
}

/** The SDK error behind a mapped LifeboatError (awsCall keeps it as `cause`). */
function causeName(err: unknown): string | undefined {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  return typeof cause === 'object' && cause !== null && 'name' in cause && typeof cause.name === 'string' ? cause.name : undefined;
}

function missingIdOf(err: unknown, pending: readonly EcrImageId[]): EcrImageId | undefined {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  const message = cause instanceof Error ? cause.message : '';
  const match = MISSING_ID.exec(message);
  if (!match) return undefined;
  const [, digest, tag] = match;
  return pending.find((id) => (digest && digest !== 'null' ? id.digest === digest : tag && tag !== 'null' ? id.tag === tag : false));
}
