/**
 * `diagnose` (job `diagnose-service`) over the drill account: the `ecs-footguns` drill's four
 * misconfigurations are found from the configuration alone, each with its fix; once they are
 * fixed and the service redeployed, the audit finds none.
 */
import { describe, expect, it } from 'vitest';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { DrillServiceAudit } from '../../../src/adapters/drill/service-audit.js';
import { STEP_OUTPUTS } from '../../../src/runbooks/outputs.js';
import { createDiagnoseJob, executionRoleNeeds, type DiagnoseOutputs } from '../../../src/recovery/diagnose.js';
import { jobContext } from '../drill/recovery-support.js';
import { RecordingSink, clockAt } from '../drill/support.js';

const MINUTE = 60_000;

async function footguns() {
  const drill = createDrill('ecs-footguns', { clock: clockAt(), sink: new RecordingSink() });
  await drill.runUntilDetected();
  return { drill, diagnose: createDiagnoseJob({ audit: drill.ports.audit }) };
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

  it('rejects a malformed target and an unknown service', async () => {
    const { diagnose } = await footguns();
    await expect(diagnose({ service: 'orders-api' }, jobContext())).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID' });
    await expect(diagnose({ service: 'prod/nope' }, jobContext())).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
  });
});

describe('executionRoleNeeds', () => {
  it('asks for ECR pull, log streams and each secret, SSM parameters by ssm:GetParameters', () => {
    const needs = executionRoleNeeds({
      arn: 'td',
      family: 'api',
      containers: [
        {
          name: 'app',
          image: '000000000000.dkr.ecr.us-east-1.amazonaws.com/api:1',
          essential: true,
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-create-group': 'true' } },
          secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/token' }],
        },
        { name: 'sidecar', image: 'public.ecr.aws/x/y:1', essential: false, secrets: [] },
      ],
    });
    expect(needs.map((n) => n.action)).toEqual([
      'ecr:GetAuthorizationToken',
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchGetImage',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'logs:CreateLogGroup',
      'ssm:GetParameters',
    ]);
  });
});
