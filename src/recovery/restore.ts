/**
 * `restore <repository@digest> [--from R] [--tag T] [--dry-run]`: bring back the exact digest a
 * service pins, so it runs what it ran — no rebuild, no new digest, no redeploy onto another image.
 *
 * Two ways back, chosen by what ECR says about the digest:
 * - **archived** (a lifecycle `transition` rule, or by hand): `UpdateImageStorageClass` to STANDARD,
 *   then wait while ECR reports ACTIVATING;
 * - **gone**: copy it from where it still is — `--from`, else a configured source, else a
 *   replication destination (a replica Region has its own lifecycle policy, or none) — with the
 *   exact manifest bytes, so the digest is the same. An index's children are brought back first.
 * An image that is ACTIVE needs nothing; its index children are still checked.
 *
 * Resumable without repeating a change: the plan (with the source it chose) is recorded first;
 * every step re-reads the digest's state in the target before acting (an archive restore already
 * asked for shows as ACTIVATING), and a copy of a manifest the target holds puts nothing.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LifeboatError, isLifeboatError } from '../core/errors.js';
import type { JobContext, JobResult } from '../core/jobs.js';
import { parseImageReference, shortDigest } from '../images/image-reference.js';
import { isIndexMediaType, parseImageIndex } from '../images/oci-index.js';
import type { EcrImage } from '../images/ports.js';
import { copyCandidates, describeLocation, lookAt, sameLocation, type ReadCall } from './copy-sources.js';
import { planFirst } from './plan-first.js';
import { runContext, type RecoveryDeps, type RunContext } from './deps.js';
import type { EcrLocation } from './ports.js';
import { archiveCalls, copyCalls, lookupText, readCalls, renderPlan, resultMessage, tagCalls, type RestorePlan, type RestoreTally } from './restore-report.js';
import { formatDuration, plural } from './text.js';

export type { RestorePlan } from './restore-report.js';

/** Job data of `restore`, as `commands/restore.yaml` parses it. */
export const restoreJobData = z.object({
  image: z.string(),
  from: z.string().optional(),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'expected an image tag').optional(),
  dryRun: z.boolean().optional(),
});
const CP_PLAN = 'restore.plan';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// Strict, so a repository named like `my-app-2` is never read as a Region.
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;

/** The `restore` job handler. */
export function createRestoreJob(deps: RecoveryDeps) {
  return async (data: Record<string, unknown>, ctx: JobContext): Promise<JobResult> => {
    const parsed = restoreJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', `restore: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    const { target, digest } = parseRestoreTarget(parsed.data.image, deps);
    const from = parsed.data.from !== undefined ? parseSource(parsed.data.from, target) : undefined;
    const run = runContext(deps, ctx);

    const first = await planFirst(ctx, { checkpoint: CP_PLAN, dryRun: parsed.data.dryRun === true, make: () => planRestore(run, target, digest, from, parsed.data.tag), render: renderPlan });
    if (first.kind === 'dry-run') return first.answer;
    const { plan } = first;

    const tally: RestoreTally = { visited: new Set(), fromArchive: [], copied: [], present: [], tags: [], notes: [] };
    await ensure(run, plan, plan.digest, tally);
    await restoreTags(run, plan, tally);
    const children = await verify(run, plan);
    return resultMessage(plan, tally, children, run.now());
  };
}

/** `repo@sha256:…` in the recovery account and Region, or a full ECR image URI `@sha256:…`. */
export function parseRestoreTarget(text: string, deps: Pick<RecoveryDeps, 'account' | 'region'>): { target: EcrLocation; digest: string } {
  const at = text.lastIndexOf('@');
  const name = text.slice(0, at);
  const digest = text.slice(at + 1);
  if (at <= 0 || !DIGEST.test(digest)) throw new LifeboatError('COMMAND_ARGS_INVALID', `restore: "${text}" is not repository@sha256:<64 hex digits>.`);
  const first = name.split('/')[0] ?? '';
  if (first.includes('.')) {
    const ref = parseImageReference(text);
    if (!ref.ok || ref.ref.registry.kind !== 'ecr-private') throw new LifeboatError('COMMAND_ARGS_INVALID', `restore: "${name}" is not an ECR repository; restore brings back images in private ECR only.`);
    return { target: { registryId: ref.ref.registry.account, region: ref.ref.registry.region, repository: ref.ref.repository }, digest };
  }
  return { target: { registryId: deps.account, region: deps.region, repository: name }, digest };
}

