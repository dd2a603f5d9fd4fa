/**
 * The ports the image module needs from the outside world, owned here and named by role.
 * Adapters (`adapters/aws`, `adapters/registry`) implement them; tests use fakes.
 *
 * Contract shared by the AWS ports: a failure of the whole call is thrown as a `LifeboatError`
 * (`AWS_ACCESS_DENIED` naming the IAM action, `AWS_THROTTLED`, `AWS_NOT_FOUND` naming the
 * resource, `AWS_ERROR`); per-item outcomes are returned, never thrown. Times are epoch ms.
 */

// ── ECS ─────────────────────────────────────────────────────────────────────────────────────

/** A deployment of a service (ECS rolling-update controller). */
export interface EcsDeployment {
  id: string;
  /** PRIMARY | ACTIVE | INACTIVE. */
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  rolloutState?: string;
  createdAt?: number;
}

/** A service revision the service currently runs or requests tasks of. */
export interface EcsCurrentRevision {
  arn: string;
  requestedTaskCount: number;
  runningTaskCount: number;
  pendingTaskCount: number;
}

/** A service as `DescribeServices` reports it. */
export interface EcsService {
  arn: string;
  name: string;
  clusterArn: string;
  /** ACTIVE | DRAINING | INACTIVE. */
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition?: string;
  deployments: EcsDeployment[];
  currentRevisions: EcsCurrentRevision[];
}

/** A service revision as `DescribeServiceRevisions` reports it. */
export interface EcsServiceRevision {
  arn: string;
  serviceArn?: string;
  taskDefinition: string;
  createdAt?: number;
  /** The digests ECS resolved each container's image to (DOMAIN fact 1). */
  containerImages: { containerName: string; image?: string; imageDigest?: string }[];
}

/** The parts of a container definition image checks need. */
export interface EcsContainerDefinition {
  name: string;
  image: string;
  /** `disabled` turns digest pinning off for this container: the tag is then what tasks pull. */
  versionConsistency?: 'enabled' | 'disabled';
  essential?: boolean;
}

/** The parts of a task definition image checks need (immutable: cache by ARN). */
export interface EcsTaskDefinition {
  arn: string;
  family?: string;
  revision?: number;
  containers: EcsContainerDefinition[];
  runtimePlatform?: { cpuArchitecture?: string; operatingSystemFamily?: string };
}

/** Per-item failure of a batch describe (`reason` e.g. `MISSING`). */
export interface EcsFailure {
  arn?: string;
  reason?: string;
  detail?: string;
}

/** One page of a listing; `nextToken` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Read-only ECS access for one account and Region. Listings are one page per call, so every
 * page goes through the scan's token bucket and is counted.
 */
export interface EcsReader {
  /** One page of cluster ARNs (100 a page). */
  listClusters(nextToken?: string): Promise<Page<string>>;
  /** One page of a cluster's service ARNs (100 a page; the API's default is 10). */
  listServices(cluster: string, nextToken?: string): Promise<Page<string>>;
  /** At most 10 services a call. */
  describeServices(cluster: string, services: readonly string[]): Promise<{ services: EcsService[]; failures: EcsFailure[] }>;
  /** At most 20 revision ARNs a call. */
  describeServiceRevisions(arns: readonly string[]): Promise<{ revisions: EcsServiceRevision[]; failures: EcsFailure[] }>;
  describeTaskDefinition(arn: string): Promise<EcsTaskDefinition>;
}

// ── ECR ─────────────────────────────────────────────────────────────────────────────────────

/** An image id: a digest or a tag (never both — Lifeboat compares tag and digest itself). */
export type EcrImageId = { digest: string; tag?: undefined } | { tag: string; digest?: undefined };

/** An image as `DescribeImages` reports it. */
export interface EcrImage {
  registryId: string;
  repository: string;
  digest: string;
  tags: string[];
  pushedAt?: number;
  lastPulledAt?: number;
  /** ACTIVE | ARCHIVED | ACTIVATING (absent from older responses: ACTIVE). */
  status: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
  lastArchivedAt?: number;
  lastActivatedAt?: number;
  mediaType?: string;
  artifactMediaType?: string;
  /** Set for referrers (signatures, SBOMs). */
  subjectDigest?: string;
}

/**
 * A per-image failure, with ECR's codes: `ImageNotFound`, `ImageTagDoesNotMatchDigest`,
 * `InvalidImageDigest`, `KmsError`, `UpstreamAccessDenied`, … Only `ImageNotFound` means absent.
 */
export interface EcrImageFailure {
  id: EcrImageId;
  code: string;
  reason?: string;
}

/** A manifest as `BatchGetImage` returns it. */
export interface EcrManifest {
  digest: string;
  mediaType?: string;
  body: string;
}

