/**
 * The whole scan through the real SDK adapters, with the SDK clients mocked at `send`
 * (aws-sdk-client-mock) and answering corpus-shaped payloads.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  type Service,
  type ServiceRevision,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SdkEcrReader } from '../../../src/adapters/aws/sdk-ecr-reader.js';
import { SdkEcsReader } from '../../../src/adapters/aws/sdk-ecs-reader.js';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryCache } from '../../../src/images/cache.js';
import { runImageScan, type ScanDeps } from '../../../src/images/scan.js';
import { ecrError, ecsError, fixtureText } from './support.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const NOW = Date.UTC(2026, 0, 31, 12);
const DAY = 86_400_000;
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const img = (repo: string, tag: string, account = ACCOUNT) => `${account}.dkr.ecr.${REGION}.amazonaws.com/${repo}:${tag}`;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function index(children: { digest: string; arch: string }[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      ...children.map((c) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: 1, platform: { os: 'linux', architecture: c.arch } })),
      {
        mediaType: OCI_MANIFEST,
        digest: d(0xa77e5),
        size: 1,
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': children[0]?.digest },
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  });
}

interface ServiceSpec {
  name: string;
  tasks: number;
  image: string;
  pinned: string;
  cpu?: 'X86_64' | 'ARM64';
}

const services: ServiceSpec[] = [
  { name: 'api', tasks: 4, image: img('web', 'v42'), pinned: d(1) }, // tag present, pinned digest gone
  { name: 'multi', tasks: 2, image: img('multi', 'v1'), pinned: d(10) }, // index present, amd64 child gone
  { name: 'armonly', tasks: 1, image: img('arm', 'v1'), pinned: d(20), cpu: 'X86_64' }, // arm64-only index on x86
  { name: 'batch', tasks: 1, image: img('batch', 'nightly'), pinned: d(30) }, // archived
  { name: 'shared', tasks: 3, image: img('base', 'v1', '999999999999'), pinned: d(40) }, // cross-account, denied
  { name: 'pinned', tasks: 2, image: `${img('web', 'v41')}@${d(3)}`, pinned: d(3) }, // tag moved off the referenced digest
  { name: 'healthy', tasks: 2, image: img('web', 'v43'), pinned: d(2) },
];

/** Images per repository (ECR `DescribeImages` details) and index manifests. */
const repositories: Record<string, { images: ImageDetail[]; policy?: string; manifests?: Record<string, string> }> = {
  [`${ACCOUNT}/web`]: {
    images: [
      { imageDigest: d(2), imageTags: ['v42', 'v43'], imagePushedAt: new Date(NOW - DAY), imageManifestMediaType: OCI_MANIFEST },
      { imageDigest: d(3), imageTags: [], imagePushedAt: new Date(NOW - 20 * DAY), imageManifestMediaType: OCI_MANIFEST },
      { imageDigest: d(4), imageTags: ['v41'], imagePushedAt: new Date(NOW - 2 * DAY), imageManifestMediaType: OCI_MANIFEST },
    ],
  },
  [`${ACCOUNT}/multi`]: {
    policy: fixtureText('ecr/lifecycle-policies/04-keep-one-untagged.json'),
    images: [
      { imageDigest: d(10), imageTags: ['v1'], imagePushedAt: new Date(NOW - 3 * DAY), imageManifestMediaType: OCI_INDEX },
      { imageDigest: d(12), imageTags: [], imagePushedAt: new Date(NOW - 3 * DAY), imageManifestMediaType: OCI_MANIFEST },
    ],
    manifests: { [d(10)]: index([{ digest: d(11), arch: 'amd64' }, { digest: d(12), arch: 'arm64' }]) },
  },
  [`${ACCOUNT}/arm`]: {
    images: [
      { imageDigest: d(20), imageTags: ['v1'], imagePushedAt: new Date(NOW - DAY), imageManifestMediaType: OCI_INDEX },
      { imageDigest: d(21), imageTags: [], imagePushedAt: new Date(NOW - DAY), imageManifestMediaType: OCI_MANIFEST },
    ],
    manifests: { [d(20)]: index([{ digest: d(21), arch: 'arm64' }]) },
  },
  [`${ACCOUNT}/batch`]: {
    policy: fixtureText('ecr/lifecycle-policies/02-archive-not-pulled-90d.json'),
    images: [
      { imageDigest: d(30), imageTags: ['nightly'], imagePushedAt: new Date(NOW - 200 * DAY), imageStatus: 'ARCHIVED', lastArchivedAt: new Date(NOW - 10 * DAY) },
    ],
  },
};

const ecsMock = mockClient(ECSClient);
const ecrMock = mockClient(ECRClient);

