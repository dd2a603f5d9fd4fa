/**
 * `EcrRestoreOps` over the simulated ECR registries of the drill account: archive restores
 * (`UpdateImageStorageClass` to STANDARD), the registry's replication rules (`DescribeRegistry`)
 * and exact-digest copies between repositories and Regions, with the contract of the SDK adapter
 * (src/recovery/ports.ts): the manifest bytes are put unchanged, so the digest stays the same; an
 * index is refused until its children are in the target; copying what the target already holds
 * puts nothing (`manifestPut: false`).
 *
 * These are recovery calls: a denied one (`deny: ['ecr:PutImage']`) names the recovery IAM policy,
 * as `opsCall` in the AWS adapters does. Only the drill account's registries exist; another
 * registry is denied, a Region the drill has no registry in has no repositories.
 */
import { LifeboatError } from '../../core/errors.js';
import type { CopyResult, EcrLocation, EcrRestoreOps, ReplicationDestination } from '../../recovery/ports.js';
import { manifestBlobs, manifestOf, repositoryNotFound, type DrillEcr } from './ecr.js';
import { DRILL_ACCOUNT } from './ids.js';
import type { AccountSource, DrillPortOptions } from './ports.js';

/** The drill's `EcrRestoreOps`. */
export class DrillEcrRestoreOps implements EcrRestoreOps {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  restoreFromArchive(at: EcrLocation, digest: string): Promise<{ status: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' }> {
    return attempt(() => {
      const ecr = this.registry(at, 'ecr:UpdateImageStorageClass');
      const image = ecr.repo(at.repository, 'ecr:UpdateImageStorageClass').images.get(digest);
      if (!image) throw imageNotFound(at, digest);
      // ARCHIVED starts ACTIVATING; ACTIVATING and ACTIVE are left as they are (a retry is harmless).
      ecr.restore(at.repository, digest);
      return { status: image.status };
    });
  }

  replicationDestinations(registryId: string, region: string): Promise<ReplicationDestination[]> {
    return attempt(() => {
      const arn = `arn:aws:ecr:${region}:${registryId}:registry`;
      if (registryId !== DRILL_ACCOUNT) throw notAllowed('ecr:DescribeRegistry', arn);
      this.deny('ecr:DescribeRegistry', arn);
      const ecr = this.account().ecrIn(region);
      return (ecr?.replicationRules ?? []).flatMap((rule) =>
        rule.destinations.map((d) => ({ region: d.region, registryId: d.registryId, repositoryPrefixes: [...rule.repositoryPrefixes] })),
      );
    });
  }

  copyImage(from: EcrLocation, to: EcrLocation, digest: string, options: { tag?: string; signal?: AbortSignal } = {}): Promise<CopyResult> {
    return attempt(() => {
      // The simulation answers in one step: an abort can only come before it.
      options.signal?.throwIfAborted();
      // BatchGetImage in the source: the exact manifest bytes.
      const source = this.registry(from, 'ecr:BatchGetImage');
      const image = source.repo(from.repository, 'ecr:BatchGetImage').images.get(digest);
      if (!image) throw imageNotFound(from, digest);
      if (image.status !== 'ACTIVE') {
        throw new LifeboatError('AWS_NOT_FOUND', `Image ${digest} in repository ${from.repository} (${from.region}) is ${image.status.toLowerCase()}: it cannot be copied until it is restored there.`);
      }
      const target = this.registry(to, 'ecr:PutImage', { checkDeny: false });
      const result: CopyResult = { blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, manifestPut: false };
      // An index has no blobs of its own: only its manifest is put (its children were copied first).
      const blobs = manifestBlobs(image.body);
      if (blobs.length > 0) this.deny('ecr:BatchCheckLayerAvailability', repositoryArn(to));
      const present = blobs.length > 0 ? target.blobDigests(to.repository) : new Set<string>();
      const missing = blobs.filter((b) => {
        if (present.has(b.digest)) {
          result.blobsPresent++;
          return false;
        }
        return true;
      });
      if (missing.length > 0) {
        this.deny('ecr:GetDownloadUrlForLayer', repositoryArn(from));
        for (const action of ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload']) this.deny(action, repositoryArn(to));
        result.blobsCopied = missing.length;
        result.bytesCopied = missing.reduce((n, b) => n + b.size, 0);
      }
      this.deny('ecr:PutImage', repositoryArn(to));
      const put = target.putImage(to.repository, manifestOf(image), options.tag !== undefined ? { tag: options.tag } : {});
      result.manifestPut = put.put;
      return result;
    });
  }

  /** The registry of `at` (the drill account's, in its Region), after the IAM check of `action` unless told. */
  private registry(at: EcrLocation, action: string, options: { checkDeny?: boolean } = {}): DrillEcr {
    const arn = repositoryArn(at);
    if (at.registryId !== DRILL_ACCOUNT) throw notAllowed(action, arn);
    if (options.checkDeny !== false) this.deny(action, arn);
    const ecr = this.account().ecrIn(at.region);
    if (!ecr) throw repositoryNotFound(at.repository, at.region, action);
    return ecr;
  }

  private deny(action: string, resource: string): void {
    if (this.options.deny?.includes(action)) {
      throw notAllowed(action, resource, new Error(`AccessDeniedException: User is not authorized to perform: ${action} on resource: ${resource}`));
    }
  }
}

function repositoryArn(at: EcrLocation): string {
  return `arn:aws:ecr:${at.region}:${at.registryId}:repository/${at.repository}`;
}

/** Worded like `mapOpsError`: these calls are in the recovery policy, not the read-only one. */
function notAllowed(action: string, resource: string, cause?: Error): LifeboatError {
  return new LifeboatError(
    'AWS_ACCESS_DENIED',
    `Lifeboat is not allowed ${action} on ${resource}; add it to Lifeboat's recovery IAM policy (deploy/iam; every action is listed in RECOVERY_IAM_ACTIONS).`,
    cause ? { cause } : {},
  );
}

function imageNotFound(at: EcrLocation, digest: string): LifeboatError {
  return new LifeboatError('AWS_NOT_FOUND', `Image ${digest} in repository ${at.repository} (${at.region}) does not exist.`, {
    cause: new Error(`ImageNotFoundException: The image with imageId {imageDigest:'${digest}'} does not exist within the repository with name '${at.repository}' in the registry with id '${at.registryId}'`),
  });
}

/** Run synchronously against the simulation, answering like an async SDK call (errors as rejections). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
