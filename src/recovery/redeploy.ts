/**
 * `redeploy <cluster/service> [--digest sha256:…] [--dry-run]`: a new deployment re-resolves the
 * service's image tags (DOMAIN fact 1), which heals a service whose pinned digest was deleted —
 * provided the tag now resolves to an image that exists. The plan checks exactly that first and
 * refuses (pointing at `rebuild`) when the new deployment would fail the same way.
 *
 * Resumable: the plan is recorded before anything changes, the new task-definition revision
 * (`--digest`) right after it is registered, and the deployment id right after `UpdateService` —
 * before waiting — so a worker crash resumes watching instead of deploying twice. A retry that
 * finds the plan but no deployment id first looks for a deployment it may already have started.
 */
import { z } from 'zod';
import { LifeboatError } from '../core/errors.js';
import type { JobContext, JobResult } from '../core/jobs.js';
import type { Block, Message } from '../core/message.js';
import type { Availability } from '../images/availability.js';
import type { ServiceNode } from '../images/graph.js';
import { displayName, shortDigest, type ImageReference } from '../images/image-reference.js';
import { formatPlatform, type Platform } from '../images/platform.js';
import { renderCalls, type PlannedCall } from './calls.js';
import { planFirst } from './plan-first.js';
import { runContext, type RecoveryDeps, type RunContext } from './deps.js';
import type { EcsServiceState } from './ports.js';
import { describeRunning, watchRollout, type RolloutWatch } from './rollout.js';
import { inspectService, type ContainerState } from './service-images.js';
import { parseServiceTarget, serviceLabel, type ServiceTarget } from './targets.js';
import { clip, formatDuration } from './text.js';

/** Job data of `redeploy`, as `commands/redeploy.yaml` parses it. */
export const redeployJobData = z.object({
  service: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256: and 64 hex characters').optional(),
  dryRun: z.boolean().optional(),
});

/** One container of the deployment to be started, and what it will pull. */
export interface RedeployContainer {
  container: string;
  image: string;
  essential: boolean;
  pinning: ContainerState['pinning'];
  pinnedDigest?: string;
  platform: string;
  /** What the new deployment will pull. */
  resolved: Availability;
  /** Set for the container `--digest` replaces. */
  newImage?: string;
}

/** The plan, recorded as the job's first checkpoint (plain JSON). */
export interface RedeployPlan {
  cluster: string;
  service: string;
  taskDefinition: string;
  deployments: { id: string; status: string; taskDefinition: string; rolloutState?: string; running: number; desired: number }[];
  /** Every container of every deployment that can start tasks, and what it pulls now. */
  pinned: { deployment: string; container: string; image: string; pinnedDigest?: string; status: string; detail: string }[];
  containers: RedeployContainer[];
  digest?: string;
  refusal?: string;
  warnings: string[];
  calls: PlannedCall[];
  expected: RolloutWatch['expected'];
  rebuildHint?: string;
  plannedAt: number;
}

interface DeploymentCheckpoint {
  id: string;
  taskDefinition: string;
  startedAt: number;
}

const CP_PLAN = 'redeploy.plan';
const CP_REVISION = 'redeploy.taskDefinition';
const CP_DEPLOYMENT = 'redeploy.deployment';

