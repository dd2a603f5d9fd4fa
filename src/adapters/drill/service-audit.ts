/**
 * `ServiceAuditReader` (the `diagnose` port) over the simulated account: the service and task
 * definition as ECS describes them, recent tasks, log groups and app logs from the simulated
 * CloudWatch Logs, role permissions from the simulated IAM, the Application Auto Scaling target
 * and image availability as the simulated registries answer a pull. `deny` in the options makes
 * the matching account fact answer `unknown`, as a missing permission of Lifeboat's role would.
 */
import type { Answer, AuditImage, AuditService, AuditTask, AuditTaskDefinition, ServiceAuditReader } from '../../recovery/diagnose-ports.js';
import type { ScalableTargetState } from '../../recovery/ports.js';
import type { AccountSource, DrillPortOptions } from './ports.js';
import { pinnedImagesPullable } from './scenarios/common.js';

/** The opt-in policy `diagnose`'s log and role reads are in; every other audit read is read-only or recovery. */
const DIAGNOSE_ACTIONS = new Set(['logs:DescribeLogGroups', 'logs:FilterLogEvents', 'iam:SimulatePrincipalPolicy']);

function allowedTo(options: DrillPortOptions, action: string): Answer<never> | undefined {
  if (!options.deny?.includes(action)) return undefined;
  const policy = DIAGNOSE_ACTIONS.has(action) ? "Lifeboat's diagnose IAM policy (deploy/iam/lifeboat-diagnose.json)" : "Lifeboat's recovery IAM policy (deploy/iam)";
  return { known: false, why: `Lifeboat is not allowed ${action}; add it to ${policy}.` };
}

/** The drill's `ServiceAuditReader`. */
export class DrillServiceAudit implements ServiceAuditReader {
  constructor(
    private readonly account: AccountSource,
    private readonly options: DrillPortOptions = {},
  ) {}

  service(cluster: string, service: string): Promise<AuditService> {
    return attempt(() => {
      const s = this.account().ecs.service(cluster, service);
      const primary = s.deployments[0];
      return {
        cluster: s.cluster,
        name: s.name,
        desiredCount: s.desiredCount,
        healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
        loadBalancers: s.loadBalancer ? [{ ...s.loadBalancer }] : [],
        taskDefinition: primary?.taskDefinition ?? '',
        deployments: s.deployments.map((d) => ({ id: d.id, status: d.status, taskDefinition: d.taskDefinition, rolloutState: d.rolloutState, failedTasks: d.failedTasks })),
        events: s.events.map((e) => ({ createdAt: e.createdAt, message: e.message })),
      };
    });
  }

  taskDefinition(arn: string): Promise<AuditTaskDefinition> {
    return attempt(() => {
      const td = this.account().ecs.taskDefinition(arn);
      const out: AuditTaskDefinition = {
        arn: td.arn,
        family: td.family,
        containers: td.containers.map((c) => ({
          name: c.name,
          image: c.image,
          essential: c.essential !== false,
          ...(c.logConfiguration ? { logConfiguration: { logDriver: c.logConfiguration.logDriver, options: { ...c.logConfiguration.options } } } : {}),
          secrets: (c.secrets ?? []).map((x) => ({ ...x })),
        })),
      };
      if (td.taskRoleArn !== undefined) out.taskRoleArn = td.taskRoleArn;
      if (td.executionRoleArn !== undefined) out.executionRoleArn = td.executionRoleArn;
      return out;
    });
  }

  recentTasks(cluster: string, service: string): Promise<AuditTask[]> {
    return attempt(() =>
      this.account()
        .ecs.serviceTasks(cluster, service)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, 100)
        .map((t) => {
          const task: AuditTask = { arn: t.arn, lastStatus: t.lastStatus, createdAt: t.createdAt, containers: t.containers.map((c) => ({ name: c.name, ...(c.reason !== undefined ? { reason: c.reason } : {}), ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}) })) };
          if (t.stopCode !== undefined) task.stopCode = t.stopCode;
          if (t.stoppedReason !== undefined) task.stoppedReason = t.stoppedReason;
          if (t.startedAt !== undefined) task.startedAt = t.startedAt;
          if (t.stoppedAt !== undefined) task.stoppedAt = t.stoppedAt;
          return task;
        }),
    );
  }

  /** The drill's CloudWatch Logs is in the account's one Region: a group elsewhere does not exist. */
  logGroupExists(group: string, region: string | undefined): Promise<Answer<boolean>> {
    return attempt(() => allowedTo(this.options, 'logs:DescribeLogGroups') ?? { known: true, value: this.inDrillRegion(region) && this.account().logs.exists(group) });
  }

  roleAllows(roleArn: string, action: string): Promise<Answer<boolean>> {
    return attempt(() => allowedTo(this.options, 'iam:SimulatePrincipalPolicy') ?? { known: true, value: this.account().iam.allows(roleArn, action) });
  }

  scalableTarget(cluster: string, service: string): Promise<Answer<ScalableTargetState | undefined>> {
    return attempt(() => {
      const denied = allowedTo(this.options, 'application-autoscaling:DescribeScalableTargets');
      if (denied) return denied;
      const t = this.account().autoscaling.targets.get(`service/${cluster}/${service}`);
      return { known: true, value: t ? { resourceId: t.resourceId, minCapacity: t.minCapacity, maxCapacity: t.maxCapacity, suspended: { ...t.suspended } } : undefined };
    });
  }

  appLogLines(group: string, region: string | undefined, pattern: string, limit: number): Promise<Answer<string[]>> {
    return attempt(
      () =>
        allowedTo(this.options, 'logs:FilterLogEvents') ??
        (this.inDrillRegion(region) ? { known: true, value: this.account().logs.events(group, pattern).slice(-limit).map((e) => e.message) } : { known: false, why: `Log group ${group} (${region ?? ''}) does not exist.` }),
    );
  }

  private inDrillRegion(region: string | undefined): boolean {
    return region === undefined || region === this.account().region;
  }

  images(cluster: string, service: string, taskDefinition: AuditTaskDefinition): Promise<Answer<AuditImage[]>> {
    return attempt(() => {
      const check = pinnedImagesPullable(this.account(), cluster, service);
      const problems = check.ok ? [] : check.detail.split('; ');
      return {
        known: true,
        value: taskDefinition.containers.map((c) => {
          const problem = problems.find((p) => p.startsWith(`${c.name}: `));
          return { container: c.name, image: c.image, available: problem === undefined, detail: problem?.slice(c.name.length + 2) ?? 'pullable' };
        }),
      };
    });
  }
}

function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
