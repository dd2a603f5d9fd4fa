/**
 * Building blocks the scenarios share: the standard task execution role, a Fargate service that
 * has been running for a while, and the health checks every scenario asks.
 */
import { parseImageReference, shortDigest } from '../../../images/image-reference.js';
import { DAY_MS } from '../../../images/lifecycle/evaluate.js';
import { parseImageIndex, selectPlatform } from '../../../images/oci-index.js';
import { formatPlatform, platformFromRuntime } from '../../../images/platform.js';
import type { DrillAccount } from '../account.js';
import type { SimService } from '../ecs.js';
import { DRILL_ECR_HOST, DRILL_REGION } from '../ids.js';
import type { HealthCheck } from '../scenario.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = DAY_MS;

/** What `AmazonECSTaskExecutionRolePolicy` allows: image pull and logs, not secrets. */
export const EXECUTION_ROLE_ACTIONS = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
];

/** The image reference of an ECR repository in the drill account. */
export function ecrImage(repository: string, tag: string): string {
  return `${DRILL_ECR_HOST}/${repository}:${tag}`;
}

/** Midnight UTC of the day `at` is in, plus `hhmm`. */
export function atTime(day: number, hhmm: string): number {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return Math.floor(day / DAY) * DAY + (h * 60 + m) * MINUTE;
}

/** A long-running Fargate service with its task definition, log group and execution role. */
export function runningService(
  account: DrillAccount,
  input: {
    cluster: string;
    name: string;
    image: string;
    desiredCount: number;
    runningSince: number;
    cpuArchitecture?: 'X86_64' | 'ARM64';
    startupSeconds?: number;
    circuitBreaker?: boolean;
  },
): SimService {
  const executionRole = account.iam.roles.get('ecsTaskExecutionRole') ?? account.iam.createRole('ecsTaskExecutionRole', EXECUTION_ROLE_ACTIONS);
  account.logs.createLogGroup(`/ecs/${input.name}`, input.runningSince);
  const td = account.ecs.registerTaskDefinition({
    family: input.name,
    containers: [
      {
        name: 'app',
        image: input.image,
        essential: true,
        portMappings: [{ containerPort: 8080 }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${input.name}`, 'awslogs-region': DRILL_REGION, 'awslogs-stream-prefix': 'ecs' } },
      },
    ],
    runtimePlatform: { cpuArchitecture: input.cpuArchitecture ?? 'X86_64', operatingSystemFamily: 'LINUX' },
    executionRoleArn: executionRole.arn,
  });
  account.ecs.setApp(input.name, { startupSeconds: input.startupSeconds ?? 20 });
  return account.ecs.createService({
    cluster: input.cluster,
    name: input.name,
    taskDefinition: td.arn,
    desiredCount: input.desiredCount,
    runningSince: input.runningSince,
    circuitBreaker: { enable: input.circuitBreaker ?? true, rollback: input.circuitBreaker ?? true },
  });
}

/** "prod/api is steady: 3 of 3 running, one completed deployment". */
export function serviceSteady(account: DrillAccount, cluster: string, name: string, desired?: number): HealthCheck {
  const service = account.ecs.services.get(`${cluster}/${name}`);
  if (!service) return { name: `${cluster}/${name} steady`, ok: false, detail: 'the service does not exist' };
  const running = account.ecs.runningCount(cluster, name);
  const steady = account.ecs.isSteady(service) && (desired === undefined || service.desiredCount === desired);
  const primary = service.deployments[0];
  return {
    name: `${cluster}/${name} steady`,
    ok: steady,
    detail: `${running} of ${service.desiredCount} running${desired !== undefined && service.desiredCount !== desired ? ` (should be back to ${desired})` : ''}, ${service.deployments.length} deployment${service.deployments.length === 1 ? '' : 's'}, rollout ${primary?.rolloutState ?? 'none'}`,
  };
}

/** Every pinned digest of the service's deployments can be pulled on its platform (index child included). */
export function pinnedImagesPullable(account: DrillAccount, cluster: string, name: string): HealthCheck {
  const service = account.ecs.services.get(`${cluster}/${name}`);
  const label = `${cluster}/${name} images pullable`;
  if (!service) return { name: label, ok: false, detail: 'the service does not exist' };
  const problems: string[] = [];
  for (const d of service.deployments) {
    const td = account.ecs.taskDefinitions.get(d.taskDefinition);
    const platform = platformFromRuntime(td?.runtimePlatform);
    for (const c of td?.containers ?? []) {
      const parsed = parseImageReference(c.image);
      if (!parsed.ok) {
        problems.push(`${c.name}: ${parsed.error}`);
        continue;
      }
      const ref = parsed.ref;
      const source = account.pullSource(ref.registry.host);
      const reference = d.pinned.get(c.name) ?? ref.digest ?? ref.tag ?? 'latest';
      const found = source?.lookup(ref.repository, reference);
      if (found?.kind !== 'found') {
        problems.push(`${c.name}: ${shortDigest(reference)} is ${found?.kind ?? 'in a registry the drill does not have'}`);
        continue;
      }
      const index = parseImageIndex(found.body);
      if (!index.ok) continue;
      const selection = selectPlatform(index.index, platform);
      if (selection.kind !== 'match') problems.push(`${c.name}: ${shortDigest(found.digest)} has no ${formatPlatform(platform)} image`);
      else if (source?.lookup(ref.repository, selection.digest).kind !== 'found') problems.push(`${c.name}: the ${formatPlatform(platform)} child ${shortDigest(selection.digest)} is missing`);
    }
  }
  return { name: label, ok: problems.length === 0, detail: problems.length === 0 ? 'every pinned digest (and platform child) is there' : problems.join('; ') };
}

/** Does the alert concern this service (by target)? */
export function aboutService(alert: { target: { cluster?: string; service?: string } }, cluster: string, service: string): boolean {
  return alert.target.cluster === cluster && alert.target.service === service;
}
