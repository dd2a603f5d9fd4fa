/**
 * `diagnose` (job `diagnose-service`) over the drill account: the `ecs-footguns` drill's four
 * misconfigurations are found from the configuration alone, each with its fix; once they are
 * fixed and the service redeployed, the audit finds none.
 */
import { describe, expect, it } from 'vitest';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { DrillServiceAudit } from '../../../src/adapters/drill/service-audit.js';
import { STEP_OUTPUTS } from '../../../src/runbooks/outputs.js';
import { auditService, createDiagnoseJob, executionRoleNeeds, type Answer, type AuditFacts, type DiagnoseOutputs, type ServiceAuditReader } from '../../../src/recovery/diagnose.js';
import { jobContext } from '../drill/recovery-support.js';
import { RecordingSink, clockAt } from '../drill/support.js';

const MINUTE = 60_000;

async function footguns() {
  const drill = createDrill('ecs-footguns', { clock: clockAt(), sink: new RecordingSink() });
  await drill.runUntilDetected();
  return { drill, diagnose: createDiagnoseJob({ audit: drill.ports.audit }) };
}

const EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/orders-api-execution';
const TASK_ROLE = 'arn:aws:iam::000000000000:role/orders-api-task';
const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:orders-api/db-password-Xy12Ab';
const REPOSITORY = 'arn:aws:ecr:us-east-1:000000000000:repository/orders-api';
const LOG_STREAMS = 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/orders-api:log-stream:ecs/app/*';

/**
 * A reader that records every `roleAllows` question; `answer` may replace the drill's answer, and
 * `logLines` its app-log search.
 */
function recordingAudit(
  inner: ServiceAuditReader,
  answer?: (role: string, action: string, resource?: string) => Answer<boolean> | undefined,
  logLines?: (group: string, pattern: string) => Answer<string[]> | undefined,
) {
  const asked: [role: string, action: string, resource?: string][] = [];
  const audit: ServiceAuditReader = {
    service: (c, s) => inner.service(c, s),
    taskDefinition: (arn) => inner.taskDefinition(arn),
    recentTasks: (c, s) => inner.recentTasks(c, s),
    logGroupExists: (g, r) => inner.logGroupExists(g, r),
    roleAllows: (role, action, resource) => {
      asked.push(resource === undefined ? [role, action] : [role, action, resource]);
      return Promise.resolve(answer?.(role, action, resource) ?? inner.roleAllows(role, action, resource));
    },
    scalableTarget: (c, s) => inner.scalableTarget(c, s),
    appLogLines: (g, r, p, l) => Promise.resolve(logLines?.(g, p) ?? inner.appLogLines(g, r, p, l)),
    images: (c, s, td) => inner.images(c, s, td),
  };
  return { audit, asked };
}