/** The `redeploy` job handler. */
export function createRedeployJob(deps: RecoveryDeps) {
  return async (data: Record<string, unknown>, ctx: JobContext): Promise<JobResult> => {
    const parsed = redeployJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', `redeploy: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    const target = parseServiceTarget(parsed.data.service, 'redeploy');
    const run = runContext(deps, ctx);
    const settings = deps.settings.redeploy;

    const first = await planFirst(ctx, { checkpoint: CP_PLAN, dryRun: parsed.data.dryRun === true, make: () => planRedeploy(run, target, parsed.data.digest), render: renderPlan });
    if (first.kind === 'dry-run') return first.answer;
    const { plan, resumed } = first;

    let deployment = await ctx.checkpoint.get<DeploymentCheckpoint>(CP_DEPLOYMENT);
    if (!deployment) deployment = await deploy(run, target, plan, resumed);

    const watch: RolloutWatch = {
      cluster: target.cluster,
      service: target.service,
      deploymentId: deployment.id,
      taskDefinition: deployment.taskDefinition,
      startedAt: deployment.startedAt,
      expected: plan.expected,
      ...(plan.rebuildHint !== undefined ? { rebuildHint: plan.rebuildHint } : {}),
    };
    const result = await watchRollout(run, watch, { pollMs: settings.pollSeconds * 1000, timeoutMs: settings.timeoutMinutes * 60_000 });

    const label = serviceLabel(target);
    const blocks: Block[] = [
      { type: 'header', text: `Redeployed ${label}` },
      {
        type: 'fields',
        fields: [
          { label: 'Deployment', value: result.deployment.id },
          { label: 'Tasks', value: `${result.deployment.runningCount}/${result.deployment.desiredCount} running` },
          { label: 'Took', value: formatDuration(result.elapsedMs) },
          { label: 'Task definition', value: shortTaskDefinition(deployment.taskDefinition) },
        ],
      },
    ];
    const running = describeRunning(result.running);
    if (running.length > 0) blocks.push({ type: 'text', text: 'Running now' }, { type: 'list', items: running });
    if (result.deployment.desiredCount === 0) blocks.push({ type: 'context', text: 'The service is scaled to 0: ECS resolves the tags when the first task starts.' });
    blocks.push({
      type: 'context',
      text: plan.digest
        ? `The new revision names the image by digest, so later deployments keep ${shortDigest(plan.digest)} until the task definition changes.`
        : 'ECS pinned these digests for the new deployment; every later task of it (scale-out, replacement) pulls the same ones.',
    });
    return {
      summary: `Redeployed ${label}: steady state with ${result.deployment.runningCount}/${result.deployment.desiredCount} tasks`,
      tone: 'success',
      blocks,
      outputs: { steady: true, deployment: result.deployment.id, digests: [...new Set(result.running.flatMap((r) => r.digests))] },
    };
  };
}

/** Start the deployment (or find the one a crashed attempt started) and record its id. */
async function deploy(run: RunContext, target: ServiceTarget, plan: RedeployPlan, resumed: boolean): Promise<DeploymentCheckpoint> {
  const { ecs } = run.deps;
  const { ctx } = run;
  let taskDefinition = plan.taskDefinition;
  if (plan.digest !== undefined) {
    const registered = await ctx.checkpoint.get<string>(CP_REVISION);
    if (registered !== undefined) taskDefinition = registered;
    else {
      const images = Object.fromEntries(plan.containers.flatMap((c) => (c.newImage !== undefined ? [[c.container, c.newImage]] : [])));
      const revision = await run.calls.mutate('ecs:RegisterTaskDefinition', () => ecs.registerRevisionWithImages({ taskDefinition: plan.taskDefinition, images }));
      taskDefinition = revision.arn;
      await ctx.checkpoint.set(CP_REVISION, taskDefinition);
    }
  }

  if (resumed) {
    // A previous attempt recorded the plan and may have died between UpdateService and its checkpoint.
    const svc = await run.calls.read('ecs:DescribeServices', () => ecs.describeService(target.cluster, target.service));
    const adopted = adoptable(svc, taskDefinition, plan.plannedAt);
    if (adopted) {
      ctx.log.info({ deploymentId: adopted.id }, 'adopting the deployment a previous attempt started');
      const checkpoint = { id: adopted.id, taskDefinition, startedAt: adopted.createdAt ?? plan.plannedAt };
      await ctx.checkpoint.set(CP_DEPLOYMENT, checkpoint);
      return checkpoint;
    }
  }

  const input = plan.digest !== undefined ? { cluster: target.cluster, service: target.service, taskDefinition } : { cluster: target.cluster, service: target.service, forceNewDeployment: true };
  const startedAt = run.now();
  const updated = await run.calls.mutate('ecs:UpdateService', () => ecs.updateService(input));
  const primary = updated.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary) throw new LifeboatError('AWS_ERROR', `ECS accepted the update of ${serviceLabel(target)} but reported no PRIMARY deployment; check the service.`, { retryable: false });
  const checkpoint = { id: primary.id, taskDefinition, startedAt };
  await ctx.checkpoint.set(CP_DEPLOYMENT, checkpoint);
  ctx.log.info({ deploymentId: primary.id, taskDefinition }, 'deployment started');
  return checkpoint;
}

