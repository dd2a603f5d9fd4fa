/**
 * `SdkServiceAudit` under aws-sdk-client-mock, and `diagnose` over it: ECS and Application Auto
 * Scaling answers are mapped; log groups and role permissions answer unknown with what to check.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SdkServiceAudit } from '../../../src/adapters/aws/sdk-service-audit.js';
import { createDiagnoseJob, type DiagnoseOutputs } from '../../../src/recovery/diagnose.js';
import { jobContext } from '../../unit/drill/recovery-support.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ecsClient = new ECSClient({ region: 'us-west-2', credentials });
const scalingClient = new ApplicationAutoScalingClient({ region: 'us-west-2', credentials });
const ecs = mockClient(ecsClient);
const scaling = mockClient(scalingClient);
const audit = new SdkServiceAudit(ecsClient, scalingClient, { account: '123456789012', region: 'us-west-2' });
const TD = 'arn:aws:ecs:us-west-2:123456789012:task-definition/api:7';

beforeEach(() => {
  ecs.reset();
  scaling.reset();
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
      executionRoleArn: 'arn:aws:iam::123456789012:role/api-execution',
      taskRoleArn: 'arn:aws:iam::123456789012:role/api-task',
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
    expect(td).toMatchObject({ family: 'api', executionRoleArn: 'arn:aws:iam::123456789012:role/api-execution', containers: [{ name: 'app', essential: true, secrets: [] }] });
    const tasks = await audit.recentTasks('prod', 'api');
    expect(tasks[0]).toMatchObject({ startedAt: Date.parse('2026-03-02T10:00:40Z'), stoppedAt: Date.parse('2026-03-02T10:01:20Z') });
  });

  it('lets diagnose find the grace period and the missing scaling target, and leave roles and logging to a person', async () => {
    const diagnose = createDiagnoseJob({ audit });
    const result = await diagnose({ service: 'prod/api' }, jobContext());
    const outputs = result.outputs as DiagnoseOutputs;
    expect(outputs.healthy).toBe(false);
    expect(outputs.gracePeriod).toMatch(/failed ELB health checks after 40 s, still starting, with a grace period of 10 s.*--health-check-grace-period-seconds 60/);
    expect(outputs.scaling).toMatch(/fixed desired count of 3 with no Application Auto Scaling target/);
    expect(outputs.roles).toMatch(/unknown: Lifeboat has no IAM client; check with aws iam simulate-principal-policy --policy-source-arn arn:aws:iam::123456789012:role\/api-execution/);
    expect(outputs.logging).toMatch(/Container app of api has no log driver/);
  });
});
