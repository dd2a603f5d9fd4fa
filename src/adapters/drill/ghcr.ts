/**
 * A GHCR-like OCI registry: each manifest is a package *version* (the children of a multi-arch
 * image are "untagged versions"), and a scheduled cleanup workflow — modelled on
 * `actions/delete-package-versions` with `delete-only-untagged-versions: true` — deletes untagged
 * versions beyond the newest `minVersionsToKeep`. Unlike ECR it does not protect children an index
 * references: the tag keeps listing, the index still answers, and the pull of the platform child
 * fails with `manifest unknown` (corpus oci/SEMANTICS.md; actions/delete-package-versions#162).
 */
import { DRILL_GHCR_HOST } from './ids.js';
import { buildImage, type BuiltManifest, type ImageBuildSpec } from './manifests.js';
import type { ManifestAnswer, PullSource } from './registry-model.js';
import type { Scheduled, SimScheduler } from './scheduler.js';
import { DAY_MS } from '../../images/lifecycle/evaluate.js';

/** One package version (one manifest). */
export interface GhcrVersion {
  id: number;
  digest: string;
  tags: string[];
  createdAt: number;
  mediaType: string;
  body: string;
}

/** A cleanup workflow run, for status and tests. */
export interface GhcrCleanupRun {
  packageName: string;
  at: number;
  deleted: string[];
}

/** The simulated `ghcr.io`. */
export class DrillGhcr implements PullSource {
  readonly host = DRILL_GHCR_HOST;
  readonly packages = new Map<string, Map<string, GhcrVersion>>();
  readonly cleanupRuns: GhcrCleanupRun[] = [];
  private readonly cleanups = new Map<string, Scheduled>();
  private nextVersionId = 180_000_001;

  constructor(private readonly scheduler: SimScheduler) {}

  /** Push an image to `<owner>/<name>` and point `tag` at it. */
  push(packageName: string, spec: ImageBuildSpec, options: { tag?: string; pushedAt?: number } = {}): { digest: string; children: BuiltManifest[] } {
    const versions = this.packages.get(packageName) ?? new Map<string, GhcrVersion>();
    this.packages.set(packageName, versions);
    const image = buildImage(spec);
    const at = options.pushedAt ?? this.scheduler.now();
    if (options.tag !== undefined) for (const v of versions.values()) v.tags = v.tags.filter((t) => t !== options.tag);
    for (const m of [...image.others, image.top]) {
      const tags = m === image.top && options.tag !== undefined ? [options.tag] : [];
      const existing = versions.get(m.digest);
      if (existing) existing.tags.push(...tags);
      else versions.set(m.digest, { id: this.nextVersionId++, digest: m.digest, tags, createdAt: at, mediaType: m.mediaType, body: m.body });
    }
    return { digest: image.top.digest, children: image.others };
  }

  /** Delete one package version (what the cleanup workflow calls). */
  deleteVersion(packageName: string, digest: string): boolean {
    return this.packages.get(packageName)?.delete(digest) ?? false;
  }

  /**
   * Schedule the cleanup workflow daily at `at` (UTC `HH:MM`): delete untagged versions except the
   * newest `minVersionsToKeep`. It does not look at which index references a version.
   */
  scheduleCleanup(packageName: string, options: { at: string; minVersionsToKeep: number }): void {
    const [h = 0, m = 0] = options.at.split(':').map(Number);
    const now = this.scheduler.now();
    let first = Math.floor(now / DAY_MS) * DAY_MS + (h * 60 + m) * 60_000;
    if (first <= now) first += DAY_MS;
    this.cleanups.get(packageName)?.cancel();
    this.cleanups.set(packageName, this.scheduler.every(DAY_MS, `ghcr cleanup ${packageName}`, () => this.runCleanup(packageName, options.minVersionsToKeep), first));
  }

  /** Disable the cleanup workflow of a package. */
  disableCleanup(packageName: string): void {
    this.cleanups.get(packageName)?.cancel();
    this.cleanups.delete(packageName);
  }

  /** Run the cleanup workflow now. */
  runCleanup(packageName: string, minVersionsToKeep: number): GhcrCleanupRun {
    const versions = this.packages.get(packageName);
    const run: GhcrCleanupRun = { packageName, at: this.scheduler.now(), deleted: [] };
    if (versions) {
      const untagged = [...versions.values()].filter((v) => v.tags.length === 0).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
      for (const v of untagged.slice(minVersionsToKeep)) {
        versions.delete(v.digest);
        run.deleted.push(v.digest);
      }
    }
    this.cleanupRuns.push(run);
    return run;
  }

  // ── PullSource ──────────────────────────────────────────────────────────────────────────

  lookup(repository: string, reference: string): ManifestAnswer {
    const versions = this.packages.get(repository);
    if (!versions) return { kind: 'repository-missing' };
    const v = reference.startsWith('sha256:') ? versions.get(reference) : [...versions.values()].find((x) => x.tags.includes(reference));
    return v ? { kind: 'found', digest: v.digest, mediaType: v.mediaType, body: v.body } : { kind: 'not-found' };
  }

  recordPull(): void {
    // GHCR keeps download counts, not pull times; nothing the drill needs.
  }

  resolveTag(repository: string, tag: string): string | undefined {
    const found = this.lookup(repository, tag);
    return found.kind === 'found' ? found.digest : undefined;
  }
}
