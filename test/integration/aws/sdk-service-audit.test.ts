/**
 * `SdkServiceAudit` under aws-sdk-client-mock, and `diagnose` over it: ECS, Application Auto
 * Scaling, CloudWatch Logs and IAM answers are mapped; a call Lifeboat may not make answers
 * unknown naming the IAM action.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchLogsClient, CloudWatchLogsServiceException, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { IAMClient, IAMServiceException, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { SdkServiceAudit } from '../../../src/adapters/aws/sdk-service-audit.js';
import { createDiagnoseJob, type DiagnoseOutputs } from '../../../src/recovery/diagnose.js';
import { jobContext } from '../../unit/drill/recovery-support.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ecsClient = new ECSClient({ region: 'us-west-2', credentials });
const scalingClient = new ApplicationAutoScalingClient({ region: 'us-west-2', credentials });
const logsClient = new CloudWatchLogsClient({ region: 'us-west-2', credentials });
const euLogsClient = new CloudWatchLogsClient({ region: 'eu-west-1', credentials });
const iamClient = new IAMClient({ region: 'us-west-2', credentials });
const ecs = mockClient(ecsClient);
const scaling = mockClient(scalingClient);
const logs = mockClient(logsClient);
const euLogs = mockClient(euLogsClient);
const iam = mockClient(iamClient);
const NOW = Date.parse('2026-03-02T10:05:00Z');
const logsIn = (region: string) => (region === 'eu-west-1' ? euLogsClient : logsClient);
const audit = new SdkServiceAudit({ ecs: ecsClient, scaling: scalingClient, logsIn, iam: iamClient }, { account: '123456789012', region: 'us-west-2', clock: new ManualClock(NOW) });
const TD = 'arn:aws:ecs:us-west-2:123456789012:task-definition/api:7';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/api-execution';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/api-task';
const SECRET = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/api/db-AbCdEf';
const REPOSITORY = 'arn:aws:ecr:us-west-2:123456789012:repository/api';

const logsError = (name: string, message: string, status = 400) =>
  new CloudWatchLogsServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
const iamError = (name: string, message: string, status = 400) =>
  new IAMServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

/** IAM's answer to one action (and resource) as SimulatePrincipalPolicy shapes it. */
function simulated(input: SimulatePrincipalPolicyCommandInput, decide: (role: string, action: string, resource: string) => 'allowed' | 'implicitDeny' | 'explicitDeny') {
  const action = input.ActionNames?.[0] ?? '';
  const resource = input.ResourceArns?.[0] ?? '*';
  return { EvaluationResults: [{ EvalActionName: action, EvalResourceName: resource, EvalDecision: decide(input.PolicySourceArn ?? '', action, resource), MatchedStatements: [], MissingContextValues: [] }], IsTruncated: false };
}

/**
 * An execution role as CDK and the Terraform ECS modules write it: the ECR token on *, the pull on
 * its repository, the log streams on its log group. IAM matches `*` in a policy ARN to anything.
 */
