/**
 * `createScanDeps`: which SDK clients it builds, on which credentials, and the default target.
 * SDK clients are real; their `send` is mocked (aws-sdk-client-mock) and their configs captured.
 */
import { DescribeImagesCommand, DescribeRegistryCommand, ECRClient, GetLifecyclePolicyCommand, LifecyclePolicyNotFoundException, type ECRClientConfig } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, ECSClient, ListClustersCommand, ListServicesCommand, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, ExpiredTokenException, GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScanDeps, type ScanClientFactories } from '../../../src/adapters/aws/scan-clients.js';
import type { AwsCredentialProvider } from '../../../src/adapters/aws/assume-role.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { runImageScan } from '../../../src/images/scan.js';
import { awsSettingsSchema } from '../../../src/images/settings.js';

const ecsMock = mockClient(ECSClient);
const ecrMock = mockClient(ECRClient);
const stsMock = mockClient(STSClient);
const PROD_ROLE = 'arn:aws:iam::111111111111:role/lifeboat-read-only';
const SOURCE = { accessKeyId: 'source', secretAccessKey: 'source' };

let configs: { ecs: ECSClientConfig[]; ecr: ECRClientConfig[]; sts: STSClientConfig[] };
let factories: ScanClientFactories;

beforeEach(() => {
  configs = { ecs: [], ecr: [], sts: [] };
  // Real clients, so `send` is the mocked one; STS gets static source credentials so nothing reaches the default chain.
  factories = {
    ecs: (c) => (configs.ecs.push(c), new ECSClient(c)),
    ecr: (c) => (configs.ecr.push(c), new ECRClient(c)),
    sts: (c) => (configs.sts.push(c), new STSClient({ ...c, credentials: SOURCE })),
  };
  stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => ({
    Credentials: { AccessKeyId: `key-for-${input.RoleArn.split(':')[4]}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.UTC(2026, 0, 31, 13)) },
  }));
});

afterEach(() => {
  ecsMock.reset();
  ecrMock.reset();
  stsMock.reset();
});

const settings = awsSettingsSchema.parse({
  targets: [
    { account: '111111111111', region: 'eu-west-1', roleArn: PROD_ROLE, externalId: 'lifeboat-prod', name: 'prod' },
    { account: '111111111111', region: 'us-east-1', roleArn: PROD_ROLE, externalId: 'lifeboat-prod' },
    { account: '222222222222', region: 'eu-west-1' },
  ],
});

describe('createScanDeps', () => {
  it('builds one ECS client per target with maxAttempts 1, on the assumed role or Lifeboat’s own credentials', async () => {
    const deps = createScanDeps(settings, { clock: new ManualClock(Date.UTC(2026, 0, 31, 12)), logger: silentLogger, hostname: 'worker-1', clients: factories });
    expect(deps.targets.map((t) => `${t.account} ${t.region}`)).toEqual(['111111111111 eu-west-1', '111111111111 us-east-1', '222222222222 eu-west-1']);
    expect(configs.ecs.map((c) => ({ region: c.region, maxAttempts: c.maxAttempts, role: typeof c.credentials }))).toEqual([
      { region: 'eu-west-1', maxAttempts: 1, role: 'function' },
      { region: 'us-east-1', maxAttempts: 1, role: 'function' },
      { region: 'eu-west-1', maxAttempts: 1, role: 'undefined' },
    ]);
    // Both prod targets share one provider: one AssumeRole serves both Regions.
    expect(configs.ecs[0]?.credentials).toBe(configs.ecs[1]?.credentials);
    const credentials = await (configs.ecs[0]?.credentials as AwsCredentialProvider)();
    expect(credentials.accessKeyId).toBe('key-for-111111111111');
    expect(stsMock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: PROD_ROLE, RoleSessionName: 'lifeboat-worker-1', DurationSeconds: 3600, ExternalId: 'lifeboat-prod' },
    ]);
    deps.destroy();
  });

  it('reads each registry with the credentials of the target that owns the account, and others with Lifeboat’s own', () => {
    const deps = createScanDeps(settings, { clock: new ManualClock(Date.UTC(2026, 0, 31, 12)), logger: silentLogger, clients: factories });
    const prodEu = deps.ecrFor('111111111111', 'eu-west-1');
    expect(deps.ecrFor('111111111111', 'eu-west-1')).toBe(prodEu);
    deps.ecrFor('111111111111', 'ap-southeast-2'); // the prod role, another Region
    deps.ecrFor('333333333333', 'eu-west-1'); // a shared images account that is not a target
    deps.ecrFor('222222222222', 'eu-west-1'); // a target without a role: same client as the line above
    expect(configs.ecr.map((c) => ({ region: c.region, maxAttempts: c.maxAttempts, role: typeof c.credentials }))).toEqual([
      { region: 'eu-west-1', maxAttempts: 1, role: 'function' },
      { region: 'ap-southeast-2', maxAttempts: 1, role: 'function' },
      { region: 'eu-west-1', maxAttempts: 1, role: 'undefined' },
    ]);
    expect(configs.ecr[0]?.credentials).toBe(configs.ecs[0]?.credentials);
    deps.destroy();
  });

  it('reads a registry’s replication with the credentials of the target that owns it (ECR describes only the caller’s registry)', async () => {
    ecrMock.on(DescribeRegistryCommand).resolves({
      registryId: '111111111111',
      replicationConfiguration: { rules: [{ destinations: [{ region: 'us-west-2', registryId: '111111111111' }], repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }] }] },
    });
    const deps = createScanDeps(settings, { clock: new ManualClock(Date.UTC(2026, 0, 31, 12)), logger: silentLogger, clients: factories });
    expect(await deps.replicationDestinations('111111111111', 'eu-west-1')).toEqual([{ region: 'us-west-2', registryId: '111111111111', repositoryPrefixes: ['payments'] }]);
    // The prod role's client (shared with the reader of that registry), not Lifeboat's own credentials.
    expect(configs.ecr.map((c) => ({ region: c.region, role: typeof c.credentials }))).toEqual([{ region: 'eu-west-1', role: 'function' }]);
    expect(deps.ecrFor('111111111111', 'eu-west-1')).toBeDefined();
    expect(configs.ecr).toHaveLength(1);
    // A registry the credentials do not own: its rules are not visible, so none are claimed.
    expect(await deps.replicationDestinations('333333333333', 'eu-west-1')).toEqual([]);
    deps.destroy();
  });

  it('keeps the immutable caches across scans: the second scan describes no task definition', async () => {
    const deps = createScanDeps(awsSettingsSchema.parse({ targets: [{ account: '222222222222', region: 'eu-west-1' }] }), {
      clock: new ManualClock(Date.UTC(2026, 0, 31, 12)),
      logger: silentLogger,
      clients: factories,
    });
    await deps.taskDefinitions.set('arn:aws:ecs:eu-west-1:222222222222:task-definition/api:1', { arn: 'arn:aws:ecs:eu-west-1:222222222222:task-definition/api:1', containers: [] });
    ecsMock.on(ListClustersCommand).resolves({ clusterArns: [] });
    await runImageScan(deps);
    await runImageScan(deps);
    expect(await deps.taskDefinitions.get('arn:aws:ecs:eu-west-1:222222222222:task-definition/api:1')).toBeDefined();
    expect(ecsMock.commandCalls(ListClustersCommand)).toHaveLength(2);
    deps.destroy();
  });

  describe('without targets', () => {
    it("scans the account of Lifeboat's own credentials in AWS_REGION, asking STS once", async () => {
      stsMock.on(GetCallerIdentityCommand).resolves({ Account: '444444444444', Arn: 'arn:aws:sts::444444444444:assumed-role/lifeboat/i-1', UserId: 'AROA:i-1' });
      ecsMock.on(ListClustersCommand).resolves({ clusterArns: ['arn:aws:ecs:eu-central-1:444444444444:cluster/prod'] });
      ecsMock.on(ListServicesCommand).resolves({ serviceArns: [] });
      ecrMock.on(GetLifecyclePolicyCommand).rejects(new LifecyclePolicyNotFoundException({ message: 'none', $metadata: {} }));
      ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
      ecsMock.on(DescribeServicesCommand).resolves({ services: [] });
      const deps = createScanDeps(awsSettingsSchema.parse({}), { region: 'eu-central-1', clock: new ManualClock(), logger: silentLogger, clients: factories });
      expect(deps.targets).toEqual([]);
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);

      const [first] = await Promise.all([runImageScan(deps), runImageScan(deps)]);
      await runImageScan(deps);
      expect(first.problems).toEqual([]);
      expect(deps.targets.map((t) => `${t.account} ${t.region}`)).toEqual(['444444444444 eu-central-1']);
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
      expect(configs.sts.map((c) => c.region)).toEqual(['eu-central-1']);
      expect(configs.ecs.map((c) => ({ region: c.region, maxAttempts: c.maxAttempts, credentials: c.credentials }))).toEqual([{ region: 'eu-central-1', maxAttempts: 1, credentials: undefined }]);
      deps.destroy();
    });

    it('reports why it cannot tell the account, and asks again on the next scan', async () => {
      stsMock
        .on(GetCallerIdentityCommand)
        .rejectsOnce(new ExpiredTokenException({ message: 'The security token included in the request is expired', $metadata: { httpStatusCode: 403 } }))
        .resolves({ Account: '444444444444' });
      ecsMock.on(ListClustersCommand).resolves({ clusterArns: [] });
      const deps = createScanDeps(awsSettingsSchema.parse({}), { region: 'eu-central-1', clock: new ManualClock(), logger: silentLogger, clients: factories });
      const failed = await runImageScan(deps);
      expect(failed.problems).toEqual([
        {
          account: '*',
          region: '*',
          scope: 'targets',
          code: 'AWS_ACCESS_DENIED',
          message: "Lifeboat's AWS credentials were rejected calling sts:GetCallerIdentity (ExpiredTokenException); check the configured role and its trust policy.",
        },
      ]);
      const next = await runImageScan(deps);
      expect(next.problems).toEqual([]);
      expect(deps.targets.map((t) => t.account)).toEqual(['444444444444']);
    });

    it('says to set AWS_REGION when it has no Region', async () => {
      const deps = createScanDeps(awsSettingsSchema.parse({}), { clock: new ManualClock(), logger: silentLogger, clients: factories });
      const report = await runImageScan(deps);
      expect(report.problems[0]).toMatchObject({ scope: 'targets', code: 'CONFIG_INVALID', message: expect.stringMatching(/set AWS_REGION, or list aws.targets/) });
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    });
  });
});
