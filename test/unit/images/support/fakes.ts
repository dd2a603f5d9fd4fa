/**
 * In-memory fakes of the image ports, recording every call. They honour the port contracts
 * (batch limits, per-id failures, AWS_NOT_FOUND only for a missing repository) and let a test
 * make any method fail with a LifeboatError.
 */
import { LifeboatError } from '../../../../src/core/errors.js';
import type {
  EcrImage,
  EcrImageFailure,
  EcrImageId,
  EcrManifest,
  EcrReader,
  EcsReader,
  EcsService,
  EcsServiceRevision,
  EcsTaskDefinition,
  LifecyclePreviewPage,
  LifecyclePreviewResult,
  ManifestLookup,
  ManifestRef,
  Page,
  RegistryClient,
} from '../../../../src/images/ports.js';

/** Pages of `size`, with the offset as the token — like the real APIs, opaque to callers. */
function page<T>(all: readonly T[], nextToken: string | undefined, size: number): Page<T> {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  const items = all.slice(start, start + size);
  return start + size < all.length ? { items, nextToken: String(start + size) } : { items };
}

type Failure = LifeboatError | ((call: number) => LifeboatError | undefined);

abstract class Recording {
  readonly calls: { method: string; args: unknown[] }[] = [];
  private readonly failures = new Map<string, Failure>();

  /** Make `method` fail: always, or as the function decides per call (1-based). */
  fail(method: string, failure: Failure): this {
    this.failures.set(method, failure);
    return this;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  protected record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    const err = typeof failure === 'function' ? failure(this.count(method)) : failure;
    if (err) throw err;
  }
}

export class FakeEcs extends Recording implements EcsReader {
  readonly clusters = new Map<string, EcsService[]>();
  readonly revisions = new Map<string, EcsServiceRevision>();
  readonly taskDefinitions = new Map<string, EcsTaskDefinition>();

  listClusters(nextToken?: string): Promise<Page<string>> {
    return this.run(() => {
      this.record('listClusters', nextToken);
      return page([...this.clusters.keys()], nextToken, 100);
    });
  }

  listServices(cluster: string, nextToken?: string): Promise<Page<string>> {
    return this.run(() => {
      this.record('listServices', cluster, nextToken);
      return page((this.cluster(cluster) ?? []).map((s) => s.arn), nextToken, 100);
    });
  }

  describeServices(cluster: string, services: readonly string[]) {
    return this.run(() => {
      this.record('describeServices', cluster, services);
      if (services.length > 10) throw new Error(`DescribeServices takes at most 10 services, got ${services.length}`);
      const all = this.cluster(cluster) ?? [];
      const found = services.flatMap((id) => all.filter((s) => s.arn === id || s.name === id));
      const failures = services.filter((id) => !all.some((s) => s.arn === id || s.name === id)).map((arn) => ({ arn, reason: 'MISSING' }));
      return { services: found, failures };
    });
  }

  describeServiceRevisions(arns: readonly string[]) {
    return this.run(() => {
      this.record('describeServiceRevisions', arns);
      if (arns.length > 20) throw new Error(`DescribeServiceRevisions takes at most 20 ARNs, got ${arns.length}`);
      return {
        revisions: arns.flatMap((a) => {
          const r = this.revisions.get(a);
          return r ? [r] : [];
        }),
        failures: arns.filter((a) => !this.revisions.has(a)).map((arn) => ({ arn, reason: 'MISSING' })),
      };
    });
  }

  describeTaskDefinition(arn: string): Promise<EcsTaskDefinition> {
    return this.run(() => {
      this.record('describeTaskDefinition', arn);
      const td = this.taskDefinitions.get(arn);
      if (!td) throw new LifeboatError('AWS_NOT_FOUND', `Task definition ${arn} was not found.`);
      return td;
    });
  }

  private cluster(cluster: string): EcsService[] | undefined {
    return this.clusters.get(cluster) ?? [...this.clusters.entries()].find(([arn]) => arn.endsWith(`/${cluster}`))?.[1];
  }

  /** Like the SDK: results and failures arrive asynchronously. */
  private run<T>(fn: () => T): Promise<T> {
    return Promise.resolve().then(fn);
  }
}

export interface FakeRepository {
  images: EcrImage[];
  policy?: string;
  /** Manifest bodies by digest (for indexes). */
  manifests?: Record<string, string>;
  /** What ECR's lifecycle preview answers for this repository. */
  preview?: FakePreview;
}

/** A lifecycle preview: `IN_PROGRESS` for `polls` reads, then `COMPLETE` with `results` (100 a page). */
export interface FakePreview {
  results: LifecyclePreviewResult[];
  polls?: number;
  /** Someone else's preview is running (Start answers in-progress) for this policy text. */
  runningText?: string;
  status?: LifecyclePreviewPage['status'];
}

export class FakeEcr extends Recording implements EcrReader {
  readonly repositories = new Map<string, FakeRepository>();
  private readonly previewReads = new Map<string, number>();

  add(registryId: string, repository: string, repo: FakeRepository): this {
    this.repositories.set(`${registryId}/${repository}`, repo);
    return this;
  }

