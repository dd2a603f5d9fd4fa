/**
 * `ecs-footguns`: the first ECS service a team ships, with the four classic mistakes at once —
 *
 * 1. the secret's permission is on the *task* role, but the ECS agent fetches `secrets` with the
 *    *execution* role (task role vs execution role confusion);
 * 2. the `awslogs` log group `/ecs/orders-api` was never created (and `awslogs-create-group` is
 *    off), so even a fixed task dies creating its log stream — and nobody can read why;
 * 3. the health-check grace period is 0 s while the app needs 95 s to answer `/health`: the load
 *    balancer kills every task before it is ready;
 * 4. a desired count of 2 with no Application Auto Scaling target: nothing scales it, nothing
 *    keeps a floor.
 *
 * The first deployment fails one mistake at a time (secrets, then logs, then health checks); the
 * circuit breaker gives up after 3 failed tasks. The `task-fails-to-start` runbook should find all
 * four from the configuration alone. `drill fix <remedy>` applies a fix as the team would in its
 * infrastructure code; then `redeploy prod/orders-api`.
 */
import type { DrillAccount } from '../account.js';
import { DRILL_REGION, targetGroupArn } from '../ids.js';
import { AMD64 } from '../manifests.js';
import type { DrillScenario, HealthCheck } from '../scenario.js';
import { EXECUTION_ROLE_ACTIONS, HOUR, MINUTE, aboutService, ecrImage, serviceSteady } from './common.js';

/** How long orders-api takes to answer health checks. */
export const ORDERS_API_STARTUP_SECONDS = 95;
const LOG_GROUP = '/ecs/orders-api';
const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:orders-api/db-password-Xy12Ab';

export const ecsFootguns: DrillScenario = {
  id: 'ecs-footguns',
  title: "A team's first ECS service: four misconfigurations keep it from ever starting",
  story:
    'prod/orders-api is deployed for the first time. Its secret permission sits on the task role instead of the execution role, its log group does not exist, ' +
    'its health-check grace period (0 s) is shorter than its 95 s start-up, and its desired count has no auto scaling behind it. The first deployment never gets a healthy task.',
  walkthrough: [
    'Incident: prod/orders-api tasks fail to start (ResourceInitializationError), then the circuit breaker fails the deployment.',
    'runbook start task-fails-to-start — the audit reports each misconfiguration and its fix.',
    'Apply the fixes (in a drill: drill fix secret-on-execution-role, drill fix log-group, drill fix grace-period, drill fix auto-scaling).',
    'redeploy prod/orders-api — a new deployment; tasks start, pass health checks after 95 s, and the service reaches 2 of 2.',
  ],
  runbook: 'task-fails-to-start',
  setup(account, start) {
    account.ecs.createCluster('prod');
    const repo = account.ecr.createRepository('orders-api');
    account.ecr.push(repo.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: 'orders-api|1.0.0', revision: account.ids.hex(40) }, { tag: '1.0.0', pushedAt: start - HOUR });
    const execution = account.iam.createRole('orders-api-execution', EXECUTION_ROLE_ACTIONS);
    // The mistake: the secret permission went to the task role, where the agent never looks.
    const task = account.iam.createRole('orders-api-task', ['secretsmanager:GetSecretValue', 's3:GetObject', 'sqs:SendMessage']);
    const td = account.ecs.registerTaskDefinition({
      family: 'orders-api',
      containers: [
        {
          name: 'app',
          image: ecrImage('orders-api', '1.0.0'),
          essential: true,
          portMappings: [{ containerPort: 8080 }],
          secrets: [{ name: 'DB_PASSWORD', valueFrom: SECRET }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': DRILL_REGION, 'awslogs-stream-prefix': 'ecs' } },
        },
      ],
      runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      executionRoleArn: execution.arn,
      taskRoleArn: task.arn,
    });
    account.ecs.setApp('orders-api', { startupSeconds: ORDERS_API_STARTUP_SECONDS, taskRoleActions: ['s3:GetObject'] });
    const deployAt = start + 5 * MINUTE;
    account.scheduler.at(deployAt, 'fault: first deployment of prod/orders-api', () => {
      account.ecs.createService({
        cluster: 'prod',
        name: 'orders-api',
        taskDefinition: td.arn,
        desiredCount: 2,
        healthCheckGracePeriodSeconds: 0,
        loadBalancer: { targetGroupArn: targetGroupArn('orders-api'), containerName: 'app', containerPort: 8080 },
        circuitBreaker: { enable: true, rollback: true },
      });
    });
    account.codebuild.createProject({
      name: 'orders-api-image',
      target: { registry: 'ecr', repository: 'orders-api', platforms: [AMD64], attestations: false },
      tags: [{ key: 'lifeboat:repository', value: 'orders-api' }],
    });
    return { faults: [{ at: deployAt, kind: 'impact', description: 'the first deployment of prod/orders-api starts; its tasks cannot fetch the secret' }] };
  },
  detects: (alert) =>
    aboutService(alert, 'prod', 'orders-api') && (alert.class === 'task-fails-to-start' || alert.class === 'image-pull-failed' || alert.class === 'deployment-failed'),
  healthy(account) {
    const checks = [serviceSteady(account, 'prod', 'orders-api', 2), ...footgunChecks(account)];
    return { healthy: checks.every((c) => c.ok), checks };
  },
  remedies: [
    {
      id: 'secret-on-execution-role',
      description: 'allow secretsmanager:GetSecretValue on the execution role (the agent fetches secrets; the task role is for the app)',
      apply: (account) => account.iam.allow('orders-api-execution', ['secretsmanager:GetSecretValue']),
    },
    {
      id: 'log-group',
      description: `create the log group ${LOG_GROUP} (or set awslogs-create-group and allow logs:CreateLogGroup)`,
      apply: (account) => account.logs.createLogGroup(LOG_GROUP, account.now()),
    },
    {
      id: 'grace-period',
      description: `set the health-check grace period to 120 s (the app needs ${ORDERS_API_STARTUP_SECONDS} s)`,
      apply: (account) => account.ecs.updateService({ cluster: 'prod', service: 'orders-api', healthCheckGracePeriodSeconds: 120 }),
    },
    {
      id: 'auto-scaling',
      description: 'register an Application Auto Scaling target (min 2, max 6) for the service',
      apply: (account) => account.autoscaling.register('service/prod/orders-api', 2, 6),
    },
  ],
};

/** The four findings, as checks (ok = fixed). */
export function footgunChecks(account: DrillAccount): HealthCheck[] {
  const service = account.ecs.services.get('prod/orders-api');
  const grace = service?.healthCheckGracePeriodSeconds ?? 0;
  const target = account.autoscaling.targets.get('service/prod/orders-api');
  return [
    {
      name: 'execution role can read the secret',
      ok: account.iam.allows(account.iam.roles.get('orders-api-execution')?.arn, 'secretsmanager:GetSecretValue'),
      detail: 'orders-api-execution needs secretsmanager:GetSecretValue for the DB_PASSWORD secret',
    },
    { name: `log group ${LOG_GROUP} exists`, ok: account.logs.exists(LOG_GROUP), detail: 'the awslogs driver needs the group to create its stream' },
    {
      name: 'health-check grace period covers start-up',
      ok: grace >= ORDERS_API_STARTUP_SECONDS,
      detail: `grace ${grace} s, start-up ${ORDERS_API_STARTUP_SECONDS} s`,
    },
    { name: 'auto scaling target registered', ok: target !== undefined, detail: target ? `min ${target.minCapacity}, max ${target.maxCapacity}` : 'desired count 2 with no scalable target' },
  ];
}
