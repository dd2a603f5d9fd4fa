/**
 * `diagnose <cluster/service>` (job `diagnose-service`): audit why a service's tasks fail to start
 * — the first-ECS-service misconfigurations — and report each finding with its fix:
 *
 * - `grace-period`: the health-check grace period against the observed start-up time (behind a
 *   load balancer, ELB health checks start when the grace period ends; ~3 failed checks replace
 *   the task);
 * - `logging`: a log driver on every essential container, and its awslogs log group existing;
 * - `roles`: the execution role (the ECS agent: image pull, log stream, secrets) versus the task
 *   role (the app: AccessDenied in its stopped tasks or its log);
 * - `scaling`: desired count without an Application Auto Scaling target, or a minimum of 0;
 * - `image`: can the tasks pull every image of the task definition.
 *
 * The checks are pure (`auditService` over `AuditFacts`); `gatherAuditFacts` asks the port.
 * Read-only: nothing here changes the service.
 */
import { z } from 'zod';
import { LifeboatError } from '../core/errors.js';
import type { JobContext, JobHandler, JobResult } from '../core/jobs.js';
import type { Block, Message } from '../core/message.js';
import { parseImageReference, partitionOf } from '../images/image-reference.js';
import { parseArn, type Arn } from '../intake/shared/arn.js';
import type { Answer, AuditContainer, AuditImage, AuditService, AuditTask, AuditTaskDefinition, ServiceAuditReader } from './diagnose-ports.js';
import type { ScalableTargetState } from './ports.js';
import { parseServiceTarget } from './targets.js';
import { clip } from './text.js';

export type { Answer, AuditContainer, AuditImage, AuditService, AuditTask, AuditTaskDefinition, ServiceAuditReader } from './diagnose-ports.js';

/** Job data of `diagnose`, as `commands/diagnose.yaml` parses it. */
export const diagnoseJobData = z.object({ service: z.string() });

export type AuditCheck = 'grace-period' | 'logging' | 'roles' | 'scaling' | 'image';

/** One finding: what Lifeboat saw and, for a problem, how to fix it. */
export interface Finding {
  check: AuditCheck;
  status: 'ok' | 'problem' | 'unknown';
  sentence: string;
  /** Empty for `ok`. */
  fix: string;
}

/** A role permission the audit asked about, and the answer. */
export interface PermissionFact {
  role: 'execution' | 'task';
  action: string;
  resource?: string;
  /** Why the role needs it: `pull ECR images`, `read secret DB_PASSWORD`, … */
  because: string;
  allowed: Answer<boolean>;
  /** For an action the execution role lacks: does the task role have it instead? */
  onOtherRole?: Answer<boolean>;
}

/** Everything the checks read, gathered once. */
export interface AuditFacts {
  service: AuditService;
  taskDefinition: AuditTaskDefinition;
  tasks: AuditTask[];
  /** `logGroupKey(group, region)` of each awslogs group → exists. */
  logGroups: Record<string, Answer<boolean>>;
  /** Execution-role permissions the agent needs (and whether the task role holds them instead). */
  permissions: PermissionFact[];
  /** AccessDenied lines from stopped tasks and the app's log. */
  accessDenied: string[];
  /**
   * `logGroupKey` of each existing log group → the AccessDenied search of the app's log in it. An
   * unknown answer means the app's own denials could not be looked for there.
   */
  appLogs: Record<string, Answer<string[]>>;
  /** Start-up times seen in the app's log (`started in 95.0 s`). */
  loggedStartupSeconds: number[];
  scalableTarget: Answer<ScalableTargetState | undefined>;
  images: Answer<AuditImage[]>;
}

/** What `diagnose` reports to a runbook (`STEP_OUTPUTS.diagnose`). */
export interface DiagnoseOutputs {
  healthy: boolean;
  findings: string[];
  gracePeriod: string;
  logging: string;
  roles: string;
  scaling: string;
  [name: string]: unknown;
}

/** ELB health checks: 10 s interval, 3 failures (the ECS/ALB defaults the drill models). */
const HEALTH_CHECK_KILL_SECONDS = 30;
/** The pull actions IAM authorises on the repository (`ecr:GetAuthorizationToken` takes no resource). */
const ECR_REPOSITORY_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];

