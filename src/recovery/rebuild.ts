/**
 * `rebuild <cluster/service | repository:tag> [--ref R] [--dry-run]`: rebuild an image with the
 * CodeBuild project that builds its repository, push it under the same tag, and verify the result
 * instead of trusting the build: the tag must now resolve to a *new* digest, and every platform
 * the services need must have its image (an index child, or the single image's own platform).
 *
 * A rebuild is never the original image: even from the same commit it gets a new digest, and
 * services pinned to the old digest (DOMAIN fact 1) keep failing until they are redeployed.
 *
 * Resumable: the plan (with the exact `StartBuild` parameters) is recorded before the build starts,
 * the build id right after. `StartBuild` carries an idempotency token derived from the job id, so a
 * retry within CodeBuild's 5-minute window gets the same build; later, the job finds its build by
 * the `LIFEBOAT_JOB_ID` variable it passed.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LifeboatError, isLifeboatError } from '../core/errors.js';
import type { JobContext, JobResult } from '../core/jobs.js';
import type { Block, Message } from '../core/message.js';
import { classifyImage, type AvailabilityStatus } from '../images/availability.js';
import { CallBudget, DEFAULT_BUDGETS } from '../images/call-budget.js';
import { gatherEcrRepository } from '../images/ecr-gather.js';
import { displayName, parseImageReference, shortDigest } from '../images/image-reference.js';
import { isIndexMediaType, parseImageIndex, selectPlatform } from '../images/oci-index.js';
import { formatPlatform, platformMatches, type Platform } from '../images/platform.js';
import type { EcrImage, EcrReader } from '../images/ports.js';
import { renderCalls, type PlannedCall } from './calls.js';
import { planFirst } from './plan-first.js';
import { cancelledByUser, runContext, type RecoveryDeps, type RunContext } from './deps.js';
import type { BuildState, ImageConfig, StartBuildInput } from './ports.js';
import { inspectService } from './service-images.js';
import { looksLikeCommit, parseRebuildTarget, serviceLabel } from './targets.js';
import { clip, formatDuration } from './text.js';

/** Job data of `rebuild`, as `commands/rebuild.yaml` parses it. */
export const rebuildJobData = z.object({
  target: z.string(),
  ref: z.string().regex(/^[A-Za-z0-9._/-]{1,200}$/, 'expected a git ref or commit').optional(),
  dryRun: z.boolean().optional(),
});

/** The OCI label (and annotation) naming the commit an image was built from. */
export const REVISION_LABEL = 'org.opencontainers.image.revision';
/** The environment variable that lets a resumed job find the build it started. */
export const JOB_ID_VARIABLE = 'LIFEBOAT_JOB_ID';

/** The plan, recorded as the job's first checkpoint (plain JSON). */
export interface RebuildPlan {
  target: string;
  registryId: string;
  region: string;
  repository: string;
  tag: string;
  /** `<registry>/<repository>:<tag>`. */
  image: string;
  project: string;
  projectFrom: string;
  sourceVersion?: string;
  sourceFrom: string;
  platforms: string[];
  platformsFrom: string;
  /** What the tag resolved to before the build (absent: the tag did not exist). */
  previousDigest?: string;
  /** Services known to run the image (for the redeploy advice). */
  services: string[];
  start: StartBuildInput;
  calls: PlannedCall[];
  warnings: string[];
  refusal?: string;
  plannedAt: number;
}

interface BuildCheckpoint {
  id: string;
  startedAt: number;
}

const CP_PLAN = 'rebuild.plan';
const CP_BUILD = 'rebuild.build';
/** CodeBuild honours an idempotency token for 5 minutes; past this, look the build up instead. */
const TOKEN_WINDOW_MS = 4.5 * 60_000;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED']);

/** The idempotency token of a job's `StartBuild`: stable across retries of the same job. */
export function idempotencyToken(jobId: string): string {
  return `lifeboat-${createHash('sha256').update(jobId).digest('hex').slice(0, 40)}`;
}