describe('diagnose over the ecs-footguns drill', () => {
  it('finds all four misconfigurations, each with its fix, and reports the runbook outputs', async () => {
    const { diagnose } = await footguns();
    const result = await diagnose({ service: 'prod/orders-api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;

    expect(Object.keys(outputs).sort()).toEqual(Object.keys(STEP_OUTPUTS.diagnose!).sort());
    expect(result.summary).toBe('prod/orders-api: 4 misconfigurations found.');
    expect(outputs.healthy).toBe(false);
    expect(outputs.findings).toHaveLength(4);

    expect(outputs.roles).toMatch(/secretsmanager:GetSecretValue .*on the task role orders-api-task instead of the execution role orders-api-execution/);
    expect(outputs.roles).toMatch(/Fix: allow secretsmanager:GetSecretValue on arn:aws:secretsmanager:\S+ on the execution role orders-api-execution/);
    expect(outputs.logging).toMatch(/Log group \/ecs\/orders-api of container app does not exist.*Fix: create it \(aws logs create-log-group --log-group-name \/ecs\/orders-api\)/);
    expect(outputs.gracePeriod).toMatch(/grace period of prod\/orders-api is 0 s behind a load balancer.*Fix: .*--health-check-grace-period-seconds 120/);
    expect(outputs.scaling).toMatch(/fixed desired count of 2 with no Application Auto Scaling target.*Fix: register a scalable target: .*--resource-id service\/prod\/orders-api --min-capacity 2/);
  });

  it('sees the ELB health-check kills once the secret and the log group are fixed', async () => {
    const { drill, diagnose } = await footguns();
    for (const id of ['secret-on-execution-role', 'log-group']) drill.scenario.remedies!.find((r) => r.id === id)!.apply(drill.account);
    drill.account.ecs.updateService({ cluster: 'prod', service: 'orders-api', forceNewDeployment: true });
    await drill.advance(10 * MINUTE);
    const outputs = (await diagnose({ service: 'prod/orders-api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(outputs.findings).toHaveLength(2);
    expect(outputs.gracePeriod).toMatch(/tasks? of prod\/orders-api failed ELB health checks after 30 s, still starting, with a grace period of 0 s/);
    expect(outputs.logging).toBe('Container app logs to /ecs/orders-api, which exists.');
  });

  it('finds nothing once the four fixes are applied and the service redeployed', async () => {
    const { drill, diagnose } = await footguns();
    for (const remedy of drill.scenario.remedies ?? []) remedy.apply(drill.account);
    drill.account.ecs.updateService({ cluster: 'prod', service: 'orders-api', forceNewDeployment: true });
    await drill.advance(10 * MINUTE);
    expect(drill.healthy()).toMatchObject({ healthy: true });

    const result = await diagnose({ service: 'prod/orders-api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;
    expect(result.summary).toBe('prod/orders-api: no misconfiguration found.');
    expect(outputs).toMatchObject({ healthy: true, findings: [] });
    expect(outputs.gracePeriod).toMatch(/\(120 s\) covers the observed start-up of 95 s/);
    expect(outputs.scaling).toBe('prod/orders-api scales between 2 and 6 tasks (desired 2).');
  });

  it('answers unknown, not healthy-looking guesses, when Lifeboat may not read logs or IAM', async () => {
    const drill = createDrill('ecs-footguns', { clock: clockAt(), sink: new RecordingSink(), deny: ['logs:DescribeLogGroups', 'iam:SimulatePrincipalPolicy'] });
    await drill.runUntilDetected();
    const diagnose = createDiagnoseJob({ audit: new DrillServiceAudit(() => drill.account, { deny: ['logs:DescribeLogGroups', 'iam:SimulatePrincipalPolicy'] }) });
    const outputs = (await diagnose({ service: 'prod/orders-api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(outputs.logging).toMatch(/whether it exists is unknown: Lifeboat is not allowed logs:DescribeLogGroups/);
    expect(outputs.roles).toMatch(/is unknown: Lifeboat is not allowed iam:SimulatePrincipalPolicy/);
    expect(outputs.healthy).toBe(false); // grace period and scaling are still known problems
  });

  it('does not call a service healthy, nor say "no AccessDenied seen", when the app log could not be searched', async () => {
    const { drill } = await footguns();
    for (const remedy of drill.scenario.remedies ?? []) remedy.apply(drill.account);
    drill.account.ecs.updateService({ cluster: 'prod', service: 'orders-api', forceNewDeployment: true });
    await drill.advance(10 * MINUTE);
    const denied = { known: false as const, why: "Lifeboat is not allowed logs:FilterLogEvents on arn:aws:logs:us-east-1:000000000000:log-group:/ecs/orders-api; attach the diagnose IAM policy (deploy/iam/lifeboat-diagnose.json) to Lifeboat's role in this account." };
    const { audit } = recordingAudit(drill.ports.audit, undefined, (_group, pattern) => (pattern === 'AccessDenied' ? denied : undefined));
    const result = await createDiagnoseJob({ audit })({ service: 'prod/orders-api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;
    expect(outputs.healthy).toBe(false);
    expect(outputs.roles).not.toMatch(/no AccessDenied seen/);
    expect(outputs.roles).toMatch(/^Whether the app is denied anything with its task role orders-api-task is unknown: its log \/ecs\/orders-api \(us-east-1\) could not be searched for AccessDenied: Lifeboat is not allowed logs:FilterLogEvents/);
    expect(outputs.findings).toHaveLength(1);
    expect(result.summary).toBe('prod/orders-api: no misconfiguration found (1 not checked).');
  });

  it('looks for a log group in its awslogs-region, not the task definition\'s', async () => {
    const { drill } = await footguns();
    const regions: [string, string | undefined][] = [];
    const inner = drill.ports.audit;
    const audit: ServiceAuditReader = {
      ...recordingAudit(inner).audit,
      taskDefinition: async (arn) => {
        const td = await inner.taskDefinition(arn);
        return { ...td, containers: td.containers.map((c) => (c.logConfiguration ? { ...c, logConfiguration: { ...c.logConfiguration, options: { ...c.logConfiguration.options, 'awslogs-region': 'eu-west-1' } } } : c)) };
      },
      logGroupExists: (group, region) => {
        regions.push([group, region]);
        return Promise.resolve({ known: true, value: region === 'eu-west-1' });
      },
    };
    const outputs = (await createDiagnoseJob({ audit })({ service: 'prod/orders-api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(regions).toEqual([['/ecs/orders-api', 'eu-west-1']]);
    expect(outputs.logging).toBe('Container app logs to /ecs/orders-api (eu-west-1), which exists.');
  });

  it('asks about the repository, the log streams and the secret on their ARNs, and the ECR token on none', async () => {
    const { drill } = await footguns();
    const { audit, asked } = recordingAudit(drill.ports.audit);
    await createDiagnoseJob({ audit })({ service: 'prod/orders-api' }, jobContext());
    expect(asked).toEqual([
      [EXECUTION_ROLE, 'ecr:GetAuthorizationToken'],
      [EXECUTION_ROLE, 'ecr:BatchCheckLayerAvailability', REPOSITORY],
      [EXECUTION_ROLE, 'ecr:GetDownloadUrlForLayer', REPOSITORY],
      [EXECUTION_ROLE, 'ecr:BatchGetImage', REPOSITORY],
      [EXECUTION_ROLE, 'logs:CreateLogStream', LOG_STREAMS],
      [EXECUTION_ROLE, 'logs:PutLogEvents', LOG_STREAMS],
      [EXECUTION_ROLE, 'secretsmanager:GetSecretValue', SECRET],
      [TASK_ROLE, 'secretsmanager:GetSecretValue', SECRET],
    ]);
  });

  it('names the log group the execution role may not write to', async () => {
    const { drill } = await footguns();
    const { audit } = recordingAudit(drill.ports.audit, (role, action, resource) =>
      role === EXECUTION_ROLE && action === 'logs:CreateLogStream' && resource === LOG_STREAMS ? { known: true, value: false } : undefined,
    );
    const outputs = (await createDiagnoseJob({ audit })({ service: 'prod/orders-api' }, jobContext())).outputs as DiagnoseOutputs;
    expect(outputs.roles).toContain(
      `The execution role orders-api-execution lacks logs:CreateLogStream on ${LOG_STREAMS}, which the ECS agent needs to write the awslogs streams of app to log group /ecs/orders-api. Fix: allow logs:CreateLogStream on ${LOG_STREAMS} on the execution role orders-api-execution.`,
    );
  });

  it('rejects a malformed target and an unknown service', async () => {
    const { diagnose } = await footguns();
    await expect(diagnose({ service: 'orders-api' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID' });
    await expect(diagnose({ service: 'prod/nope' }, jobContext())).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
  });
});

describe('executionRoleNeeds', () => {
  const TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/api:3';

  it('asks for ECR pull on the repository, log streams and group on the log group, each secret on its ARN', () => {
    const needs = executionRoleNeeds({
      arn: TD,
      family: 'api',
      containers: [
        {
          name: 'app',
          image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/team/api:1',
          essential: true,
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-create-group': 'true', 'awslogs-stream-prefix': 'ecs' } },
          secrets: [
            { name: 'TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:111122223333:parameter/token' },
            { name: 'API_KEY', valueFrom: '/prod/api/key' },
            { name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf:password::' },
          ],
        },
        { name: 'sidecar', image: 'public.ecr.aws/x/y:1', essential: false, secrets: [] },
      ],
    });
    const repository = 'arn:aws:ecr:us-east-1:111122223333:repository/team/api';
    const streams = 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/api:log-stream:ecs/app/*';
    expect(needs.map((n) => [n.action, n.resource])).toEqual([
      ['ecr:GetAuthorizationToken', undefined],
      ['ecr:BatchCheckLayerAvailability', repository],
      ['ecr:GetDownloadUrlForLayer', repository],
      ['ecr:BatchGetImage', repository],
      ['logs:CreateLogStream', streams],
      ['logs:PutLogEvents', streams],
      // The ARN the agent's CreateLogGroup request names (as its AccessDenied messages show).
      ['logs:CreateLogGroup', 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/api:log-stream:'],
      ['ssm:GetParameters', 'arn:aws:ssm:us-east-1:111122223333:parameter/token'],
      ['ssm:GetParameters', 'arn:aws:ssm:us-east-1:111122223333:parameter/prod/api/key'],
      ['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf'],
    ]);
    expect(needs.map((n) => n.because)).toContain('write the awslogs streams of app to log group /ecs/api');
  });

  it('takes the repository from the image host and the log group Region from awslogs-region', () => {
    const needs = executionRoleNeeds({
      arn: TD,
      family: 'api',
      containers: [
        { name: 'app', image: '444455556666.dkr.ecr.cn-north-1.amazonaws.com.cn/shared/base@sha256:' + 'a'.repeat(64), essential: true, secrets: [], logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'eu-west-1' } } },
        { name: 'proxy', image: '444455556666.dkr.ecr.cn-north-1.amazonaws.com.cn/shared/base:2', essential: false, secrets: [], logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'eu-west-1' } } },
      ],
    });
    expect(needs.filter((n) => n.action === 'ecr:BatchGetImage')).toEqual([{ action: 'ecr:BatchGetImage', resource: 'arn:aws-cn:ecr:cn-north-1:444455556666:repository/shared/base', because: 'pull app, proxy from ECR' }]);
    // Without a stream prefix the streams are named by container id: one question for both containers.
    expect(needs.filter((n) => n.action === 'logs:PutLogEvents')).toEqual([
      { action: 'logs:PutLogEvents', resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/api:log-stream:*', because: 'write the awslogs streams of app, proxy to log group /ecs/api' },
    ]);
  });

  it('asks about the log streams without a resource when the task definition ARN gives no account', () => {
    const needs = executionRoleNeeds({
      arn: 'api:3',
      family: 'api',
      containers: [
        { name: 'app', image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1', essential: true, secrets: [{ name: 'K', valueFrom: 'key' }], logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } } },
        { name: 'broken', image: 'nginx', essential: false, secrets: [], logConfiguration: { logDriver: 'awslogs', options: {} } },
      ],
    });
    expect(needs.filter((n) => n.action.startsWith('logs:'))).toEqual([
      { action: 'logs:CreateLogStream', because: 'write the awslogs streams of app to log group /ecs/api' },
      { action: 'logs:PutLogEvents', because: 'write the awslogs streams of app to log group /ecs/api' },
    ]);
    expect(needs.find((n) => n.action === 'ecr:BatchGetImage')?.resource).toBe('arn:aws:ecr:us-east-1:111122223333:repository/api');
    expect(needs.find((n) => n.action === 'ssm:GetParameters')?.resource).toBe('key');
  });
});

describe('auditService', () => {
  it('judges awslogs-create-group per log group, by the CreateLogGroup answer on that group', () => {
    const container = (name: string, group: string) => ({ name, image: 'nginx', essential: true, secrets: [], logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-create-group': 'true' } } });
    const taskDefinition = { arn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/api:3', family: 'api', executionRoleArn: 'arn:aws:iam::111122223333:role/api-execution', containers: [container('app', '/ecs/api'), container('worker', '/ecs/worker')] };
    const allowed = new Set(['arn:aws:logs:us-east-1:111122223333:log-group:/ecs/api:log-stream:']);
    const facts: AuditFacts = {
      service: { cluster: 'prod', name: 'api', desiredCount: 1, loadBalancers: [], taskDefinition: taskDefinition.arn, deployments: [], events: [] },
      taskDefinition,
      tasks: [],
      logGroups: { '/ecs/api (us-east-1)': { known: true, value: false }, '/ecs/worker (us-east-1)': { known: true, value: false } },
      permissions: executionRoleNeeds(taskDefinition).map((n) => ({ role: 'execution' as const, ...n, allowed: { known: true as const, value: n.action !== 'logs:CreateLogGroup' || allowed.has(n.resource ?? '') } })),
      accessDenied: [],
      appLogs: {},
      loggedStartupSeconds: [],
      scalableTarget: { known: true, value: undefined },
      images: { known: true, value: [] },
    };
    const logging = auditService(facts).filter((f) => f.check === 'logging');
    expect(logging.map((f) => [f.status, f.sentence])).toEqual([
      ['ok', 'Log group /ecs/api does not exist yet; the agent creates it (awslogs-create-group, and the execution role allows logs:CreateLogGroup).'],
      ['problem', 'Log group /ecs/worker does not exist and the execution role cannot create it (logs:CreateLogGroup), although awslogs-create-group is true.'],
    ]);
  });
});
