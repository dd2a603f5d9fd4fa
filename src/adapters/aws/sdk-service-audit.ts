/**
 * `ServiceAuditReader` (the `diagnose` port) on the AWS SDK v3 clients: ECS (`DescribeServices`,
 * `DescribeTaskDefinition`, `ListTasks` + `DescribeTasks`), Application Auto Scaling
 * (`DescribeScalableTargets`, through `SdkScalingOps`), CloudWatch Logs (`DescribeLogGroups`,
 * `FilterLogEvents`, in `sdk-service-audit-logs.ts`) and IAM (`SimulatePrincipalPolicy`, for what
 * the execution and task roles allow).
 *
 * An account fact Lifeboat may not read, or that AWS refuses for good, answers `unknown` with a
 * sentence naming the IAM action or the missing resource; a transient failure is thrown and the job
 * retried. Image availability is `check images`' job (the runbook's next step). Create the ECS and
 * auto scaling clients with `maxAttempts: 1`, like the recovery ones (they are shared).
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SimulatePrincipalPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { Clock } from '../../core/clock.js';
import { LifeboatError, isLifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import type { Answer, AuditImage, AuditService, AuditTask, AuditTaskDefinition, ServiceAuditReader } from '../../recovery/diagnose-ports.js';
import type { ScalableTargetState } from '../../recovery/ports.js';
import { opsCall, type OpsCallContext } from './ops-call.js';
import { lastSegment, toEpochMs } from './sdk-call.js';
import { SdkScalingOps } from './sdk-scaling-ops.js';
import { SdkAuditLogs, auditAnswer, type LogsClientIn } from './sdk-service-audit-logs.js';

/** Options of `SdkServiceAudit`. */
export interface SdkServiceAuditOptions {
  account: string;
  region: string;
  /** Sets the window of the app's log search. */
  clock: Clock;
}

/** The clients `SdkServiceAudit` reads through. */
export interface SdkServiceAuditClients {
  ecs: ECSClient;
  scaling: ApplicationAutoScalingClient;
  /** CloudWatch Logs in a Region: a task may log to a group in another Region (`awslogs-region`). */
  logsIn: LogsClientIn;
  iam: IAMClient;
}

/** Every operation `SdkServiceAudit` can send, as IAM actions (all read-only). */
export const SDK_SERVICE_AUDIT_ACTIONS = [
  'ecs:DescribeServices',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'application-autoscaling:DescribeScalableTargets',
  'logs:DescribeLogGroups',
  'logs:FilterLogEvents',
  'iam:SimulatePrincipalPolicy',
] as const;

/**
 * Actions that take no resource-level permission: a simulation on `*` is their real answer. For any
 * other action asked without a resource, a role scoped to specific resources (a log group, a
 * repository — how CDK and least-privilege templates write execution roles) is implicitly denied on
 * `*` although it allows the real one, so that answer is `unknown`, not "denied".
 */
const ACCOUNT_WIDE_ACTIONS = new Set(['ecr:GetAuthorizationToken']);

/**
 * Services whose resource policy can grant the role access by itself (a repository policy naming
 * the execution role, a secret policy): the simulation leaves those out, so its implicit deny on
 * such a resource is not a definite "lacks". An explicit deny still is.
 */
const RESOURCE_POLICY_OWNERS: readonly (readonly [prefix: string, owner: string])[] = [
  ['ecr:', 'repository'],
  ['secretsmanager:', 'secret'],
];

/** `ServiceAuditReader` on the ECS, Application Auto Scaling, CloudWatch Logs and IAM clients. */
export class SdkServiceAudit implements ServiceAuditReader {
  private readonly ecs: ECSClient;
  private readonly iam: IAMClient;
  private readonly scaling: SdkScalingOps;
  private readonly logs: SdkAuditLogs;

  constructor(
    clients: SdkServiceAuditClients,
    private readonly options: SdkServiceAuditOptions,
  ) {
    this.ecs = clients.ecs;
    this.iam = clients.iam;
    this.scaling = new SdkScalingOps(clients.scaling, options);
    this.logs = new SdkAuditLogs(clients.logsIn, options);
  }