/** The `rebuild` job handler. */
export function createRebuildJob(deps: RecoveryDeps) {
  return async (data: Record<string, unknown>, ctx: JobContext): Promise<JobResult> => {
    const parsed = rebuildJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', `rebuild: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    const run = runContext(deps, ctx);

    const first = await planFirst(ctx, { checkpoint: CP_PLAN, dryRun: parsed.data.dryRun === true, make: () => planRebuild(run, parsed.data.target, parsed.data.ref), render: renderPlan });
    if (first.kind === 'dry-run') return first.answer;
    const { plan, resumed } = first;

    let build = await ctx.checkpoint.get<BuildCheckpoint>(CP_BUILD);
    if (!build) {
      const adopted = resumed && run.now() - plan.plannedAt > TOKEN_WINDOW_MS ? await findOwnBuild(run, plan) : undefined;
      const started = adopted ?? (await run.calls.mutate('codebuild:StartBuild', () => deps.codebuild.startBuild(plan.start)));
      build = { id: started.id, startedAt: started.startTime ?? run.now() };
      await ctx.checkpoint.set(CP_BUILD, build);
      ctx.log.info({ buildId: build.id, adopted: adopted !== undefined }, 'build started');
    }

    let finished: BuildState;
    try {
      finished = await watchBuild(run, plan, build);
    } catch (err) {
      if (cancelledByUser(ctx.signal)) {
        // A person cancelled: stop the build too, so nothing is pushed after "cancelled".
        await run
          .cleanupCalls()
          .mutate('codebuild:StopBuild', () => deps.codebuild.stopBuild(build.id))
          .catch((e: unknown) => ctx.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not stop the build'));
      }
      throw err;
    }
    if (finished.buildStatus !== 'SUCCEEDED') throw buildFailed(plan, finished);
    return verify(run, plan, finished);
  };
}

/** Build the plan: read-only. Throws when the target itself cannot be read. */
export async function planRebuild(run: RunContext, targetText: string, ref: string | undefined): Promise<RebuildPlan> {
  const { deps, ctx } = run;
  const parsed = parseRebuildTarget(targetText);
  const warnings: string[] = [];
  let registryId = deps.account;
  let region = deps.region;
  let repository: string;
  let tag: string;
  const servicePlatforms: Platform[] = [];
  const candidateDigests: string[] = [];
  const services: string[] = [];

  if (parsed.kind === 'service') {
    const label = serviceLabel(parsed.target);
    const { service } = await inspectService(deps, parsed.target, { signal: ctx.signal });
    const ecr = service.containers.filter((c) => c.ref?.registry.kind === 'ecr-private' && c.ref.tag !== undefined);
    const groups = new Map<string, typeof ecr>();
    for (const c of ecr) {
      const key = `${c.ref?.registry.host ?? ''}/${c.ref?.repository ?? ''}:${c.ref?.tag ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    if (groups.size === 0) {
      throw new LifeboatError('JOB_FAILED', `${label} runs no ECR image with a tag, so there is nothing Lifeboat can rebuild for it. Rebuild a repository:tag instead.`);
    }
    let chosen = [...groups.values()];
    if (chosen.length > 1) {
      const broken = chosen.filter((g) => g.some((c) => c.current.status === 'missing' || c.resolved.status === 'missing'));
      if (broken.length === 1) chosen = broken;
    }
    const group = chosen[0];
    if (chosen.length > 1 || !group) {
      const options = [...groups.values()].map((g) => `\`rebuild ${g[0]?.ref ? displayName({ ...g[0].ref, digest: undefined }) : '?'}\``);
      throw new LifeboatError('JOB_FAILED', `${label} runs several images; say which one to rebuild: ${options.join(', ')}.`);
    }
    const first = group[0]!;
    const ecrRegistry = first.ref?.registry;
    if (ecrRegistry?.kind === 'ecr-private') {
      registryId = ecrRegistry.account;
      region = ecrRegistry.region;
    }
    repository = first.ref?.repository ?? '';
    tag = first.ref?.tag ?? '';
    for (const c of group) {
      if (!servicePlatforms.some((p) => formatPlatform(p) === formatPlatform(c.platform))) servicePlatforms.push(c.platform);
      if (c.pinnedDigest !== undefined) candidateDigests.push(c.pinnedDigest);
    }
    services.push(label);
  } else {
    repository = parsed.target.repository;
    tag = parsed.target.tag;
  }
  if (region !== deps.region) warnings.push(`The repository is in ${region}; the CodeBuild project runs in ${deps.region} and must push across Regions.`);

  const ecr = deps.images.ecrFor(registryId, region);
  const previous = await tagImage(run, ecr, registryId, repository, tag);
  if (previous) candidateDigests.push(previous.digest);

  // What the previous image offered and was built from, read once per distinct digest.
  const inspections = new Map<string, Inspection>();
  const inspect = async (digest: string): Promise<Inspection> => {
    let found = inspections.get(digest);
    if (!found) {
      found = await inspectImage(run, ecr, registryId, repository, digest, servicePlatforms[0], warnings);
      inspections.set(digest, found);
    }
    return found;
  };

  const configured = deps.settings.rebuild.projects[repository];
  let platforms: string[];
  let platformsFrom: string;
  if (configured?.platforms) {
    platforms = configured.platforms;
    platformsFrom = 'configuration';
  } else {
    const fromPrevious = previous ? (await inspect(previous.digest)).platforms : [];
    const union = [...new Set([...servicePlatforms.map(formatPlatform), ...fromPrevious])];
    platforms = union.length > 0 ? union : deps.settings.rebuild.defaultPlatforms;
    platformsFrom = union.length === 0 ? 'default' : [servicePlatforms.length > 0 ? 'the services running it' : '', fromPrevious.length > 0 ? 'the previous image' : ''].filter(Boolean).join(' and ');
  }

  let sourceVersion: string | undefined;
  let sourceFrom: string;
  if (ref !== undefined) {
    sourceVersion = ref;
    sourceFrom = '--ref';
  } else {
    for (const digest of [...new Set(candidateDigests)]) {
      const revision = (await inspect(digest)).revision;
      if (revision !== undefined) {
        sourceVersion = revision;
        sourceFrom = `the ${REVISION_LABEL} label of ${shortDigest(digest)}`;
        break;
      }
    }
    if (sourceVersion === undefined && looksLikeCommit(tag)) {
      sourceVersion = tag;
      sourceFrom = 'the tag, which is a commit';
    }
    sourceFrom ??= 'unknown';
  }

  const { project, from: projectFrom } = await findProject(run, repository);
  const env = deps.settings.rebuild.env;
  const environmentVariablesOverride = [
    { name: env.tag, value: tag, type: 'PLAINTEXT' as const },
    ...(env.repository !== null ? [{ name: env.repository, value: repository, type: 'PLAINTEXT' as const }] : []),
    ...(env.platforms !== null ? [{ name: env.platforms, value: platforms.join(','), type: 'PLAINTEXT' as const }] : []),
    { name: JOB_ID_VARIABLE, value: ctx.jobId, type: 'PLAINTEXT' as const },
  ];
  const start: StartBuildInput = {
    projectName: project,
    ...(sourceVersion !== undefined ? { sourceVersion } : {}),
    idempotencyToken: idempotencyToken(ctx.jobId),
    environmentVariablesOverride,
  };
  const image = `${registryId}.dkr.ecr.${region}.amazonaws.com/${repository}:${tag}`;
  const refusal =
    sourceVersion === undefined
      ? `Lifeboat cannot tell which commit built ${repository}:${tag}: ${previous ? `the image carries no ${REVISION_LABEL} label` : 'the image is gone'} and the tag is not a commit. Say which one: \`rebuild ${repository}:${tag} --ref <commit or branch>\`.`
      : undefined;

  return {
    target: targetText,
    registryId,
    region,
    repository,
    tag,
    image,
    project,
    projectFrom,
    ...(sourceVersion !== undefined ? { sourceVersion } : {}),
    sourceFrom,
    platforms,
    platformsFrom,
    ...(previous ? { previousDigest: previous.digest } : {}),
    services,
    start,
    calls: [
      { action: 'codebuild:StartBuild', input: { ...start }, mutating: true },
      { action: 'codebuild:BatchGetBuilds', input: { ids: ['<the build id>'] }, mutating: false, when: `every ${deps.settings.rebuild.pollSeconds} s until the build ends` },
      { action: 'ecr:DescribeImages', input: { registryId, repositoryName: repository, imageIds: [{ imageTag: tag }] }, mutating: false, when: 'after the build, to verify the new digest' },
      { action: 'ecr:BatchGetImage', input: { registryId, repositoryName: repository, imageIds: [{ imageDigest: '<the new digest>' }] }, mutating: false, when: 'to verify each platform' },
    ],
    warnings,
    ...(refusal !== undefined ? { refusal } : {}),
    plannedAt: run.now(),
  };
}

