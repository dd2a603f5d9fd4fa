/**
 * The result of an image scan: plain JSON-serialisable data (no Dates, Maps or classes), so the
 * same object feeds the chat renderer, `--json` in the terminal and `GET /api/images`.
 * Also the sentences and suggested next commands for each finding (pure).
 */
import type { Availability, AvailabilityStatus, MissingReason } from './availability.js';
import type { CallStats } from './call-budget.js';
import type { ScanScope, ScopeProblem } from './graph.js';
import { displayName, shortDigest, type ImageReference, type RegistryKind } from './image-reference.js';
import type { TrapKind } from './exposure.js';

/** Bumped on any incompatible change of the JSON shape. */
export const SCAN_REPORT_VERSION = 1;

/** The numbers on the summary card. */
export interface ScanTotals {
  services: number;
  /** Distinct images (reference + pinned digest + platform). */
  images: number;
  available: number;
  missing: number;
  /** Available now, but a lifecycle rule takes them within the horizon. */
  atRisk: number;
  unknown: number;
  unchecked: number;
}

/** The first lifecycle rule that takes an in-use image. */
export interface ExposureSummary {
  rulePriority: number;
  action: 'expire' | 'transition';
  /** ISO time the rule starts to apply; ECR acts within 24 h after. */
  dueAt: string;
  withinDays: number;
  atRisk: boolean;
  sentence: string;
}

/** One distinct image (reference + pinned digest + platform) and who runs it. */
export interface ImageReport {
  key: string;
  /** The reference as the task definition spells it. */
  image: string;
  registry: RegistryKind | 'invalid';
  /** Registry host, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`, `ghcr.io`. */
  host?: string;
  repository?: string;
  tag?: string;
  /** The digest tasks pull, when known. */
  digest?: string;
  platform: string;
  status: AvailabilityStatus;
  reason?: MissingReason;
  detail: string;
  /** `cluster/service` of every service that runs it. */
  services: string[];
  exposure?: ExposureSummary;
}

/** Ordered worst first. */
export type FindingSeverity = 'missing' | 'at-risk' | 'unknown' | 'unchecked';

/** Something about one container of one deployment that a person should know. */
export interface ServiceFinding {
  severity: FindingSeverity;
  container: string;
  /** PRIMARY | ACTIVE | SERVICE. */
  deployment: string;
  image: string;
  /** A sentence a person can act on. */
  sentence: string;
  /** The suggested next command, e.g. `redeploy prod/api`. */
  next?: string;
}

/** One service and its findings. */
export interface ServiceReport {
  account: string;
  region: string;
  cluster: string;
  service: string;
  desiredCount: number;
  runningCount: number;
  /** The worst finding, or `ok`. */
  status: FindingSeverity | 'ok';
  findings: ServiceFinding[];
}

/** A risky lifecycle policy shape, with the services it endangers. */
export interface TrapReport {
  kind: TrapKind;
  repository: string;
  rulePriority: number;
  services: string[];
  sentence: string;
}

/** How ECR's own lifecycle preview compared with Lifeboat's evaluation of a repository. */
export interface PreviewReport {
  status: 'agrees' | 'disagrees' | 'unavailable';
  sentence: string;
  /** Images the preview acts on now. */
  previewCount?: number;
  /** Images the two see differently (at most 20, in-use ones first). */
  differences?: { digest: string; tags: string[]; services: string[]; preview?: string; lifeboat?: string }[];
}

/** One ECR repository the scan read. */
export interface RepositoryReport {
  registryId: string;
  region: string;
  repository: string;
  /** `none` | `ok` | `invalid: …` | `unknown: …` — the lifecycle policy as Lifeboat read it. */
  policy: string;
  listed: boolean;
  /** Present when the scan cross-checked the policy with `StartLifecyclePolicyPreview`. */
  preview?: PreviewReport;
}

/**
 * What a note is about:
 * - `lifecycle-preview`: ECR's preview and Lifeboat's evaluation disagree about a repository;
 * - `registry-children-missing`: an in-use multi-arch image on another registry lost children;
 * - `registry-children-untagged`: its children are untagged where nothing stops a cleanup of
 *   untagged versions from deleting them (GHCR and the like).
 */
export type NoteKind = 'lifecycle-preview' | 'registry-children-missing' | 'registry-children-untagged';

