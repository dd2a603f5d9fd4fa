/**
 * Cross-check of Lifeboat's lifecycle evaluation with ECR's own dry run (DOMAIN fact 13):
 * `StartLifecyclePolicyPreview` on the repository's current policy, `GetLifecyclePolicyPreview`
 * polled until it completes (every 5 s, like the SDK waiter), then every page of its results.
 *
 * The preview says what the policy would expire or archive **now**; Lifeboat's evaluator says what
 * each rule does and from when. They are compared image by image, and a disagreement becomes a
 * note in the scan report — never a failure: it means one of the two models is wrong about this
 * repository, and a person should look at its rules.
 *
 * Tolerances, on purpose:
 * - an image whose age rule starts to apply within a day of now counts as agreeing either way
 *   (ECR acts "within 24 hours" and the preview runs a little after Lifeboat's `now`); count
 *   rules have no such boundary;
 * - an image the preview lists but which an index still references is reported apart: ECR refuses
 *   to remove it (`ImageReferencedByManifestList`), so Lifeboat does not count it as exposed;
 * - images the preview names that Lifeboat's listing does not know (pushed or deleted since) are
 *   ignored.
 */
import { isLifeboatError } from '../core/errors.js';
import type { CallBudget } from './call-budget.js';
import { shortDigest } from './image-reference.js';
import { DAY_MS, evaluateLifecycle, type LifecycleImage } from './lifecycle/evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from './lifecycle/policy.js';
import type { EcrReader, LifecyclePreviewResult } from './ports.js';

/** How long to wait for a preview, and how often to ask. */
export interface PreviewTiming {
  /** Give up after this long (default 100 s: the SDK waiter's 20 × 5 s). */
  timeoutMs?: number;
  /** Between two `GetLifecyclePolicyPreview` calls (default 5 s). */
  pollIntervalMs?: number;
}

