/**
 * A synthetic fleet behind an AWS stand-in for the image-scan benchmark.
 *
 * The stand-in answers the real SDK commands (so the scan runs through `SdkEcsReader` /
 * `SdkEcrReader` and their error mapping), charges a latency per call and enforces throttling
 * the way ECS documents it: a token bucket per API, per account and Region; a call that finds its
 * bucket empty fails with `ThrottlingException` ("Rate exceeded"). The figures are the corpus ones
 * (ecs/SEMANTICS.md: bucket 50, refill 20/s); ECR publishes none for these reads, so it gets the same.
 *
 * The fleet: 1,000 services in 10 clusters, 300 ECR repositories, 20 % of them multi-arch (an index,
 * amd64 and arm64 children and a BuildKit attestation per push), two thirds with a lifecycle policy,
 * 5 % of services mid-rollout (PRIMARY + ACTIVE), 5 % pinned to an older build of a re-pushed tag,
 * 1 % pinned to a digest a lifecycle rule already deleted, 10 % with a sidecar from ECR Public.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRServiceException,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSServiceException,
  ListClustersCommand,
  ListServicesCommand,
  type ECSClient,
  type Service,
  type ServiceRevision,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
const DAY = 86_400_000;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface FleetShape {
  clusters: number;
  servicesPerCluster: number;
  repositories: number;
  /** One repository in `multiArchEvery` is multi-arch (5 → 20 %). */
  multiArchEvery: number;
  now: number;
}

export const BENCH_FLEET: FleetShape = { clusters: 10, servicesPerCluster: 100, repositories: 300, multiArchEvery: 5, now: Date.UTC(2026, 0, 31, 12) };

interface Repo {
  name: string;
  images: ImageDetail[];
  policy?: string;
  manifests: Map<string, string>;
  multiArch: boolean;
  /** Digest of each push's tag (`v<k>` → digest); for multi-arch, the index. */
  tagged: Map<string, string>;
  /** The children of each index. */
  children: Map<string, { amd64: string; arm64: string; attestation: string }>;
}

/** The fleet as AWS would hold it. */
export interface Fleet {
  shape: FleetShape;
  clusterArns: string[];
  services: Map<string, Service[]>;
  revisions: Map<string, ServiceRevision>;
  taskDefinitions: Map<string, TaskDefinition>;
  repositories: Map<string, Repo>;
  /** The AWS call floor of docs/images.md for a cold scan and a warm one, by operation. */
  floor: { cold: Record<string, number>; warm: Record<string, number> };
  counts: { services: number; repositories: number; multiArch: number; withPolicy: number; taskDefinitions: number; revisions: number };
}

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const POLICIES = [
  // Untagged images go after two weeks; at most 150 images in all.
  JSON.stringify({
    rules: [
      { rulePriority: 1, description: 'expire untagged after 14 days', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } },
      { rulePriority: 2, description: 'keep 150 images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 150 }, action: { type: 'expire' } },
    ],
  }),
  // Shaped like the AWS example 01 (a tag pattern and an age).
  JSON.stringify({
    rules: [
      { rulePriority: 1, description: 'expire v* images older than 60 days', selection: { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 60 }, action: { type: 'expire' } },
    ],
  }),
];

