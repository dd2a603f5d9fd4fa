/**
 * Lifecycle exposure: which in-use images (and index children) a repository's lifecycle policy
 * will expire or archive, and when — plus the classic traps that break services before anyone
 * notices. Pure; works on the evaluator's verdicts.
 */
import { DAY_MS, evaluateLifecycle, type ImageLifecycle, type LifecycleHit, type LifecycleImage } from './lifecycle/evaluate.js';
import type { LifecyclePolicy } from './lifecycle/policy.js';
import { shortDigest } from './image-reference.js';

/** An image of the repository, as exposure sees it. */
export interface ExposureImage extends LifecycleImage {
  /** An image index / manifest list (a multi-arch image). */
  isIndex: boolean;
}

/** A digest some service needs, and why. */
export interface InUseDigest {
  digest: string;
  /** Services that would fail to start tasks without it, e.g. `prod/api`. */
  services: readonly string[];
  /** `platform-child`: a per-platform manifest the tasks pull through an index. */
  role: 'image' | 'platform-child';
}

/** One repository: its policy, its images, and the digests services need from it. */
export interface ExposureInput {
  /** Repository name, for sentences. */
  repository: string;
  policy: LifecyclePolicy;
  images: readonly ExposureImage[];
  inUse: readonly InUseDigest[];
  now: number;
  /** Hits due within this window count as "at risk". Default 14 days. */
  horizonMs?: number;
  /** A count rule with an in-use image this many pushes or fewer from the cut is a trap. Default 10. */
  burstMargin?: number;
}

/** A lifecycle rule will take an in-use image. */
export interface ExposureFinding {
  digest: string;
  services: readonly string[];
  role: InUseDigest['role'];
  hit: LifecycleHit;
  /** Upper bound, in whole days, of when the image is gone (ECR acts within 24 h of `dueAt`). */
  withinDays: number;
  /** Due within the horizon. */
  atRisk: boolean;
  /** e.g. "expires in ≤ 2 days by rule 1: sinceImagePushed 7 days". */
  sentence: string;
}

/** The policy shapes that have broken services before (see docs/images.md). */
export type TrapKind = 'untagged-rule-multi-arch' | 'count-burst' | 'takes-only-image';

/** A policy shape that has broken services before. */
export interface LifecycleTrap {
  kind: TrapKind;
  rulePriority: number;
  services: readonly string[];
  digest?: string;
  sentence: string;
}

/** Hits on in-use images, soonest first, and the traps the policy sets. */
export interface ExposureReport {
  findings: ExposureFinding[];
  traps: LifecycleTrap[];
}

const DEFAULT_HORIZON_MS = 14 * DAY_MS;
const DEFAULT_BURST_MARGIN = 10;

/** Evaluate the policy and report what it does to the images services need. */
export function assessExposure(input: ExposureInput): ExposureReport {
  const horizon = input.now + (input.horizonMs ?? DEFAULT_HORIZON_MS);
  const verdicts = evaluateLifecycle(input.policy, input.images, input.now);
  const findings: ExposureFinding[] = [];
  for (const use of input.inUse) {
    const hit = verdicts.get(use.digest)?.hit;
    // ECR refuses to act on a child an index still references: not a finding on its own.
    if (!hit || hit.blockedByIndexes) continue;
    const withinDays = daysUntilGone(hit.dueAt, input.now);
    findings.push({
      digest: use.digest,
      services: use.services,
      role: use.role,
      hit,
      withinDays,
      atRisk: hit.dueAt <= horizon,
      sentence: hitSentence(hit, withinDays, hit.dueAt <= input.now),
    });
  }
  findings.sort((a, b) => a.hit.dueAt - b.hit.dueAt);
  const traps = [
    ...untaggedRuleTraps(input),
    ...countBurstTraps(input, verdicts),
    ...onlyImageTraps(input, verdicts, findings, horizon),
  ];
  return { findings, traps };
}

