/**
 * `ServiceAuditReader` (the `diagnose` port) on the AWS SDK v3 clients Lifeboat already has: ECS
 * (`DescribeServices`, `DescribeTaskDefinition`, `ListTasks` + `DescribeTasks`) and Application
 * Auto Scaling (`DescribeScalableTargets`, through `SdkScalingOps`).
 *
 * Lifeboat ships no CloudWatch Logs or IAM client, so log groups, role permissions and the app's
 * log answer `unknown` with a sentence naming what to check; image availability is `check images`'
 * job (the runbook's next step). Create the clients with `maxAttempts: 1`, like the recovery ones.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { LifeboatError, isLifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import type { Answer, AuditImage, AuditService, AuditTask, AuditTaskDefinition, ServiceAuditReader } from '../../recovery/diagnose-ports.js';
import type { ScalableTargetState } from '../../recovery/ports.js';
import { opsCall, type OpsCallContext } from './ops-call.js';
import { lastSegment, toEpochMs } from './sdk-call.js';
import { SdkScalingOps } from './sdk-scaling-ops.js';

/** Options of `SdkServiceAudit`. */
export interface SdkServiceAuditOptions {
  account: string;
  region: string;
}

/** Every operation `SdkServiceAudit` can send, as IAM actions (all read-only). */
export const SDK_SERVICE_AUDIT_ACTIONS = ['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:ListTasks', 'ecs:DescribeTasks', 'application-autoscaling:DescribeScalableTargets'] as const;

/** `ServiceAuditReader` on `ECSClient` and `ApplicationAutoScalingClient`. */
export class SdkServiceAudit implements ServiceAuditReader {
  private readonly scaling: SdkScalingOps;

  constructor(
    private readonly ecs: ECSClient,
    scaling: ApplicationAutoScalingClient,
    private readonly options: SdkServiceAuditOptions,
  ) {
    this.scaling = new SdkScalingOps(scaling, options);
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

  logGroupExists(group: string): Promise<Answer<boolean>> {
    return Promise.resolve({ known: false, why: `Lifeboat has no CloudWatch Logs client; check that ${group} exists (aws logs describe-log-groups --log-group-name-prefix ${group}, needs logs:DescribeLogGroups).` });
  }

  roleAllows(roleArn: string, action: string, resource?: string): Promise<Answer<boolean>> {
    return Promise.resolve({
      known: false,
      why: `Lifeboat has no IAM client; check with aws iam simulate-principal-policy --policy-source-arn ${roleArn} --action-names ${action}${resource !== undefined ? ` --resource-arns ${resource}` : ''} (needs iam:SimulatePrincipalPolicy).`,
    });
  }

  async scalableTarget(cluster: string, service: string): Promise<Answer<ScalableTargetState | undefined>> {
    try {
      return { known: true, value: await this.scaling.describeScalableTarget(lastSegment(cluster), lastSegment(service)) };
    } catch (err) {
      if (isLifeboatError(err) && err.code === 'AWS_ACCESS_DENIED') return { known: false, why: 'Lifeboat is not allowed application-autoscaling:DescribeScalableTargets.' };
      throw err;
    }
  }

  appLogLines(group: string): Promise<Answer<string[]>> {
    return Promise.resolve({ known: false, why: `Lifeboat has no CloudWatch Logs client; search ${group} for AccessDenied (needs logs:FilterLogEvents).` });
  }

  images(cluster: string, service: string): Promise<Answer<AuditImage[]>> {
    return Promise.resolve({ known: false, why: `run check images ${lastSegment(cluster)}/${lastSegment(service)} (the runbook's next step).` });
  }

  private serviceCtx(action: string, cluster: string, service: string): OpsCallContext {
    const { region, account } = this.options;
    const c = lastSegment(cluster);
    return { action, resource: `arn:${partitionOf(region)}:ecs:${region}:${account}:service/${c}/${lastSegment(service)}`, notFound: `service ${lastSegment(service)} in cluster ${c} (${this.where()})` };
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
