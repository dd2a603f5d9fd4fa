import { describe, expect, it } from 'vitest';
import type { PullFailureClass } from '../../../src/intake/alert.js';
import { classifyPullFailure, type PullFailureStage } from '../../../src/intake/ecs/pull-failure.js';
import { fixture } from './fixtures.js';

interface CorpusReason {
  category: string;
  text: string;
  source: string;
}

const corpus = fixture<{ reasons: CorpusReason[] }>('ecs/cannotpull-stopped-reasons.json').reasons;

/**
 * The expected class of every entry of corpus ecs/cannotpull-stopped-reasons.json, in file order,
 * with why (from the entry's text, category and source notes).
 */
const EXPECTED: { starts: string; class: PullFailureClass; stage: PullFailureStage; why: string }[] = [
  { starts: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref', class: 'image-not-found', stage: 'image-pull', why: 'AWS: the pinned digest/tag no longer exists' },
  { starts: 'CannotPullContainerError: API error (404): repository', class: 'image-not-found', stage: 'image-pull', why: '404 repository not found' },
  { starts: 'CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor', class: 'platform-mismatch', stage: 'image-pull', why: 'arm64-only image on x86_64' },
  { starts: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/tryretool', class: 'registry-unreachable', stage: 'image-pull', why: 'dial tcp … i/o timeout (no public IP / route)' },
  { starts: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/latest', class: 'registry-unreachable', stage: 'image-pull', why: 'dial tcp … i/o timeout' },
  { starts: 'CannotPullContainerError: API error (500): Get https://111122223333.dkr.ecr', class: 'registry-unreachable', stage: 'image-pull', why: 'request canceled while waiting for connection (no NAT/public IP)' },
  { starts: "The task cannot pull 'image-name' from the Amazon ECR repository", class: 'registry-unreachable', stage: 'image-pull', why: 'agent text: connection issue between the task and ECR' },
  { starts: "The task can't pull the image. Check your network configuration", class: 'registry-unreachable', stage: 'image-pull', why: 'agent text: network configuration' },
  { starts: 'ResourceInitializationError: unable to pull secrets or registry auth', class: 'registry-unreachable', stage: 'resource-initialization', why: 'registry-auth fetch timed out (corpus category network_timeout_nat_or_endpoint)' },
  { starts: "The task can't pull the image. Check that the role has the permissions", class: 'access-denied', stage: 'image-pull', why: 'execution/instance role lacks pull permissions' },
  { starts: 'pull access denied', class: 'access-denied', stage: 'image-pull', why: 'registry refused the credentials' },
  { starts: '(deployment ecs-svc/9876543210987) Failed to start task', class: 'access-denied', stage: 'image-pull', why: 'service event text: pull access denied for …' },
  { starts: 'ERROR: toomanyrequests: Too Many Requests.', class: 'rate-limited', stage: 'image-pull', why: 'Docker Hub rate limit' },
  { starts: 'You have reached your pull rate limit.', class: 'rate-limited', stage: 'image-pull', why: 'Docker Hub rate limit' },
  { starts: 'CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy', class: 'other', stage: 'image-pull', why: 'failed to copy with no status code: cause undetermined' },
  { starts: 'CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image', class: 'other', stage: 'image-pull', why: 'in-toto attestation manifest pulled as an image: the image exists but is not runnable' },
  { starts: 'pull command failed: panic: runtime error', class: 'registry-unreachable', stage: 'image-pull', why: 'AWS: missing route / S3 gateway endpoint to layer storage' },
  { starts: 'error pulling image configuration', class: 'other', stage: 'image-pull', why: 'AWS: rate limit or network error — ambiguous' },
];

describe('classifyPullFailure', () => {
  it('has an expectation for every corpus entry, in order', () => {
    expect(EXPECTED).toHaveLength(corpus.length);
    corpus.forEach((entry, i) => expect(entry.text.startsWith(EXPECTED[i]!.starts), `entry ${i}: ${entry.text}`).toBe(true));
  });

  it.each(corpus.map((entry, i) => ({ i, entry, expected: EXPECTED[i]! })))(
    'corpus entry $i ($entry.category) → $expected.class',
    ({ entry, expected }) => {
      expect(classifyPullFailure(entry.text)).toEqual({ class: expected.class, stage: expected.stage });
    },
  );

  it.each([
    ['Essential container in task exited', 'a crash after start'],
    ['Scaling activity initiated by (deployment ecs-svc/123)', 'scale-in'],
    ['Task stopped by user', 'a user stop'],
    ['CannotStartContainerError: Error response from daemon: OCI runtime create failed', 'a start (not pull) error'],
    [undefined, 'no text'],
  ])('is undefined for %s (%s)', (text, _why) => {
    expect(classifyPullFailure(text)).toBeUndefined();
  });

  it.each<[string, PullFailureClass]>([
    ['CannotPullContainerError: failed to resolve ref ghcr.io/acme/web:1.2@sha256:abc: ghcr.io/acme/web@sha256:abc: manifest unknown', 'image-not-found'],
    ['CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref x: unexpected status code 401 Unauthorized', 'access-denied'],
    ['CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed open: unexpected status code https://x/v2/y/blobs/sha256:1: 403 Forbidden', 'access-denied'],
    ['CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed open: unexpected status code https://x/v2/y/blobs/sha256:1: 429 Too Many Requests', 'rate-limited'],
    ['CannotPullContainerError: no matching manifest for linux/arm64/v8 in the manifest list entries', 'platform-mismatch'],
    ['CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob123: no space left on device', 'other'],
  ])('classifies other real-world shapes: %s → %s', (text, expected) => {
    expect(classifyPullFailure(text)?.class).toBe(expected);
  });

  it('treats a secrets fetch failure as other/resource-initialization, not access-denied', () => {
    const text =
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: not authorized to perform: secretsmanager:GetSecretValue';
    expect(classifyPullFailure(text)).toEqual({ class: 'other', stage: 'resource-initialization' });
  });

  it('treats a registry-auth permission failure as access-denied', () => {
    const text =
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User is not authorized to perform: ecr:GetAuthorizationToken';
    expect(classifyPullFailure(text)).toEqual({ class: 'access-denied', stage: 'resource-initialization' });
  });
});
