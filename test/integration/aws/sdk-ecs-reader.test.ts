import {
  ClusterNotFoundException,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  type DescribeServicesCommandOutput,
  type DescribeTaskDefinitionCommandOutput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkEcsReader } from '../../../src/adapters/aws/sdk-ecs-reader.js';
import { ecsError, fixture } from './support.js';

const ecsMock = mockClient(ECSClient);
const client = new ECSClient({ region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const reader = new SdkEcsReader(client, { account: '123456789012', region: 'us-west-2' });

afterEach(() => ecsMock.reset());

describe('SdkEcsReader', () => {
  it('lists 100 a page and passes the page token through', async () => {
    ecsMock.on(ListServicesCommand).resolves({ serviceArns: ['arn:aws:ecs:us-west-2:123456789012:service/prod/api'], nextToken: 't2' });
    ecsMock.on(ListClustersCommand).resolves({ clusterArns: ['arn:aws:ecs:us-west-2:123456789012:cluster/prod'] });
    expect(await reader.listServices('prod', 't1')).toEqual({ items: ['arn:aws:ecs:us-west-2:123456789012:service/prod/api'], nextToken: 't2' });
    expect(ecsMock.commandCalls(ListServicesCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', maxResults: 100, nextToken: 't1' });
    expect(await reader.listClusters()).toEqual({ items: ['arn:aws:ecs:us-west-2:123456789012:cluster/prod'] });
  });

  it('maps the corpus DescribeServices answers, keeping PRIMARY and ACTIVE deployments', async () => {
    const steady = fixture<DescribeServicesCommandOutput>('ecs/describe-services-response.steady.json');
    ecsMock.on(DescribeServicesCommand).resolves(steady);
    const got = await reader.describeServices('default', ['my-http-service']);
    expect(got.services[0]).toMatchObject({
      name: 'my-http-service',
      status: 'ACTIVE',
      desiredCount: 10,
      deployments: [{ status: 'PRIMARY', taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/amazon-ecs-sample:1', createdAt: 1466801808595 }],
      currentRevisions: [],
    });

    const mid = fixture<{ service: object }>('ecs/update-service.response.mid-deployment.aws-cli-example.json');
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ ...mid.service, currentServiceRevisions: [{ arn: 'arn:aws:ecs:us-west-2:123456789012:service-revision/mycluster/my-http-service/1', requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 }] }],
      failures: [{ arn: 'arn:aws:ecs:us-west-2:123456789012:service/mycluster/gone', reason: 'MISSING' }],
    });
    const during = await reader.describeServices('mycluster', ['my-http-service', 'gone']);
    expect(during.services[0]?.deployments.map((d) => [d.status, d.rolloutState, d.createdAt])).toEqual([
      ['PRIMARY', 'IN_PROGRESS', Date.parse('2025-02-21T15:25:38.598000-06:00')],
      ['ACTIVE', 'COMPLETED', Date.parse('2025-02-21T15:07:20.519000-06:00')],
    ]);
    expect(during.services[0]?.currentRevisions).toHaveLength(1);
    expect(during.failures).toEqual([{ arn: 'arn:aws:ecs:us-west-2:123456789012:service/mycluster/gone', reason: 'MISSING' }]);
  });

  it('maps service revisions with their pinned digests', async () => {
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        {
          serviceRevisionArn: 'arn:aws:ecs:us-west-2:123456789012:service-revision/prod/api/1',
          serviceArn: 'arn:aws:ecs:us-west-2:123456789012:service/prod/api',
          taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/api:7',
          containerImages: [{ containerName: 'app', image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v42', imageDigest: `sha256:${'a'.repeat(64)}` }],
          createdAt: new Date('2026-01-30T00:00:00Z'),
        },
      ],
      failures: [],
    });
    const got = await reader.describeServiceRevisions(['arn:aws:ecs:us-west-2:123456789012:service-revision/prod/api/1']);
    expect(got.revisions[0]).toEqual({
      arn: 'arn:aws:ecs:us-west-2:123456789012:service-revision/prod/api/1',
      serviceArn: 'arn:aws:ecs:us-west-2:123456789012:service/prod/api',
      taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/api:7',
      createdAt: Date.parse('2026-01-30T00:00:00Z'),
      containerImages: [{ containerName: 'app', image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v42', imageDigest: `sha256:${'a'.repeat(64)}` }],
    });
  });

  it('maps the corpus task definition (Docker Hub short names)', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(fixture<DescribeTaskDefinitionCommandOutput>('ecs/describe-task-definition.response.aws-cli-example.json'));
    const td = await reader.describeTaskDefinition('arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8');
    expect(td).toEqual({
      arn: 'arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8',
      family: 'hello_world',
      revision: 8,
      containers: [
        { name: 'wordpress', image: 'wordpress', essential: true },
        { name: 'mysql', image: 'mysql', essential: true },
      ],
    });
  });

  it('names the IAM action and the cluster when access is denied, and the cluster when it does not exist', async () => {
    ecsMock.on(ListServicesCommand).rejects(ecsError('AccessDeniedException', 'User: x is not authorized to perform: ecs:ListServices'));
    await expect(reader.listServices('prod')).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: "Lifeboat is not allowed ecs:ListServices on arn:aws:ecs:us-west-2:123456789012:cluster/prod; add it to Lifeboat's read-only IAM policy (deploy/iam).",
    });
    ecsMock.on(ListServicesCommand).rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    await expect(reader.listServices('prod')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: 'Cluster prod in account 123456789012 us-west-2 does not exist.' });
    ecsMock.on(DescribeServicesCommand).rejects(ecsError('ThrottlingException', 'Rate exceeded'));
    await expect(reader.describeServices('prod', ['api'])).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
    ecsMock.on(DescribeServicesCommand).rejects(ecsError('ServerException', 'internal', 500));
    await expect(reader.describeServices('prod', ['api'])).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
  });
});