/** `--from`: a Region (the same repository there), a full ECR repository URI, or another repository. */
export function parseSource(text: string, target: EcrLocation): EcrLocation {
  if (REGION.test(text)) return { ...target, region: text };
  if ((text.split('/')[0] ?? '').includes('.')) {
    const ref = parseImageReference(text);
    if (!ref.ok || ref.ref.registry.kind !== 'ecr-private') throw new LifeboatError('COMMAND_ARGS_INVALID', `restore: --from ${text} is not an ECR repository.`);
    return { registryId: ref.ref.registry.account, region: ref.ref.registry.region, repository: ref.ref.repository };
  }
  return { ...target, repository: text };
}

/** Build the plan: read-only. */
export async function planRestore(run: RunContext, target: EcrLocation, digest: string, from: EcrLocation | undefined, tag: string | undefined): Promise<RestorePlan> {
  const { deps } = run;
  const image = `${target.repository}@${shortDigest(digest)}`;
  const base = { target, digest, looked: [] as RestorePlan['looked'], warnings: [] as string[], plannedAt: run.now(), ...(tag !== undefined ? { tag } : {}) };
  const here = await run.calls.read('ecr:DescribeImages', () => readState(run, target, digest));
  if (here === 'repository-missing') {
    return { ...base, state: 'absent', method: 'none', calls: [], refusal: `Repository ${target.repository} does not exist in registry ${target.registryId} (${target.region}). Restore puts images back into an existing repository: create it first, with its lifecycle policy.` };
  }
  if (from !== undefined && sameLocation(from, target)) {
    return { ...base, state: here, method: 'none', calls: [], refusal: `--from names the repository the image is restored into; name where the copy is (a Region, another repository or registry).` };
  }
  if (tag !== undefined) {
    // Moving a tag off another image would leave that one untagged — for untagged rules to take.
    const holder = await tagHolder(run, target, tag);
    if (holder !== undefined && holder !== digest) {
      return { ...base, state: here, method: 'none', calls: [], refusal: `Tag ${tag} names ${shortDigest(holder)} in repo ${target.repository}; restore does not move a tag off another image (it would be left untagged). Choose another --tag, or move the tag yourself.` };
    }
  }
  // The digest may be ACTIVE while its index's children are not: that is what is to be brought back.
  let wanted = digest;
  let gone: string[] = [];
  if (here === 'active') {
    const children = await childStates(run, target, digest);
    gone = children.filter((c) => c.state === 'absent').map((c) => c.digest);
    const archived = children.filter((c) => c.state === 'archived' || c.state === 'activating');
    if (gone.length === 0) {
      if (from !== undefined) base.warnings.push(`${image} is in repo ${target.repository} with everything it references: nothing is copied from --from.`);
      return archived.length > 0
        ? { ...base, state: here, method: 'archive', calls: archiveCalls(deps.settings.restore.pollSeconds, target, '<each archived child>', tag) }
        : { ...base, state: here, method: 'none', calls: [...readCalls(target, digest), ...tagCalls(target, digest, tag)] };
    }
    wanted = gone[0] ?? digest;
    base.warnings.push(`${image} is in repo ${target.repository}, but ${plural(gone.length, 'child', 'children')} of it ${gone.length === 1 ? 'is' : 'are'} gone (${gone.map(shortDigest).join(', ')}): ${gone.length === 1 ? 'it is' : 'they are'} what is copied.`);
  }
  if (here === 'archived') {
    // Re-pushing would restore it too, but only after moving every blob; ECR's own restore moves none.
    if (from !== undefined) base.warnings.push(`${image} is archived in repo ${target.repository}: restoring it from the archive, not copying from --from.`);
    return { ...base, state: here, method: 'archive', calls: archiveCalls(deps.settings.restore.pollSeconds, target, digest, tag) };
  }
  if (here === 'activating') return { ...base, state: here, method: 'archive', calls: readCalls(target, digest, `every ${deps.settings.restore.pollSeconds} s until ACTIVE`) };

  // Gone (or children gone): find a copy.
  const search = await findSource(run, target, wanted, from);
  base.looked.push(...search.looked);
  base.warnings.push(...search.problems);
  if (!search.source) {
    const where =
      search.looked.length > 0
        ? `Looked in ${search.looked.map((l) => `${l.where} (${l.found})`).join(', ')}.`
        : search.problems.length > 0
          ? `Lifeboat ${search.problems.join('; ')}.`
          : 'The registry replicates nowhere and no `recovery.restore.sources` are configured.';
    const what = wanted === digest ? `${image} is gone from repo ${target.repository}` : `The index ${image} is in repo ${target.repository}, but ${plural(gone.length, 'child', 'children')} of it ${gone.length === 1 ? 'is' : 'are'} gone`;
    const next = search.uncertain
      ? 'Some places could not be checked: run the same restore again in a minute, or name a copy with --from.'
      : 'Rebuild the image instead (`rebuild <cluster/service>` or `rebuild <repository:tag>`) — a rebuild has a new digest — or name a copy with --from.';
    return { ...base, state: here, method: 'none', calls: [], refusal: `${what} and no copy of ${wanted === digest ? 'it' : shortDigest(wanted)} was found. ${where} ${next}` };
  }
  if (tag === undefined && wanted === digest) {
    base.warnings.push('The copy gets back the tags it has there that no other image here holds. Without any it is untagged: a rule that expires untagged images can take it again (add --tag) — unless it is the platform child of an index here, which ECR never expires while the index references it. `check images` shows what the policy will do.');
  }
  return { ...base, state: here, method: 'copy', source: search.source, calls: copyCalls(search.source, target, digest, tag) };
}

