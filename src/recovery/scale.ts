/**
 * `scale <cluster/service> for <queue> | to <N> | back [--dry-run]`.
 *
 * `for <queue>` sizes a worker service for a queue backlog:
 *   desired = clamp(⌈backlog ÷ (per-task rate × drain minutes)⌉, current, max)
 * — never below the current count, never above the queue's `maxTasks` — and shows the arithmetic.
 * Before scaling out it checks the service's images (images module): when the pinned image is
 * gone, N new tasks would all fail to pull, so it refuses and offers the image-recovery runbook.
 * It respects an Application Auto Scaling target by raising its minimum (and maximum, if needed)
 * instead of fighting it, watches the backlog drain (with a sparkline), and returns to the
 * recorded original when the queue is drained, on timeout, or when cancelled.
 *
 * The original (task count and scaling capacity) is written to the `ScaleRecordStore` before the
 * first change and deleted only after it is restored: a crash never leaves a service scaled up
 * without a record, and `scale … back` (or a sweeper) can always return it.
 */
import { z } from 'zod';
import { LifeboatError, isLifeboatError } from '../core/errors.js';
import type { JobContext, JobOutputs, JobResult } from '../core/jobs.js';
import type { Block, Message } from '../core/message.js';
import { nextCommand } from '../images/report.js';
import { renderCalls, type PlannedCall } from './calls.js';
import { cancelledByUser, runContext, shuttingDown, type RecoveryDeps, type RunContext } from './deps.js';
import type { EcsServiceState, QueueBacklog, RegisterScalableTargetInput, ScalableTargetState, ScaleOriginal, ScaleRecord } from './ports.js';
import { inspectService } from './service-images.js';
import { queueScaling, type QueueScaling } from './settings.js';
import { parseServiceTarget, serviceLabel, type ServiceTarget } from './targets.js';
import { clip, formatCount, formatDuration, plural, sparkline } from './text.js';