function arn(kind: string, path: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:${kind}/${path}`;
}

function describeServicesAnswer(input: { services: string[] }) {
  return {
    services: input.services.map((id): Service => {
      const spec = services.find((s) => id.endsWith(`/${s.name}`))!;
      return {
        serviceArn: id,
        serviceName: spec.name,
        clusterArn: arn('cluster', 'prod'),
        status: 'ACTIVE',
        desiredCount: spec.tasks,
        runningCount: spec.tasks,
        pendingCount: 0,
        taskDefinition: arn('task-definition', `${spec.name}:1`),
        deployments: [
          { id: `ecs-svc/${spec.name}`, status: 'PRIMARY', taskDefinition: arn('task-definition', `${spec.name}:1`), desiredCount: spec.tasks, runningCount: spec.tasks, pendingCount: 0, rolloutState: 'COMPLETED' },
        ],
        currentServiceRevisions: [{ arn: arn('service-revision', `prod/${spec.name}/1`), requestedTaskCount: spec.tasks, runningTaskCount: spec.tasks, pendingTaskCount: 0 }],
      };
    }),
    failures: [],
  };
}

function installEcs(): void {
  ecsMock.on(ListClustersCommand).resolves({ clusterArns: [arn('cluster', 'prod')] });
  ecsMock.on(ListServicesCommand).resolves({ serviceArns: services.map((s) => arn('service', `prod/${s.name}`)) });
  ecsMock.on(DescribeServicesCommand).callsFake(describeServicesAnswer);
  ecsMock.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
    serviceRevisions: input.serviceRevisionArns.map((revisionArn): ServiceRevision => {
      const spec = services.find((s) => revisionArn.includes(`/prod/${s.name}/`))!;
      return {
        serviceRevisionArn: revisionArn,
        taskDefinition: arn('task-definition', `${spec.name}:1`),
        containerImages: [{ containerName: 'app', image: spec.image, imageDigest: spec.pinned }],
      };
    }),
    failures: [],
  }));
  ecsMock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const spec = services.find((s) => input.taskDefinition.endsWith(`/${s.name}:1`))!;
    const td: TaskDefinition = {
      taskDefinitionArn: input.taskDefinition,
      family: spec.name,
      revision: 1,
      containerDefinitions: [{ name: 'app', image: spec.image, essential: true }],
      ...(spec.cpu ? { runtimePlatform: { cpuArchitecture: spec.cpu, operatingSystemFamily: 'LINUX' } } : {}),
    };
    return { taskDefinition: td };
  });
}

function installEcr(): void {
  const repoOf = (input: { registryId?: string; repositoryName?: string }) => repositories[`${input.registryId}/${input.repositoryName}`];
  const denied = (action: string, repo: string) =>
    ecrError('AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/lifeboat/scan is not authorized to perform: ${action} on resource: arn:aws:ecr:${REGION}:999999999999:repository/${repo}`);

  ecrMock.on(GetLifecyclePolicyCommand).callsFake((input: { registryId: string; repositoryName: string }) => {
    if (input.registryId === '999999999999') return Promise.reject(denied('ecr:GetLifecyclePolicy', input.repositoryName));
    const repo = repoOf(input);
    if (!repo) return Promise.reject(ecrError('RepositoryNotFoundException', 'no such repository'));
    if (repo.policy === undefined) return Promise.reject(new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist', $metadata: {} }));
    return Promise.resolve({ registryId: input.registryId, repositoryName: input.repositoryName, lifecyclePolicyText: repo.policy });
  });
  ecrMock.on(DescribeImagesCommand).callsFake((input: { registryId: string; repositoryName: string; imageIds?: { imageDigest?: string; imageTag?: string }[] }) => {
    if (input.registryId === '999999999999') return Promise.reject(denied('ecr:DescribeImages', input.repositoryName));
    const repo = repoOf(input)!;
    if (!input.imageIds) return Promise.resolve({ imageDetails: repo.images });
    // Like ECR: one missing id fails the whole call, naming that id.
    for (const id of input.imageIds) {
      const found = repo.images.some((i) => (id.imageDigest ? i.imageDigest === id.imageDigest : i.imageTags?.includes(id.imageTag ?? '')));
      if (!found) {
        return Promise.reject(
          new ImageNotFoundException({
            message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${input.registryId}'`,
            $metadata: { httpStatusCode: 400 },
          }),
        );
      }
    }
    return Promise.resolve({
      imageDetails: repo.images.filter((i) => input.imageIds!.some((id) => (id.imageDigest ? i.imageDigest === id.imageDigest : i.imageTags?.includes(id.imageTag ?? '')))),
    });
  });
  ecrMock.on(BatchGetImageCommand).callsFake((input: { registryId: string; repositoryName: string; imageIds: { imageDigest: string }[] }) => {
    const repo = repoOf(input)!;
    return Promise.resolve({
      images: input.imageIds.flatMap((id) => {
        const body = repo.manifests?.[id.imageDigest];
        return body ? [{ registryId: input.registryId, repositoryName: input.repositoryName, imageId: id, imageManifest: body, imageManifestMediaType: OCI_INDEX }] : [];
      }),
      failures: input.imageIds.filter((id) => !repo.manifests?.[id.imageDigest]).map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })),
    });
  });
}

