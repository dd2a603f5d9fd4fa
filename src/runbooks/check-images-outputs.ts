import type { JobOutputs } from '../core/jobs.js';
import type { ScanReport } from '../images/report.js';

/**
 * The runbook outputs of `check images` (the contract in `outputs.ts`), from its scan report.
 * Pure. The images module does not know runbooks: the composition root hands this function to
 * the check-images job, which returns `{ ...card, outputs: checkImagesOutputs(report) }`.
 *
 * Questions are answered about the first missing image (a runbook checks one service): its
 * digest, why it is missing, and which command brings it back — `restore` for the exact digest,
 * `rebuild` when only a new build does (ECR images only: others are rebuilt by their own
 * pipeline), `redeploy` when the tag already points at a usable image.
 */
export function checkImagesOutputs(report: ScanReport): JobOutputs {
  const { totals } = report;
  const missingImages = report.images.filter((i) => i.status === 'missing');
  const first = missingImages[0];
  const findings = report.services.flatMap((s) => s.findings.filter((f) => f.severity === 'missing').map((f) => ({ service: `${s.cluster}/${s.service}`, finding: f })));
  const next = unique(findings.map((f) => f.finding.next).filter((n): n is string => n !== undefined));
  const argOf = (verb: string, among: readonly string[] = next): string | null => among.find((n) => n.startsWith(`${verb} `))?.slice(verb.length + 1).trim() || null;
  // `rebuild` drives CodeBuild and pushes to ECR: an image in another registry (GHCR, Docker Hub …)
  // is rebuilt by its own pipeline, so the runbook must not offer a rebuild that cannot work.
  const inEcr = new Set(report.images.filter((i) => i.registry === 'ecr-private').map((i) => i.image));
  const rebuild = argOf('rebuild', findings.filter((f) => inEcr.has(f.finding.image)).flatMap((f) => (f.finding.next !== undefined ? [f.finding.next] : [])));
  const services = unique([...missingImages.flatMap((i) => i.services), ...findings.map((f) => f.service)]);
  const firstSentence = findings[0]?.finding.sentence;
  return {
    healthy: totals.missing === 0 && totals.unknown === 0,
    missing: totals.missing,
    atRisk: totals.atRisk,
    unknown: totals.unknown,
    services,
    image: first?.image ?? null,
    digest: first?.digest ?? null,
    reason: first?.reason ?? null,
    cause: firstSentence ? `${findings[0]?.service}: ${firstSentence}` : (first?.detail ?? null),
    restore: argOf('restore'),
    rebuild,
    redeploy: next.some((n) => n.startsWith('redeploy ')) && argOf('restore') === null && argOf('rebuild') === null,
    lifecycleRule: lifecycleRule(report, first?.repository),
    next,
  };
}

/** The trap on the missing image's repository, else the first rule that takes an in-use image. */
function lifecycleRule(report: ScanReport, repository: string | undefined): string | null {
  const trap = report.traps.find((t) => repository !== undefined && t.repository === repository) ?? report.traps[0];
  if (trap) return `${trap.repository}: ${ruleSentence(trap.rulePriority, trap.sentence)}`;
  const exposed = report.images.find((i) => i.exposure !== undefined && (repository === undefined || i.repository === repository)) ?? report.images.find((i) => i.exposure !== undefined);
  if (exposed?.exposure) return `${exposed.repository ?? exposed.image}: ${ruleSentence(exposed.exposure.rulePriority, exposed.exposure.sentence)}`;
  return null;
}

/** "rule 1: …", unless the sentence already names its rule ("rule 1 takes the only image …"). */
function ruleSentence(priority: number, sentence: string): string {
  return new RegExp(`\\brule ${priority}\\b`).test(sentence) ? sentence : `rule ${priority}: ${sentence}`;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
