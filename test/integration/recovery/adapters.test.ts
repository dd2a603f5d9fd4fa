import { DescribeScalableTargetsCommand, ObjectNotFoundException, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { BatchGetImageCommand, ECRClient, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ECSServiceException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { beforeEach, describe, expect, it } from 'vitest';
import { SDK_ECR_RESTORE_ACTIONS } from '../../../src/adapters/aws/sdk-ecr-restore-ops.js';
import { RECOVERY_ADAPTER_ACTIONS, RECOVERY_IAM_ACTIONS } from '../../../src/adapters/aws/recovery-iam.js';
import { SdkCodeBuildOps } from '../../../src/adapters/aws/sdk-codebuild-ops.js';
import { SdkEcrImageConfigReader } from '../../../src/adapters/aws/sdk-ecr-image-config.js';
import { SdkEcsOps } from '../../../src/adapters/aws/sdk-ecs-ops.js';
import { SdkQueueOps } from '../../../src/adapters/aws/sdk-queue-ops.js';
import { SdkScalingOps } from '../../../src/adapters/aws/sdk-scaling-ops.js';
import { ManualClock } from '../../../src/core/clock.js';
import { fixture, mocks, sentActions, World } from './world.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const where = { account: '123456789012', region: 'us-west-2' };
const ecs = new SdkEcsOps(new ECSClient({ region: 'us-west-2', credentials }), where);
const codebuild = new SdkCodeBuildOps(new CodeBuildClient({ region: 'us-west-2', credentials }), where);
const clock = new ManualClock(Date.UTC(2026, 2, 2, 10));
const queues = new SdkQueueOps(new SQSClient({ region: 'us-west-2', credentials }), new CloudWatchClient({ region: 'us-west-2', credentials }), { ...where, clock });
const scaling = new SdkScalingOps(new ApplicationAutoScalingClient({ region: 'us-west-2', credentials }), where);

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
});

