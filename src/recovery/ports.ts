/**
 * The ports the recovery commands (`rebuild`, `redeploy`, `scale`) need, owned here and named by
 * role. Adapters in `adapters/aws` implement them on the SDK v3 clients; tests use
 * `aws-sdk-client-mock` under those adapters, or fakes.
 *
 * Contract shared by every port (as in `images/ports.ts`): a failed call is thrown as a
 * `LifeboatError` — `AWS_ACCESS_DENIED` naming the IAM action and resource, `AWS_THROTTLED`,
 * `AWS_NOT_FOUND` naming the missing cluster, service, project, repository or queue, `AWS_ERROR`.
 * Times are epoch milliseconds.
 *
 * Inputs of mutating methods use AWS's own parameter names and shapes, so the plan of a dry run
 * can print exactly what the adapter will send.
 */

// ── ECS ─────────────────────────────────────────────────────────────────────────────────────

/** One deployment of a service as `DescribeServices` reports it (rolling-update controller). */
export interface EcsDeploymentState {
  id: string;
  /** PRIMARY | ACTIVE | INACTIVE. */
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** Consecutive failed task starts (resets once a task runs; corpus ecs/SEMANTICS.md). */
  failedTasks: number;
  /** IN_PROGRESS | COMPLETED | FAILED; absent behind a Classic Load Balancer or other controllers. */
  rolloutState?: string;
  rolloutStateReason?: string;
  createdAt?: number;
  updatedAt?: number;
}

/** A service event (`services[].events[]`): newest first, at most 100, may repeat. */
export interface EcsServiceEvent {
  id: string;
  createdAt?: number;
  message: string;
}

/** What recovery needs to know about a service. */
export interface EcsServiceState {
  arn: string;
  name: string;
  clusterArn: string;
  /** ACTIVE | DRAINING | INACTIVE. */
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition?: string;
  deployments: EcsDeploymentState[];
  events: EcsServiceEvent[];
  /** ECS | CODE_DEPLOY | EXTERNAL (absent = ECS). */
  deploymentController?: string;
  circuitBreaker?: { enable: boolean; rollback: boolean };
}

/** One container of a task. */
export interface EcsTaskContainer {
  name: string;
  image?: string;
  imageDigest?: string;
  lastStatus?: string;
  reason?: string;
  exitCode?: number;
}

/** A task as `DescribeTasks` reports it. */
export interface EcsTaskState {
  arn: string;
  taskDefinitionArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  /** For service tasks: the id of the deployment that started it. */
  startedBy?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: number;
  stoppedAt?: number;
  containers: EcsTaskContainer[];
}

/** `UpdateService` parameters recovery uses (AWS names). */
export interface UpdateServiceInput {
  cluster: string;
  service: string;
  forceNewDeployment?: boolean;
  taskDefinition?: string;
  desiredCount?: number;
}

/** A new task-definition revision: a copy of `taskDefinition` with some containers' images replaced. */
export interface RegisterRevisionInput {
  /** ARN of the revision to copy. */
  taskDefinition: string;
  /** Container name → new image reference (e.g. `…/api@sha256:…`). */
  images: Record<string, string>;
}

/** ECS reads and writes for one account and Region. */
export interface EcsOps {
  /** `DescribeServices` for one service; `AWS_NOT_FOUND` when the service or cluster is missing. */
  describeService(cluster: string, service: string): Promise<EcsServiceState>;
  /** `UpdateService`; answers the service as it is after the update (its new PRIMARY deployment). */
  updateService(input: UpdateServiceInput): Promise<EcsServiceState>;
  /** One page (100) of a service's task ARNs with this desired status (`ListTasks`). */
  listServiceTasks(cluster: string, service: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]>;
  /** `DescribeTasks`, at most 100 ARNs. Stopped tasks stay visible for about an hour. */
  describeTasks(cluster: string, taskArns: readonly string[]): Promise<EcsTaskState[]>;
  /** `DescribeTaskDefinition` of `taskDefinition`, then `RegisterTaskDefinition` of a copy with new images. */
  registerRevisionWithImages(input: RegisterRevisionInput): Promise<{ arn: string }>;
}

// ── CodeBuild ───────────────────────────────────────────────────────────────────────────────

/** An environment variable override of `StartBuild`. */
export interface BuildEnvironmentVariable {
  name: string;
  value: string;
  type: 'PLAINTEXT';
}

/** `StartBuild` parameters recovery uses (AWS names). */
export interface StartBuildInput {
  projectName: string;
  sourceVersion?: string;
  /** Valid 5 minutes: a repeat with the same token and parameters starts nothing new. */
  idempotencyToken: string;
  environmentVariablesOverride: BuildEnvironmentVariable[];
}

