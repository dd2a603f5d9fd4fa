/**
 * What a scan learned about one repository, filled in by the ECR or OCI gatherer and then read
 * by the classifier through the `ImageFacts` interface. Keeps classification free of I/O.
 */
import type { ChildFact, DigestFact, ImageFacts, TagFact } from './availability.js';
import { selectPlatform, type ImageIndex } from './oci-index.js';
import type { Platform } from './platform.js';

const MAX_NESTING = 3;

/** Facts about one repository, filled by a gatherer, read by `classifyImage`. */
export class RepositorySnapshot implements ImageFacts {
  /** Set when the whole repository could not be read, or does not exist. */
  private problem: { kind: 'not-found' } | { kind: 'unknown'; detail: string } | undefined;
  private readonly digests = new Map<string, DigestFact>();
  private readonly tags = new Map<string, TagFact>();
  private readonly indexes = new Map<string, ImageIndex | { error: string }>();
  /** True when the snapshot holds a full listing: a digest or tag not in it does not exist. */
  private complete = false;

  markRepositoryMissing(): void {
    this.problem = { kind: 'not-found' };
  }

  markRepositoryUnknown(detail: string): void {
    this.problem = { kind: 'unknown', detail };
  }

  markComplete(): void {
    this.complete = true;
  }

  setDigest(digest: string, fact: DigestFact): void {
    this.digests.set(digest, fact);
  }

  setTag(tag: string, fact: TagFact): void {
    this.tags.set(tag, fact);
  }

  setIndex(digest: string, index: ImageIndex | { error: string }): void {
    this.indexes.set(digest, index);
  }

  hasDigest(digest: string): boolean {
    return this.digests.has(digest) || this.complete || this.problem !== undefined;
  }

  hasTag(tag: string): boolean {
    return this.tags.has(tag) || this.complete || this.problem !== undefined;
  }

  hasIndex(digest: string): boolean {
    return this.indexes.has(digest);
  }

  get repositoryProblem(): { kind: 'not-found' } | { kind: 'unknown'; detail: string } | undefined {
    return this.problem;
  }

  digest(digest: string): DigestFact {
    if (this.problem?.kind === 'not-found') return { kind: 'absent', repositoryMissing: true };
    if (this.problem?.kind === 'unknown') return { kind: 'unknown', detail: this.problem.detail };
    const fact = this.digests.get(digest);
    if (fact) return fact;
    return this.complete ? { kind: 'absent' } : { kind: 'unknown', detail: 'it was not looked up' };
  }

  tag(tag: string): TagFact {
    if (this.problem?.kind === 'not-found') return { kind: 'absent', repositoryMissing: true };
    if (this.problem?.kind === 'unknown') return { kind: 'unknown', detail: this.problem.detail };
    const fact = this.tags.get(tag);
    if (fact) return fact;
    return this.complete ? { kind: 'absent' } : { kind: 'unknown', detail: 'it was not looked up' };
  }

  platformChild(indexDigest: string, platform: Platform, depth = 0): ChildFact {
    const index = this.indexes.get(indexDigest);
    if (!index) return { kind: 'unknown', detail: 'the index manifest was not fetched' };
    if ('error' in index) return { kind: 'unknown', detail: index.error };
    const selection = selectPlatform(index, platform);
    switch (selection.kind) {
      case 'no-platform':
        return { kind: 'no-platform', available: selection.available };
      case 'nested': {
        if (depth >= MAX_NESTING) return { kind: 'unknown', detail: 'the index nests too deeply' };
        const found: ChildFact[] = selection.digests.map((d) => this.platformChild(d, platform, depth + 1));
        return (
          found.find((f) => f.kind === 'present') ??
          found.find((f) => f.kind === 'child-missing') ??
          found.find((f) => f.kind === 'unknown') ??
          { kind: 'no-platform', available: found.flatMap((f) => (f.kind === 'no-platform' ? f.available : [])) }
        );
      }
      case 'match': {
        const child = this.digest(selection.digest);
        if (child.kind === 'unknown') return { kind: 'unknown', detail: `its child ${selection.digest}: ${child.detail}` };
        if (child.kind === 'absent' || child.state !== 'active') return { kind: 'child-missing', digest: selection.digest };
        return { kind: 'present', digest: selection.digest };
      }
    }
  }
}