function scopedExecutionRole(role: string, action: string, resource: string): 'allowed' | 'implicitDeny' {
  const statements: [actions: RegExp, resources: string[]][] = [
    [/^ecr:GetAuthorizationToken$/, ['*']],
    [/^ecr:(BatchCheckLayerAvailability|GetDownloadUrlForLayer|BatchGetImage)$/, ['arn:aws:ecr:us-west-2:123456789012:repository/api']],
    [/^logs:(CreateLogStream|PutLogEvents)$/, ['arn:aws:logs:us-west-2:123456789012:log-group:/ecs/api:*']],
  ];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const matches = (pattern: string) => new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`).test(resource);
  return role === EXECUTION_ROLE && statements.some(([actions, resources]) => actions.test(action) && resources.some(matches)) ? 'allowed' : 'implicitDeny';
}

/** The task definition of `api` with one ECR container logging to `group`. */
function loggingTaskDefinition(group: string, region = 'us-west-2') {
  return {
    taskDefinition: {
      taskDefinitionArn: TD,
      family: 'api',
      executionRoleArn: EXECUTION_ROLE,
      taskRoleArn: TASK_ROLE,
      containerDefinitions: [
        {
          name: 'app',
          image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/api:7',
          essential: true,
          logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': group, 'awslogs-region': region, 'awslogs-stream-prefix': 'ecs' } },
        },
      ],
    },
  };
}

beforeEach(() => {
  ecs.reset();
  scaling.reset();
  logs.reset();
  euLogs.reset();
  iam.reset();
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'api',
        clusterArn: 'arn:aws:ecs:us-west-2:123456789012:cluster/prod',
        desiredCount: 3,
        healthCheckGracePeriodSeconds: 10,
        loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/api/1', containerName: 'app', containerPort: 8080 }],
        taskDefinition: TD,
        deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD, failedTasks: 2, rolloutState: 'IN_PROGRESS' }],
        events: [],
      },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: TD,
      family: 'api',
      executionRoleArn: EXECUTION_ROLE,
      taskRoleArn: TASK_ROLE,
      containerDefinitions: [{ name: 'app', image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/api:7', essential: true }],
    },
  });
  ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: ['arn:aws:ecs:us-west-2:123456789012:task/prod/t1'] });
  ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [] });
  ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn: 'arn:aws:ecs:us-west-2:123456789012:task/prod/t1',
        lastStatus: 'STOPPED',
        createdAt: new Date('2026-03-02T10:00:00Z'),
        startedAt: new Date('2026-03-02T10:00:40Z'),
        stoppedAt: new Date('2026-03-02T10:01:20Z'),
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/api/1)',
        containers: [{ name: 'app', exitCode: 137 }],
      },
    ],
  });
  scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
});

describe('SdkServiceAudit', () => {
  it('maps the service, task definition and tasks', async () => {
    const service = await audit.service('prod', 'api');
    expect(service).toMatchObject({ cluster: 'prod', name: 'api', desiredCount: 3, healthCheckGracePeriodSeconds: 10, taskDefinition: TD, loadBalancers: [{ containerName: 'app' }] });
    const td = await audit.taskDefinition(TD);
    expect(td).toMatchObject({ family: 'api', executionRoleArn: EXECUTION_ROLE, containers: [{ name: 'app', essential: true, secrets: [] }] });
    const tasks = await audit.recentTasks('prod', 'api');
    expect(tasks[0]).toMatchObject({ startedAt: Date.parse('2026-03-02T10:00:40Z'), stoppedAt: Date.parse('2026-03-02T10:01:20Z') });
  });

  it('lets diagnose find the grace period and the missing scaling target; the managed execution policy allows the pull', async () => {
    // AmazonECSTaskExecutionRolePolicy: the ECR pull and log actions on *.
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, (role, action) => (role === EXECUTION_ROLE && /^(ecr|logs):/.test(action) ? 'allowed' : 'implicitDeny')));
    const diagnose = createDiagnoseJob({ audit });
    const result = await diagnose({ service: 'prod/api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;
    expect(outputs.healthy).toBe(false);
    expect(outputs.gracePeriod).toMatch(/failed ELB health checks after 40 s, still starting, with a grace period of 10 s.*--health-check-grace-period-seconds 60/);
    expect(outputs.scaling).toMatch(/fixed desired count of 3 with no Application Auto Scaling target/);
    expect(outputs.roles).toMatch(/The execution role api-execution allows what the agent needs \(pull app from ECR\)/);
    expect(outputs.logging).toMatch(/Container app of api has no log driver/);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input.ActionNames?.[0])).toEqual(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']);
  });

  it('lets diagnose read the log group, the app log and both roles; a secret the execution role is not granted may still be granted by its own policy', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: TD,
        family: 'api',
        executionRoleArn: EXECUTION_ROLE,
        taskRoleArn: TASK_ROLE,
        containerDefinitions: [
          {
            name: 'app',
            image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/api:7',
            essential: true,
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'ecs' } },
            secrets: [{ name: 'DB_PASSWORD', valueFrom: `${SECRET}:password::` }],
          },
        ],
      },
    });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/api', arn: 'arn:aws:logs:us-west-2:123456789012:log-group:/ecs/api:*' }] });
    logs.on(FilterLogEventsCommand, { filterPattern: '"AccessDenied"' }).resolves({ events: [] });
    logs.on(FilterLogEventsCommand, { filterPattern: '"started in"' }).resolves({ events: [{ timestamp: NOW - 120_000, message: 'api started in 95.0 s\n', logStreamName: 'ecs/app/t1' }] });
    // The secret is granted to the task role; the execution role has the managed policy only.
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) =>
      simulated(input, (role, action, resource) => {
        if (action === 'secretsmanager:GetSecretValue') return role === TASK_ROLE && resource === SECRET ? 'allowed' : 'implicitDeny';
        return role === EXECUTION_ROLE && /^(ecr|logs):/.test(action) ? 'allowed' : 'implicitDeny';
      }),
    );

    const result = await createDiagnoseJob({ audit })({ service: 'prod/api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;
    expect(outputs.logging).toMatch(/Container app logs to \/ecs\/api, which exists/);
    expect(outputs.roles).toBe(
      `Whether the execution role api-execution allows secretsmanager:GetSecretValue is unknown: IAM's simulation does not allow secretsmanager:GetSecretValue for api-execution on ${SECRET}, unless the secret's own policy grants it: check ${SECRET}'s policy. The task role api-task does allow secretsmanager:GetSecretValue: the ECS agent uses the execution role. Fix: check the execution role's policies for secretsmanager:GetSecretValue, and allow secretsmanager:GetSecretValue on it unless the resource's policy already grants it.`,
    );
    expect(outputs.gracePeriod).toMatch(/failed ELB health checks.*--health-check-grace-period-seconds 120/);
    expect([outputs.logging, outputs.gracePeriod].join('\n')).not.toMatch(/unknown/i);
    expect(outputs.healthy).toBe(false);
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({ logGroupName: '/ecs/api', filterPattern: '"AccessDenied"', startTime: NOW - 900_000, limit: 20 });
  });
});