/** A PRIMARY deployment of the right task definition created since the plan: ours, from an attempt that crashed. */
function adoptable(svc: EcsServiceState, taskDefinition: string, plannedAt: number) {
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary || primary.taskDefinition !== taskDefinition || primary.createdAt === undefined) return undefined;
  // AWS's clock and ours may differ by a little.
  return primary.createdAt >= plannedAt - 60_000 ? primary : undefined;
}

/** Build the plan: read-only. */
export async function planRedeploy(run: RunContext, target: ServiceTarget, digest: string | undefined): Promise<RedeployPlan> {
  const { deps, ctx } = run;
  const label = serviceLabel(target);
  const svc = await run.calls.read('ecs:DescribeServices', () => deps.ecs.describeService(target.cluster, target.service));
  const warnings: string[] = [];
  let refusal: string | undefined;

  const base = {
    cluster: target.cluster,
    service: target.service,
    taskDefinition: svc.taskDefinition ?? svc.deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? '',
    deployments: svc.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
      running: d.runningCount,
      desired: d.desiredCount,
    })),
    plannedAt: run.now(),
  };
  if (svc.status !== 'ACTIVE') {
    return { ...base, pinned: [], containers: [], warnings, calls: [], expected: [], refusal: `${label} is ${svc.status}, not ACTIVE: there is nothing to redeploy.` };
  }
  const controller = svc.deploymentController ?? 'ECS';
  if (controller !== 'ECS') {
    return {
      ...base,
      pinned: [],
      containers: [],
      warnings,
      calls: [],
      expected: [],
      refusal: `${label} uses the ${controller} deployment controller; ECS cannot force a deployment of it. Start the deployment in ${controller === 'CODE_DEPLOY' ? 'CodeDeploy' : 'your deployment tool'}.`,
    };
  }

  // With --digest, the digest is looked up in every candidate repository in the same pass.
  let candidates: { container: string; image: string; ref: ImageReference; platform: Platform }[] = [];
  const inspected = await inspectService(deps, target, {
    signal: ctx.signal,
    ...(digest !== undefined
      ? {
          extra: (node: ServiceNode) => {
            const unit = node.units.find((u) => u.taskDefinition === base.taskDefinition && (u.label === 'PRIMARY' || u.label === 'SERVICE')) ?? node.units.find((u) => u.taskDefinition === base.taskDefinition);
            candidates = (unit?.containers ?? []).flatMap((c) => (c.ref.ok ? [{ container: c.container, image: c.image, ref: c.ref.ref, platform: unit!.platform }] : []));
            return candidates.map((c) => ({ ref: { ...c.ref, digest, tag: undefined, tagImplied: false }, platform: c.platform }));
          },
        }
      : {}),
  });
  const all = inspected.service.containers;
  const primaryUnit = all.filter((c) => c.taskDefinition === base.taskDefinition && (c.deployment === 'PRIMARY' || c.deployment === 'SERVICE'));
  const next = primaryUnit.length > 0 ? primaryUnit : all.filter((c) => c.taskDefinition === base.taskDefinition);
  if (next.length === 0) {
    return { ...base, pinned: [], containers: [], warnings, calls: [], expected: [], refusal: `Lifeboat could not read the task definition of ${label} (${base.taskDefinition}); nothing was changed.` };
  }

  let replaced: { container: string; image: string; availability: Availability } | undefined;
  if (digest !== undefined) {
    const answered = inspected.extra;
    const found = candidates.map((c, i) => ({ c, a: answered[i]! })).filter(({ a }) => !(a.status === 'missing' && (a.reason === 'image-not-found' || a.reason === 'repository-not-found')));
    const pick = candidates.length === 1 ? { c: candidates[0]!, a: answered[0]! } : found.length === 1 ? found[0] : undefined;
    if (!pick) {
      const repos = [...new Set(candidates.map((c) => c.ref.repository))].join(', ');
      refusal =
        found.length === 0
          ? `${shortDigest(digest)} is in none of the repositories ${label} uses (${repos || 'none readable'}); check the digest.`
          : `${shortDigest(digest)} is in several repositories ${label} uses (${repos}); Lifeboat cannot tell which container it is for.`;
    } else {
      replaced = { container: pick.c.container, image: withDigest(pick.c.image, digest), availability: pick.a };
      if (pick.a.status === 'missing') refusal = `The image --digest names cannot be pulled: ${pick.a.detail}. Rebuild and push it first (\`rebuild ${pick.c.ref.tag !== undefined ? displayName({ ...pick.c.ref, digest: undefined }) : label}\`).`;
      else if (pick.a.status === 'unknown') warnings.push(`Lifeboat could not confirm ${shortDigest(digest)} is pullable: ${pick.a.detail}.`);
    }
  }

  const containers: RedeployContainer[] = next.map((c) => ({
    container: c.container,
    image: c.image,
    essential: c.essential,
    pinning: c.pinning,
    ...(c.pinnedDigest !== undefined ? { pinnedDigest: c.pinnedDigest } : {}),
    platform: formatPlatform(c.platform),
    resolved: replaced?.container === c.container ? replaced.availability : c.resolved,
    ...(replaced?.container === c.container ? { newImage: replaced.image } : {}),
  }));

  let rebuildHint: string | undefined;
  for (const c of next) {
    if (replaced?.container === c.container) continue;
    const r = c.resolved;
    const hint = c.ref ? `rebuild ${c.ref.tag !== undefined ? displayName({ ...c.ref, digest: undefined }) : label}` : undefined;
    if (r.status === 'missing') {
      rebuildHint ??= hint;
      const sentence = `${c.container}: a new deployment would pull ${c.image}, and that is missing too — ${r.detail}.`;
      if (c.essential) refusal ??= `${sentence} A redeploy would fail the same way; rebuild and push the image first (\`${hint ?? 'rebuild'}\`), then redeploy.`;
      else warnings.push(`${sentence} It is not essential, so the tasks still start.`);
    } else if (r.status === 'unknown') {
      warnings.push(`${c.container}: could not check what ${c.image} resolves to (${r.detail}); the rollout watch will catch a pull failure.`);
    } else if (r.status === 'unchecked') {
      warnings.push(`${c.container}: ${c.image} is not checked (${r.detail}).`);
    }
  }
  if (rebuildHint === undefined) {
    const c = next.find((x) => x.ref?.tag !== undefined);
    if (c?.ref) rebuildHint = `rebuild ${displayName({ ...c.ref, digest: undefined })}`;
  }

  const expected = containers.map((c) => ({ container: c.container, digests: [c.resolved.digest, c.resolved.platformDigest].filter((d): d is string => d !== undefined) }));
  const pinned = all.map((c) => ({
    deployment: c.deployment,
    container: c.container,
    image: c.image,
    ...(c.pinnedDigest !== undefined ? { pinnedDigest: c.pinnedDigest } : {}),
    status: c.current.status,
    detail: c.current.detail,
  }));

  return {
    ...base,
    pinned,
    containers,
    ...(digest !== undefined ? { digest } : {}),
    ...(refusal !== undefined ? { refusal } : {}),
    warnings,
    calls: plannedCalls(target, base.taskDefinition, replaced, run.deps.settings.redeploy.pollSeconds),
    expected,
    ...(rebuildHint !== undefined ? { rebuildHint } : {}),
  };
}