/** What `runLifecyclePreview` needs. */
export interface PreviewDeps extends PreviewTiming {
  ecr: EcrReader;
  budget: CallBudget;
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** The finished preview, or why there is none. */
export type PreviewOutcome = { kind: 'complete'; results: LifecyclePreviewResult[] } | { kind: 'unavailable'; detail: string };

const DEFAULT_TIMEOUT_MS = 100_000;
const DEFAULT_POLL_MS = 5_000;
const MAX_PAGES = 100;

/** Run ECR's preview of the repository's current policy (`policy`, as Lifeboat read it). Never throws for AWS failures. */
export async function runLifecyclePreview(registryId: string, repository: string, policy: LifecyclePolicy, deps: PreviewDeps): Promise<PreviewOutcome> {
  const { ecr } = deps;
  if (!ecr.startLifecyclePolicyPreview || !ecr.getLifecyclePolicyPreview) {
    return { kind: 'unavailable', detail: 'the ECR reader cannot run lifecycle previews' };
  }
  const start = ecr.startLifecyclePolicyPreview.bind(ecr);
  const get = ecr.getLifecyclePolicyPreview.bind(ecr);
  const call = <T>(op: string, fn: () => Promise<T>) => deps.budget.run(op, fn, deps.signal);
  const deadline = deps.clock.now() + (deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const { started } = await call('ecr:StartLifecyclePolicyPreview', () => start(registryId, repository));
    for (;;) {
      // A preview takes seconds: asking at once would only spend a call on IN_PROGRESS.
      await deps.sleep(deps.pollIntervalMs ?? DEFAULT_POLL_MS, deps.signal);
      const page = await call('ecr:GetLifecyclePolicyPreview', () => get(registryId, repository));
      if (page === null) return { kind: 'unavailable', detail: 'ECR has no preview for the repository' };
      if (page.status === 'IN_PROGRESS') {
        if (deps.clock.now() >= deadline) return { kind: 'unavailable', detail: 'ECR did not finish the preview in time' };
        continue;
      }
      if (page.status !== 'COMPLETE') return { kind: 'unavailable', detail: `ECR's preview ended ${page.status}` };
      if (!started && page.policyText !== undefined && !samePolicy(page.policyText, policy)) {
        return { kind: 'unavailable', detail: 'a preview of another policy text was already running (someone is trying a new policy)' };
      }
      const results = [...page.results];
      let token = page.nextToken;
      for (let pages = 1; token !== undefined && pages < MAX_PAGES; pages++) {
        const from = token;
        const next = await call('ecr:GetLifecyclePolicyPreview', () => get(registryId, repository, from));
        if (next === null) break;
        results.push(...next.results);
        token = next.nextToken;
      }
      return { kind: 'complete', results };
    }
  } catch (err) {
    deps.signal?.throwIfAborted();
    return { kind: 'unavailable', detail: isLifeboatError(err) ? err.userMessage : 'an unexpected error (see the log)' };
  }
}

/** An image the two models see differently. */
export interface PreviewDifference {
  digest: string;
  tags: readonly string[];
  /** Services that run it (directly or through an index). */
  services: readonly string[];
  /** e.g. `expire by rule 1`; absent when the preview does not list the image. */
  preview?: string;
  /** e.g. `expire by rule 2 since 2026-01-20`; absent when Lifeboat keeps the image for now. */
  lifeboat?: string;
}

/** The comparison of one repository. */
export interface PreviewComparison {
  agrees: boolean;
  /** Images the preview lists. */
  previewCount: number;
  /** The preview acts on them; Lifeboat does not (yet). */
  onlyPreview: PreviewDifference[];
  /** Lifeboat expects a rule to act on them now; the preview does not list them. */
  onlyLifeboat: PreviewDifference[];
  /** Both act, by another rule or action. */
  otherRule: PreviewDifference[];
  /** The preview lists them, but an index still references them: ECR refuses to act. */
  protectedChildren: string[];
}

/** What `comparePreview` compares. */
export interface PreviewCompareInput {
  policy: LifecyclePolicy;
  images: readonly LifecycleImage[];
  results: readonly LifecyclePreviewResult[];
  now: number;
  /** Services by digest, for the in-use images. */
  inUse: ReadonlyMap<string, readonly string[]>;
  /** Hits due this close to now count as agreeing either way. Default one day. */
  toleranceMs?: number;
}

/** Compare ECR's preview with Lifeboat's evaluation at `now`. Pure. */
export function comparePreview(input: PreviewCompareInput): PreviewComparison {
  const tolerance = input.toleranceMs ?? DAY_MS;
  const verdicts = evaluateLifecycle(input.policy, input.images, input.now);
  const byDigest = new Map(input.images.map((i) => [i.digest, i]));
  const listed = new Map(input.results.map((r) => [r.digest, r]));
  const comparison: PreviewComparison = { agrees: true, previewCount: input.results.length, onlyPreview: [], onlyLifeboat: [], otherRule: [], protectedChildren: [] };
  const difference = (digest: string, preview?: LifecyclePreviewResult): PreviewDifference => {
    const d: PreviewDifference = { digest, tags: byDigest.get(digest)?.tags ?? preview?.tags ?? [], services: input.inUse.get(digest) ?? [] };
    if (preview) d.preview = `${preview.action} by rule ${preview.rulePriority ?? '?'}`;
    const hit = verdicts.get(digest)?.hit;
    if (hit) d.lifeboat = `${hit.action} by rule ${hit.rulePriority} from ${new Date(Math.max(hit.dueAt, 0)).toISOString().slice(0, 10)}`;
    return d;
  };

  for (const [digest, verdict] of verdicts) {
    const hit = verdict.hit;
    const preview = listed.get(digest);
    // Count rules act "now" by construction; only age rules have a boundary to be lenient about.
    const ageRule = hit !== undefined && input.policy.rules.find((r) => r.priority === hit.rulePriority)?.count.type !== 'imageCountMoreThan';
    const nearNow = hit !== undefined && ageRule && Math.abs(hit.dueAt - input.now) < tolerance;
    const actsNow = hit !== undefined && hit.blockedByIndexes === undefined && hit.dueAt <= input.now;
    if (preview) {
      if (hit?.blockedByIndexes !== undefined) comparison.protectedChildren.push(digest);
      else if (actsNow) {
        if ((preview.rulePriority !== undefined && preview.rulePriority !== hit.rulePriority) || preview.action !== hit.action) {
          comparison.otherRule.push(difference(digest, preview));
        }
      } else if (!nearNow) comparison.onlyPreview.push(difference(digest, preview));
    } else if (actsNow && !nearNow) {
      comparison.onlyLifeboat.push(difference(digest));
    }
  }
  const inUseFirst = (a: PreviewDifference, b: PreviewDifference) => b.services.length - a.services.length || a.digest.localeCompare(b.digest);
  comparison.onlyPreview.sort(inUseFirst);
  comparison.onlyLifeboat.sort(inUseFirst);
  comparison.otherRule.sort(inUseFirst);
  comparison.agrees = comparison.onlyPreview.length + comparison.onlyLifeboat.length + comparison.otherRule.length === 0;
  return comparison;
}

/** One sentence for the report: what disagrees, in-use images first. */
export function previewSentence(repository: string, c: PreviewComparison): string {
  const parts: string[] = [];
  const list = (ds: readonly PreviewDifference[]) =>
    ds
      .slice(0, 3)
      .map((d) => `${shortDigest(d.digest)}${d.services.length > 0 ? ` (run by ${d.services.join(', ')})` : ''}`)
      .join(', ') + (ds.length > 3 ? `, and ${ds.length - 3} more` : '');
  if (c.onlyPreview.length > 0) {
    parts.push(`ECR's lifecycle preview acts now on ${plural(c.onlyPreview.length, 'image')} Lifeboat's evaluation keeps: ${list(c.onlyPreview)}`);
  }
  if (c.onlyLifeboat.length > 0) {
    parts.push(`Lifeboat expects a rule to act now on ${plural(c.onlyLifeboat.length, 'image')} the preview does not list: ${list(c.onlyLifeboat)}`);
  }
  if (c.otherRule.length > 0) parts.push(`the preview applies another rule to ${plural(c.otherRule.length, 'image')}: ${list(c.otherRule)}`);
  if (parts.length === 0) {
    const protectedNote =
      c.protectedChildren.length > 0
        ? `; it also lists ${plural(c.protectedChildren.length, 'per-platform child', 'per-platform children')} of an index that stays, which ECR refuses to remove (ImageReferencedByManifestList)`
        : '';
    return `ECR's lifecycle preview agrees with Lifeboat's evaluation of repo ${repository} (${plural(c.previewCount, 'image')} to act on now)${protectedNote}.`;
  }
  return `repo ${repository}: ${parts.join('; ')}. One of the two models is wrong about this repository: check its lifecycle rules by hand before trusting the at-risk dates.`;
}

function samePolicy(text: string, policy: LifecyclePolicy): boolean {
  const parsed = parseLifecyclePolicy(text);
  return parsed.ok && JSON.stringify(parsed.policy) === JSON.stringify(policy);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