/** Where a copy of `digest` is: `--from`, else the configured sources and replication destinations, in order. */
async function findSource(run: RunContext, target: EcrLocation, digest: string, from: EcrLocation | undefined): Promise<{ source?: EcrLocation; looked: RestorePlan['looked']; problems: string[]; uncertain: boolean }> {
  const { deps } = run;
  const read: ReadCall = (action, fn) => run.calls.read(action, fn);
  const sourceDeps = { restore: deps.restore, ecrFor: (id: string, region: string) => deps.images.ecrFor(id, region), sources: deps.settings.restore.sources, clock: deps.clock };
  const found =
    from !== undefined
      ? { candidates: [from], problems: [] }
      : await copyCandidates(sourceDeps, target, (id, region) => read('ecr:DescribeRegistry', () => deps.restore.replicationDestinations(id, region)));
  const looked: RestorePlan['looked'] = [];
  let uncertain = found.problems.length > 0;
  for (const at of found.candidates) {
    const lookup = await lookAt(sourceDeps, at, digest, read);
    looked.push({ where: describeLocation(at, target), found: lookupText(lookup) });
    if (lookup.state === 'active') return { source: at, looked, problems: found.problems, uncertain };
    if (lookup.state === 'unknown') uncertain = true;
  }
  return { looked, problems: found.problems, uncertain };
}

/** The digest tag `tag` names in `at`, if any. */
async function tagHolder(run: RunContext, at: EcrLocation, tag: string): Promise<string | undefined> {
  const got = await run.calls.read('ecr:DescribeImages', () => run.deps.images.ecrFor(at.registryId, at.region).describeImages(at.registryId, at.repository, [{ tag }]));
  return got.images[0]?.digest;
}

type TargetState = 'active' | 'archived' | 'activating' | 'absent' | 'repository-missing';