async function tagImage(run: RunContext, ecr: EcrReader, registryId: string, repository: string, tag: string): Promise<EcrImage | undefined> {
  const got = await run.calls.read('ecr:DescribeImages', () => ecr.describeImages(registryId, repository, [{ tag }]));
  return got.images.find((i) => i.tags.includes(tag));
}

interface Inspection {
  platforms: string[];
  revision?: string;
}

/** Platforms an image offers and the commit it was built from, as far as ECR tells. */
async function inspectImage(
  run: RunContext,
  ecr: EcrReader,
  registryId: string,
  repository: string,
  digest: string,
  preferred: Platform | undefined,
  warnings: string[],
): Promise<Inspection> {
  try {
    const got = await run.calls.read('ecr:BatchGetImage', () => ecr.getManifests(registryId, repository, [digest]));
    const manifest = got.manifests[0];
    if (!manifest) return { platforms: [] };
    const index = parseImageIndex(manifest.body);
    let platforms: string[] = [];
    let configDigests = [digest];
    if (index.ok) {
      const images = index.index.manifests.filter((m) => !m.attestation);
      platforms = [...new Set(images.flatMap((m) => (m.platform ? [formatPlatform(m.platform)] : [])))];
      const pick = selectPlatform(index.index, preferred ?? { os: 'linux', architecture: 'amd64' });
      // The preferred child first; a deleted child (the usual reason to rebuild) leaves the others.
      configDigests = [...new Set([...(pick.kind === 'match' ? [pick.digest] : []), ...images.map((m) => m.digest)])];
    }
    let config: ImageConfig | undefined;
    for (const candidate of configDigests.slice(0, 4)) {
      config = await run.calls.read('ecr:GetDownloadUrlForLayer', () => run.deps.imageConfig.imageConfig(registryId, repository, candidate));
      if (config) break;
    }
    if (!index.ok && config?.os !== undefined && config.architecture !== undefined) platforms = [formatPlatform(platformOf(config))];
    const revision = config?.labels[REVISION_LABEL] ?? config?.annotations[REVISION_LABEL];
    return { platforms, ...(revision ? { revision } : {}) };
  } catch (err) {
    if (!isLifeboatError(err)) throw err;
    warnings.push(`Could not read ${shortDigest(digest)}'s configuration: ${err.userMessage}`);
    return { platforms: [] };
  }
}