function plannedCalls(target: ServiceTarget, taskDefinition: string, replaced: { container: string; image: string } | undefined, pollSeconds: number): PlannedCall[] {
  const calls: PlannedCall[] = [];
  if (replaced) {
    calls.push(
      { action: 'ecs:DescribeTaskDefinition', input: { taskDefinition, include: ['TAGS'] }, mutating: false },
      {
        action: 'ecs:RegisterTaskDefinition',
        input: { family: familyOf(taskDefinition), containerDefinitions: [{ name: replaced.container, image: replaced.image }] },
        mutating: true,
        when: `a copy of ${shortTaskDefinition(taskDefinition)}, only that image changed`,
      },
      { action: 'ecs:UpdateService', input: { cluster: target.cluster, service: target.service, taskDefinition: `${familyOf(taskDefinition)}:<new revision>` }, mutating: true },
    );
  } else {
    calls.push({ action: 'ecs:UpdateService', input: { cluster: target.cluster, service: target.service, forceNewDeployment: true }, mutating: true });
  }
  calls.push(
    { action: 'ecs:DescribeServices', input: { cluster: target.cluster, services: [target.service] }, mutating: false, when: `every ${pollSeconds} s until steady state` },
    { action: 'ecs:ListTasks', input: { cluster: target.cluster, serviceName: target.service, desiredStatus: 'STOPPED' }, mutating: false, when: 'while tasks fail to start, then ecs:DescribeTasks' },
    { action: 'ecs:ListTasks', input: { cluster: target.cluster, serviceName: target.service, desiredStatus: 'RUNNING' }, mutating: false, when: 'at the end, then ecs:DescribeTasks for the digests running' },
  );
  return calls;
}