/** One image ECR's lifecycle preview would act on. */
export interface LifecyclePreviewResult {
  digest: string;
  tags: string[];
  pushedAt?: number;
  /** What the preview says the policy does to the image now. */
  action: 'expire' | 'transition';
  rulePriority?: number;
  /** The image's storage class when the preview ran. */
  storageClass?: 'standard' | 'archive';
}

/** One page of `GetLifecyclePolicyPreview`; results come only once the status is `COMPLETE`. */
export interface LifecyclePreviewPage {
  status: 'IN_PROGRESS' | 'COMPLETE' | 'EXPIRED' | 'FAILED';
  /** The policy text the preview evaluated (a preview someone else started may use another). */
  policyText?: string;
  results: LifecyclePreviewResult[];
  /** `summary.expiringImageTotalCount`. */
  expiringCount?: number;
  nextToken?: string;
}

/** Read-only ECR access for one Region (any registry id the credentials may read). */
export interface EcrReader {
  /**
   * Look up at most 100 ids in one repository. Every id comes back either as an image (matched
   * by digest, or by tag among `tags`) or as a failure. Throws `AWS_NOT_FOUND` only when the
   * repository itself does not exist.
   */
  describeImages(registryId: string, repository: string, ids: readonly EcrImageId[]): Promise<{ images: EcrImage[]; failures: EcrImageFailure[] }>;
  /** One page (1,000 a page) of every image of the repository, archived ones included. */
  listImages(registryId: string, repository: string, nextToken?: string): Promise<Page<EcrImage>>;
  /** Manifests of at most 100 digests (BatchGetImage); used only for index children. */
  getManifests(registryId: string, repository: string, digests: readonly string[]): Promise<{ manifests: EcrManifest[]; failures: EcrImageFailure[] }>;
  /** The repository's lifecycle policy text, or null when it has none. */
  getLifecyclePolicy(registryId: string, repository: string): Promise<{ text: string; lastEvaluatedAt?: number } | null>;
  /**
   * Start ECR's dry run of the repository's current lifecycle policy (`StartLifecyclePolicyPreview`).
   * `started: false` when a preview is already running (ECR allows one at a time): poll that one.
   * Optional: readers without it skip the cross-check.
   */
  startLifecyclePolicyPreview?(registryId: string, repository: string): Promise<{ started: boolean }>;
  /** One page (100 results) of the latest preview; null when the repository has none. */
  getLifecyclePolicyPreview?(registryId: string, repository: string, nextToken?: string): Promise<LifecyclePreviewPage | null>;
}

/** One ECR repository of one registry in one Region. */
export interface DigestLocation {
  registryId: string;
  region: string;
  repository: string;
}

/**
 * Where else an exact digest still is, when `missing` no longer has it: a replica Region, a
 * configured other registry or repository (recovery builds it; `restore` copies from there).
 * Answers undefined when no copy is known; never throws for lookups that fail (they are skipped).
 */
export type DigestCopyFinder = (missing: DigestLocation, digest: string, signal?: AbortSignal, read?: BudgetedRead) => Promise<DigestLocation | undefined>;

/** Runs one AWS read under the caller's rate limiter with retries (a throttled read is retried, not "absent"). */
export type BudgetedRead = <T>(action: string, fn: () => Promise<T>) => Promise<T>;

// ── OCI registries ──────────────────────────────────────────────────────────────────────────

/** Where a manifest is: `reference` is a tag or a digest. */
export interface ManifestRef {
  host: string;
  repository: string;
  reference: string;
}

/** What a registry said about a manifest. Registry problems are results, not exceptions. */
export type ManifestLookup =
  | { kind: 'found'; digest?: string; mediaType?: string; body?: string }
  | { kind: 'not-found'; code?: string }
  | { kind: 'denied'; detail: string }
  | { kind: 'rate-limited'; detail: string }
  | { kind: 'error'; detail: string };

/** A repository's tags (`GET /v2/<name>/tags/list`), or why the registry would not list them. */
export type TagListing =
  | { kind: 'tags'; tags: string[]; /** False when Lifeboat stopped following pages. */ complete: boolean }
  | { kind: 'not-found' | 'denied' | 'rate-limited' | 'error'; detail: string };

/** The OCI distribution API, for registries other than private ECR. */
export interface RegistryClient {
  /** `HEAD /v2/<name>/manifests/<reference>`. */
  headManifest(ref: ManifestRef): Promise<ManifestLookup>;
  /** `GET /v2/<name>/manifests/<reference>`, with the body: only for index children. */
  getManifest(ref: ManifestRef): Promise<ManifestLookup>;
  /** Every tag of the repository, following pages. Optional: without it untagged children are not looked for. */
  listTags?(ref: { host: string; repository: string }): Promise<TagListing>;
}

// ── Caches ──────────────────────────────────────────────────────────────────────────────────

/**
 * A cache for immutable things (task definitions by ARN, manifests by digest). Async so a shared
 * store (Redis) can back it; the in-memory one is in `cache.ts`.
 */
export interface ImmutableCache<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T): Promise<void>;
}