/** The `diagnose-service` job handler. */
export function createDiagnoseJob(deps: { audit: ServiceAuditReader }): JobHandler {
  return async (data: Record<string, unknown>, ctx: JobContext): Promise<JobResult> => {
    const parsed = diagnoseJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', `diagnose: ${parsed.error.issues[0]?.message ?? 'invalid job data'}.`);
    const target = parseServiceTarget(parsed.data.service, 'diagnose');
    const label = `${target.cluster}/${target.service}`;
    await ctx.progress({ summary: `Auditing ${label}…`, blocks: [{ type: 'text', text: `Auditing ${label}: service, task definition, roles, log groups, scaling, images…` }] });
    const facts = await gatherAuditFacts(deps.audit, target.cluster, target.service);
    const findings = auditService(facts);
    const outputs = diagnoseOutputs(findings);
    return { ...diagnoseMessage(label, facts, findings), outputs };
  };
}

/** Ask the port everything the checks need. */
export async function gatherAuditFacts(audit: ServiceAuditReader, cluster: string, name: string): Promise<AuditFacts> {
  const service = await audit.service(cluster, name);
  const [taskDefinition, tasks, scalableTarget] = await Promise.all([
    audit.taskDefinition(service.taskDefinition),
    audit.recentTasks(cluster, name),
    audit.scalableTarget(cluster, name),
  ]);
  const groups = awslogsGroups(taskDefinition);
  const logGroups: Record<string, Answer<boolean>> = {};
  for (const g of groups) logGroups[g.key] = await audit.logGroupExists(g.group, g.region);

  const permissions: PermissionFact[] = [];
  for (const need of executionRoleNeeds(taskDefinition)) {
    const exec = taskDefinition.executionRoleArn;
    const allowed: Answer<boolean> = exec === undefined ? { known: true, value: false } : await audit.roleAllows(exec, need.action, need.resource);
    const fact: PermissionFact = { role: 'execution', ...need, allowed };
    // Also when the answer is unknown (a resource policy may grant it): the task role holding it instead is the likelier mistake.
    if (!(allowed.known && allowed.value) && taskDefinition.taskRoleArn !== undefined) fact.onOtherRole = await audit.roleAllows(taskDefinition.taskRoleArn, need.action, need.resource);
    permissions.push(fact);
  }

  const accessDenied = tasks.flatMap((t) => [t.stoppedReason, ...t.containers.map((c) => c.reason)]).filter((r): r is string => r !== undefined && /AccessDenied|not authorized to perform/.test(r));
  const loggedStartupSeconds: number[] = [];
  const appLogs: Record<string, Answer<string[]>> = {};
  for (const g of groups) {
    const exists = logGroups[g.key];
    if (exists?.known !== true || !exists.value) continue;
    const denied = await audit.appLogLines(g.group, g.region, 'AccessDenied', 20);
    appLogs[g.key] = denied;
    if (denied.known) accessDenied.push(...denied.value);
    const started = await audit.appLogLines(g.group, g.region, 'started in', 20);
    if (started.known) for (const line of started.value) {
      const m = /started in (\d+(?:\.\d+)?) ?s\b/.exec(line);
      if (m?.[1]) loggedStartupSeconds.push(Number(m[1]));
    }
  }
  const images = await audit.images(cluster, name, taskDefinition);
  return { service, taskDefinition, tasks, logGroups, permissions, accessDenied: [...new Set(accessDenied)], appLogs, loggedStartupSeconds, scalableTarget, images };
}

/** An awslogs log group a container writes to, in the Region it is in. */
interface LogGroupRef {
  group: string;
  /** `awslogs-region`, else the task definition's Region; undefined when neither is known (the reader's own Region). */
  region: string | undefined;
  key: string;
}

/**
 * The key of `AuditFacts.logGroups` and `appLogs`, readable as is: `/ecs/api (eu-west-1)`. One name
 * may be a group in two Regions; a group name has no spaces or parentheses.
 */
export function logGroupKey(group: string, region: string | undefined): string {
  return region ? `${group} (${region})` : group;
}