function deps(): ScanDeps {
  const clock = new ManualClock(NOW);
  const ecs = new SdkEcsReader(new ECSClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), { account: ACCOUNT, region: REGION });
  const ecr = new SdkEcrReader(new ECRClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), { region: REGION });
  return {
    targets: [{ account: ACCOUNT, region: REGION, ecs }],
    ecrFor: () => ecr,
    taskDefinitions: new MemoryCache(),
    manifests: new MemoryCache(),
    revisions: new MemoryCache(),
    clock,
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

beforeEach(() => {
  installEcs();
  installEcr();
});

afterEach(() => {
  ecsMock.reset();
  ecrMock.reset();
});

describe('image scan through the SDK adapters', () => {
  it('classifies every corpus-shaped case and says what to do next', async () => {
    const report = await runImageScan(deps());
    const finding = (service: string) => report.services.find((s) => s.service === service)?.findings[0];
    const image = (service: string) => report.images.find((i) => i.services.includes(`prod/${service}`));

    // Tag present but the pinned digest gone: a new deployment re-resolves v42 to a live image.
    expect(image('api')).toMatchObject({ status: 'missing', reason: 'pinned-digest-gone' });
    expect(finding('api')).toMatchObject({
      sentence: `the next scale-out, replacement or retirement of api (4 tasks) will fail: pinned digest ${d(1).slice(0, 19)}… is gone from repo web`,
      next: 'redeploy prod/api',
    });

    // Index present, its linux/amd64 child gone.
    expect(image('multi')).toMatchObject({ status: 'missing', reason: 'platform-child-missing' });
    expect(finding('multi')?.next).toBe('rebuild multi:v1');

    // arm64-only image on an x86 task (the attestation manifest is not a platform).
    expect(image('armonly')).toMatchObject({ status: 'missing', reason: 'no-such-platform' });
    expect(image('armonly')?.detail).toMatch(/has no linux\/amd64 image \(it offers linux\/arm64\)/);

    // Archived image: restore it.
    expect(image('batch')).toMatchObject({ status: 'missing', reason: 'archived' });
    expect(finding('batch')?.next).toBe(`restore batch@${d(30)}`);

    // Cross-account image, access denied: unknown, naming the action and the resource.
    expect(image('shared')).toMatchObject({ status: 'unknown' });
    expect(finding('shared')?.sentence).toMatch(/not allowed ecr:DescribeImages on arn:aws:ecr:us-east-1:999999999999:repository\/base/);

    // Reference pins a digest its tag no longer points to: the digest is what is pulled, and it is there.
    expect(image('pinned')).toMatchObject({ status: 'available', digest: d(3) });

    expect(image('healthy')).toMatchObject({ status: 'available', digest: d(2) });
    expect(report.totals).toMatchObject({ services: 7, missing: 4, unknown: 1, available: 2 });
    expect(report.repositories.find((r) => r.repository === 'multi')).toMatchObject({ policy: 'ok', listed: true });
  });

  it('evaluates the lifecycle policy of in-use repositories', async () => {
    repositories[`${ACCOUNT}/web`]!.policy = JSON.stringify({
      rules: [{ rulePriority: 1, description: 'untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 21 }, action: { type: 'expire' } }],
    });
    try {
      const report = await runImageScan(deps());
      // `pinned` runs d(3), untagged and 20 days old: a 21-day untagged rule takes it within 2 days.
      const pinned = report.images.find((i) => i.services.includes('prod/pinned'));
      expect(pinned?.exposure).toMatchObject({ rulePriority: 1, action: 'expire', withinDays: 2, atRisk: true });
      expect(report.services.find((s) => s.service === 'pinned')?.findings[0]).toMatchObject({ severity: 'at-risk', next: 'redeploy prod/pinned' });
    } finally {
      delete repositories[`${ACCOUNT}/web`]!.policy;
    }
  });

  it('retries throttled calls and completes', async () => {
    let calls = 0;
    ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) =>
      ++calls === 1 ? Promise.reject(ecsError('ThrottlingException', 'Rate exceeded')) : Promise.resolve(describeServicesAnswer(input)),
    );
    const report = await runImageScan(deps());
    expect(report.totals.services).toBe(7);
    expect(report.calls['ecs:DescribeServices']).toMatchObject({ calls: 2, retries: 1, failures: 0 });
  });

  it('reports an account whose ECS access is denied as a part not readable', async () => {
    ecsMock.on(ListClustersCommand).rejects(ecsError('AccessDeniedException', 'not authorized to perform: ecs:ListClusters'));
    const report = await runImageScan(deps());
    expect(report.totals.services).toBe(0);
    expect(report.problems).toEqual([
      {
        account: ACCOUNT,
        region: REGION,
        scope: 'clusters',
        code: 'AWS_ACCESS_DENIED',
        message: "Lifeboat is not allowed ecs:ListClusters on *; add it to Lifeboat's read-only IAM policy (deploy/iam).",
      },
    ]);
  });
});