/** ECR's imageStatus in the words restore decides by. */
function stateOf(image: EcrImage): 'active' | 'archived' | 'activating' {
  return image.status === 'ACTIVE' ? 'active' : image.status === 'ARCHIVED' ? 'archived' : 'activating';
}

async function readState(run: RunContext, at: EcrLocation, digest: string): Promise<TargetState> {
  try {
    const got = await run.deps.images.ecrFor(at.registryId, at.region).describeImages(at.registryId, at.repository, [{ digest }]);
    const image = got.images.find((i) => i.digest === digest);
    if (!image) {
      const failure = got.failures[0];
      if (failure && failure.code !== 'ImageNotFound') throw new LifeboatError('AWS_ERROR', `ECR could not describe ${at.repository}@${shortDigest(digest)}: ${failure.code}${failure.reason ? ` (${failure.reason})` : ''}.`, { retryable: false });
      return 'absent';
    }
    return stateOf(image);
  } catch (err) {
    if (isLifeboatError(err) && err.code === 'AWS_NOT_FOUND') return 'repository-missing';
    throw err;
  }
}

/**
 * Make `digest` ACTIVE in the target, children first for an index that has to be copied, and the
 * children of an index that is (or becomes) ACTIVE. Reads before it acts, so a resumed run skips
 * what the crashed one did.
 */
async function ensure(run: RunContext, plan: RestorePlan, digest: string, tally: RestoreTally): Promise<void> {
  const { deps, ctx } = run;
  ctx.signal.throwIfAborted();
  // Each manifest once, however many indexes list it.
  if (tally.visited.has(digest)) return;
  tally.visited.add(digest);
  let state = await run.calls.read('ecr:DescribeImages', () => readState(run, plan.target, digest));
  if (state === 'repository-missing') throw new LifeboatError('AWS_NOT_FOUND', `Repository ${plan.target.repository} no longer exists in registry ${plan.target.registryId} (${plan.target.region}).`);

  if (state === 'absent') {
    const source = plan.source ?? (await findSource(run, plan.target, digest, undefined)).source;
    if (!source) {
      throw new LifeboatError('JOB_FAILED', `${plan.target.repository}@${shortDigest(digest)} is gone and no copy of it was found (the configured sources and replicas were asked). Rebuild the image, or run restore ${plan.target.repository}@${digest} --from <where a copy is>.`);
    }
    const manifest = await run.calls.read('ecr:BatchGetImage', () => deps.images.ecrFor(source.registryId, source.region).getManifests(source.registryId, source.repository, [digest]));
    const got = manifest.manifests[0];
    if (!got) throw new LifeboatError('AWS_NOT_FOUND', `${describeLocation(source, plan.target)} no longer holds ${shortDigest(digest)} (${manifest.failures[0]?.code ?? 'not found'}).`);
    // Check the bytes before reading them as an index: its children are what is copied next.
    if (sha256Of(got.body) !== digest) throw new LifeboatError('JOB_FAILED', `The manifest ${describeLocation(source, plan.target)} returned for ${shortDigest(digest)} hashes to something else; Lifeboat copies nothing from it.`);
    if (isIndexMediaType(got.mediaType)) {
      const index = parseImageIndex(got.body);
      if (!index.ok) throw new LifeboatError('JOB_FAILED', `The index ${shortDigest(digest)} in ${describeLocation(source, plan.target)} cannot be read: ${index.error}.`);
      for (const child of uniqueDigests(index.index.manifests)) await ensure(run, plan, child, tally);
    }
    await progress(run, plan, `Copying ${shortDigest(digest)} from ${describeLocation(source, plan.target)}…`);
    const copied = await run.calls.mutate('ecr:PutImage', () => deps.restore.copyImage(source, plan.target, digest, { signal: ctx.signal }));
    ctx.log.info({ digest, blobs: copied.blobsCopied, bytes: copied.bytesCopied, put: copied.manifestPut }, 'manifest copied');
    tally.copied.push({ digest, blobs: copied.blobsCopied, bytes: copied.bytesCopied });
    return;
  }

  if (state === 'archived') {
    await progress(run, plan, `Restoring ${shortDigest(digest)} from the archive…`);
    const answered = await run.calls.mutate('ecr:UpdateImageStorageClass', () => deps.restore.restoreFromArchive(plan.target, digest));
    tally.fromArchive.push(digest);
    state = answered.status === 'ACTIVE' ? 'active' : 'activating';
  }
  if (state === 'activating') {
    if (!tally.fromArchive.includes(digest)) tally.fromArchive.push(digest);
    await waitActive(run, plan, digest);
  } else if (state === 'active' && !tally.fromArchive.includes(digest)) tally.present.push(digest);

  // An ACTIVE index is pullable only with its children: bring back any that are archived or gone.
  const read = await run.calls.read('ecr:BatchGetImage', () => deps.images.ecrFor(plan.target.registryId, plan.target.region).getManifests(plan.target.registryId, plan.target.repository, [digest]));
  const body = read.manifests[0];
  if (body && isIndexMediaType(body.mediaType)) {
    const index = parseImageIndex(body.body);
    if (!index.ok) return;
    const children = uniqueDigests(index.index.manifests).filter((d) => !tally.visited.has(d));
    // Ask for every archived child first, then wait: ECR restores them side by side.
    for (const child of await childStates(run, plan.target, digest, children)) {
      if (child.state !== 'archived') continue;
      await run.calls.mutate('ecr:UpdateImageStorageClass', () => deps.restore.restoreFromArchive(plan.target, child.digest));
      tally.fromArchive.push(child.digest);
    }
    for (const child of children) await ensure(run, plan, child, tally);
  }
}