  describeImages(registryId: string, repository: string, ids: readonly EcrImageId[]) {
    return this.run(() => {
      this.record('describeImages', registryId, repository, ids);
      if (ids.length > 100) throw new Error(`DescribeImages takes at most 100 ids, got ${ids.length}`);
      const repo = this.repo(registryId, repository);
      const images: EcrImage[] = [];
      const failures: EcrImageFailure[] = [];
      for (const id of ids) {
        const image = repo.images.find((i) => (id.digest !== undefined ? i.digest === id.digest : i.tags.includes(id.tag)));
        if (image) {
          if (!images.includes(image)) images.push(image);
        } else failures.push({ id, code: 'ImageNotFound', reason: 'Requested image not found' });
      }
      return { images, failures };
    });
  }

  listImages(registryId: string, repository: string, nextToken?: string): Promise<Page<EcrImage>> {
    return this.run(() => {
      this.record('listImages', registryId, repository, nextToken);
      return page(this.repo(registryId, repository).images, nextToken, 1000);
    });
  }

  getManifests(registryId: string, repository: string, digests: readonly string[]) {
    return this.run(() => {
      this.record('getManifests', registryId, repository, digests);
      if (digests.length > 100) throw new Error(`BatchGetImage takes at most 100 ids, got ${digests.length}`);
      const repo = this.repo(registryId, repository);
      const manifests: EcrManifest[] = [];
      const failures: EcrImageFailure[] = [];
      for (const digest of digests) {
        const body = repo.manifests?.[digest];
        if (body !== undefined) manifests.push({ digest, body });
        else failures.push({ id: { digest }, code: 'ImageNotFound' });
      }
      return { manifests, failures };
    });
  }

  startLifecyclePolicyPreview(registryId: string, repository: string): Promise<{ started: boolean }> {
    return this.run(() => {
      this.record('startLifecyclePolicyPreview', registryId, repository);
      const repo = this.repo(registryId, repository);
      this.previewReads.set(`${registryId}/${repository}`, 0);
      return { started: repo.preview?.runningText === undefined };
    });
  }

  getLifecyclePolicyPreview(registryId: string, repository: string, nextToken?: string): Promise<LifecyclePreviewPage | null> {
    return this.run(() => {
      this.record('getLifecyclePolicyPreview', registryId, repository, nextToken);
      const repo = this.repo(registryId, repository);
      const key = `${registryId}/${repository}`;
      const reads = this.previewReads.get(key);
      if (!repo.preview || reads === undefined) return null;
      this.previewReads.set(key, reads + 1);
      const policyText = repo.preview.runningText ?? repo.policy;
      if (reads < (repo.preview.polls ?? 0)) return { status: 'IN_PROGRESS', results: [], ...(policyText !== undefined ? { policyText } : {}) };
      const { items, nextToken: next } = page(repo.preview.results, nextToken, 100);
      return { status: repo.preview.status ?? 'COMPLETE', results: items, ...(policyText !== undefined ? { policyText } : {}), ...(next !== undefined ? { nextToken: next } : {}) };
    });
  }

  getLifecyclePolicy(registryId: string, repository: string) {
    return this.run(() => {
      this.record('getLifecyclePolicy', registryId, repository);
      const repo = this.repo(registryId, repository);
      return repo.policy !== undefined ? { text: repo.policy } : null;
    });
  }

  private repo(registryId: string, repository: string): FakeRepository {
    const repo = this.repositories.get(`${registryId}/${repository}`);
    if (!repo) throw new LifeboatError('AWS_NOT_FOUND', `Repository ${repository} was not found in registry ${registryId}.`);
    return repo;
  }

  /** Like the SDK: results and failures arrive asynchronously. */
  private run<T>(fn: () => T): Promise<T> {
    return Promise.resolve().then(fn);
  }
}

/** A registry keyed by `host/repository@reference`. */
export class FakeRegistry implements RegistryClient {
  readonly calls: string[] = [];
  readonly manifests = new Map<string, { digest: string; mediaType: string; body: string }>();

  put(host: string, repository: string, references: string[], manifest: { digest: string; mediaType: string; body: string }): this {
    for (const reference of [...references, manifest.digest]) this.manifests.set(`${host}/${repository}@${reference}`, manifest);
    return this;
  }

  remove(host: string, repository: string, reference: string): this {
    this.manifests.delete(`${host}/${repository}@${reference}`);
    return this;
  }

  headManifest(ref: ManifestRef): Promise<ManifestLookup> {
    this.calls.push(`HEAD ${ref.host}/${ref.repository}@${ref.reference}`);
    const m = this.manifests.get(`${ref.host}/${ref.repository}@${ref.reference}`);
    return Promise.resolve(m ? { kind: 'found', digest: m.digest, mediaType: m.mediaType } : { kind: 'not-found', code: 'MANIFEST_UNKNOWN' });
  }

  getManifest(ref: ManifestRef): Promise<ManifestLookup> {
    this.calls.push(`GET ${ref.host}/${ref.repository}@${ref.reference}`);
    const m = this.manifests.get(`${ref.host}/${ref.repository}@${ref.reference}`);
    return Promise.resolve(m ? { kind: 'found', digest: m.digest, mediaType: m.mediaType, body: m.body } : { kind: 'not-found', code: 'MANIFEST_UNKNOWN' });
  }
}