  async service(cluster: string, service: string): Promise<AuditService> {
    const out = await opsCall(this.serviceCtx('ecs:DescribeServices', cluster, service), () => this.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })));
    const s = out.services?.[0];
    if (!s) {
      const failure = out.failures?.[0];
      if (!failure || failure.reason === 'MISSING') throw new LifeboatError('AWS_NOT_FOUND', `Service ${service} was not found in cluster ${cluster} (${this.where()}).`);
      throw new LifeboatError('AWS_ERROR', `ECS could not describe service ${service} in cluster ${cluster}: ${failure.reason ?? 'no reason given'}.`, { retryable: false });
    }
    const deployments = (s.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? '',
      taskDefinition: d.taskDefinition ?? '',
      failedTasks: d.failedTasks ?? 0,
      ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
    }));
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    return {
      cluster: lastSegment(s.clusterArn ?? cluster),
      name: s.serviceName ?? service,
      desiredCount: s.desiredCount ?? 0,
      ...(s.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds } : {}),
      loadBalancers: (s.loadBalancers ?? []).map((lb) => ({
        ...(lb.targetGroupArn !== undefined ? { targetGroupArn: lb.targetGroupArn } : {}),
        ...(lb.containerName !== undefined ? { containerName: lb.containerName } : {}),
        ...(lb.containerPort !== undefined ? { containerPort: lb.containerPort } : {}),
      })),
      taskDefinition: primary?.taskDefinition ?? s.taskDefinition ?? '',
      deployments,
      events: (s.events ?? []).map((e) => ({ message: e.message ?? '', ...(e.createdAt !== undefined ? { createdAt: toEpochMs(e.createdAt) } : {}) })),
    };
  }

  async taskDefinition(arn: string): Promise<AuditTaskDefinition> {
    const ctx: OpsCallContext = { action: 'ecs:DescribeTaskDefinition', resource: arn, notFound: `task definition ${arn}` };
    const out = await opsCall(ctx, () => this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })));
    const td = out.taskDefinition;
    if (!td?.containerDefinitions) throw new LifeboatError('AWS_ERROR', `ECS returned no task definition for ${arn}.`, { retryable: false });
    return {
      arn: td.taskDefinitionArn ?? arn,
      family: td.family ?? lastSegment(arn).split(':')[0] ?? arn,
      ...(td.taskRoleArn !== undefined ? { taskRoleArn: td.taskRoleArn } : {}),
      ...(td.executionRoleArn !== undefined ? { executionRoleArn: td.executionRoleArn } : {}),
      containers: td.containerDefinitions.map((c) => ({
        name: c.name ?? '',
        image: c.image ?? '',
        essential: c.essential !== false,
        ...(c.logConfiguration?.logDriver !== undefined ? { logConfiguration: { logDriver: c.logConfiguration.logDriver, options: { ...(c.logConfiguration.options ?? {}) } } } : {}),
        secrets: (c.secrets ?? []).map((x) => ({ name: x.name ?? '', valueFrom: x.valueFrom ?? '' })),
      })),
    };
  }

  /** Running and stopped tasks (one page each); `[]` when Lifeboat may not list or describe tasks. */
  async recentTasks(cluster: string, service: string): Promise<AuditTask[]> {
    try {
      const arns: string[] = [];
      for (const desiredStatus of ['STOPPED', 'RUNNING'] as const) {
        const out = await opsCall(this.serviceCtx('ecs:ListTasks', cluster, service), () => this.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, maxResults: 50 })));
        arns.push(...(out.taskArns ?? []));
      }
      if (arns.length === 0) return [];
      const ctx: OpsCallContext = { action: 'ecs:DescribeTasks', resource: `arn:${partitionOf(this.options.region)}:ecs:${this.options.region}:${this.options.account}:task/${lastSegment(cluster)}/*` };
      const out = await opsCall(ctx, () => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) })));
      return (out.tasks ?? []).map(toAuditTask).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    } catch (err) {
      if (isLifeboatError(err) && err.code === 'AWS_ACCESS_DENIED') return [];
      throw err;
    }
  }

  logGroupExists(group: string, region: string | undefined): Promise<Answer<boolean>> {
    return this.logs.logGroupExists(group, region);
  }

  /**
   * `SimulatePrincipalPolicy` on the role's own policies (its permissions boundary and the
   * organization's SCPs included; resource policies, such as a repository's or a secret's, are
   * not). `resource` is the final ARN (`executionRoleNeeds` builds it), passed as given.
   */
  async roleAllows(roleArn: string, action: string, resource?: string): Promise<Answer<boolean>> {
    const role = this.roleArnOf(roleArn);
    const resourceArn = resource;
    const ctx = { action: 'iam:SimulatePrincipalPolicy', resource: role, notFound: `role ${role}`, notFoundErrors: ['NoSuchEntityException', 'NoSuchEntity'] };
    const answer = await auditAnswer(ctx, () => this.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: role, ActionNames: [action], ...(resourceArn !== undefined ? { ResourceArns: [resourceArn] } : {}) })));
    if (!answer.known) return answer;
    const result = answer.value.EvaluationResults?.find((r) => r.EvalActionName?.toLowerCase() === action.toLowerCase()) ?? answer.value.EvaluationResults?.[0];
    const on = resourceArn ?? '*';
    const check = `aws iam simulate-principal-policy --policy-source-arn ${role} --action-names ${action} --resource-arns ${resourceArn ?? '<the resource ARN>'}`;
    switch (result?.EvalDecision) {
      case 'allowed':
        return { known: true, value: true };
      case 'explicitDeny':
        return { known: true, value: false };
      case 'implicitDeny': {
        const missing = result.MissingContextValues ?? [];
        if (missing.length > 0) return { known: false, why: `IAM could not decide ${action} for ${lastSegment(role)} on ${on} without the request's ${missing.join(', ')}; check with ${check}.` };
        if (resourceArn === undefined && !ACCOUNT_WIDE_ACTIONS.has(action)) {
          return { known: false, why: `${lastSegment(role)} does not allow ${action} on every resource (*); it may allow it on the one the task uses, which Lifeboat was not told; check with ${check}.` };
        }
        const owner = resourceArn !== undefined ? RESOURCE_POLICY_OWNERS.find(([prefix]) => action.startsWith(prefix))?.[1] : undefined;
        if (owner !== undefined) {
          return { known: false, why: `IAM's simulation does not allow ${action} for ${lastSegment(role)} on ${on}, unless the ${owner}'s own policy grants it: check ${on}'s policy.` };
        }
        return { known: true, value: false };
      }
      default:
        return { known: false, why: `IAM gave no decision for ${action} by ${lastSegment(role)} on ${on}; check with ${check}.` };
    }
  }

  async scalableTarget(cluster: string, service: string): Promise<Answer<ScalableTargetState | undefined>> {
    try {
      return { known: true, value: await this.scaling.describeScalableTarget(lastSegment(cluster), lastSegment(service)) };
    } catch (err) {
      if (isLifeboatError(err) && err.code === 'AWS_ACCESS_DENIED') return { known: false, why: 'Lifeboat is not allowed application-autoscaling:DescribeScalableTargets.' };
      throw err;
    }
  }

  appLogLines(group: string, region: string | undefined, pattern: string, limit: number): Promise<Answer<string[]>> {
    return this.logs.appLogLines(group, region, pattern, limit);
  }

  images(cluster: string, service: string): Promise<Answer<AuditImage[]>> {
    return Promise.resolve({ known: false, why: `run check images ${lastSegment(cluster)}/${lastSegment(service)} (the runbook's next step).` });
  }

  private serviceCtx(action: string, cluster: string, service: string): OpsCallContext {
    const { region, account } = this.options;
    const c = lastSegment(cluster);
    return { action, resource: `arn:${partitionOf(region)}:ecs:${region}:${account}:service/${c}/${lastSegment(service)}`, notFound: `service ${lastSegment(service)} in cluster ${c} (${this.where()})` };
  }

  /** A task definition may name a role by name only; IAM wants its ARN. */
  private roleArnOf(role: string): string {
    return role.startsWith('arn:') ? role : `arn:${partitionOf(this.options.region)}:iam::${this.options.account}:role/${role}`;
  }

  private where(): string {
    return `account ${this.options.account} ${this.options.region}`;
  }
}

function toAuditTask(t: Task): AuditTask {
  return {
    arn: t.taskArn ?? '',
    ...(t.lastStatus !== undefined ? { lastStatus: t.lastStatus } : {}),
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.createdAt !== undefined ? { createdAt: toEpochMs(t.createdAt) } : {}),
    ...(t.startedAt !== undefined ? { startedAt: toEpochMs(t.startedAt) } : {}),
    ...(t.stoppedAt !== undefined ? { stoppedAt: toEpochMs(t.stoppedAt) } : {}),
    containers: (t.containers ?? []).map((c) => ({ name: c.name ?? '', ...(c.reason !== undefined ? { reason: c.reason } : {}), ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}) })),
  };
}