function uniqueDigests(entries: readonly { digest: string }[]): string[] {
  return [...new Set(entries.map((e) => e.digest))];
}

function sha256Of(body: string): string {
  return `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

/** DescribeImages answers at most 100 ids a call. */
async function describeAll(run: RunContext, at: EcrLocation, digests: readonly string[]): Promise<EcrImage[]> {
  const ecr = run.deps.images.ecrFor(at.registryId, at.region);
  const images: EcrImage[] = [];
  for (let i = 0; i < digests.length; i += 100) {
    const batch = digests.slice(i, i + 100);
    const got = await run.calls.read('ecr:DescribeImages', () => ecr.describeImages(at.registryId, at.repository, batch.map((d) => ({ digest: d }))));
    images.push(...got.images);
  }
  return images;
}

/**
 * The state of each child of `digest` in `at` (none when it is not an index, or not readable).
 * `known` skips reading the index again when its children are already known.
 */
async function childStates(run: RunContext, at: EcrLocation, digest: string, known?: readonly string[]): Promise<{ digest: string; state: Exclude<TargetState, 'repository-missing'> }[]> {
  const ecr = run.deps.images.ecrFor(at.registryId, at.region);
  let children = known;
  if (children === undefined) {
    const read = await run.calls.read('ecr:BatchGetImage', () => ecr.getManifests(at.registryId, at.repository, [digest]));
    const body = read.manifests[0];
    if (!body || !isIndexMediaType(body.mediaType)) return [];
    const index = parseImageIndex(body.body);
    if (!index.ok) return [];
    children = index.index.manifests.map((m) => m.digest);
  }
  if (children.length === 0) return [];
  const images = await describeAll(run, at, children);
  return children.map((d) => {
    const image = images.find((i) => i.digest === d);
    return { digest: d, state: image ? stateOf(image) : 'absent' };
  });
}

/** Poll until ECR reports the digest ACTIVE; the restore goes on in ECR if the job stops waiting. */
async function waitActive(run: RunContext, plan: RestorePlan, digest: string): Promise<void> {
  const { pollSeconds, timeoutMinutes } = run.deps.settings.restore;
  const started = run.now();
  for (;;) {
    const state = await run.calls.read('ecr:DescribeImages', () => readState(run, plan.target, digest));
    if (state === 'active') return;
    if (state !== 'activating') throw new LifeboatError('JOB_FAILED', `ECR stopped restoring ${plan.target.repository}@${shortDigest(digest)}: it is ${state} again.`);
    const waited = run.now() - started;
    if (waited > timeoutMinutes * 60_000) {
      throw new LifeboatError('JOB_FAILED', `${plan.target.repository}@${shortDigest(digest)} is still being restored from the archive after ${formatDuration(waited)}; ECR goes on by itself. Run the same restore again to keep watching.`);
    }
    await progress(run, plan, `Waiting for ECR: ${shortDigest(digest)} is being restored from the archive (${formatDuration(waited)} so far)…`);
    await run.sleep(pollSeconds * 1000, run.ctx.signal);
  }
}

/**
 * Tags: a copied image gets back the tags it has in the source that no image in the target holds
 * (a tag that moved on to another image is left where it is), plus `--tag`. A tag matters: the
 * task definition names the image by it, and untagged images are what untagged rules expire.
 */
async function restoreTags(run: RunContext, plan: RestorePlan, tally: RestoreTally): Promise<void> {
  const { target, digest } = plan;
  const wanted: { tag: string; explicit: boolean }[] = plan.tag !== undefined ? [{ tag: plan.tag, explicit: true }] : [];
  // The source's tags come with the image only when this run copied the image itself.
  if (plan.method === 'copy' && plan.source && tally.copied.some((c) => c.digest === digest)) {
    const source = plan.source;
    const there = await run.calls.read('ecr:DescribeImages', () => run.deps.images.ecrFor(source.registryId, source.region).describeImages(source.registryId, source.repository, [{ digest }]));
    for (const tag of there.images[0]?.tags ?? []) if (!wanted.some((w) => w.tag === tag)) wanted.push({ tag, explicit: false });
  }
  for (const { tag, explicit } of wanted) {
    const holder = await tagHolder(run, target, tag);
    if (holder === digest) continue;
    if (holder !== undefined) {
      // Never moved off another image (the plan refused --tag in that case; someone took it since).
      tally.notes.push(`Tag ${tag} ${explicit ? 'was taken meanwhile and ' : ''}now names ${shortDigest(holder)}, so it was left there; the restored image is reachable by its digest.`);
      continue;
    }
    await run.calls.mutate('ecr:PutImage', () => run.deps.restore.copyImage(target, target, digest, { tag, signal: run.ctx.signal }));
    tally.tags.push(tag);
  }
}

/** Every manifest the digest needs is ACTIVE: the digest itself and, for an index, each child. */
async function verify(run: RunContext, plan: RestorePlan): Promise<number> {
  const { target, digest } = plan;
  const ecr = run.deps.images.ecrFor(target.registryId, target.region);
  const top = await run.calls.read('ecr:BatchGetImage', () => ecr.getManifests(target.registryId, target.repository, [digest]));
  const body = top.manifests[0];
  if (!body) throw new LifeboatError('JOB_FAILED', `${target.repository}@${shortDigest(digest)} still cannot be pulled after the restore (${top.failures[0]?.code ?? 'not found'}).`);
  if (!isIndexMediaType(body.mediaType)) return 0;
  const index = parseImageIndex(body.body);
  if (!index.ok) return 0;
  const children = uniqueDigests(index.index.manifests);
  const images = await describeAll(run, target, children);
  const missing = children.filter((d) => images.find((i) => i.digest === d)?.status !== 'ACTIVE');
  if (missing.length > 0) throw new LifeboatError('JOB_FAILED', `The index ${shortDigest(digest)} is back but ${plural(missing.length, 'child', 'children')} still cannot be pulled: ${missing.map(shortDigest).join(', ')}.`);
  return children.length;
}

async function progress(run: RunContext, plan: RestorePlan, text: string): Promise<void> {
  await run.ctx.progress({ summary: text, tone: 'info', blocks: [{ type: 'header', text: `Restoring ${plan.target.repository}@${shortDigest(plan.digest)}` }, { type: 'text', text }] });
}