describe('diagnose over SdkServiceAudit with a least-privilege execution role', () => {
  beforeEach(() => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/api' }, { logGroupName: '/ecs/other' }] });
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, scopedExecutionRole));
  });

  it('simulates the pull on the repository and the log streams on the log group: a role scoped to them is allowed, not unknown', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(loggingTaskDefinition('/ecs/api'));
    const outputs = (await createDiagnoseJob({ audit })({ service: 'prod/api' }, jobContext())).outputs as DiagnoseOutputs;

    const repository = 'arn:aws:ecr:us-west-2:123456789012:repository/api';
    const streams = 'arn:aws:logs:us-west-2:123456789012:log-group:/ecs/api:log-stream:ecs/app/*';
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => [c.args[0].input.ActionNames?.[0], c.args[0].input.ResourceArns])).toEqual([
      ['ecr:GetAuthorizationToken', undefined],
      ['ecr:BatchCheckLayerAvailability', [repository]],
      ['ecr:GetDownloadUrlForLayer', [repository]],
      ['ecr:BatchGetImage', [repository]],
      ['logs:CreateLogStream', [streams]],
      ['logs:PutLogEvents', [streams]],
    ]);
    expect(outputs.roles).toBe(
      'The execution role api-execution allows what the agent needs (pull app from ECR; write the awslogs streams of app to log group /ecs/api); no AccessDenied seen for the task role api-task.',
    );
  });

  it('answers a definite "lacks" when the role is scoped to another log group', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(loggingTaskDefinition('/ecs/other'));
    const outputs = (await createDiagnoseJob({ audit })({ service: 'prod/api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(outputs.healthy).toBe(false);
    expect(outputs.roles).toMatch(
      /^The execution role api-execution lacks logs:CreateLogStream on arn:aws:logs:us-west-2:123456789012:log-group:\/ecs\/other:log-stream:ecs\/app\/\*, which the ECS agent needs to write the awslogs streams of app to log group \/ecs\/other\./,
    );
    expect(outputs.roles).toMatch(/lacks logs:PutLogEvents on \S+:log-group:\/ecs\/other:/);
    expect(outputs.roles).not.toMatch(/unknown|ecr:/);
  });
});

describe('SdkServiceAudit log groups (DescribeLogGroups)', () => {
  it('finds the exact group among those sharing its prefix', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/api' }, { logGroupName: '/ecs/api-worker' }] });
    expect(await audit.logGroupExists('/ecs/api', 'us-west-2')).toEqual({ known: true, value: true });
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0]?.args[0].input).toEqual({ logGroupNamePrefix: '/ecs/api', limit: 50 });
  });

  it('looks in the Region awslogs-region names, with that Region\'s client: a group in eu-west-1 of a us-west-2 task exists', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(loggingTaskDefinition('/ecs/api', 'eu-west-1'));
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    euLogs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/api' }] });
    euLogs.on(FilterLogEventsCommand).resolves({ events: [] });
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, () => 'allowed'));
    const outputs = (await createDiagnoseJob({ audit })({ service: 'prod/api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(outputs.logging).toBe('Container app logs to /ecs/api (eu-west-1), which exists.');
    expect(logs.commandCalls(DescribeLogGroupsCommand)).toHaveLength(0);
    expect(euLogs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.logGroupName)).toEqual(['/ecs/api', '/ecs/api', '/ecs/api', '/ecs/api']);
  });

  it('answers false when only longer names share the prefix', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/api-worker' }, { logGroupName: '/ecs/api/v2' }], nextToken: 'more' });
    expect(await audit.logGroupExists('/ecs/api', 'us-west-2')).toEqual({ known: true, value: false });
    expect(logs.commandCalls(DescribeLogGroupsCommand)).toHaveLength(1);
  });

  it('answers unknown naming logs:DescribeLogGroups when Lifeboat may not list log groups', async () => {
    logs.on(DescribeLogGroupsCommand).rejects(logsError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/lifeboat-read-only/lifeboat is not authorized to perform: logs:DescribeLogGroups'));
    const answer = await audit.logGroupExists('/ecs/api', 'us-west-2');
    expect(answer.known).toBe(false);
    expect(!answer.known && answer.why).toBe(
      "Lifeboat is not allowed logs:DescribeLogGroups on arn:aws:logs:us-west-2:123456789012:log-group:*; attach the diagnose IAM policy (deploy/iam/lifeboat-diagnose.json) to Lifeboat's role in this account.",
    );
  });
});