describe('SdkEcsOps', () => {
  it('maps the corpus UpdateService answer: deployments, rollout state and reasons, events, circuit breaker', async () => {
    mocks.ecs.on(UpdateServiceCommand).resolves(fixture('ecs/update-service.response.mid-deployment.aws-cli-example.json'));
    const svc = await ecs.updateService({ cluster: 'mycluster', service: 'my-http-service', forceNewDeployment: true });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'mycluster', service: 'my-http-service', forceNewDeployment: true });
    expect(svc.deployments[0]).toEqual({
      id: 'ecs-svc/7522791612543716777',
      status: 'PRIMARY',
      taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/mytaskdef:3',
      desiredCount: 0,
      runningCount: 0,
      pendingCount: 0,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment ecs-svc/7522791612543716777 in progress.',
      createdAt: Date.parse('2025-02-21T15:25:38.598000-06:00'),
      updatedAt: Date.parse('2025-02-21T15:25:38.598000-06:00'),
    });
    expect(svc.circuitBreaker).toEqual({ enable: true, rollback: true });
    expect(svc.deploymentController).toBe('ECS');
    expect(svc.events[0]).toEqual({ id: '4f2c3ca1-7800-4048-ba57-bba210ada2ad', createdAt: Date.parse('2025-02-21T15:10:59.959000-06:00'), message: '(service my-http-service) has reached a steady state.' });
  });

  it('maps the corpus DescribeServices answer (epoch seconds) and names a missing service', async () => {
    mocks.ecs.on(DescribeServicesCommand).resolves(fixture('ecs/describe-services-response.steady.json'));
    const svc = await ecs.describeService('default', 'my-http-service');
    expect(svc.deployments[0]).toMatchObject({ status: 'PRIMARY', runningCount: 10, createdAt: 1466801808595 });
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:us-west-2:123456789012:service/default/gone', reason: 'MISSING' }] });
    await expect(ecs.describeService('default', 'gone')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Service gone was not found in cluster default (account 123456789012 us-west-2).' });
  });

  it('maps the corpus DescribeTasks answer: who started the task, container digests', async () => {
    mocks.ecs.on(DescribeTasksCommand).resolves(fixture('ecs/describe-tasks.response.running.aws-cli-example.json'));
    const [task] = await ecs.describeTasks('MyCluster', ['arn:aws:ecs:us-east-1:123456789012:task/MyCluster/4d590253bb114126b7afa7b58eea9221']);
    expect(task).toMatchObject({ startedBy: 'ecs-svc/968695068243EXAMPLE', lastStatus: 'RUNNING', containers: [{ name: 'simple-app', image: 'httpd:2.4', lastStatus: 'RUNNING' }] });
  });

  it("keeps AWS's own words for a client error it does not know, and retries none of it itself", async () => {
    mocks.ecs.on(UpdateServiceCommand).rejects(new ECSServiceException({ name: 'InvalidParameterException', message: 'Unable to update the service because a task definition is required.', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    await expect(ecs.updateService({ cluster: 'prod', service: 'api', forceNewDeployment: true })).rejects.toMatchObject({
      code: 'AWS_ERROR',
      retryable: false,
      userMessage: 'ECS rejected ecs:UpdateService on arn:aws:ecs:us-west-2:123456789012:service/prod/api (InvalidParameterException): Unable to update the service because a task definition is required.',
    });
    mocks.ecs.on(UpdateServiceCommand).rejects(new ECSServiceException({ name: 'ServiceNotActiveException', message: 'Service was not ACTIVE.', $fault: 'client', $metadata: {} }));
    await expect(ecs.updateService({ cluster: 'prod', service: 'api', desiredCount: 2 })).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Service api in cluster prod (account 123456789012 us-west-2) does not exist.' });
  });
});

describe('SdkCodeBuildOps', () => {
  it('maps the corpus BatchGetBuilds answer: phases (epoch seconds), the COMPLETED entry, the log link, the resolved commit', async () => {
    mocks.codebuild.on(BatchGetBuildsCommand).resolves(fixture('codebuild/batch-get-builds.response.aws-cli-example.json'));
    const build = await codebuild.getBuild('codebuild-demo-project:815e755f-bade-4a7e-80f0-efe51EXAMPLE');
    expect(build).toMatchObject({
      buildStatus: 'SUCCEEDED',
      buildComplete: true,
      resolvedSourceVersion: 'f2194c1757bbdcb0f8f229254a4b3c8b27d43e0b',
      logsDeepLink: 'https://console.aws.amazon.com/cloudwatch/home?region=us-west-2#logEvent:group=/aws/codebuild/codebuild-demo-project;stream=4dea3ca4-20ec-4898-b22a-a9eb9292775d',
      startTime: 1548716241890,
    });
    expect(build?.phases[0]).toEqual({ phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: 1548716241890, endTime: 1548716242241, durationInSeconds: 0, contexts: [] });
    expect(build?.phases.at(-1)).toEqual({ phaseType: 'COMPLETED', startTime: 1548716315935, contexts: [] });
    mocks.codebuild.on(BatchGetBuildsCommand).resolves({ builds: [], buildsNotFound: ['x:1'] });
    expect(await codebuild.getBuild('x:1')).toBeUndefined();
  });

  it('maps the corpus StartBuild answer and sends the token and overrides as given', async () => {
    mocks.codebuild.on(StartBuildCommand).resolves(fixture('codebuild/start-build.response.aws-cli-example.json'));
    const input = { projectName: 'my-demo-project', idempotencyToken: 'lifeboat-abc', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: 'v1', type: 'PLAINTEXT' as const }] };
    const build = await codebuild.startBuild(input);
    expect(mocks.codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input).toEqual(input);
    expect(build).toMatchObject({ id: 'my-demo-project::12345678-a1b2-c3d4-e5f6-11111EXAMPLE', buildStatus: 'IN_PROGRESS', currentPhase: 'QUEUED', buildComplete: false });
    expect(build.phases[1]).toEqual({ phaseType: 'QUEUED', startTime: 1556905684524, contexts: [] });
  });
});

