/**
 * What the simulated ECS needs from a simulated registry (ECR or the GHCR-like one): look a
 * reference up the way a pull does, and record the pull. Kept apart from both registries so that
 * neither the ECS simulation nor the registries import each other.
 */
import type { Platform } from '../../images/platform.js';

/** One manifest as a pull sees it. */
export type ManifestAnswer =
  | { kind: 'found'; digest: string; mediaType: string; body: string }
  /** The repository is there, the manifest is not (deleted, expired, never pushed). */
  | { kind: 'not-found' }
  /** ECR ARCHIVE storage class: listed, but a pull gets a 404 until it is restored. */
  | { kind: 'archived' }
  | { kind: 'repository-missing' };

/** A registry the simulated tasks pull from. */
export interface PullSource {
  /** Registry host, as image references spell it. */
  readonly host: string;
  /** HEAD/GET of a manifest by tag or digest, as the container runtime does it. */
  lookup(repository: string, reference: string): ManifestAnswer;
  /** A successful pull (ECR updates `lastRecordedPullTime`). */
  recordPull(repository: string, digest: string, at: number): void;
  /** The digest a tag points to now, for ECS digest resolution at deployment time. */
  resolveTag(repository: string, tag: string): string | undefined;
}

/** The platform the simulated task runs on (`runtimePlatform`). */
export type TaskPlatform = Platform;