/** The awslogs groups of the task definition, each once per Region. */
function awslogsGroups(td: AuditTaskDefinition): LogGroupRef[] {
  const home = parseArn(td.arn)?.region || undefined;
  const refs = new Map<string, LogGroupRef>();
  for (const c of td.containers) {
    const log = c.logConfiguration;
    const group = log?.options['awslogs-group'];
    if (log?.logDriver !== 'awslogs' || !group) continue;
    const region = awslogsRegion(log.options, home);
    const key = logGroupKey(group, region);
    refs.set(key, { group, region, key });
  }
  return [...refs.values()];
}

function awslogsRegion(options: Record<string, string>, home: string | undefined): string | undefined {
  return options['awslogs-region'] || home;
}

/** A permission the ECS agent needs from the execution role, and why. */
export interface RoleNeed {
  action: string;
  /** The ARN IAM authorises the agent's request on; absent for an action without one, or when it cannot be built. */
  resource?: string;
  because: string;
}

/**
 * What the ECS agent needs from the execution role for this task definition, each on the resource
 * the agent's request names: asked on `*` instead, a role scoped to its own log group or repository
 * (how CDK and Terraform modules write execution roles) would look denied.
 */
export function executionRoleNeeds(td: AuditTaskDefinition): RoleNeed[] {
  // The task definition's ARN gives the account, Region and partition the task runs in.
  const home = parseArn(td.arn);
  return [...ecrNeeds(td.containers), ...logNeeds(td.containers, home), ...secretNeeds(td.containers, home)];
}

function ecrNeeds(containers: readonly AuditContainer[]): RoleNeed[] {
  const repositories = new Map<string, string[]>(); // repository ARN → its containers
  for (const c of containers) {
    const parsed = parseImageReference(c.image);
    if (!parsed.ok || parsed.ref.registry.kind !== 'ecr-private') continue;
    const { partition, region, account } = parsed.ref.registry;
    const arn = `arn:${partition}:ecr:${region}:${account}:repository/${parsed.ref.repository}`;
    repositories.set(arn, [...(repositories.get(arn) ?? []), c.name]);
  }
  if (repositories.size === 0) return [];
  const all = [...repositories.values()].flat();
  const needs: RoleNeed[] = [{ action: 'ecr:GetAuthorizationToken', because: `pull ${all.join(', ')} from ECR` }];
  for (const [arn, names] of repositories) for (const action of ECR_REPOSITORY_ACTIONS) needs.push({ action, resource: arn, because: `pull ${names.join(', ')} from ECR` });
  return needs;
}

/**
 * The agent writes streams `<awslogs-stream-prefix>/<container>/<task id>` (without a prefix, named
 * by the Docker container id) in the group's Region, and asks `logs:CreateLogGroup` on
 * `log-group:<name>:log-stream:` — the ARNs its AccessDenied messages name. A policy on
 * `log-group:<name>:*` matches both. A container without awslogs-group cannot start at all (the
 * logging check says so): it has no stream to ask about.
 */
function logNeeds(containers: readonly AuditContainer[], home: Arn | undefined): RoleNeed[] {
  const streams = new Map<string, { resource?: string; group: string; names: string[] }>();
  const created = new Map<string, { resource?: string; group: string }>();
  for (const c of containers) {
    const log = c.logConfiguration;
    const group = log?.options['awslogs-group'];
    if (log?.logDriver !== 'awslogs' || group === undefined || group === '') continue;
    const region = log.options['awslogs-region'] || home?.region;
    const groupArn = home !== undefined && home.account !== '' && region ? `arn:${partitionOf(region)}:logs:${region}:${home.account}:log-group:${group}:log-stream:` : undefined;
    const prefix = log.options['awslogs-stream-prefix'];
    const resource = groupArn !== undefined ? `${groupArn}${prefix ? `${prefix}/${c.name}/` : ''}*` : undefined;
    const key = resource ?? group;
    streams.set(key, { group, names: [...(streams.get(key)?.names ?? []), c.name], ...(resource !== undefined ? { resource } : {}) });
    if (log.options['awslogs-create-group'] === 'true') created.set(groupArn ?? group, { group, ...(groupArn !== undefined ? { resource: groupArn } : {}) });
  }
  const needs: RoleNeed[] = [];
  for (const { resource, group, names } of streams.values()) {
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) needs.push({ action, ...(resource !== undefined ? { resource } : {}), because: `write the awslogs streams of ${names.join(', ')} to log group ${group}` });
  }
  for (const { resource, group } of created.values()) needs.push({ action: 'logs:CreateLogGroup', ...(resource !== undefined ? { resource } : {}), because: `create log group ${group} (awslogs-create-group is true)` });
  return needs;
}