/** One phase of a build. */
export interface BuildPhase {
  /** SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD, UPLOAD_ARTIFACTS, FINALIZING, COMPLETED. */
  phaseType: string;
  /** Absent while running and on the final COMPLETED entry. */
  phaseStatus?: string;
  startTime?: number;
  endTime?: number;
  durationInSeconds?: number;
  /** Why a phase failed (`{statusCode, message}`), when CodeBuild says. */
  contexts: { statusCode?: string; message?: string }[];
}

/** A build as `BatchGetBuilds` / `StartBuild` report it. */
export interface BuildState {
  id: string;
  arn?: string;
  projectName: string;
  /** SUCCEEDED | FAILED | FAULT | TIMED_OUT | IN_PROGRESS | STOPPED. */
  buildStatus: string;
  currentPhase?: string;
  buildComplete: boolean;
  startTime?: number;
  endTime?: number;
  phases: BuildPhase[];
  sourceVersion?: string;
  resolvedSourceVersion?: string;
  /** CloudWatch Logs console link. */
  logsDeepLink?: string;
  /** The build's environment variables (project's merged with the overrides). */
  environmentVariables: { name: string; value: string }[];
}

/** CodeBuild for one account and Region. */
export interface CodeBuildOps {
  /** Whether the project exists (`BatchGetProjects`). */
  projectExists(name: string): Promise<boolean>;
  /** Names of every project carrying the tag `key=value` (`ListProjects` + `BatchGetProjects`). */
  projectsTagged(key: string, value: string): Promise<string[]>;
  startBuild(input: StartBuildInput): Promise<BuildState>;
  /** `BatchGetBuilds` for one id; undefined when CodeBuild no longer knows it. */
  getBuild(id: string): Promise<BuildState | undefined>;
  /** The newest builds of a project (`ListBuildsForProject` + `BatchGetBuilds`). */
  recentBuilds(projectName: string, limit: number): Promise<BuildState[]>;
  stopBuild(id: string): Promise<void>;
}

// ── ECR image configuration ─────────────────────────────────────────────────────────────────

/** The parts of an image's configuration recovery reads: platform and labels. */
export interface ImageConfig {
  os?: string;
  architecture?: string;
  variant?: string;
  /** `config.Labels`, e.g. `org.opencontainers.image.revision`. */
  labels: Record<string, string>;
  /** The manifest's own annotations (BuildKit can put the revision there too). */
  annotations: Record<string, string>;
}

/** Reads an image's configuration blob from ECR (`BatchGetImage` + `GetDownloadUrlForLayer`). */
export interface ImageConfigReader {
  /** Config of a single-platform image manifest; undefined when the digest is not one (an index, or gone). */
  imageConfig(registryId: string, repository: string, manifestDigest: string): Promise<ImageConfig | undefined>;
}

// ── SQS + CloudWatch ────────────────────────────────────────────────────────────────────────