/** ECR acts within 24 h of the due time: the image is gone at the latest this many days from now. */
export function daysUntilGone(dueAt: number, now: number): number {
  return Math.max(1, Math.ceil((Math.max(dueAt, now) - now) / DAY_MS + 1));
}

/** "expires in ≤ 2 days by rule 1: sinceImagePushed 7 days". */
export function hitSentence(hit: LifecycleHit, withinDays: number, dueNow: boolean): string {
  const verb = hit.action === 'expire' ? 'expires' : 'is archived (cannot be pulled until restored)';
  const when = dueNow ? 'within 24 h' : `in ≤ ${withinDays} days`;
  let text = `${verb} ${when} by rule ${hit.rulePriority}: ${hit.basis}`;
  if (hit.then) text += `, then expires by rule ${hit.then.rulePriority}: ${hit.then.basis}`;
  return text;
}

function untaggedRuleTraps(input: ExposureInput): LifecycleTrap[] {
  const indexes = input.images.filter((i) => i.isIndex);
  if (indexes.length === 0) return [];
  const services = unique(input.inUse.flatMap((u) => u.services));
  return input.policy.rules
    .filter((r) => r.tagStatus === 'untagged')
    .map((rule) => ({
      kind: 'untagged-rule-multi-arch' as const,
      rulePriority: rule.priority,
      services,
      sentence:
        `rule ${rule.priority} ${rule.action === 'expire' ? 'expires' : 'archives'} untagged images and ${input.repository} holds ` +
        `${indexes.length} multi-arch image${indexes.length === 1 ? '' : 's'}, whose per-platform children are untagged. ` +
        `ECR refuses to remove a child an index still references (ImageReferencedByManifestList), but once a tag moves off an ` +
        `index a service has pinned, that index is untagged and rule ${rule.priority} takes it with its children.`,
    }));
}

function countBurstTraps(input: ExposureInput, verdicts: Map<string, ImageLifecycle>): LifecycleTrap[] {
  const margin = input.burstMargin ?? DEFAULT_BURST_MARGIN;
  const multiArch = input.images.some((i) => i.isIndex);
  const traps: LifecycleTrap[] = [];
  for (const use of input.inUse) {
    const verdict = verdicts.get(use.digest);
    const position = verdict?.countPosition;
    if (!verdict || verdict.hit || !position || verdict.ownedBy === undefined) continue;
    const pushesLeft = position.keep - position.rank;
    if (pushesLeft > margin) continue;
    let sentence =
      `rule ${verdict.ownedBy} keeps only the newest ${position.keep} images it selects; ${shortDigest(use.digest)} ` +
      `(${use.services.join(', ')}) is number ${position.rank + 1}, so ${pushesLeft} more push${pushesLeft === 1 ? '' : 'es'} expire it`;
    if (multiArch) sentence += ' — a multi-arch build pushes an index, one image per platform and attestations, so a single build can be several pushes';
    traps.push({ kind: 'count-burst', rulePriority: verdict.ownedBy, services: use.services, digest: use.digest, sentence });
  }
  return traps;
}

function onlyImageTraps(
  input: ExposureInput,
  verdicts: Map<string, ImageLifecycle>,
  findings: readonly ExposureFinding[],
  horizon: number,
): LifecycleTrap[] {
  const survivesTagged = input.images.some((i) => {
    const hit = verdicts.get(i.digest)?.hit;
    return i.tags.length > 0 && (!hit || hit.blockedByIndexes !== undefined || hit.dueAt > horizon);
  });
  if (survivesTagged) return [];
  return findings
    .filter((f) => f.atRisk && f.role === 'image')
    .map((f) => ({
      kind: 'takes-only-image' as const,
      rulePriority: f.hit.rulePriority,
      services: f.services,
      digest: f.digest,
      sentence:
        `rule ${f.hit.rulePriority} takes the only image ${f.services.join(', ')} can run: afterwards ${input.repository} holds no tagged ` +
        `image to redeploy to, so only a rebuild brings the service back`,
    }));
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