function secretNeeds(containers: readonly AuditContainer[], home: Arn | undefined): RoleNeed[] {
  const needs: RoleNeed[] = [];
  for (const c of containers) {
    for (const s of c.secrets) {
      if (s.valueFrom.includes(':secretsmanager:')) {
        // `…:secret:name-AbCdEf[:json-key:version-stage:version-id]`: IAM authorises the secret, the first 7 fields.
        needs.push({ action: 'secretsmanager:GetSecretValue', resource: s.valueFrom.split(':').slice(0, 7).join(':'), because: `read secret ${s.name} of ${c.name}` });
      } else {
        needs.push({ action: 'ssm:GetParameters', resource: parameterArn(s.valueFrom, home), because: `read parameter ${s.name} of ${c.name}` });
      }
    }
  }
  return needs;
}

/** A parameter in the task's Region may be named without its ARN. */
function parameterArn(valueFrom: string, home: Arn | undefined): string {
  if (valueFrom.startsWith('arn:') || home === undefined || home.account === '' || home.region === '') return valueFrom;
  return `arn:${home.partition}:ssm:${home.region}:${home.account}:parameter/${valueFrom.replace(/^\//, '')}`;
}

/** Run every check over the facts. */
export function auditService(facts: AuditFacts): Finding[] {
  return [...checkGracePeriod(facts), ...checkLogging(facts), ...checkRoles(facts), ...checkScaling(facts), ...checkImages(facts)];
}

// ── grace period ──────────────────────────────────────────────────────────────────────────

/** Observed start-up: the longest `started in` the app logged, else the longest time-to-RUNNING of a task. */
export function observedStartup(facts: AuditFacts): { seconds: number; source: string } | undefined {
  if (facts.loggedStartupSeconds.length > 0) return { seconds: Math.max(...facts.loggedStartupSeconds), source: 'the app logged its start-up' };
  const toRunning = facts.tasks.flatMap((t) => (t.createdAt !== undefined && t.startedAt !== undefined ? [(t.startedAt - t.createdAt) / 1000] : []));
  return toRunning.length > 0 ? { seconds: Math.max(...toRunning), source: 'task created → RUNNING' } : undefined;
}

function suggestedGrace(startup: number | undefined): number {
  return startup === undefined ? 120 : Math.max(60, Math.ceil((startup * 1.25) / 10) * 10);
}

