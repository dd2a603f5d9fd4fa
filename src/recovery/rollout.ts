/**
 * Watches an ECS rollout until it is done, and says plainly why when it is not. The SDK's
 * `servicesStable` waiter is not used: it ignores `rolloutState` and can report success after the
 * circuit breaker rolled the deployment back (DOMAIN fact 4). Instead, every poll reads the
 * deployments, their counts and rollout state, the service events, and — when tasks are failing —
 * the stopped tasks of *this* deployment (`startedBy` = the deployment id).
 *
 * Fails fast on:
 * - a stopped task of the deployment that could not pull its image (`CannotPullContainerError`,
 *   or `ResourceInitializationError` fetching registry auth), with the class of the failure;
 * - a circuit-breaker rollback: the deployment FAILED, or another deployment IN_PROGRESS with a
 *   "rolling back" reason (DOMAIN fact 5);
 * - the deployment disappearing (someone else deployed);
 * - the timeout (ECS keeps going; the job stops watching).
 * Success is steady state: this deployment is the only one, COMPLETED, running = desired; the
 * digests its running tasks pull are reported.
 */
import { LifeboatError } from '../core/errors.js';
import type { Block, Message } from '../core/message.js';
import { shortDigest } from '../images/image-reference.js';
import { classifyPullFailure, type PullFailure } from '../intake/ecs/pull-failure.js';
import type { RunContext } from './deps.js';
import type { EcsDeploymentState, EcsServiceState, EcsTaskState } from './ports.js';
import { clip, formatDuration, plural } from './text.js';

/** What to watch, as recorded in the job's checkpoint right after `UpdateService`. */
export interface RolloutWatch {
  cluster: string;
  service: string;
  deploymentId: string;
  taskDefinition: string;
  /** When the deployment was started (Lifeboat's clock). */
  startedAt: number;
  /** Per container, the digests a task of the new deployment may legitimately run (index and platform child). */
  expected: { container: string; digests: string[] }[];
  /** The command that fixes an unusable image, for the failure sentence (`rebuild web:v42`). */
  rebuildHint?: string;
}

/** A finished rollout. */
export interface RolloutResult {
  deployment: EcsDeploymentState;
  elapsedMs: number;
  /** What the running tasks of the deployment pull, per container. */
  running: { container: string; digests: string[]; matchesPlan: boolean | undefined }[];
  tasksChecked: number;
}

/** How often and how long. */
export interface RolloutTiming {
  pollMs: number;
  timeoutMs: number;
}

/** Events may carry AWS's clock; allow this much skew when deciding what is new. */
const CLOCK_SKEW_MS = 60_000;
const MAX_EVENTS_SHOWN = 5;