/** Something worth a look that is neither a missing nor an at-risk image. Never a failure. */
export interface ScanNote {
  kind: NoteKind;
  /** Repository (ECR name, or `host/name` on other registries). */
  repository: string;
  services: string[];
  sentence: string;
}

/** The whole result of a scan; JSON as it is. */
export interface ScanReport {
  version: typeof SCAN_REPORT_VERSION;
  startedAt: string;
  finishedAt: string;
  scope: ScanScope;
  totals: ScanTotals;
  services: ServiceReport[];
  images: ImageReport[];
  repositories: RepositoryReport[];
  traps: TrapReport[];
  /** Preview disagreements and registry retention warnings (absent in reports of older versions). */
  notes?: ScanNote[];
  /** Parts of the scope that could not be read (counted as unknown). */
  problems: ScopeProblem[];
  /** Outside calls by operation, for the call-floor formula in docs/images.md. */
  calls: Record<string, CallStats>;
}

const SEVERITY_ORDER: Record<FindingSeverity | 'ok', number> = { missing: 0, 'at-risk': 1, unknown: 2, unchecked: 3, ok: 4 };

/** The worst finding of a service, or `ok`. */
export function worstSeverity(findings: readonly ServiceFinding[]): FindingSeverity | 'ok' {
  return findings.reduce<FindingSeverity | 'ok'>((worst, f) => (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[worst] ? f.severity : worst), 'ok');
}

/** Sort order: worst first. */
export function compareSeverity(a: FindingSeverity | 'ok', b: FindingSeverity | 'ok'): number {
  return SEVERITY_ORDER[a] - SEVERITY_ORDER[b];
}

/** Who fails, and how many tasks: "api (4 tasks)", "api's ACTIVE deployment (2 tasks)". */
export function whoFails(service: string, deployment: string, tasks: number): string {
  const count = tasks === 0 ? 'scaled to 0' : `${tasks} task${tasks === 1 ? '' : 's'}`;
  return deployment === 'ACTIVE' ? `${service}'s ACTIVE deployment (${count})` : `${service} (${count})`;
}

/** The sentence for a missing image. */
export function missingSentence(service: string, deployment: string, tasks: number, availability: Availability): string {
  return `the next scale-out, replacement or retirement of ${whoFails(service, deployment, tasks)} will fail: ${availability.detail}`;
}

/**
 * What to run next. Restore the exact digest when it can be brought back (archived, or a copy is
 * still in a replica): the service then runs exactly what it ran. Else redeploy when the tag still
 * resolves to an image that works (a new deployment re-resolves tags, DOMAIN fact 1); otherwise
 * rebuild. `home` is the service's account and Region: an image in another registry is named in
 * full, so `restore` acts on the right one.
 */
export function nextCommand(ref: ImageReference, availability: Availability, clusterService: string, home?: { account: string; region: string }): string | undefined {
  const tagUsable = availability.tag?.kind === 'moved' && availability.tag.usable;
  // `rebuild` takes repository:tag, or cluster/service when the reference names no tag.
  const rebuild = `rebuild ${ref.tag !== undefined ? displayName({ ...ref, digest: undefined }) : clusterService}`;
  const registry = ref.registry;
  const elsewhere = home !== undefined && registry.kind === 'ecr-private' && (registry.account !== home.account || registry.region !== home.region);
  const restore = (digest: string) => `restore ${elsewhere ? `${registry.host}/` : ''}${ref.repository}@${digest}`;
  if (availability.copy !== undefined) return restore(availability.copy.digest);
  const reason: MissingReason | undefined = availability.reason;
  switch (reason) {
    case 'archived':
      return availability.digest !== undefined ? restore(availability.digest) : undefined;
    case 'restoring':
      return undefined;
    case 'pinned-digest-gone':
    case 'platform-child-missing':
      return tagUsable && availability.via === 'pinned' ? `redeploy ${clusterService}` : rebuild;
    case 'image-not-found':
    case 'tag-not-found':
    case 'no-such-platform':
    case 'repository-not-found':
      return rebuild;
    case undefined:
      return undefined;
  }
}

/** The sentence for an image a lifecycle rule will take. */
export function atRiskSentence(service: string, digest: string, repository: string, exposure: ExposureSummary): string {
  return `${shortDigest(digest)} in repo ${repository}, which ${service} runs, ${exposure.sentence}`;
}
