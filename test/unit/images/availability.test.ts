import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyImage, type ImageToCheck } from '../../../src/images/availability.js';
import { parseImageReference } from '../../../src/images/image-reference.js';
import { parseImageIndex, type ImageIndex } from '../../../src/images/oci-index.js';
import { DEFAULT_PLATFORM, platformFromRuntime } from '../../../src/images/platform.js';
import { RepositorySnapshot } from '../../../src/images/repository-snapshot.js';

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const dig = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function ociFixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/aws/oci/${name}`, import.meta.url), 'utf8');
}

function index(body: string): ImageIndex {
  const parsed = parseImageIndex(body);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.index;
}

function use(image: string, extra: Partial<ImageToCheck> = {}): ImageToCheck {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return { ref: parsed.ref, platform: DEFAULT_PLATFORM, ...extra };
}

const active = { kind: 'present', state: 'active', isIndex: false } as const;
const activeIndex = { kind: 'present', state: 'active', isIndex: true } as const;

describe('classifying an image use', () => {
  it('is available when the pinned digest is present', () => {
    const s = new RepositorySnapshot();
    s.setDigest(dig(1), active);
    s.setTag('v42', { kind: 'present', digest: dig(1) });
    const result = classifyImage(use(`${REPO}:v42`, { pinnedDigest: dig(1) }), s);
    expect(result).toMatchObject({ status: 'available', via: 'pinned', digest: dig(1), tag: { kind: 'same', digest: dig(1) } });
  });

  it('is missing when the tag is present but the pinned digest is gone — and knows the tag moved to a usable image', () => {
    const s = new RepositorySnapshot();
    s.setDigest(dig(1), { kind: 'absent' });
    s.setDigest(dig(2), active);
    s.setTag('v42', { kind: 'present', digest: dig(2) });
    const result = classifyImage(use(`${REPO}:v42`, { pinnedDigest: dig(1) }), s);
    expect(result).toMatchObject({ status: 'missing', reason: 'pinned-digest-gone', tag: { kind: 'moved', digest: dig(2), usable: true } });
    expect(result.detail).toBe(`pinned digest ${dig(1).slice(0, 19)}… is gone from repo web`);
  });

  it('is missing with the tag gone too when nothing is left to redeploy to', () => {
    const s = new RepositorySnapshot();
    s.markComplete();
    const result = classifyImage(use(`${REPO}:v42`, { pinnedDigest: dig(1) }), s);
    expect(result).toMatchObject({ status: 'missing', reason: 'pinned-digest-gone', tag: { kind: 'absent' } });
  });

  it('checks the tag when the deployment did not pin (versionConsistency disabled)', () => {
    const s = new RepositorySnapshot();
    s.setTag('latest', { kind: 'absent' });
    expect(classifyImage(use(REPO), s)).toMatchObject({ status: 'missing', reason: 'tag-not-found', via: 'tag' });
    s.setTag('latest', { kind: 'present', digest: dig(3) });
    s.setDigest(dig(3), active);
    expect(classifyImage(use(REPO), s)).toMatchObject({ status: 'available', via: 'tag', digest: dig(3) });
  });

  it('treats an ARCHIVED image as missing (restore it) and an ACTIVATING one as not pullable yet', () => {
    const s = new RepositorySnapshot();
    s.setDigest(dig(1), { kind: 'present', state: 'archived', isIndex: false });
    s.setDigest(dig(2), { kind: 'present', state: 'restoring', isIndex: false });
    expect(classifyImage(use(`${REPO}@${dig(1)}`), s)).toMatchObject({ status: 'missing', reason: 'archived', via: 'digest' });
    expect(classifyImage(use(`${REPO}@${dig(2)}`), s)).toMatchObject({ status: 'missing', reason: 'restoring' });
  });

  it('finds the linux/amd64 child of an index and reports it missing when it is gone', () => {
    const idx = index(ociFixture('oci-image-index.example.json'));
    const amd64 = '5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270';
    const s = new RepositorySnapshot();
    s.setDigest(dig(9), activeIndex);
    s.setIndex(dig(9), idx);
    s.setDigest(`sha256:${amd64}`, active);
    expect(classifyImage(use(`${REPO}:multi`, { pinnedDigest: dig(9) }), s)).toMatchObject({ status: 'available', platformDigest: `sha256:${amd64}` });

    s.setDigest(`sha256:${amd64}`, { kind: 'absent' });
    const gone = classifyImage(use(`${REPO}:multi`, { pinnedDigest: dig(9) }), s);
    expect(gone).toMatchObject({ status: 'missing', reason: 'platform-child-missing', platformDigest: `sha256:${amd64}` });
    expect(gone.detail).toMatch(/multi-arch index whose linux\/amd64 image sha256:5b0bcabd1ed2… is gone/);
  });

  it('reports an arm64-only image on an x86 task as having no such platform, ignoring the attestation manifest', () => {
    const armOnly = ociFixture('buildkit-attestation-image-index.example.json').replace('"architecture": "amd64"', '"architecture": "arm64"');
    const s = new RepositorySnapshot();
    s.setDigest(dig(9), activeIndex);
    s.setIndex(dig(9), index(armOnly));
    s.setDigest('sha256:23678f31b3b3586c4fb318aecfe64a96a1f0916ba8faf9b2be2abee63fa9e827', active);
    const x86 = classifyImage(use(`${REPO}:arm`, { pinnedDigest: dig(9), platform: platformFromRuntime({ cpuArchitecture: 'X86_64' }) }), s);
    expect(x86).toMatchObject({ status: 'missing', reason: 'no-such-platform' });
    expect(x86.detail).toMatch(/has no linux\/amd64 image \(it offers linux\/arm64\)/);
    const arm = classifyImage(use(`${REPO}:arm`, { pinnedDigest: dig(9), platform: platformFromRuntime({ cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' }) }), s);
    expect(arm.status).toBe('available');
  });

  it('follows a nested index to the platform child', () => {
    const outer = index(ociFixture('oci-image-index-nested.example.json'));
    const inner = index(ociFixture('oci-image-index.example.json'));
    const s = new RepositorySnapshot();
    s.setDigest(dig(9), activeIndex);
    s.setIndex(dig(9), outer);
    s.setIndex('sha256:601570aaff1b68a61eb9c85b8beca1644e698003e0cdb5bce960f193d265a8b7', inner);
    s.setDigest('sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270', active);
    expect(classifyImage(use(`${REPO}@${dig(9)}`), s)).toMatchObject({ status: 'available' });
  });

  it('is unknown — never available — when access was denied, ECR gave an unclassified failure, or nothing was looked up', () => {
    const denied = new RepositorySnapshot();
    denied.markRepositoryUnknown('Lifeboat is not allowed ecr:DescribeImages on arn:aws:ecr:us-east-1:123456789012:repository/web');
    expect(classifyImage(use(`${REPO}:v1`, { pinnedDigest: dig(1) }), denied)).toMatchObject({ status: 'unknown' });

    const mismatch = new RepositorySnapshot();
    mismatch.setDigest(dig(1), { kind: 'unknown', detail: 'ECR answered ImageTagDoesNotMatchDigest' });
    expect(classifyImage(use(`${REPO}:v1@${dig(1)}`), mismatch).status).toBe('unknown');

    expect(classifyImage(use(`${REPO}:v1`), new RepositorySnapshot()).status).toBe('unknown');

    const indexNotFetched = new RepositorySnapshot();
    indexNotFetched.setDigest(dig(9), activeIndex);
    expect(classifyImage(use(`${REPO}@${dig(9)}`), indexNotFetched).status).toBe('unknown');
  });

  it('pulls by digest when a reference names tag and digest, noting where the tag moved', () => {
    const s = new RepositorySnapshot();
    s.setDigest(dig(1), active);
    s.setDigest(dig(2), active);
    s.setTag('v1', { kind: 'present', digest: dig(2) });
    expect(classifyImage(use(`${REPO}:v1@${dig(1)}`), s)).toMatchObject({ status: 'available', via: 'digest', digest: dig(1), tag: { kind: 'moved', digest: dig(2) } });
  });

  it('says so when the repository itself is gone', () => {
    const s = new RepositorySnapshot();
    s.markRepositoryMissing();
    expect(classifyImage(use(`${REPO}:v1`, { pinnedDigest: dig(1) }), s)).toMatchObject({ status: 'missing', reason: 'repository-not-found', detail: 'repo web does not exist' });
  });
});