/** Watch until steady state, or throw a `LifeboatError` (JOB_FAILED) that says why not. */
export async function watchRollout(run: RunContext, watch: RolloutWatch, timing: RolloutTiming): Promise<RolloutResult> {
  const { ecs } = run.deps;
  const seen = new Set<string>();
  const events: string[] = [];
  const label = `${watch.cluster}/${watch.service}`;

  for (;;) {
    run.ctx.signal.throwIfAborted();
    const svc = await run.calls.read('ecs:DescribeServices', () => ecs.describeService(watch.cluster, watch.service));
    collectEvents(svc, watch.startedAt, seen, events);
    const dep = svc.deployments.find((d) => d.id === watch.deploymentId);
    const rollback = svc.deployments.find((d) => d.id !== watch.deploymentId && d.rolloutState === 'IN_PROGRESS' && /rolling back/i.test(d.rolloutStateReason ?? ''));

    if (dep?.rolloutState === 'FAILED' || rollback) {
      const stopped = await stoppedTasks(run, watch);
      const pull = firstPullFailure(stopped);
      const why = dep?.rolloutStateReason ?? rollback?.rolloutStateReason ?? 'the deployment failed';
      const cause = pull ? ` Tasks failed with: ${pull.text}` : firstStopReason(stopped);
      throw new LifeboatError(
        'JOB_FAILED',
        clip(`The deployment circuit breaker stopped the rollout of ${label} (${watch.deploymentId}): ${why}.${cause}${pull ? ` ${pullAdvice(pull.failure, watch)}` : ''} The service is back on its previous deployment.`),
      );
    }
    if (!dep) {
      const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
      throw new LifeboatError(
        'JOB_FAILED',
        `Deployment ${watch.deploymentId} of ${label} is no longer listed${primary ? `; the service now runs deployment ${primary.id}` : ''}. Someone else deployed, or ECS replaced it; check the service events.`,
      );
    }

    if (dep.failedTasks > 0 || dep.runningCount < dep.desiredCount) {
      const pull = firstPullFailure(await stoppedTasks(run, watch));
      if (pull) {
        throw new LifeboatError(
          'JOB_FAILED',
          clip(`New tasks of ${label} cannot pull their image (${pull.container ?? 'task'}): ${pull.text} ${pullAdvice(pull.failure, watch)} ECS keeps retrying; with the circuit breaker on it will roll back.`),
        );
      }
    }

    if (isSteady(svc, dep)) {
      const running = await runningDigests(run, watch);
      return { deployment: dep, elapsedMs: run.now() - watch.startedAt, running: running.containers, tasksChecked: running.tasks };
    }

    const elapsed = run.now() - watch.startedAt;
    if (elapsed >= timing.timeoutMs) {
      throw new LifeboatError(
        'JOB_FAILED',
        `The rollout of ${label} did not finish within ${formatDuration(timing.timeoutMs)}: deployment ${dep.id} is ${dep.rolloutState ?? dep.status} with ${dep.runningCount} of ${dep.desiredCount} tasks running${dep.failedTasks > 0 ? ` and ${plural(dep.failedTasks, 'failed task')}` : ''}. ECS keeps going; Lifeboat stopped watching.${events.length > 0 ? ` Last event: ${events[events.length - 1] ?? ''}` : ''}`,
      );
    }
    await run.ctx.progress(rolloutProgress(label, dep, elapsed, events, timing));
    await run.sleep(timing.pollMs, run.ctx.signal);
  }
}

function isSteady(svc: EcsServiceState, dep: EcsDeploymentState): boolean {
  const live = svc.deployments.filter((d) => d.status !== 'INACTIVE');
  const counts = dep.runningCount === dep.desiredCount && dep.pendingCount === 0;
  const rollout = dep.rolloutState === undefined || dep.rolloutState === 'COMPLETED';
  return dep.status === 'PRIMARY' && live.length === 1 && counts && rollout;
}

function collectEvents(svc: EcsServiceState, since: number, seen: Set<string>, into: string[]): void {
  // Newest first from the API, and they can repeat (DOMAIN fact 6).
  for (const event of [...svc.events].reverse()) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    if (event.createdAt !== undefined && event.createdAt < since - CLOCK_SKEW_MS) continue;
    into.push(event.message.replace(/^\(service [^)]+\)\s*/, ''));
  }
}

async function stoppedTasks(run: RunContext, watch: RolloutWatch): Promise<EcsTaskState[]> {
  return tasksOf(run, watch, 'STOPPED');
}