describe('SdkServiceAudit role permissions (SimulatePrincipalPolicy)', () => {
  it('answers true when IAM allows the action, simulating the role on the ARN it is given', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, () => 'allowed'));
    expect(await audit.roleAllows(EXECUTION_ROLE, 'secretsmanager:GetSecretValue', SECRET)).toEqual({ known: true, value: true });
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[0]?.args[0].input).toEqual({ PolicySourceArn: EXECUTION_ROLE, ActionNames: ['secretsmanager:GetSecretValue'], ResourceArns: [SECRET] });
  });

  it('names a role by ARN when the task definition gives its name', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, () => 'allowed'));
    await audit.roleAllows('api-execution', 'ssm:GetParameters', 'arn:aws:ssm:us-west-2:123456789012:parameter/prod/api/token');
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[0]?.args[0].input).toEqual({
      PolicySourceArn: EXECUTION_ROLE,
      ActionNames: ['ssm:GetParameters'],
      ResourceArns: ['arn:aws:ssm:us-west-2:123456789012:parameter/prod/api/token'],
    });
  });

  it('answers false on an implicit or explicit deny of a resource it was told, or of an account-wide action', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, (_role, action) => (action === 'ecr:BatchGetImage' ? 'explicitDeny' : 'implicitDeny')));
    const parameter = 'arn:aws:ssm:us-west-2:123456789012:parameter/prod/api/token';
    expect(await audit.roleAllows(EXECUTION_ROLE, 'ssm:GetParameters', parameter)).toEqual({ known: true, value: false });
    expect(await audit.roleAllows(EXECUTION_ROLE, 'ecr:GetAuthorizationToken')).toEqual({ known: true, value: false });
    expect(await audit.roleAllows(EXECUTION_ROLE, 'ecr:BatchGetImage', REPOSITORY)).toEqual({ known: true, value: false });
    expect(await audit.roleAllows(EXECUTION_ROLE, 'secretsmanager:GetSecretValue', SECRET)).toMatchObject({ known: false });
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[1]?.args[0].input).toEqual({ PolicySourceArn: EXECUTION_ROLE, ActionNames: ['ecr:GetAuthorizationToken'] });
  });

  it('answers unknown, not "lacks", on an implicit deny of a repository or a secret, whose own policy may grant the role', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, () => 'implicitDeny'));
    expect(await audit.roleAllows(EXECUTION_ROLE, 'ecr:BatchGetImage', REPOSITORY)).toEqual({
      known: false,
      why: `IAM's simulation does not allow ecr:BatchGetImage for api-execution on ${REPOSITORY}, unless the repository's own policy grants it: check ${REPOSITORY}'s policy.`,
    });
    expect(await audit.roleAllows(EXECUTION_ROLE, 'secretsmanager:GetSecretValue', SECRET)).toEqual({
      known: false,
      why: `IAM's simulation does not allow secretsmanager:GetSecretValue for api-execution on ${SECRET}, unless the secret's own policy grants it: check ${SECRET}'s policy.`,
    });
  });

  it('answers unknown, not denied, when an action asked without its resource is only implicitly denied on *', async () => {
    // A role scoped to its log group (as CDK writes it) is implicitly denied on *.
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => simulated(input, (_role, _action, resource) => (resource === '*' ? 'implicitDeny' : 'allowed')));
    const answer = await audit.roleAllows(EXECUTION_ROLE, 'logs:CreateLogStream');
    expect(answer.known).toBe(false);
    expect(!answer.known && answer.why).toMatch(/api-execution does not allow logs:CreateLogStream on every resource \(\*\).*--resource-arns <the resource ARN>/);
  });

  it('answers unknown naming iam:SimulatePrincipalPolicy when Lifeboat may not simulate, and the role when it does not exist', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .rejectsOnce(iamError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/lifeboat-read-only/lifeboat is not authorized to perform: iam:SimulatePrincipalPolicy'))
      .rejectsOnce(iamError('NoSuchEntity', 'The role with name api-execution cannot be found.', 404));
    const denied = await audit.roleAllows(EXECUTION_ROLE, 'ecr:GetAuthorizationToken');
    expect(!denied.known && denied.why).toMatch(/Lifeboat is not allowed iam:SimulatePrincipalPolicy on arn:aws:iam::123456789012:role\/api-execution; attach the diagnose IAM policy \(deploy\/iam\/lifeboat-diagnose\.json\)/);

    const missing = await audit.roleAllows(EXECUTION_ROLE, 'ecr:GetAuthorizationToken');
    expect(missing).toEqual({ known: false, why: `Role ${EXECUTION_ROLE} does not exist.` });
  });
});