/** A queue's backlog right now. SQS counts are approximate by design. */
export interface QueueBacklog {
  queue: string;
  url: string;
  /** `ApproximateNumberOfMessages`: waiting to be received — the backlog to drain. */
  visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: received, not yet deleted. */
  inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`. */
  delayed: number;
  /** `ApproximateAgeOfOldestMessage` (CloudWatch, latest 1-minute maximum), when available. */
  oldestAgeSeconds?: number;
  /** Why the age is missing (no datapoint yet, access denied, …). */
  ageUnavailable?: string;
}

/** Queue backlog for one account and Region. */
export interface QueueOps {
  /** `GetQueueUrl` + `GetQueueAttributes`, plus `GetMetricData` for the oldest message's age when allowed. */
  approximateBacklog(queue: string): Promise<QueueBacklog>;
}

// ── Application Auto Scaling ────────────────────────────────────────────────────────────────

/** An ECS service's scalable target (`DescribeScalableTargets`). */
export interface ScalableTargetState {
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  suspended?: { dynamicScalingInSuspended?: boolean; dynamicScalingOutSuspended?: boolean; scheduledScalingSuspended?: boolean };
}

/** `RegisterScalableTarget` parameters (AWS names): on an existing target it updates min/max. */
export interface RegisterScalableTargetInput {
  ServiceNamespace: 'ecs';
  /** `service/<cluster>/<service>`. */
  ResourceId: string;
  ScalableDimension: 'ecs:service:DesiredCount';
  MinCapacity: number;
  MaxCapacity: number;
}

/** Application Auto Scaling for ECS services, one account and Region. */
export interface ScalingOps {
  /** The service's scalable target, or undefined when the service has none. */
  describeScalableTarget(cluster: string, service: string): Promise<ScalableTargetState | undefined>;
  registerScalableTarget(input: RegisterScalableTargetInput): Promise<void>;
}

// ── Scale records (Redis) ───────────────────────────────────────────────────────────────────

/** What a service looked like before Lifeboat first scaled it: what `scale … back` returns to. */
export interface ScaleOriginal {
  desiredCount: number;
  /** The Application Auto Scaling target's capacity, when the service has one. */
  scalableTarget?: { minCapacity: number; maxCapacity: number };
}

/**
 * A service Lifeboat has scaled and not yet returned. Written before the first change and deleted
 * only after the original is restored, so a crash can never leave a service scaled up unnoticed:
 * `status` (or a sweeper) lists the records, overdue ones first.
 */
export interface ScaleRecord {
  /** `account:region:cluster/service`. */
  key: string;
  account: string;
  region: string;
  cluster: string;
  service: string;
  original: ScaleOriginal;
  /** The task count Lifeboat set. */
  scaledTo: number;
  /** `queue` for `scale … for <queue>`, `fixed` for `scale … to N`. */
  reason: 'queue' | 'fixed';
  queue?: string;
  /** The job that scaled it, and who asked (for the audit trail and `status`). */
  jobId: string;
  scaledAt: number;
  /** When the job promised to be back (queue scaling); past this, the record is overdue. */
  restoreBy?: number;
}

/**
 * Durable scale records, shared by every worker (the composition root backs it with Redis). Keys
 * never expire: a record goes away only when the original is restored.
 */
export interface ScaleRecordStore {
  /** Store `record` unless one exists for its key; answers the stored record (an existing one holds the true original). */
  putIfAbsent(record: ScaleRecord): Promise<ScaleRecord>;
  /** Replace the record for its key (e.g. a new `scaledTo`), keeping it present. */
  put(record: ScaleRecord): Promise<void>;
  get(key: string): Promise<ScaleRecord | undefined>;
  delete(key: string): Promise<void>;
  list(): Promise<ScaleRecord[]>;
}

// ── ECR restore ─────────────────────────────────────────────────────────────────────────────

/** One repository of one registry in one Region. */
export interface EcrLocation {
  registryId: string;
  region: string;
  repository: string;
}

/** One destination of a registry's replication rules (`DescribeRegistry`). */
export interface ReplicationDestination {
  region: string;
  registryId: string;
  /** The rule's `PREFIX_MATCH` repository filters; empty: every repository replicates. */
  repositoryPrefixes: string[];
}

/** What copying one manifest did. */
export interface CopyResult {
  /** Blobs (config and layers) uploaded to the target. */
  blobsCopied: number;
  /** Blobs the target already had (`BatchCheckLayerAvailability`: AVAILABLE). */
  blobsPresent: number;
  bytesCopied: number;
  /** False when the target already held the manifest (nothing was put). */
  manifestPut: boolean;
}

/**
 * Bringing an exact digest back into an ECR repository: from the archive storage class, or by
 * copying it from another repository (a replica in another Region, another account's registry,
 * another repository) through the ECR API — the digest stays the same because the manifest bytes do.
 */
export interface EcrRestoreOps {
  /** `UpdateImageStorageClass` to STANDARD; answers the image status ECR reports after the call. */
  restoreFromArchive(at: EcrLocation, digest: string): Promise<{ status: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' }>;
  /** The replication destinations of `registryId`'s registry in `region` (`DescribeRegistry`); [] when it replicates nowhere. */
  replicationDestinations(registryId: string, region: string): Promise<ReplicationDestination[]>;
  /**
   * Copy one manifest with the exact bytes, so the digest is the same: `BatchGetImage` from `from`;
   * for an image manifest, `BatchCheckLayerAvailability` in `to` and, for each blob it lacks,
   * `GetDownloadUrlForLayer` + download + `InitiateLayerUpload`/`UploadLayerPart`/`CompleteLayerUpload`
   * (each blob's sha256 verified); then `PutImage` with `imageDigest`. An index's children must be
   * copied first (ECR refuses an index whose children are missing). Copying a manifest `to` already
   * holds changes nothing (`manifestPut: false`), so a retry is safe.
   */
  copyImage(from: EcrLocation, to: EcrLocation, digest: string, options?: { tag?: string; signal?: AbortSignal }): Promise<CopyResult>;
}