function platformOf(config: ImageConfig): Platform {
  return { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', ...(config.variant ? { variant: config.variant } : {}) };
}

async function findProject(run: RunContext, repository: string): Promise<{ project: string; from: string }> {
  const { deps } = run;
  const where = `account ${deps.account} ${deps.region}`;
  const configured = deps.settings.rebuild.projects[repository];
  if (configured) {
    const exists = await run.calls.read('codebuild:BatchGetProjects', () => deps.codebuild.projectExists(configured.project));
    if (!exists) {
      throw new LifeboatError('AWS_NOT_FOUND', `CodeBuild project ${configured.project} (configured for repository ${repository} under recovery.rebuild.projects) does not exist in ${where}.`);
    }
    return { project: configured.project, from: 'configuration' };
  }
  const key = deps.settings.rebuild.projectTagKey;
  const tagged = await run.calls.read('codebuild:ListProjects', () => deps.codebuild.projectsTagged(key, repository));
  if (tagged.length === 1 && tagged[0]) return { project: tagged[0], from: `its tag ${key}=${repository}` };
  if (tagged.length === 0) {
    throw new LifeboatError(
      'AWS_NOT_FOUND',
      `No CodeBuild project builds repository ${repository} in ${where}: map it under recovery.rebuild.projects in lifeboat.yaml, or tag its project ${key}=${repository}.`,
    );
  }
  throw new LifeboatError('JOB_FAILED', `Several CodeBuild projects are tagged ${key}=${repository} (${tagged.join(', ')}); choose one under recovery.rebuild.projects in lifeboat.yaml.`);
}

/** A resumed job past the token window: the build carrying this job's id, if it exists. */
async function findOwnBuild(run: RunContext, plan: RebuildPlan): Promise<BuildState | undefined> {
  const recent = await run.calls.read('codebuild:ListBuildsForProject', () => run.deps.codebuild.recentBuilds(plan.project, 25));
  return recent.find((b) => b.environmentVariables.some((v) => v.name === JOB_ID_VARIABLE && v.value === run.ctx.jobId));
}

async function watchBuild(run: RunContext, plan: RebuildPlan, build: BuildCheckpoint): Promise<BuildState> {
  const { deps, ctx } = run;
  const timeoutMs = deps.settings.rebuild.timeoutMinutes * 60_000;
  for (;;) {
    ctx.signal.throwIfAborted();
    const state = await run.calls.read('codebuild:BatchGetBuilds', () => deps.codebuild.getBuild(build.id));
    if (!state) throw new LifeboatError('AWS_NOT_FOUND', `CodeBuild no longer knows build ${build.id} of project ${plan.project}.`);
    if (state.buildComplete || TERMINAL.has(state.buildStatus)) return state;
    const elapsed = run.now() - build.startedAt;
    if (elapsed >= timeoutMs) {
      throw new LifeboatError(
        'JOB_FAILED',
        `Build ${state.id} is still ${state.currentPhase ?? state.buildStatus} after ${formatDuration(elapsed)}; Lifeboat stopped watching (the build goes on).${state.logsDeepLink ? ` Logs: ${state.logsDeepLink}` : ''}`,
      );
    }
    await ctx.progress(buildProgress(plan, state, elapsed));
    await run.sleep(deps.settings.rebuild.pollSeconds * 1000, ctx.signal);
  }
}

function phaseLines(build: BuildState, now: number): string[] {
  return build.phases.map((p) => {
    const running = p.phaseStatus === undefined && p.phaseType !== 'COMPLETED';
    const mark = p.phaseType === 'COMPLETED' ? '■' : running ? '▶' : p.phaseStatus === 'SUCCEEDED' ? '✓' : '✗';
    const took = p.durationInSeconds !== undefined ? formatDuration(p.durationInSeconds * 1000) : running && p.startTime !== undefined ? formatDuration(now - p.startTime) : '';
    return `${mark} ${p.phaseType}${p.phaseStatus && p.phaseStatus !== 'SUCCEEDED' ? ` ${p.phaseStatus}` : ''}${took ? ` ${took}` : ''}`;
  });
}

function buildProgress(plan: RebuildPlan, build: BuildState, elapsed: number): Message {
  const blocks: Block[] = [
    { type: 'header', text: `Rebuilding ${plan.repository}:${plan.tag}` },
    {
      type: 'fields',
      fields: [
        { label: 'Project', value: plan.project },
        { label: 'Phase', value: build.currentPhase ?? build.buildStatus },
        { label: 'Source', value: build.resolvedSourceVersion ?? plan.sourceVersion ?? 'default branch' },
        { label: 'Elapsed', value: formatDuration(elapsed) },
      ],
    },
    { type: 'list', items: phaseLines(build, (build.startTime ?? 0) + elapsed) },
  ];
  if (build.logsDeepLink) blocks.push({ type: 'context', text: `Logs: ${build.logsDeepLink}` });
  return { summary: `Rebuilding ${plan.repository}:${plan.tag}: ${build.currentPhase ?? build.buildStatus}, ${formatDuration(elapsed)}`, tone: 'info', blocks };
}

function buildFailed(plan: RebuildPlan, build: BuildState): LifeboatError {
  const failed = build.phases.find((p) => p.phaseStatus !== undefined && p.phaseStatus !== 'SUCCEEDED' && p.phaseType !== 'COMPLETED');
  const context = failed?.contexts
    .map((c) => [c.statusCode, c.message].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ');
  const where = failed ? ` in phase ${failed.phaseType}${context ? ` (${context})` : ''}` : '';
  return new LifeboatError(
    'JOB_FAILED',
    clip(`Build ${build.id} of ${plan.project} ended ${build.buildStatus}${where}; ${plan.repository}:${plan.tag} was not rebuilt.${build.logsDeepLink ? ` Logs: ${build.logsDeepLink}` : ''}`),
  );
}

/** The tag must resolve to a new digest that has every platform needed. */
async function verify(run: RunContext, plan: RebuildPlan, build: BuildState): Promise<JobResult> {
  const { deps } = run;
  const ecr = deps.images.ecrFor(plan.registryId, plan.region);
  const logs = build.logsDeepLink ? ` Logs: ${build.logsDeepLink}` : '';
  const after = await tagImage(run, ecr, plan.registryId, plan.repository, plan.tag);
  if (!after) {
    throw new LifeboatError('JOB_FAILED', `Build ${build.id} succeeded, but ${plan.repository}:${plan.tag} is not in ECR: the buildspec did not push $${deps.settings.rebuild.env.tag}.${logs}`);
  }
  if (after.digest === plan.previousDigest) {
    throw new LifeboatError(
      'JOB_FAILED',
      `Build ${build.id} succeeded, but ${plan.repository}:${plan.tag} still points to the digest it had before (${shortDigest(after.digest)}): nothing new was pushed under that tag.${logs}`,
    );
  }

  const wanted: Platform[] = plan.platforms.map(parsePlatform);
  const results: { platform: string; status: AvailabilityStatus; detail: string; digest?: string }[] = [];
  if (isIndexMediaType(after.mediaType)) {
    const ref = parseImageReference(`${plan.registryId}.dkr.ecr.${plan.region}.amazonaws.com/${plan.repository}@${after.digest}`);
    const budget = new CallBudget({ ...DEFAULT_BUDGETS.ecr, clock: deps.clock, sleep: run.sleep, ...(deps.random ? { random: deps.random } : {}) });
    const gathered = await gatherEcrRepository(
      { registryId: plan.registryId, region: plan.region, repository: plan.repository, digests: new Set([after.digest]), tags: new Set([plan.tag]), platforms: wanted },
      { ecr, budget, manifests: deps.images.manifests, signal: run.ctx.signal },
    );
    for (const platform of wanted) {
      const a = ref.ok ? classifyImage({ ref: ref.ref, platform }, gathered.snapshot) : undefined;
      results.push({ platform: formatPlatform(platform), status: a?.status ?? 'unknown', detail: a?.detail ?? 'the reference could not be built', ...(a?.platformDigest ? { digest: a.platformDigest } : {}) });
    }
  } else {
    let config: ImageConfig | undefined;
    try {
      config = await run.calls.read('ecr:GetDownloadUrlForLayer', () => deps.imageConfig.imageConfig(plan.registryId, plan.repository, after.digest));
    } catch (err) {
      if (!isLifeboatError(err)) throw err;
    }
    const offered = config?.architecture !== undefined ? platformOf(config) : undefined;
    for (const platform of wanted) {
      if (!offered) results.push({ platform: formatPlatform(platform), status: 'unknown', detail: 'the image configuration could not be read' });
      else if (platformMatches(platform, offered)) results.push({ platform: formatPlatform(platform), status: 'available', detail: 'single-platform image', digest: after.digest });
      else results.push({ platform: formatPlatform(platform), status: 'missing', detail: `it is a single-platform ${formatPlatform(offered)} image` });
    }
  }

  const missing = results.filter((r) => r.status === 'missing');
  if (missing.length > 0) {
    throw new LifeboatError(
      'JOB_FAILED',
      clip(
        `Build ${build.id} pushed ${plan.repository}:${plan.tag} as ${shortDigest(after.digest)}, but it lacks ${missing.map((m) => `${m.platform} (${m.detail})`).join(', ')}, which the services need. Fix the build's platforms (${deps.settings.rebuild.env.platforms ?? 'buildspec'}) and rebuild.${logs}`,
      ),
    );
  }

  const blocks: Block[] = [
    { type: 'header', text: `Rebuilt ${plan.repository}:${plan.tag}` },
    {
      type: 'fields',
      fields: [
        { label: 'New digest', value: after.digest },
        { label: 'Before', value: plan.previousDigest ?? 'the tag did not exist' },
        { label: 'Project', value: `${plan.project} (${build.id})` },
        { label: 'Source', value: `${build.resolvedSourceVersion ?? plan.sourceVersion ?? 'default branch'}${build.resolvedSourceVersion && plan.sourceVersion && build.resolvedSourceVersion !== plan.sourceVersion ? ` (from ${plan.sourceVersion})` : ''}` },
      ],
    },
    {
      type: 'list',
      items: results.map((r) => `${r.status === 'available' ? '✓' : '?'} ${r.platform}${r.digest && r.digest !== after.digest ? ` ${shortDigest(r.digest)}` : ''}${r.status === 'available' ? '' : ` — ${r.detail}`}`),
    },
  ];
  const redeploy = plan.services.length > 0 ? plan.services.map((s) => `\`redeploy ${s}\``).join(', ') : `\`redeploy <cluster/service>\` for every service that runs ${plan.repository}:${plan.tag} (\`check images\` lists them)`;
  blocks.push({
    type: 'text',
    text: `This is a rebuild, not the original image: it is not bit-identical and has a new digest. Services pinned to the old digest keep pulling that one — and keep failing while it is gone — until they are redeployed: ${redeploy}.`,
  });
  const unknown = results.filter((r) => r.status !== 'available');
  if (unknown.length > 0 || plan.warnings.length > 0) blocks.push({ type: 'context', text: clip([...plan.warnings, ...unknown.map((u) => `${u.platform}: not verified (${u.detail}).`)].join(' ')) });
  return {
    summary: `Rebuilt ${plan.repository}:${plan.tag}: now ${shortDigest(after.digest)}; redeploy pinned services`,
    tone: unknown.length > 0 ? 'warning' : 'success',
    blocks,
    // The runbook contract (src/runbooks/outputs.ts): a rebuild is never bit-identical.
    outputs: { verified: unknown.length === 0, image: `${plan.repository}:${plan.tag}`, digest: after.digest, identical: false },
  };
}

function parsePlatform(text: string): Platform {
  const [os = 'linux', architecture = 'amd64', variant] = text.split('/');
  return variant !== undefined ? { os, architecture, variant } : { os, architecture };
}

/** The plan as a card. */
export function renderPlan(plan: RebuildPlan, dryRun: boolean): Message {
  const blocks: Block[] = [
    { type: 'header', text: `${dryRun ? 'Dry run' : 'Plan'}: rebuild ${plan.repository}:${plan.tag}` },
    {
      type: 'fields',
      fields: [
        { label: 'Project', value: `${plan.project} (from ${plan.projectFrom})` },
        { label: 'Source version', value: plan.sourceVersion !== undefined ? `${plan.sourceVersion} (from ${plan.sourceFrom})` : 'unknown' },
        { label: 'Tag to push', value: plan.image },
        { label: 'Platforms expected', value: `${plan.platforms.join(', ')} (from ${plan.platformsFrom})` },
        { label: 'Tag now', value: plan.previousDigest ?? 'missing' },
      ],
    },
  ];
  if (plan.warnings.length > 0) blocks.push({ type: 'list', items: plan.warnings.map((w) => clip(w, 400)) });
  if (plan.refusal !== undefined) blocks.push({ type: 'text', text: `Not rebuilding: ${plan.refusal}` });
  blocks.push({ type: 'text', text: dryRun ? 'AWS calls it would make (✎ = changes something)' : 'AWS calls (✎ = changes something)' }, { type: 'code', text: clip(renderCalls(plan.calls)) });
  blocks.push({ type: 'context', text: `${dryRun ? 'Dry run: nothing was started. ' : ''}A rebuild gets a new digest (not bit-identical): services pinned to the old one need a redeploy afterwards.` });
  return {
    summary: plan.refusal !== undefined ? `rebuild ${plan.repository}:${plan.tag}: refused — ${plan.refusal}` : `${dryRun ? 'Dry run' : 'Plan'}: rebuild ${plan.repository}:${plan.tag} with ${plan.project}`,
    tone: plan.refusal !== undefined ? 'danger' : plan.warnings.length > 0 ? 'warning' : 'info',
    blocks,
  };
}