describe('SdkQueueOps', () => {
  it('reads the backlog and the oldest message age, and asks for the queue URL once', async () => {
    mocks.sqs.on(GetQueueUrlCommand).resolves(fixture('sqs/get-queue-url.response.CONSTRUCTED.json'));
    mocks.sqs.on(GetQueueAttributesCommand).resolves(fixture('sqs/get-queue-attributes.backlog.response.CONSTRUCTED.json'));
    mocks.cloudwatch.on(GetMetricDataCommand).resolves(fixture('cloudwatch/get-metric-data.sqs-oldest-message-age.response.CONSTRUCTED.json'));
    expect(await queues.approximateBacklog('hooks-queue')).toEqual({
      queue: 'hooks-queue',
      url: 'https://sqs.us-east-1.amazonaws.com/123456789012/hooks-queue',
      visible: 7770,
      inFlight: 24,
      delayed: 0,
      oldestAgeSeconds: 912,
    });
    await queues.approximateBacklog('hooks-queue');
    expect(mocks.sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(1);
    const query = mocks.cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(query?.MetricDataQueries?.[0]?.MetricStat).toEqual({ Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: 'hooks-queue' }] }, Period: 60, Stat: 'Maximum' });
  });

  it('names a queue that does not exist', async () => {
    mocks.sqs.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
    await expect(queues.approximateBacklog('nope')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Queue nope in account 123456789012 us-west-2 does not exist.' });
  });
});

describe('SdkScalingOps', () => {
  it('reads an ECS service scalable target, and none when the service has none', async () => {
    mocks.scaling.on(DescribeScalableTargetsCommand).resolves(fixture('application-autoscaling/describe-scalable-targets.ecs-service.response.CONSTRUCTED.json'));
    expect(await scaling.describeScalableTarget('prod', 'hooks-worker')).toEqual({
      resourceId: 'service/prod/hooks-worker',
      minCapacity: 1,
      maxCapacity: 3,
      suspended: { dynamicScalingInSuspended: false, dynamicScalingOutSuspended: false, scheduledScalingSuspended: false },
    });
    mocks.scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    expect(await scaling.describeScalableTarget('prod', 'hooks-worker')).toBeUndefined();
  });

  it('names the target when it is gone', async () => {
    mocks.scaling.on(RegisterScalableTargetCommand).rejects(new ObjectNotFoundException({ message: 'No scalable target registered', $metadata: {} }));
    await expect(
      scaling.registerScalableTarget({ ServiceNamespace: 'ecs', ResourceId: 'service/prod/x', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 }),
    ).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'The auto scaling target of service/prod/x does not exist.' });
  });
});

describe('SdkEcrImageConfigReader', () => {
  const manifest = fixture<{ images: { imageManifest: string }[] }>('ecr/batch-get-image.response.json');
  const config = JSON.stringify(fixture('oci/image-config.with-revision-label.CONSTRUCTED.json'));

  it('reads labels and platform from the config blob of the corpus manifest', async () => {
    mocks.ecr.on(BatchGetImageCommand).resolves(fixture('ecr/batch-get-image.response.json'));
    mocks.ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: 'https://layers.example/config', layerDigest: 'sha256:6171c7451a50945f8ddd72f7732cc04d7a0d1f48138a426b2e64387fdeb834ed' });
    const fetched: string[] = [];
    const reader = new SdkEcrImageConfigReader(new ECRClient({ region: 'us-east-1', credentials }), {
      region: 'us-east-1',
      fetch: ((url: string) => {
        fetched.push(url);
        return Promise.resolve(new Response(config));
      }) as unknown as typeof fetch,
    });
    const got = await reader.imageConfig('012345678910', 'cluster-autoscaler', 'sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5');
    expect(got).toEqual({ os: 'linux', architecture: 'amd64', labels: { 'org.opencontainers.image.revision': '3f9c2ab6d1e0c4b8a7f5e2d9c1b0a3f4e5d6c7b8', 'org.opencontainers.image.source': 'https://github.com/example/api' }, annotations: {} });
    expect(mocks.ecr.commandCalls(GetDownloadUrlForLayerCommand)[0]?.args[0].input.layerDigest).toBe('sha256:6171c7451a50945f8ddd72f7732cc04d7a0d1f48138a426b2e64387fdeb834ed');
    expect(fetched).toEqual(['https://layers.example/config']);
    expect(manifest.images).toHaveLength(1);
  });

  it('answers undefined for an index, and a retryable AWS_ERROR when the blob download fails', async () => {
    const reader = new SdkEcrImageConfigReader(new ECRClient({ region: 'us-east-1', credentials }), {
      region: 'us-east-1',
      fetch: () => Promise.resolve(new Response('oops', { status: 503 })),
    });
    mocks.ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: 'sha256:1' }, imageManifest: JSON.stringify(fixture('oci/oci-image-index.example.json')) }], failures: [] });
    expect(await reader.imageConfig('1', 'r', 'sha256:1')).toBeUndefined();
    mocks.ecr.on(BatchGetImageCommand).resolves(fixture('ecr/batch-get-image.response.json'));
    mocks.ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: 'https://layers.example/config' });
    await expect(reader.imageConfig('1', 'r', 'sha256:1')).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
  });
});