async function tasksOf(run: RunContext, watch: RolloutWatch, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<EcsTaskState[]> {
  const { ecs } = run.deps;
  const arns = await run.calls.read('ecs:ListTasks', () => ecs.listServiceTasks(watch.cluster, watch.service, desiredStatus));
  if (arns.length === 0) return [];
  const tasks = await run.calls.read('ecs:DescribeTasks', () => ecs.describeTasks(watch.cluster, arns.slice(0, 100)));
  return tasks.filter((t) => t.startedBy === watch.deploymentId);
}

interface FoundPull {
  failure: PullFailure;
  text: string;
  container?: string;
}

function firstPullFailure(tasks: readonly EcsTaskState[]): FoundPull | undefined {
  for (const task of tasks) {
    for (const c of task.containers) {
      const failure = classifyPullFailure(c.reason);
      if (failure && c.reason) return { failure, text: c.reason, container: c.name };
    }
    const failure = classifyPullFailure(task.stoppedReason);
    if (failure && task.stoppedReason) return { failure, text: task.stoppedReason };
  }
  return undefined;
}

function firstStopReason(tasks: readonly EcsTaskState[]): string {
  const task = tasks.find((t) => t.stoppedReason);
  return task?.stoppedReason ? ` A task of the deployment stopped: ${task.stoppedReason}` : '';
}

/** What to do about each class of pull failure (DOMAIN fact 7: only two are image loss). */
function pullAdvice(failure: PullFailure, watch: RolloutWatch): string {
  const rebuild = watch.rebuildHint ? `\`${watch.rebuildHint}\`` : '`rebuild`';
  switch (failure.class) {
    case 'image-not-found':
      return `The image the tag resolves to is gone: rebuild and push it (${rebuild}), then redeploy.`;
    case 'platform-mismatch':
      return `The image has no child for the task's platform: rebuild it for that platform (${rebuild}), then redeploy.`;
    case 'registry-unreachable':
      return 'The image is probably fine: the tasks cannot reach the registry (NAT gateway, VPC endpoints, public IP).';
    case 'access-denied':
      return "The image is probably fine: the task execution role may not pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage, or the repository policy).";
    case 'rate-limited':
      return 'The registry is rate-limiting pulls (Docker Hub anonymous limits): authenticate or mirror the image.';
    default:
      return failure.stage === 'resource-initialization' ? 'The task could not fetch its secrets or registry auth before the pull.' : 'See the stopped task for details.';
  }
}

async function runningDigests(run: RunContext, watch: RolloutWatch): Promise<{ containers: RolloutResult['running']; tasks: number }> {
  const tasks = await tasksOf(run, watch, 'RUNNING');
  const byContainer = new Map<string, Set<string>>();
  for (const task of tasks) {
    for (const c of task.containers) {
      if (c.imageDigest === undefined) continue;
      const set = byContainer.get(c.name) ?? new Set<string>();
      set.add(c.imageDigest);
      byContainer.set(c.name, set);
    }
  }
  const names = new Set([...watch.expected.map((e) => e.container), ...byContainer.keys()]);
  const containers = [...names].map((container) => {
    const digests = [...(byContainer.get(container) ?? [])];
    const expected = watch.expected.find((e) => e.container === container)?.digests ?? [];
    const matchesPlan = digests.length === 0 || expected.length === 0 ? undefined : digests.every((d) => expected.includes(d));
    return { container, digests, matchesPlan };
  });
  return { containers, tasks: tasks.length };
}

function rolloutProgress(label: string, dep: EcsDeploymentState, elapsed: number, events: readonly string[], timing: RolloutTiming): Message {
  const blocks: Block[] = [
    { type: 'header', text: `Redeploying ${label}` },
    {
      type: 'fields',
      fields: [
        { label: 'Deployment', value: dep.id },
        { label: 'Rollout', value: dep.rolloutState ?? dep.status },
        { label: 'Tasks', value: `${dep.runningCount}/${dep.desiredCount} running${dep.pendingCount > 0 ? `, ${dep.pendingCount} pending` : ''}${dep.failedTasks > 0 ? `, ${dep.failedTasks} failed` : ''}` },
        { label: 'Elapsed', value: formatDuration(elapsed) },
      ],
    },
  ];
  const recent = events.slice(-MAX_EVENTS_SHOWN);
  if (recent.length > 0) blocks.push({ type: 'list', items: recent.map((e) => clip(e, 300)) });
  blocks.push({ type: 'context', text: `Checking every ${formatDuration(timing.pollMs)}; Lifeboat stops watching after ${formatDuration(timing.timeoutMs)} (ECS keeps going).` });
  return { summary: `Redeploying ${label}: ${dep.runningCount}/${dep.desiredCount} tasks running`, tone: 'info', blocks };
}

/** `app: sha256:0123… (as planned)`. */
export function describeRunning(running: RolloutResult['running']): string[] {
  return running.map((r) => {
    const digests = r.digests.length > 0 ? r.digests.map(shortDigest).join(', ') : 'no digest reported';
    const note = r.matchesPlan === false ? ' — not the digest the plan resolved (the tag moved since)' : r.matchesPlan ? ' (as planned)' : '';
    return `${r.container}: ${digests}${note}`;
  });
}