function checkGracePeriod(facts: AuditFacts): Finding[] {
  const { service } = facts;
  const grace = service.healthCheckGracePeriodSeconds ?? 0;
  const label = `${service.cluster}/${service.name}`;
  if (service.loadBalancers.length === 0) {
    return [{ check: 'grace-period', status: 'ok', sentence: `${label} has no load balancer: the health-check grace period (${grace} s) does not apply.`, fix: '' }];
  }
  const startup = observedStartup(facts);
  // A task killed by ELB health checks is evidence only if it ran at least the current grace period
  // (one killed sooner was killed under an older, shorter grace period).
  const killed = facts.tasks.filter(
    (t) => /ELB health checks|health checks failed/i.test(t.stoppedReason ?? '') && (t.startedAt === undefined || t.stoppedAt === undefined || (t.stoppedAt - t.startedAt) / 1000 >= grace),
  );
  const fix = (s: number | undefined) =>
    `set the grace period above the start-up time: aws ecs update-service --cluster ${service.cluster} --service ${service.name} --health-check-grace-period-seconds ${suggestedGrace(s)} (or make the health check wait for readiness).`;
  if (killed.length > 0) {
    const ran = killed.flatMap((t) => (t.startedAt !== undefined && t.stoppedAt !== undefined ? [(t.stoppedAt - t.startedAt) / 1000] : []));
    const after = ran.length > 0 ? ` after ${Math.round(Math.max(...ran))} s` : '';
    const lower = ran.length > 0 ? Math.max(...ran) : undefined;
    const s = startup && lower !== undefined ? Math.max(startup.seconds, lower) : (startup?.seconds ?? lower);
    return [{ check: 'grace-period', status: 'problem', sentence: `${killed.length} task${killed.length === 1 ? '' : 's'} of ${label} failed ELB health checks${after}, still starting, with a grace period of ${grace} s.`, fix: fix(s) }];
  }
  if (startup && grace < startup.seconds) {
    return [{ check: 'grace-period', status: 'problem', sentence: `The health-check grace period of ${label} is ${grace} s, shorter than the observed start-up of ${Math.round(startup.seconds)} s (${startup.source}).`, fix: fix(startup.seconds) }];
  }
  if (grace === 0) {
    return [
      {
        check: 'grace-period',
        status: 'problem',
        sentence: `The health-check grace period of ${label} is 0 s behind a load balancer: health checks start the moment the container runs and about ${HEALTH_CHECK_KILL_SECONDS} s of failed checks replace the task${startup ? '' : ' (no start-up time observed yet)'}.`,
        fix: fix(startup?.seconds),
      },
    ];
  }
  if (!startup) {
    return [{ check: 'grace-period', status: 'unknown', sentence: `The health-check grace period of ${label} is ${grace} s; no start-up time observed yet to compare it with.`, fix: '' }];
  }
  return [{ check: 'grace-period', status: 'ok', sentence: `The health-check grace period of ${label} (${grace} s) covers the observed start-up of ${Math.round(startup.seconds)} s.`, fix: '' }];
}

// ── logging ───────────────────────────────────────────────────────────────────────────────

function checkLogging(facts: AuditFacts): Finding[] {
  const td = facts.taskDefinition;
  const home = parseArn(td.arn)?.region || undefined;
  const out: Finding[] = [];
  for (const c of td.containers) {
    const log = c.logConfiguration;
    if (!log) {
      if (c.essential) {
        out.push({
          check: 'logging',
          status: 'problem',
          sentence: `Container ${c.name} of ${td.family} has no log driver: when it crashes it leaves no trace.`,
          fix: `add a logConfiguration with logDriver awslogs (awslogs-group /ecs/${td.family}, awslogs-region, awslogs-stream-prefix ecs) to ${c.name} in a new task-definition revision.`,
        });
      }
      continue;
    }
    if (log.logDriver !== 'awslogs') {
      out.push({ check: 'logging', status: 'ok', sentence: `Container ${c.name} logs with the ${log.logDriver} driver.`, fix: '' });
      continue;
    }
    const group = log.options['awslogs-group'];
    if (group === undefined || group === '') {
      out.push({ check: 'logging', status: 'problem', sentence: `Container ${c.name} uses awslogs without an awslogs-group: the task cannot start.`, fix: `set awslogs-group (e.g. /ecs/${td.family}) in ${c.name}'s logConfiguration.` });
      continue;
    }
    const region = awslogsRegion(log.options, home);
    // A group in another Region than the task's is named with it, and created there.
    const where = region !== undefined && region !== home ? ` (${region})` : '';
    const inRegion = where !== '' ? ` --region ${region}` : '';
    const exists = facts.logGroups[logGroupKey(group, region)] ?? { known: false, why: 'not asked' };
    if (!exists.known) {
      out.push({ check: 'logging', status: 'unknown', sentence: `Container ${c.name} logs to ${group}${where}; whether it exists is unknown: ${exists.why}`, fix: `check that log group ${group} exists (logs:DescribeLogGroups).` });
    } else if (exists.value) {
      out.push({ check: 'logging', status: 'ok', sentence: `Container ${c.name} logs to ${group}${where}, which exists.`, fix: '' });
    } else if (log.options['awslogs-create-group'] === 'true') {
      // Log group names have no `:`, so the group's ARN names it between `:log-group:` and `:`.
      const create = facts.permissions.find((p) => p.action === 'logs:CreateLogGroup' && (p.resource === undefined || p.resource.includes(`:log-group:${group}:`)));
      if (create?.allowed.known === true && create.allowed.value) {
        out.push({ check: 'logging', status: 'ok', sentence: `Log group ${group}${where} does not exist yet; the agent creates it (awslogs-create-group, and the execution role allows logs:CreateLogGroup).`, fix: '' });
      } else {
        out.push({
          check: 'logging',
          status: 'problem',
          sentence: `Log group ${group}${where} does not exist and the execution role ${create?.allowed.known === false ? 'may not' : 'cannot'} create it (logs:CreateLogGroup), although awslogs-create-group is true.`,
          fix: `create it (aws logs create-log-group --log-group-name ${group}${inRegion}) or allow logs:CreateLogGroup on the execution role.`,
        });
      }
    } else {
      out.push({
        check: 'logging',
        status: 'problem',
        sentence: `Log group ${group}${where} of container ${c.name} does not exist: every task fails with ResourceInitializationError before it starts, and leaves no log.`,
        fix: `create it (aws logs create-log-group --log-group-name ${group}${inRegion}), or set awslogs-create-group to true and allow logs:CreateLogGroup on the execution role.`,
      });
    }
  }
  return out;
}