describe('SdkServiceAudit app log (FilterLogEvents)', () => {
  it('returns the newest matching lines of the last 15 minutes, oldest first, each clipped, without reading the rest of the hour', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 'page-2' })
      .resolvesOnce({
        events: [
          { timestamp: NOW - 30_000, message: 'third AccessDenied' },
          { timestamp: NOW - 50_000, message: `second AccessDenied ${'x'.repeat(400)}` },
          { timestamp: NOW - 55_000, message: 'first AccessDenied\n' },
        ],
      });
    const answer = await audit.appLogLines('/ecs/api', 'us-west-2', 'AccessDenied', 2);
    expect(answer.known).toBe(true);
    const lines = answer.known ? answer.value : [];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^second AccessDenied x+…$/);
    expect(lines[0]).toHaveLength(300);
    expect(lines[1]).toBe('third AccessDenied');
    const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { logGroupName: '/ecs/api', filterPattern: '"AccessDenied"', startTime: NOW - 900_000, limit: 2 },
      { logGroupName: '/ecs/api', filterPattern: '"AccessDenied"', startTime: NOW - 900_000, limit: 2, nextToken: 'page-2' },
    ]);
  });

  it('reports the newest lines of a busy hour: the last 15 minutes first, then older ones only to fill up', async () => {
    // Five pages of the hour's oldest matches would fill the answer; the recent window is read first.
    logs.on(FilterLogEventsCommand, { startTime: NOW - 900_000 }).resolves({ events: [{ timestamp: NOW - 60_000, message: 'newest AccessDenied' }] });
    logs.on(FilterLogEventsCommand, { startTime: NOW - 3_600_000 }).resolves({ events: [{ timestamp: NOW - 3_000_000, message: 'old AccessDenied' }], nextToken: 'more' });
    const answer = await audit.appLogLines('/ecs/api', 'us-west-2', 'AccessDenied', 2);
    expect(answer).toEqual({ known: true, value: ['old AccessDenied', 'newest AccessDenied'] });
    const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({ logGroupName: '/ecs/api', filterPattern: '"AccessDenied"', startTime: NOW - 900_000, limit: 2 });
    expect(calls[1]).toEqual({ logGroupName: '/ecs/api', filterPattern: '"AccessDenied"', startTime: NOW - 3_600_000, endTime: NOW - 900_001, limit: 1 });
    expect(calls).toHaveLength(6);
  });

  it('answers unknown naming the group when it does not exist, and logs:FilterLogEvents when denied', async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejectsOnce(logsError('ResourceNotFoundException', 'The specified log group does not exist.'))
      .rejectsOnce(logsError('AccessDeniedException', 'not authorized to perform: logs:FilterLogEvents'));
    expect(await audit.appLogLines('/ecs/api', 'us-west-2', 'started in', 20)).toEqual({ known: false, why: 'Log group /ecs/api (account 123456789012 us-west-2) does not exist.' });

    const denied = await audit.appLogLines('/ecs/api', 'us-west-2', 'started in', 20);
    expect(!denied.known && denied.why).toMatch(/Lifeboat is not allowed logs:FilterLogEvents on arn:aws:logs:us-west-2:123456789012:log-group:\/ecs\/api; attach the diagnose IAM policy \(deploy\/iam\/lifeboat-diagnose\.json\)/);
  });

  it('throws a transient failure, so the job is retried', async () => {
    logs.on(FilterLogEventsCommand).rejects(logsError('ThrottlingException', 'Rate exceeded'));
    await expect(audit.appLogLines('/ecs/api', 'us-west-2', 'AccessDenied', 20)).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
  });
});