/** Job data of `scale`, as `commands/scale.yaml` parses it: `for` has `queue`, `to` has `count`, `back` has neither. */
export const scaleJobData = z
  .object({
    service: z.string(),
    queue: z.string().regex(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, 'expected an SQS queue name').optional(),
    /** A number from the command parser; a string of digits from runbook references. */
    count: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().min(0).max(1000)).optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((d) => d.queue === undefined || d.count === undefined, 'give a queue or a count, not both');

/** The task-count arithmetic, kept so the plan can show it. */
export interface ScaleArithmetic {
  backlog: number;
  perTaskRatePerMinute: number;
  drainMinutes: number;
  /** Messages one task works off within the drain time. */
  perTask: number;
  /** ⌈backlog ÷ perTask⌉. */
  needed: number;
  current: number;
  max: number;
  desired: number;
  /** The whole computation as one line. */
  text: string;
}

/** `clamp(⌈backlog ÷ (rate × minutes)⌉, current, max)`; the lower bound wins when current > max (never scales in). */
export function desiredTasks(backlog: number, perTaskRatePerMinute: number, drainMinutes: number, current: number, max: number): ScaleArithmetic {
  const perTask = perTaskRatePerMinute * drainMinutes;
  const ratio = backlog / perTask;
  const needed = Math.ceil(ratio);
  const desired = Math.max(current, Math.min(needed, max));
  const text =
    `${formatCount(backlog)} messages ÷ (${formatCount(perTaskRatePerMinute)} msgs/min × ${formatCount(drainMinutes)} min = ${formatCount(perTask)} per task) ` +
    `= ${ratio.toFixed(2)} → ${needed}; clamp(${needed}, current ${current}, max ${max}) = ${plural(desired, 'task')}`;
  return { backlog, perTaskRatePerMinute, drainMinutes, perTask, needed, current, max, desired, text };
}

/** What the job will do, recorded as its first checkpoint (plain JSON). */
export interface ScalePlan {
  mode: 'queue' | 'fixed' | 'back';
  account: string;
  region: string;
  cluster: string;
  service: string;
  key: string;
  current: number;
  running: number;
  desired: number;
  queue?: string;
  backlog?: QueueBacklog;
  arithmetic?: ScaleArithmetic;
  queueSettings?: QueueScaling;
  scalableTarget?: ScalableTargetState;
  /** The capacity the target gets while scaled. */
  raisedTarget?: RegisterScalableTargetInput;
  /** What `back` returns to: an earlier record's original, or the service as it is now. */
  original: ScaleOriginal;
  existing?: ScaleRecord;
  /** Set when there is nothing to do (and why). */
  noChange?: string;
  refusal?: string;
  warnings: string[];
  calls: PlannedCall[];
  plannedAt: number;
}

interface Sample {
  at: number;
  visible: number;
  inFlight: number;
}

const CP_PLAN = 'scale.plan';
const CP_RECORDED = 'scale.recorded';
const CP_TARGET = 'scale.target';
const CP_UP = 'scale.up';
const CP_SAMPLES = 'scale.samples';
const CP_RESTORED = 'scale.restored';
const MAX_SAMPLES = 120;

/** The store key of a service's scale record. */
export function scaleRecordKey(account: string, region: string, target: ServiceTarget): string {
  return `${account}:${region}:${serviceLabel(target)}`;
}

/** Records whose job promised to be back by now: services left scaled up. */
export function overdueScaleRecords(records: readonly ScaleRecord[], now: number): ScaleRecord[] {
  return records.filter((r) => r.restoreBy !== undefined && r.restoreBy < now).sort((a, b) => (a.restoreBy ?? 0) - (b.restoreBy ?? 0));
}

/** The `scale` job handler. */
export function createScaleJob(deps: RecoveryDeps) {
  return async (data: Record<string, unknown>, ctx: JobContext): Promise<JobResult> => {
    const parsed = scaleJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', `scale: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    const target = parseServiceTarget(parsed.data.service, 'scale');
    const run = runContext(deps, ctx);

    const recorded = await ctx.checkpoint.get<ScalePlan>(CP_PLAN);
    const plan = recorded ?? (await planScale(run, target, parsed.data));
    if (parsed.data.dryRun === true) return renderPlan(plan, true);
    if (plan.refusal !== undefined) {
      await ctx.progress(renderPlan(plan, false));
      throw new LifeboatError('JOB_FAILED', plan.refusal);
    }
    if (plan.noChange !== undefined) {
      const below = plan.backlog !== undefined && plan.queueSettings !== undefined && plan.backlog.visible + plan.backlog.inFlight < plan.queueSettings.scaleBackBelow;
      return {
        ...renderPlan(plan, false),
        outputs: outputs(plan, { drained: below, count: plan.current, scaledUp: plan.existing !== undefined && plan.current > plan.existing.original.desiredCount }),
      };
    }
    if (!recorded) await ctx.checkpoint.set(CP_PLAN, plan);
    await ctx.progress(renderPlan(plan, false));

    if (plan.mode === 'back') {
      const restored = await restore(run, plan, run.calls);
      return { ...backMessage(plan, restored), outputs: outputs(plan, { drained: false, count: restored.count, scaledUp: false }) };
    }

    await scaleUp(run, plan);
    if (plan.mode === 'fixed') return { ...fixedMessage(plan), outputs: outputs(plan, { drained: false, count: plan.desired, scaledUp: plan.desired > plan.original.desiredCount }) };

    try {
      return await watchAndReturn(run, plan);
    } catch (err) {
      if (shuttingDown(ctx.signal) || (isLifeboatError(err) && err.retryable && !cancelledByUser(ctx.signal))) throw err;
      // Cancelled, or failed for good: do not leave the service scaled up.
      try {
        const restored = await restore(run, plan, run.cleanupCalls());
        await ctx.progress({ summary: `Returned ${serviceLabel(target)} to ${plural(restored.count, 'task')}`, tone: 'warning', blocks: [{ type: 'text', text: `Stopped early; returned ${serviceLabel(target)} to ${plural(restored.count, 'task')}.` }] });
      } catch (restoreErr) {
        ctx.log.error({ err: restoreErr instanceof Error ? restoreErr.message : String(restoreErr) }, 'could not return the service to its original count');
        if (isLifeboatError(err) && !cancelledByUser(ctx.signal)) {
          throw new LifeboatError(err.code, `${err.userMessage} Lifeboat could not return ${serviceLabel(target)} to ${plural(plan.original.desiredCount, 'task')} either: run \`scale ${serviceLabel(target)} back\`.`, { cause: err });
        }
      }
      throw err;
    }
  };
}

/** Build the plan: read-only. */
export async function planScale(run: RunContext, target: ServiceTarget, data: z.infer<typeof scaleJobData>): Promise<ScalePlan> {
  const { deps } = run;
  const label = serviceLabel(target);
  const key = scaleRecordKey(deps.account, deps.region, target);
  const mode: ScalePlan['mode'] = data.queue !== undefined ? 'queue' : data.count !== undefined ? 'fixed' : 'back';
  const existing = await deps.scaleRecords.get(key);
  const svc = await run.calls.read('ecs:DescribeServices', () => deps.ecs.describeService(target.cluster, target.service));
  const scalable = await run.calls.read('application-autoscaling:DescribeScalableTargets', () => deps.scaling.describeScalableTarget(target.cluster, target.service));
  const warnings: string[] = [];
  const original: ScaleOriginal = existing?.original ?? {
    desiredCount: svc.desiredCount,
    ...(scalable ? { scalableTarget: { minCapacity: scalable.minCapacity, maxCapacity: scalable.maxCapacity } } : {}),
  };
  const base: ScalePlan = {
    mode,
    account: deps.account,
    region: deps.region,
    cluster: target.cluster,
    service: target.service,
    key,
    current: svc.desiredCount,
    running: svc.runningCount,
    desired: svc.desiredCount,
    ...(scalable ? { scalableTarget: scalable } : {}),
    original,
    ...(existing ? { existing } : {}),
    warnings,
    calls: [],
    plannedAt: run.now(),
  };
  if (existing && mode !== 'back') warnings.push(`${label} is already scaled by Lifeboat (job ${existing.jobId}, to ${existing.scaledTo}); the original ${plural(existing.original.desiredCount, 'task')} stays the one to return to.`);

  if (mode === 'back') {
    if (!existing) return { ...base, noChange: `Lifeboat has no record of scaling ${label}, so there is nothing to return to. \`scale ${label} to N\` sets a count.` };
    const count = restoreCount(existing.original);
    if (existing.original.scalableTarget && !scalable) warnings.push(`${label} no longer has an auto scaling target; only the task count is restored.`);
    return { ...base, desired: count, calls: restoreCalls(target, existing.original, scalable !== undefined) };
  }

  if (svc.status !== 'ACTIVE') return { ...base, refusal: `${label} is ${svc.status}, not ACTIVE; it cannot be scaled.` };

  let desired: number;
  if (mode === 'queue') {
    const queue = data.queue ?? '';
    const settings = queueScaling(deps.settings, queue);
    if (!settings.ok) {
      throw new LifeboatError(
        'CONFIG_INVALID',
        `No scaling settings for queue ${queue}: set ${settings.missing.join(', ')} under recovery.scale.queues.${queue} (or recovery.scale.defaults) in lifeboat.yaml.`,
      );
    }
    const backlog = await run.calls.read('sqs:GetQueueAttributes', () => deps.queues.approximateBacklog(queue));
    const arithmetic = desiredTasks(backlog.visible, settings.value.perTaskRatePerMinute, settings.value.drainMinutes, svc.desiredCount, settings.value.maxTasks);
    Object.assign(base, { queue, backlog, arithmetic, queueSettings: settings.value, desired: arithmetic.desired });
    if (backlog.ageUnavailable !== undefined) warnings.push(`Oldest message age unavailable: ${backlog.ageUnavailable}.`);
    if (svc.desiredCount > settings.value.maxTasks) warnings.push(`${label} already runs more than maxTasks (${settings.value.maxTasks}); Lifeboat never scales in here.`);
    if (backlog.visible + backlog.inFlight < settings.value.scaleBackBelow) {
      return { ...base, noChange: `${queue} holds ${formatCount(backlog.visible)} messages (${formatCount(backlog.inFlight)} in flight), below the scale-back threshold of ${formatCount(settings.value.scaleBackBelow)}: nothing to do.` };
    }
    if (arithmetic.desired <= svc.desiredCount) {
      return { ...base, noChange: `${plural(svc.desiredCount, 'task')} already drain ${queue} within ${formatCount(settings.value.drainMinutes)} min: ${arithmetic.text}.` };
    }
    desired = arithmetic.desired;
  } else {
    desired = data.count ?? svc.desiredCount;
    base.desired = desired;
    if (desired > deps.settings.scale.maxTasks) {
      return { ...base, refusal: `${desired} tasks is more than recovery.scale.maxTasks (${deps.settings.scale.maxTasks}); ask an admin to raise it if you mean it.` };
    }
    if (desired === svc.desiredCount && (!scalable || scalable.minCapacity === desired)) return { ...base, noChange: `${label} already wants ${plural(desired, 'task')}.` };
  }

  // New tasks pull the pinned image: refuse to launch many tasks that all fail to pull (DOMAIN fact 1).
  if (desired > svc.desiredCount) {
    const refusal = await imageRefusal(run, target, desired, warnings);
    if (refusal !== undefined) return { ...base, refusal };
  }

  const raisedTarget = scalable ? scalableTargetInput(target, desired, Math.max(scalable.maxCapacity, desired)) : undefined;
  const calls: PlannedCall[] = [];
  if (raisedTarget) calls.push({ action: 'application-autoscaling:RegisterScalableTarget', input: { ...raisedTarget }, mutating: true, when: 'raises the auto scaling minimum instead of fighting it' });
  calls.push({ action: 'ecs:UpdateService', input: { cluster: target.cluster, service: target.service, desiredCount: desired }, mutating: true });
  if (mode === 'queue') {
    const q = base.queueSettings;
    calls.push(
      { action: 'sqs:GetQueueAttributes', input: { QueueUrl: base.backlog?.url ?? '', AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }, mutating: false, when: `every ${q?.pollSeconds ?? 60} s while draining` },
      { action: 'cloudwatch:GetMetricData', input: { metric: 'AWS/SQS ApproximateAgeOfOldestMessage', QueueName: base.queue ?? '' }, mutating: false, when: 'with each backlog reading' },
      { action: 'ecs:DescribeServices', input: { cluster: target.cluster, services: [target.service] }, mutating: false, when: 'with each backlog reading' },
      ...restoreCalls(target, original, scalable !== undefined).map((c) => ({ ...c, when: `when fewer than ${formatCount(q?.scaleBackBelow ?? 1)} messages are left, after ${q?.timeoutMinutes ?? '?'} min, or on cancel` })),
    );
  }
  return { ...base, desired, ...(raisedTarget ? { raisedTarget } : {}), calls };
}

async function imageRefusal(run: RunContext, target: ServiceTarget, desired: number, warnings: string[]): Promise<string | undefined> {
  const { deps, ctx } = run;
  const label = serviceLabel(target);
  const { service } = await inspectService(deps, target, { signal: ctx.signal });
  const gone = service.containers.find((c) => c.essential && c.current.status === 'missing');
  if (gone) {
    const next = gone.ref ? nextCommand(gone.ref, gone.current, label) : undefined;
    return (
      `${label}'s ${gone.deployment} deployment cannot start tasks: ${gone.current.detail}. Scaling to ${plural(desired, 'task')} would launch tasks that all fail to pull. ` +
      `Start the ${deps.settings.imageUnavailableRunbook} runbook for ${label}${next ? ` (or run \`${next}\` first)` : ''}, then scale.`
    );
  }
  for (const c of service.containers.filter((x) => x.current.status === 'unknown')) {
    warnings.push(`${c.container}: could not confirm its image is pullable (${c.current.detail}).`);
  }
  return undefined;
}

function scalableTargetInput(target: ServiceTarget, min: number, max: number): RegisterScalableTargetInput {
  return {
    ServiceNamespace: 'ecs',
    ResourceId: `service/${target.cluster}/${target.service}`,
    ScalableDimension: 'ecs:service:DesiredCount',
    MinCapacity: min,
    MaxCapacity: max,
  };
}

/** The count `back` returns to: the original, within the original auto scaling bounds. */
function restoreCount(original: ScaleOriginal): number {
  const t = original.scalableTarget;
  return t ? Math.min(Math.max(original.desiredCount, t.minCapacity), t.maxCapacity) : original.desiredCount;
}

function restoreCalls(target: ServiceTarget, original: ScaleOriginal, hasTarget: boolean): PlannedCall[] {
  const calls: PlannedCall[] = [];
  const t = original.scalableTarget;
  if (t && hasTarget) calls.push({ action: 'application-autoscaling:RegisterScalableTarget', input: { ...scalableTargetInput(target, t.minCapacity, t.maxCapacity) }, mutating: true });
  calls.push({ action: 'ecs:UpdateService', input: { cluster: target.cluster, service: target.service, desiredCount: restoreCount(original) }, mutating: true });
  return calls;
}

/** Record the original, raise the auto scaling minimum, set the count — each step once. */
async function scaleUp(run: RunContext, plan: ScalePlan): Promise<void> {
  const { deps, ctx } = run;
  if ((await ctx.checkpoint.get<boolean>(CP_RECORDED)) !== true) {
    const record: ScaleRecord = {
      key: plan.key,
      account: plan.account,
      region: plan.region,
      cluster: plan.cluster,
      service: plan.service,
      original: plan.original,
      scaledTo: plan.desired,
      reason: plan.mode === 'queue' ? 'queue' : 'fixed',
      ...(plan.queue !== undefined ? { queue: plan.queue } : {}),
      jobId: ctx.jobId,
      scaledAt: run.now(),
      ...(plan.mode === 'queue' && plan.queueSettings ? { restoreBy: run.now() + (plan.queueSettings.timeoutMinutes + 15) * 60_000 } : {}),
    };
    const stored = await deps.scaleRecords.putIfAbsent(record);
    // An earlier record holds the true original; this job now owns the scale-up.
    if (stored.jobId !== ctx.jobId) await deps.scaleRecords.put({ ...record, original: stored.original });
    await ctx.checkpoint.set(CP_RECORDED, true);
  }
  if (plan.raisedTarget && (await ctx.checkpoint.get<boolean>(CP_TARGET)) !== true) {
    const input = plan.raisedTarget;
    await run.calls.mutate('application-autoscaling:RegisterScalableTarget', () => deps.scaling.registerScalableTarget(input));
    await ctx.checkpoint.set(CP_TARGET, true);
  }
  if ((await ctx.checkpoint.get<number>(CP_UP)) === undefined) {
    await run.calls.mutate('ecs:UpdateService', () => deps.ecs.updateService({ cluster: plan.cluster, service: plan.service, desiredCount: plan.desired }));
    await ctx.checkpoint.set(CP_UP, run.now());
    ctx.log.info({ from: plan.current, to: plan.desired }, 'service scaled');
  }
}

/** Watch the backlog until drained or timed out, then return to the original. */
async function watchAndReturn(run: RunContext, plan: ScalePlan): Promise<JobResult> {
  const { deps, ctx } = run;
  const settings = plan.queueSettings;
  const queue = plan.queue ?? '';
  if (!settings) throw new LifeboatError('INTERNAL', 'scale plan without queue settings');
  const scaledAt = (await ctx.checkpoint.get<number>(CP_UP)) ?? plan.plannedAt;
  const deadline = scaledAt + settings.timeoutMinutes * 60_000;
  const samples = (await ctx.checkpoint.get<Sample[]>(CP_SAMPLES)) ?? [{ at: plan.plannedAt, visible: plan.backlog?.visible ?? 0, inFlight: plan.backlog?.inFlight ?? 0 }];
  let latest: QueueBacklog | undefined = plan.backlog;
  let svc: EcsServiceState | undefined;
  let outcome: 'drained' | 'timeout' | undefined;
  let readError: string | undefined;

  while (outcome === undefined) {
    await ctx.progress(drainProgress(plan, samples, latest, svc, run.now() - scaledAt, readError));
    await run.sleep(settings.pollSeconds * 1000, ctx.signal);
    try {
      latest = await run.calls.read('sqs:GetQueueAttributes', () => deps.queues.approximateBacklog(queue));
      svc = await run.calls.read('ecs:DescribeServices', () => deps.ecs.describeService(plan.cluster, plan.service));
      readError = undefined;
      samples.push({ at: run.now(), visible: latest.visible, inFlight: latest.inFlight });
      if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
      await ctx.checkpoint.set(CP_SAMPLES, samples);
      if (latest.visible + latest.inFlight < settings.scaleBackBelow) outcome = 'drained';
    } catch (err) {
      // A reading that failed after retries is not a reason to abandon a scaled-up service.
      if (!isLifeboatError(err) || !err.retryable) throw err;
      readError = err.userMessage;
    }
    if (outcome === undefined && run.now() >= deadline) outcome = 'timeout';
  }

  const restored = await restore(run, plan, run.calls);
  const label = `${plan.cluster}/${plan.service}`;
  const first = samples[0]?.visible ?? 0;
  const last = samples[samples.length - 1]?.visible ?? 0;
  const blocks: Block[] = [
    { type: 'header', text: `${label} is back to ${plural(restored.count, 'task')}` },
    {
      type: 'fields',
      fields: [
        { label: 'Outcome', value: outcome === 'drained' ? `${queue} drained` : `timed out after ${formatDuration(settings.timeoutMinutes * 60_000)}` },
        { label: 'Backlog', value: `${formatCount(first)} → ${formatCount(last)}` },
        { label: 'Scaled', value: `${plan.current} → ${plan.desired} → ${restored.count} tasks` },
        { label: 'Took', value: formatDuration(run.now() - scaledAt) },
      ],
    },
    { type: 'code', text: `${sparkline(samples.map((s) => s.visible))}  ${formatCount(first)} → ${formatCount(last)}` },
  ];
  if (restored.target) blocks.push({ type: 'context', text: `Auto scaling target restored to min ${restored.target.minCapacity}, max ${restored.target.maxCapacity}.` });
  if (outcome === 'timeout') blocks.push({ type: 'text', text: `${queue} still holds ${formatCount(last)} messages. Lifeboat returned to the original as configured; look at the consumers, or \`scale ${label} to N\` to keep more tasks.` });
  return {
    summary: outcome === 'drained' ? `${queue} drained; ${label} back to ${plural(restored.count, 'task')}` : `${queue} not drained in time; ${label} back to ${plural(restored.count, 'task')}`,
    tone: outcome === 'drained' ? 'success' : 'warning',
    blocks,
    outputs: { ...outputs(plan, { drained: outcome === 'drained', count: restored.count, scaledUp: false }), backlog: last },
  };
}

/** The runbook contract (src/runbooks/outputs.ts) for `scale`. */
function outputs(plan: ScalePlan, end: { drained: boolean; count: number; scaledUp: boolean }): JobOutputs {
  return {
    drained: end.drained,
    ...(plan.backlog !== undefined ? { backlog: plan.backlog.visible } : {}),
    scaledUp: end.scaledUp,
    count: end.count,
    originalCount: plan.original.desiredCount,
  };
}

/** Put the original back (target, then count), each step once, then drop the record. */
async function restore(run: RunContext, plan: ScalePlan, calls: RunContext['calls']): Promise<{ count: number; target?: { minCapacity: number; maxCapacity: number } }> {
  const { deps, ctx } = run;
  const done = await ctx.checkpoint.get<{ count: number; target?: { minCapacity: number; maxCapacity: number } }>(CP_RESTORED);
  if (done) return done;
  const record = await deps.scaleRecords.get(plan.key);
  const original = record?.original ?? plan.original;
  const target = { cluster: plan.cluster, service: plan.service };
  let restoredTarget: { minCapacity: number; maxCapacity: number } | undefined;
  if (original.scalableTarget && (await ctx.checkpoint.get<boolean>(`${CP_RESTORED}.target`)) !== true) {
    const t = original.scalableTarget;
    // Never create a target someone removed meanwhile: RegisterScalableTarget would.
    const current = await calls.read('application-autoscaling:DescribeScalableTargets', () => deps.scaling.describeScalableTarget(plan.cluster, plan.service));
    if (current) {
      await calls.mutate('application-autoscaling:RegisterScalableTarget', () => deps.scaling.registerScalableTarget(scalableTargetInput(target, t.minCapacity, t.maxCapacity)));
      restoredTarget = t;
    }
    await ctx.checkpoint.set(`${CP_RESTORED}.target`, true);
  }
  const count = restoreCount(original);
  if ((await ctx.checkpoint.get<boolean>(`${CP_RESTORED}.count`)) !== true) {
    await calls.mutate('ecs:UpdateService', () => deps.ecs.updateService({ cluster: plan.cluster, service: plan.service, desiredCount: count }));
    await ctx.checkpoint.set(`${CP_RESTORED}.count`, true);
  }
  await deps.scaleRecords.delete(plan.key);
  const result = { count, ...(restoredTarget ? { target: restoredTarget } : {}) };
  await ctx.checkpoint.set(CP_RESTORED, result);
  ctx.log.info({ count }, 'service returned to its original count');
  return result;
}

function drainProgress(plan: ScalePlan, samples: readonly Sample[], backlog: QueueBacklog | undefined, svc: EcsServiceState | undefined, elapsed: number, readError: string | undefined): Message {
  const label = `${plan.cluster}/${plan.service}`;
  const last = samples[samples.length - 1];
  const first = samples[0];
  const blocks: Block[] = [
    { type: 'header', text: `Scaling ${label} for ${plan.queue ?? ''}` },
    {
      type: 'fields',
      fields: [
        { label: 'Tasks', value: svc ? `${svc.runningCount}/${svc.desiredCount} running` : `${plan.desired} wanted` },
        { label: 'Backlog', value: last ? `${formatCount(last.visible)}${last.inFlight > 0 ? ` (+${formatCount(last.inFlight)} in flight)` : ''}` : '?' },
        { label: 'Oldest message', value: backlog?.oldestAgeSeconds !== undefined ? formatDuration(backlog.oldestAgeSeconds * 1000) : 'unknown' },
        { label: 'Elapsed', value: formatDuration(elapsed) },
      ],
    },
    { type: 'code', text: `${sparkline(samples.map((s) => s.visible))}  ${formatCount(first?.visible ?? 0)} → ${formatCount(last?.visible ?? 0)}` },
  ];
  if (readError) blocks.push({ type: 'context', text: clip(`Last reading failed: ${readError}`, 400) });
  const q = plan.queueSettings;
  blocks.push({ type: 'context', text: `Returns to ${plural(restoreCount(plan.original), 'task')} when fewer than ${formatCount(q?.scaleBackBelow ?? 1)} messages are left or after ${q?.timeoutMinutes ?? '?'} min; Cancel returns now.` });
  return { summary: `Scaling ${label}: backlog ${formatCount(last?.visible ?? 0)}`, tone: 'info', blocks };
}

function fixedMessage(plan: ScalePlan): Message {
  const label = `${plan.cluster}/${plan.service}`;
  return {
    summary: `${label} scaled to ${plural(plan.desired, 'task')}`,
    tone: 'success',
    blocks: [
      { type: 'header', text: `${label} scaled to ${plural(plan.desired, 'task')}` },
      { type: 'text', text: `Was ${plural(plan.current, 'task')}${plan.raisedTarget ? `; the auto scaling minimum is now ${plan.raisedTarget.MinCapacity} so it does not scale back in` : ''}. \`scale ${label} back\` returns to ${plural(restoreCount(plan.original), 'task')}.` },
    ],
  };
}

function backMessage(plan: ScalePlan, restored: { count: number; target?: { minCapacity: number; maxCapacity: number } }): Message {
  const label = `${plan.cluster}/${plan.service}`;
  const text = `${label} is back to ${plural(restored.count, 'task')}${restored.target ? ` (auto scaling min ${restored.target.minCapacity}, max ${restored.target.maxCapacity})` : ''}.`;
  return { summary: text, tone: 'success', blocks: [{ type: 'text', text }, ...(plan.warnings.length > 0 ? [{ type: 'context' as const, text: clip(plan.warnings.join(' ')) }] : [])] };
}

/** The plan as a card, with the arithmetic. */
export function renderPlan(plan: ScalePlan, dryRun: boolean): Message {
  const label = `${plan.cluster}/${plan.service}`;
  const what = plan.mode === 'queue' ? `scale ${label} for ${plan.queue ?? ''}` : plan.mode === 'fixed' ? `scale ${label} to ${plan.desired}` : `scale ${label} back`;
  const fields = [
    { label: 'Tasks now', value: `${plan.current} wanted, ${plan.running} running` },
    { label: plan.mode === 'back' ? 'Returns to' : 'Scales to', value: plural(plan.desired, 'task') },
  ];
  if (plan.backlog) {
    fields.push({ label: 'Backlog', value: `${formatCount(plan.backlog.visible)} visible, ${formatCount(plan.backlog.inFlight)} in flight` });
    fields.push({ label: 'Oldest message', value: plan.backlog.oldestAgeSeconds !== undefined ? formatDuration(plan.backlog.oldestAgeSeconds * 1000) : 'unknown' });
  }
  if (plan.scalableTarget) fields.push({ label: 'Auto scaling', value: `min ${plan.scalableTarget.minCapacity}, max ${plan.scalableTarget.maxCapacity}` });
  fields.push({ label: 'Original', value: `${plural(plan.original.desiredCount, 'task')}${plan.original.scalableTarget ? ` (min ${plan.original.scalableTarget.minCapacity}, max ${plan.original.scalableTarget.maxCapacity})` : ''}` });
  const blocks: Block[] = [{ type: 'header', text: `${dryRun ? 'Dry run' : 'Plan'}: ${what}` }, { type: 'fields', fields }];
  if (plan.arithmetic) blocks.push({ type: 'code', text: plan.arithmetic.text });
  if (plan.warnings.length > 0) blocks.push({ type: 'list', items: plan.warnings.map((w) => clip(w, 400)) });
  if (plan.refusal !== undefined) blocks.push({ type: 'text', text: `Not scaling: ${plan.refusal}` });
  if (plan.noChange !== undefined) blocks.push({ type: 'text', text: `No change: ${plan.noChange}` });
  if (plan.calls.length > 0) blocks.push({ type: 'text', text: dryRun ? 'AWS calls it would make (✎ = changes something)' : 'AWS calls (✎ = changes something)' }, { type: 'code', text: clip(renderCalls(plan.calls)) });
  if (dryRun) blocks.push({ type: 'context', text: 'Dry run: nothing was changed.' });
  const summary =
    plan.refusal !== undefined
      ? `${what}: refused — ${plan.refusal}`
      : plan.noChange !== undefined
        ? `${what}: no change — ${plan.noChange}`
        : `${dryRun ? 'Dry run' : 'Plan'}: ${what} (${plan.current} → ${plan.desired})`;
  return { summary, tone: plan.refusal !== undefined ? 'danger' : plan.warnings.length > 0 ? 'warning' : 'info', blocks };
}