describe('RECOVERY_IAM_ACTIONS', () => {
  it('lists every operation the adapters can send, mutating ones marked', () => {
    const listed = new Map(RECOVERY_IAM_ACTIONS.map((a) => [a.action, a]));
    expect(RECOVERY_ADAPTER_ACTIONS.filter((a) => !listed.has(a))).toEqual([]);
    const mutating = RECOVERY_IAM_ACTIONS.filter((a) => a.mutating).map((a) => a.action);
    expect(mutating.sort()).toEqual([
      'ecs:UpdateService',
      'ecs:RegisterTaskDefinition',
      'ecs:TagResource',
      'iam:PassRole',
      'codebuild:StartBuild',
      'codebuild:StopBuild',
      'application-autoscaling:RegisterScalableTarget',
      'ecr:UpdateImageStorageClass',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
    ].sort());
  });

  it('covers what every adapter method actually sends', async () => {
    const w = new World();
    const deps = w.deps();
    const index = w.push('api', { tag: 'v1', platforms: ['linux/amd64'] });
    w.addService({ cluster: 'prod', name: 'api', desired: 1, containers: [{ name: 'app', image: 'x', digest: index.digest }] });
    w.addProject('p', [{ key: 'lifeboat:repository', value: 'api' }]);
    w.addQueue('q', [1]);
    w.targets.set('service/prod/api', { min: 1, max: 2 });
    await deps.ecs.describeService('prod', 'api');
    await deps.ecs.listServiceTasks('prod', 'api', 'RUNNING');
    await deps.ecs.describeTasks('prod', ['arn:aws:ecs:us-east-1:123456789012:task/prod/1']);
    await deps.ecs.registerRevisionWithImages({ taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:7', images: { app: 'y' } });
    await deps.ecs.updateService({ cluster: 'prod', service: 'api', desiredCount: 1 });
    await deps.codebuild.projectExists('p');
    await deps.codebuild.projectsTagged('lifeboat:repository', 'api');
    const build = await deps.codebuild.startBuild({ projectName: 'p', idempotencyToken: 't', environmentVariablesOverride: [] });
    await deps.codebuild.getBuild(build.id);
    await deps.codebuild.recentBuilds('p', 5);
    await deps.codebuild.stopBuild(build.id);
    await deps.queues.approximateBacklog('q');
    await deps.scaling.describeScalableTarget('prod', 'api');
    await deps.scaling.registerScalableTarget({ ServiceNamespace: 'ecs', ResourceId: 'service/prod/api', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 });
    await deps.imageConfig.imageConfig('123456789012', 'api', index.digest);
    const sent = new Set(sentActions());
    // SdkEcrRestoreOps needs a replica Region and a blob server: test/integration/aws/sdk-ecr-restore-ops.test.ts
    // shows what each of its methods sends. Its actions shared with the others must still show up here.
    const restoreOnly = SDK_ECR_RESTORE_ACTIONS.filter((a) => !sent.has(a));
    expect([...sent].sort()).toEqual([...new Set(RECOVERY_ADAPTER_ACTIONS)].filter((a) => !restoreOnly.includes(a as (typeof restoreOnly)[number])).sort());
    expect(restoreOnly.sort()).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:CompleteLayerUpload', 'ecr:DescribeRegistry', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UpdateImageStorageClass', 'ecr:UploadLayerPart']);
  });
});