/** Build the fleet (deterministic). */
export function buildFleet(shape: FleetShape = BENCH_FLEET): Fleet {
  const repositories = new Map<string, Repo>();
  for (let r = 0; r < shape.repositories; r++) {
    const name = `team-${r % 12}/app-${r}`;
    const multiArch = r % shape.multiArchEvery === 0;
    const repo: Repo = { name, images: [], manifests: new Map(), multiArch, tagged: new Map(), children: new Map() };
    if (r % 3 !== 0) repo.policy = POLICIES[Math.floor(r / 4) % POLICIES.length];
    const pushes = 40 + (r % 7) * 10;
    for (let k = 0; k < pushes; k++) {
      const pushedAt = new Date(shape.now - (pushes - k) * DAY * 0.5);
      const tag = `v${k}`;
      if (!multiArch) {
        const digest = sha(`${name}:${tag}`);
        repo.images.push({ registryId: ACCOUNT, repositoryName: name, imageDigest: digest, imageTags: [tag], imagePushedAt: pushedAt, imageManifestMediaType: OCI_MANIFEST, imageStatus: 'ACTIVE' });
        repo.tagged.set(tag, digest);
        continue;
      }
      const amd64 = sha(`${name}:${tag}:amd64`);
      const arm64 = sha(`${name}:${tag}:arm64`);
      const attestation = sha(`${name}:${tag}:attestation`);
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: amd64, size: 1000, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, digest: arm64, size: 1000, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          {
            mediaType: OCI_MANIFEST,
            digest: attestation,
            size: 500,
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64 },
            platform: { os: 'unknown', architecture: 'unknown' },
          },
        ],
      });
      const index = sha(body);
      repo.manifests.set(index, body);
      repo.children.set(index, { amd64, arm64, attestation });
      repo.tagged.set(tag, index);
      repo.images.push({ registryId: ACCOUNT, repositoryName: name, imageDigest: index, imageTags: [tag], imagePushedAt: pushedAt, imageManifestMediaType: OCI_INDEX, imageStatus: 'ACTIVE' });
      for (const child of [amd64, arm64, attestation]) {
        repo.images.push({ registryId: ACCOUNT, repositoryName: name, imageDigest: child, imageTags: [], imagePushedAt: pushedAt, imageManifestMediaType: OCI_MANIFEST, imageStatus: 'ACTIVE' });
      }
    }
    repositories.set(name, repo);
  }
  const repoList = [...repositories.values()];

  const clusterArns: string[] = [];
  const services = new Map<string, Service[]>();
  const revisions = new Map<string, ServiceRevision>();
  const taskDefinitions = new Map<string, TaskDefinition>();
  /** Per repository: pinned digests, tags, and the platforms pulling each index — for the floor. */
  const wanted = new Map<string, { digests: Set<string>; tags: Set<string>; indexPlatforms: Map<string, Set<'amd64' | 'arm64'>> }>();
  let revisionSeq = 0;

  for (let c = 0; c < shape.clusters; c++) {
    const clusterArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/cluster-${c}`;
    clusterArns.push(clusterArn);
    const list: Service[] = [];
    for (let s = 0; s < shape.servicesPerCluster; s++) {
      const i = c * shape.servicesPerCluster + s;
      const name = `svc-${String(i).padStart(4, '0')}`;
      const repo = repoList[(i * 7) % repoList.length];
      if (!repo) throw new Error('no repository');
      const pushes = repo.tagged.size;
      const arm = repo.multiArch && i % 3 === 0;
      const serviceArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/cluster-${c}/${name}`;
      const deployments = i % 20 === 10 ? 2 : 1;
      const service: Service = {
        serviceArn,
        serviceName: name,
        clusterArn,
        status: 'ACTIVE',
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        deployments: [],
        currentServiceRevisions: [],
      };
      for (let d = 0; d < deployments; d++) {
        const k = pushes - 1 - (Math.floor(i / 300) % 3) - d;
        const tag = `v${k}`;
        const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repo.name}:${tag}`;
        let pinned = repo.tagged.get(tag) ?? '';
        if (d === 0 && i % 20 === 6 && !repo.multiArch) {
          // An older build of a tag that was pushed again: present, untagged.
          pinned = sha(`${repo.name}:${tag}:previous-build`);
          repo.images.push({ registryId: ACCOUNT, repositoryName: repo.name, imageDigest: pinned, imageTags: [], imagePushedAt: new Date(shape.now - 3 * DAY), imageManifestMediaType: OCI_MANIFEST, imageStatus: 'ACTIVE' });
        }
        if (d === 0 && i % 100 === 1 && repo.policy !== undefined && !repo.multiArch) pinned = sha(`${repo.name}:${tag}:expired-build`); // gone
        const revision = 7 - d;
        const tdArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${name}:${revision}`;
        const containers = [{ name: 'app', image, essential: true }];
        if (i % 10 === 3) containers.push({ name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: false });
        taskDefinitions.set(tdArn, {
          taskDefinitionArn: tdArn,
          family: name,
          revision,
          containerDefinitions: containers,
          ...(arm ? { runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } } : {}),
        });
        const createdAt = new Date(shape.now - (d + 1) * DAY);
        service.deployments?.push({ id: `ecs-svc/${i}${d}`, status: d === 0 ? 'PRIMARY' : 'ACTIVE', taskDefinition: tdArn, desiredCount: 2, runningCount: 2 - d, pendingCount: 0, createdAt });
        const revisionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/cluster-${c}/${name}/${++revisionSeq}`;
        revisions.set(revisionArn, {
          serviceRevisionArn: revisionArn,
          serviceArn,
          clusterArn,
          taskDefinition: tdArn,
          createdAt,
          containerImages: containers.map((cd) => ({ containerName: cd.name, image: cd.image, imageDigest: cd.name === 'app' ? pinned : sha(`fluent-bit:stable`) })),
        });
        service.currentServiceRevisions?.push({ arn: revisionArn, requestedTaskCount: 2, runningTaskCount: 2 - d, pendingTaskCount: 0 });
        // What the scan will want from the repository.
        const w = wanted.get(repo.name) ?? { digests: new Set<string>(), tags: new Set<string>(), indexPlatforms: new Map() };
        wanted.set(repo.name, w);
        w.digests.add(pinned);
        w.tags.add(tag);
        if (repo.multiArch) {
          for (const index of [pinned, repo.tagged.get(tag) ?? '']) {
            if (!repo.children.has(index)) continue;
            const platforms = w.indexPlatforms.get(index) ?? new Set<'amd64' | 'arm64'>();
            platforms.add(arm ? 'arm64' : 'amd64');
            w.indexPlatforms.set(index, platforms);
          }
        }
      }
      list.push(service);
    }
    services.set(clusterArn, list);
  }

  // The floor (docs/images.md), from the fleet itself.
  const ceil = (n: number, per: number) => Math.ceil(n / per);
  const servicesPer = [...services.values()].map((l) => l.length);
  const ecs = {
    'ecs:ListClusters': ceil(clusterArns.length, 100),
    'ecs:ListServices': servicesPer.reduce((sum, n) => sum + ceil(n, 100), 0),
    'ecs:DescribeServices': servicesPer.reduce((sum, n) => sum + ceil(n, 10), 0),
  };
  const cold: Record<string, number> = { ...ecs, 'ecs:DescribeServiceRevisions': ceil(revisions.size, 20), 'ecs:DescribeTaskDefinition': taskDefinitions.size };
  const warm: Record<string, number> = { ...ecs };
  const add = (into: Record<string, number>, op: string, n: number) => {
    if (n > 0) into[op] = (into[op] ?? 0) + n;
  };
  for (const repo of repoList) {
    const w = wanted.get(repo.name);
    if (!w) continue;
    add(cold, 'ecr:GetLifecyclePolicy', 1);
    add(warm, 'ecr:GetLifecyclePolicy', 1);
    // Indexes in use (pinned, or what a tag resolves to) and their children for the platforms in use.
    // The gatherer looks up, for every index in use, the child of every platform used in the repository.
    const platforms = new Set([...w.indexPlatforms.values()].flatMap((p) => [...p]));
    const children = new Set<string>();
    for (const index of w.indexPlatforms.keys()) {
      const c = repo.children.get(index);
      for (const p of platforms) if (c) children.add(c[p]);
    }
    if (repo.policy !== undefined) {
      add(cold, 'ecr:DescribeImages', ceil(repo.images.length, 1000));
      add(warm, 'ecr:DescribeImages', ceil(repo.images.length, 1000));
    } else {
      const ids = w.digests.size + w.tags.size;
      add(cold, 'ecr:DescribeImages', ceil(ids, 100) + ceil(children.size, 100));
      add(warm, 'ecr:DescribeImages', ceil(ids + children.size, 100));
    }
    add(cold, 'ecr:BatchGetImage', ceil(w.indexPlatforms.size, 100));
  }
  return {
    shape,
    clusterArns,
    services,
    revisions,
    taskDefinitions,
    repositories,
    floor: { cold, warm },
    counts: {
      services: [...services.values()].reduce((n, l) => n + l.length, 0),
      repositories: repoList.length,
      multiArch: repoList.filter((r) => r.multiArch).length,
      withPolicy: repoList.filter((r) => r.policy !== undefined).length,
      taskDefinitions: taskDefinitions.size,
      revisions: revisions.size,
    },
  };
}

/** One API's throttling bucket. */
export interface ApiLimit {
  burst: number;
  ratePerSecond: number;
}

/** ECS: the documented example bucket (50, refilled 20/s); ECR: assumed the same. */
export const API_LIMITS: ApiLimit = { burst: 50, ratePerSecond: 20 };

interface StandInOptions {
  clock: { now(): number };
  sleep: (ms: number) => Promise<void>;
  /** Latency range per call, ms. */
  latencyMs: [number, number];
  limits: ApiLimit;
  seed?: number;
}

/** Per-API counts the stand-in saw. */
export interface ApiCount {
  calls: number;
  throttled: number;
}

/** The stand-in: an ECS and an ECR client over the fleet, with latency and per-API token buckets. */
export class AwsStandIn {
  readonly counts = new Map<string, ApiCount>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private random: () => number;

  constructor(
    private readonly fleet: Fleet,
    private readonly options: StandInOptions,
  ) {
    this.random = mulberry32(options.seed ?? 42);
  }

  /** Fill every bucket again (a quiet spell between two scans) and forget the counts. */
  reset(): void {
    this.buckets.clear();
    this.counts.clear();
  }

  readonly ecs = { send: (command: unknown) => this.handle('ecs', command), destroy: () => undefined } as unknown as ECSClient;
  readonly ecr = { send: (command: unknown) => this.handle('ecr', command), destroy: () => undefined } as unknown as ECRClient;

  private async handle(service: 'ecs' | 'ecr', command: unknown): Promise<unknown> {
    const name = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
    const api = `${service}:${name}`;
    const [low, high] = this.options.latencyMs;
    const latency = low + this.random() * (high - low);
    // Half the latency to get there: AWS decides on arrival.
    await this.options.sleep(latency / 2);
    const count = this.counts.get(api) ?? { calls: 0, throttled: 0 };
    this.counts.set(api, count);
    count.calls++;
    const allowed = this.take(api);
    await this.options.sleep(latency / 2);
    if (!allowed) {
      count.throttled++;
      const Exception = service === 'ecs' ? ECSServiceException : ECRServiceException;
      throw new Exception({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
    return service === 'ecs' ? this.answerEcs(command) : this.answerEcr(command);
  }

  private take(api: string): boolean {
    const now = this.options.clock.now();
    const { burst, ratePerSecond } = this.options.limits;
    const bucket = this.buckets.get(api) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(api, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private answerEcs(command: unknown): unknown {
    const f = this.fleet;
    if (command instanceof ListClustersCommand) return page(f.clusterArns, command.input.nextToken, command.input.maxResults ?? 100, 'clusterArns');
    if (command instanceof ListServicesCommand) {
      const list = f.services.get(clusterArn(command.input.cluster ?? '')) ?? [];
      return page(list.map((s) => s.serviceArn ?? ''), command.input.nextToken, command.input.maxResults ?? 10, 'serviceArns');
    }
    if (command instanceof DescribeServicesCommand) {
      const ids = command.input.services ?? [];
      if (ids.length > 10) throw new Error('DescribeServices takes at most 10 services');
      const list = f.services.get(clusterArn(command.input.cluster ?? '')) ?? [];
      const found = ids.flatMap((id) => list.filter((s) => s.serviceArn === id || s.serviceName === id));
      return { services: found, failures: ids.filter((id) => !found.some((s) => s.serviceArn === id || s.serviceName === id)).map((arn) => ({ arn, reason: 'MISSING' })) };
    }
    if (command instanceof DescribeServiceRevisionsCommand) {
      const arns = command.input.serviceRevisionArns ?? [];
      if (arns.length > 20) throw new Error('DescribeServiceRevisions takes at most 20 ARNs');
      return { serviceRevisions: arns.flatMap((a) => (f.revisions.has(a) ? [f.revisions.get(a)] : [])), failures: [] };
    }
    if (command instanceof DescribeTaskDefinitionCommand) {
      const td = f.taskDefinitions.get(command.input.taskDefinition ?? '');
      if (!td) throw new ECSServiceException({ name: 'ClientException', message: 'Unable to describe task definition.', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      return { taskDefinition: td };
    }
    throw new Error(`the stand-in does not answer ${String((command as { constructor: { name: string } }).constructor.name)}`);
  }

  private answerEcr(command: unknown): unknown {
    if (command instanceof GetLifecyclePolicyCommand) {
      const repo = this.repo(command.input.repositoryName);
      if (repo.policy === undefined) throw new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist for the repository', $metadata: { httpStatusCode: 400 } });
      return { registryId: ACCOUNT, repositoryName: repo.name, lifecyclePolicyText: repo.policy };
    }
    if (command instanceof DescribeImagesCommand) {
      const repo = this.repo(command.input.repositoryName);
      const ids = command.input.imageIds;
      if (ids === undefined) return { ...page(repo.images, command.input.nextToken, command.input.maxResults ?? 100, 'imageDetails') };
      if (ids.length > 100) throw new Error('DescribeImages takes at most 100 ids');
      const details: ImageDetail[] = [];
      for (const id of ids) {
        const found = repo.images.find((i) => (id.imageDigest !== undefined ? i.imageDigest === id.imageDigest : i.imageTags?.includes(id.imageTag ?? '')));
        if (!found) {
          // DescribeImages by id fails as a whole, naming one missing id.
          throw new ImageNotFoundException({
            message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${ACCOUNT}'`,
            $metadata: { httpStatusCode: 400 },
          });
        }
        if (!details.includes(found)) details.push(found);
      }
      return { imageDetails: details };
    }
    if (command instanceof BatchGetImageCommand) {
      const repo = this.repo(command.input.repositoryName);
      const ids = command.input.imageIds ?? [];
      if (ids.length > 100) throw new Error('BatchGetImage takes at most 100 ids');
      const images = ids.flatMap((id) => {
        const body = repo.manifests.get(id.imageDigest ?? '');
        return body === undefined ? [] : [{ registryId: ACCOUNT, repositoryName: repo.name, imageId: { imageDigest: id.imageDigest }, imageManifest: body, imageManifestMediaType: OCI_INDEX }];
      });
      const failures = ids.filter((id) => !repo.manifests.has(id.imageDigest ?? '')).map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }));
      return { images, failures };
    }
    throw new Error(`the stand-in does not answer ${String((command as { constructor: { name: string } }).constructor.name)}`);
  }

  private repo(name: string | undefined): Repo {
    const repo = this.fleet.repositories.get(name ?? '');
    if (!repo) throw new ECRServiceException({ name: 'RepositoryNotFoundException', message: `The repository with name '${name ?? ''}' does not exist`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    return repo;
  }
}

function clusterArn(cluster: string): string {
  return cluster.startsWith('arn:') ? cluster : `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`;
}

function page<T>(all: readonly T[], nextToken: string | undefined, size: number, key: string): Record<string, unknown> {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  const items = all.slice(start, start + size);
  return start + size < all.length ? { [key]: items, nextToken: String(start + size) } : { [key]: items };
}

/** Small seeded PRNG: the same latencies every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