/** The plan as a card: what runs now, what a new deployment pulls, and the AWS calls. */
export function renderPlan(plan: RedeployPlan, dryRun: boolean): Message {
  const label = `${plan.cluster}/${plan.service}`;
  const blocks: Block[] = [
    { type: 'header', text: `${dryRun ? 'Dry run' : 'Plan'}: redeploy ${label}` },
    {
      type: 'fields',
      fields: [
        { label: 'Task definition', value: shortTaskDefinition(plan.taskDefinition) || 'unknown' },
        { label: 'Deployments', value: plan.deployments.map((d) => `${d.status} ${d.id} ${d.rolloutState ?? ''} ${d.running}/${d.desired}`.replace(/\s+/g, ' ')).join('; ') || 'none' },
      ],
    },
  ];
  if (plan.pinned.length > 0) {
    blocks.push({ type: 'text', text: 'Now pinned (what the next task of each deployment pulls)' });
    blocks.push({ type: 'list', items: plan.pinned.map((p) => clip(`${p.deployment} ${p.container}: ${p.pinnedDigest ? `pinned ${shortDigest(p.pinnedDigest)}` : 'not pinned'} — ${p.status}: ${p.detail}`, 400)) });
  }
  if (plan.containers.length > 0) {
    blocks.push({ type: 'text', text: plan.digest ? `A new deployment (new revision with ${shortDigest(plan.digest)}) will pull` : 'A new deployment will re-resolve the tags and pull' });
    blocks.push({
      type: 'list',
      items: plan.containers.map((c) => {
        const what = c.newImage ?? c.image;
        const to = c.resolved.digest ? ` → ${shortDigest(c.resolved.digest)}` : '';
        return clip(`${c.container}: ${what}${to} — ${c.resolved.status} for ${c.platform}${c.resolved.status === 'available' ? '' : `: ${c.resolved.detail}`}${c.pinning === 'disabled' ? ' (pinning disabled)' : ''}`, 400);
      }),
    });
  }
  if (plan.warnings.length > 0) blocks.push({ type: 'text', text: 'Warnings' }, { type: 'list', items: plan.warnings.map((w) => clip(w, 400)) });
  if (plan.refusal !== undefined) blocks.push({ type: 'text', text: `Not redeploying: ${plan.refusal}` });
  if (plan.calls.length > 0) blocks.push({ type: 'text', text: dryRun ? 'AWS calls it would make (✎ = changes something)' : 'AWS calls (✎ = changes something)' }, { type: 'code', text: clip(renderCalls(plan.calls)) });
  if (dryRun) blocks.push({ type: 'context', text: 'Dry run: nothing was changed.' });
  return {
    summary: plan.refusal !== undefined ? `redeploy ${label}: refused — ${plan.refusal}` : `${dryRun ? 'Dry run' : 'Plan'}: redeploy ${label}`,
    tone: plan.refusal !== undefined ? 'danger' : plan.warnings.length > 0 ? 'warning' : 'info',
    blocks,
  };
}

/** `…:task-definition/api:7` → `api:7`. */
function shortTaskDefinition(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : arn;
}

function familyOf(taskDefinition: string): string {
  return shortTaskDefinition(taskDefinition).replace(/:\d+$/, '');
}

/** The image reference with its tag or digest replaced by `digest`. */
export function withDigest(image: string, digest: string): string {
  const name = image.split('@')[0] ?? image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return `${colon > slash ? name.slice(0, colon) : name}@${digest}`;
}