// ── roles ─────────────────────────────────────────────────────────────────────────────────

function roleName(arn: string | undefined): string | undefined {
  return arn?.split('/').pop();
}

function checkRoles(facts: AuditFacts): Finding[] {
  const td = facts.taskDefinition;
  const exec = roleName(td.executionRoleArn);
  const task = roleName(td.taskRoleArn);
  const out: Finding[] = [];
  if (td.executionRoleArn === undefined && facts.permissions.length > 0) {
    const why = [...new Set(facts.permissions.map((p) => p.because))].join('; ');
    out.push({
      check: 'roles',
      status: 'problem',
      sentence: `${td.family} has no execution role, but the ECS agent needs one to ${why}.`,
      fix: `set executionRoleArn to a role with AmazonECSTaskExecutionRolePolicy${facts.permissions.some((p) => p.action.startsWith('secretsmanager:') || p.action.startsWith('ssm:')) ? ' plus read access to the secrets' : ''}.`,
    });
  } else {
    const missing = facts.permissions.filter((p) => p.allowed.known && !p.allowed.value);
    for (const p of missing) {
      const onTask = p.onOtherRole?.known === true && p.onOtherRole.value;
      const on = p.resource !== undefined ? ` on ${p.resource}` : '';
      out.push({
        check: 'roles',
        status: 'problem',
        sentence: onTask
          ? `The ECS agent needs ${p.action}${on} to ${p.because}, which is on the task role ${task ?? ''} instead of the execution role ${exec ?? ''}: tasks stop at start with ResourceInitializationError.`
          : `The execution role ${exec ?? ''} lacks ${p.action}${on}, which the ECS agent needs to ${p.because}.`,
        fix: `allow ${p.action}${on} on the execution role ${exec ?? ''}${onTask ? ' (the task role needs it only if the app itself calls it)' : ''}.`,
      });
    }
    // One finding per reason: "Lifeboat may not simulate" and "unless the secret's policy grants it" need different checks.
    const unknownBy = new Map<string, PermissionFact[]>();
    for (const p of facts.permissions) if (!p.allowed.known) unknownBy.set(p.allowed.why, [...(unknownBy.get(p.allowed.why) ?? []), p]);
    for (const [why, of] of unknownBy) {
      const actions = [...new Set(of.map((p) => p.action))].join(', ');
      const onTask = of.filter((p) => p.onOtherRole?.known === true && p.onOtherRole.value).map((p) => p.action);
      out.push({
        check: 'roles',
        status: 'unknown',
        sentence: `Whether the execution role ${exec ?? ''} allows ${actions} is unknown: ${why}${onTask.length > 0 ? ` The task role ${task ?? ''} does allow ${[...new Set(onTask)].join(', ')}: the ECS agent uses the execution role.` : ''}`,
        fix: `check the execution role's policies for ${actions}${onTask.length > 0 ? `, and allow ${[...new Set(onTask)].join(', ')} on it unless the resource's policy already grants it` : ''}.`,
      });
    }
  }
  // The app's own AccessDenied: whose principal was it?
  const seen = new Set<string>();
  for (const line of facts.accessDenied) {
    const principal = /assumed-role\/([^/\s]+)\//.exec(line)?.[1];
    const action = /not authorized to perform:? ([A-Za-z0-9-]+:[A-Za-z0-9*]+)/.exec(line)?.[1];
    if (principal === undefined || action === undefined || principal === exec) continue;
    const key = `${principal} ${action}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      check: 'roles',
      status: 'problem',
      sentence: principal === task ? `The app is denied ${action} with its task role ${task}: it exits once it runs.` : `The app is denied ${action} as ${principal}.`,
      fix: `allow ${action} on the task role ${principal === task ? task : (task ?? '(set taskRoleArn)')} — not on the execution role.`,
    });
  }
  // "No AccessDenied seen" holds only where the app's log could be searched.
  const unread = Object.entries(facts.appLogs).flatMap(([key, a]) => (a.known ? [] : [{ group: key, why: a.why }]));
  if (unread.length > 0) {
    const groups = unread.map((u) => u.group).join(', ');
    out.push({
      check: 'roles',
      status: 'unknown',
      sentence: `Whether the app is denied anything${task !== undefined ? ` with its task role ${task}` : ''} is unknown: its log ${groups} could not be searched for AccessDenied: ${unread[0]?.why ?? ''}`,
      fix: `search the log for AccessDenied yourself, or let Lifeboat read it (logs:FilterLogEvents, deploy/iam/lifeboat-diagnose.json).`,
    });
  }
  if (out.length === 0) {
    const needs = [...new Set(facts.permissions.map((p) => p.because))];
    out.push({
      check: 'roles',
      status: 'ok',
      sentence: `${exec !== undefined ? `The execution role ${exec} allows what the agent needs${needs.length > 0 ? ` (${needs.join('; ')})` : ''}` : 'No execution role is needed'}; ${task !== undefined ? `no AccessDenied seen for the task role ${task}` : 'no task role, and no AccessDenied seen'}.`,
      fix: '',
    });
  }
  return out;
}

// ── scaling ───────────────────────────────────────────────────────────────────────────────

function checkScaling(facts: AuditFacts): Finding[] {
  const { service } = facts;
  const label = `${service.cluster}/${service.name}`;
  const resourceId = `service/${service.cluster}/${service.name}`;
  const register = (min: number, max: number) =>
    `aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id ${resourceId} --min-capacity ${min} --max-capacity ${max}, then add a target-tracking policy (put-scaling-policy).`;
  const floor = Math.max(1, service.desiredCount);
  if (!facts.scalableTarget.known) {
    return [{ check: 'scaling', status: 'unknown', sentence: `Whether ${label} has an auto scaling target is unknown: ${facts.scalableTarget.why}`, fix: 'check application-autoscaling:DescribeScalableTargets.' }];
  }
  const target = facts.scalableTarget.value;
  if (target === undefined) {
    return [
      {
        check: 'scaling',
        status: 'problem',
        sentence: `${label} runs a fixed desired count of ${service.desiredCount} with no Application Auto Scaling target: nothing follows load or keeps a floor.`,
        fix: `register a scalable target: ${register(floor, Math.max(floor * 3, floor + 2))}`,
      },
    ];
  }
  if (target.minCapacity === 0) {
    return [
      {
        check: 'scaling',
        status: 'problem',
        sentence: `The auto scaling target of ${label} has a minimum of 0 (max ${target.maxCapacity}): scaling in can take the service away.`,
        fix: `raise the minimum: ${register(floor, Math.max(target.maxCapacity, floor))}`,
      },
    ];
  }
  const suspended = target.suspended && Object.entries(target.suspended).filter(([, v]) => v === true).map(([k]) => k);
  if (suspended && suspended.length > 0) {
    return [
      {
        check: 'scaling',
        status: 'problem',
        sentence: `Auto scaling of ${label} is suspended (${suspended.join(', ')}).`,
        fix: `resume it: aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id ${resourceId} --suspended-state DynamicScalingInSuspended=false,DynamicScalingOutSuspended=false,ScheduledScalingSuspended=false.`,
      },
    ];
  }
  return [{ check: 'scaling', status: 'ok', sentence: `${label} scales between ${target.minCapacity} and ${target.maxCapacity} tasks (desired ${service.desiredCount}).`, fix: '' }];
}

// ── images ────────────────────────────────────────────────────────────────────────────────

function checkImages(facts: AuditFacts): Finding[] {
  const label = `${facts.service.cluster}/${facts.service.name}`;
  if (!facts.images.known) {
    return [{ check: 'image', status: 'unknown', sentence: `Image availability of ${label} was not checked here: ${facts.images.why}`, fix: `run check images ${label}.` }];
  }
  const missing = facts.images.value.filter((i) => !i.available);
  if (missing.length === 0) return [{ check: 'image', status: 'ok', sentence: `Every image of ${facts.taskDefinition.family} can be pulled.`, fix: '' }];
  return missing.map((i) => ({
    check: 'image' as const,
    status: 'problem' as const,
    sentence: `Container ${i.container} cannot pull ${i.image}: ${i.detail}.`,
    fix: `run check images ${label}, then restore or rebuild the image (runbook image-unavailable).`,
  }));
}

// ── report ────────────────────────────────────────────────────────────────────────────────

/** `sentence Fix: fix`. */
export function findingText(f: Finding): string {
  return f.fix === '' ? f.sentence : `${f.sentence} Fix: ${f.fix}`;
}

function joinCheck(findings: readonly Finding[], check: AuditCheck): string {
  const of = findings.filter((f) => f.check === check);
  const shown = of.some((f) => f.status !== 'ok') ? of.filter((f) => f.status !== 'ok') : of;
  return shown.map(findingText).join(' ');
}

/**
 * The job's outputs (`STEP_OUTPUTS.diagnose`). Healthy means no problem and no check left undone: an
 * `unknown` (a log Lifeboat could not read, a role it could not simulate) may hide the very problem
 * the audit looks for. Images are the exception: they are `check images`' job (the runbook's next
 * step), and over the SDK this audit never reads them.
 */
export function diagnoseOutputs(findings: readonly Finding[]): DiagnoseOutputs {
  const notOk = findings.filter((f) => f.status !== 'ok');
  return {
    healthy: !findings.some((f) => f.status === 'problem' || (f.status === 'unknown' && f.check !== 'image')),
    findings: notOk.map(findingText),
    gracePeriod: joinCheck(findings, 'grace-period'),
    logging: joinCheck(findings, 'logging'),
    roles: joinCheck(findings, 'roles'),
    scaling: joinCheck(findings, 'scaling'),
  };
}

const MARK = { ok: '✓', problem: '✗', unknown: '?' } as const;

function diagnoseMessage(label: string, facts: AuditFacts, findings: readonly Finding[]): Message {
  const problems = findings.filter((f) => f.status === 'problem').length;
  const unknown = findings.filter((f) => f.status === 'unknown').length;
  const summary =
    problems === 0
      ? `${label}: no misconfiguration found${unknown > 0 ? ` (${unknown} not checked)` : ''}.`
      : `${label}: ${problems} misconfiguration${problems === 1 ? '' : 's'} found${unknown > 0 ? `, ${unknown} not checked` : ''}.`;
  const blocks: Block[] = [
    { type: 'header', text: `Audit of ${label}` },
    {
      type: 'fields',
      fields: [
        { label: 'Task definition', value: facts.taskDefinition.arn.split('/').pop() ?? facts.taskDefinition.arn },
        { label: 'Desired', value: String(facts.service.desiredCount) },
        { label: 'Grace period', value: `${facts.service.healthCheckGracePeriodSeconds ?? 0} s` },
      ],
    },
    { type: 'list', items: findings.map((f) => clip(`${MARK[f.status]} ${f.check}: ${findingText(f)}`, 2_800)) },
  ];
  if (problems > 0) blocks.push({ type: 'context', text: 'Apply the fixes (a new task-definition revision for container settings and roles, update-service for the grace period), then redeploy.' });
  return { summary, tone: problems > 0 ? 'warning' : unknown > 0 ? 'info' : 'success', blocks };
}
