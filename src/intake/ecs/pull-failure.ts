/**
 * Classifies why an ECS task could not pull its image, from `stoppedReason` or
 * `containers[].reason`. Built from the real strings in corpus `ecs/cannotpull-stopped-reasons.json`
 * (every entry there is a test case).
 *
 * Rules are tried in order; the order matters because messages nest causes:
 * 1. rate-limited — `toomanyrequests`, "pull rate limit", HTTP 429 (Docker Hub anonymous limits).
 * 2. registry-unreachable — network signatures (`i/o timeout`, `dial tcp`, "request canceled while
 *    waiting for connection", "connection issue", "network configuration", the S3-gateway
 *    `pull command failed: panic`). Checked before "not found" because a timeout is reported as
 *    "failed to resolve ref …: i/o timeout".
 * 3. access-denied — "access denied", "not authorized", 401/403, "permissions to pull". Before
 *    "not found" because Docker Hub says "pull access denied … repository does not exist" for both.
 * 4. platform-mismatch — "does not contain descriptor matching platform" (arm64-only image on
 *    x86_64), "no matching manifest".
 * 5. image-not-found — "not found", "manifest unknown", "failed to resolve ref", HTTP 404.
 * 6. other — anything else that is still a pull failure (attestation manifest pulled as an image,
 *    disk full, `failed to copy` without a status, "error pulling image configuration" which AWS
 *    says is either rate limiting or network).
 *
 * `ResourceInitializationError` happens before the pull (fetching registry auth or secrets). It is
 * classified by the same network and access rules when they match the *registry auth* fetch;
 * secrets that cannot be fetched are `other` (stage `resource-initialization`), since the image
 * itself is not the problem.
 */
import type { PullFailureClass } from '../alert.js';

/** Where the pull broke: at the image pull itself, or fetching registry auth / secrets before it. */
export type PullFailureStage = 'image-pull' | 'resource-initialization';

export interface PullFailure {
  class: PullFailureClass;
  stage: PullFailureStage;
}

const LOOKS_LIKE_PULL_FAILURE =
  /CannotPullContainerError|ResourceInitializationError|can(?:no|[’']|)t pull|pull (?:access denied|image|command failed|rate limit)|pulling image|image configuration|toomanyrequests|failed to resolve ref|manifest unknown|ref pull has been retried/i;

const RULES: readonly { class: Exclude<PullFailureClass, 'other'>; pattern: RegExp }[] = [
  { class: 'rate-limited', pattern: /toomanyrequests|too many requests|pull rate limit|rate exceeded|\b429\b/i },
  {
    class: 'registry-unreachable',
    pattern:
      /i\/o timeout|dial tcp|no such host|no route to host|connection (?:refused|reset|issue)|request canceled while waiting for connection|context deadline exceeded|TLS handshake timeout|network configuration|pull command failed: panic/i,
  },
  {
    class: 'access-denied',
    pattern: /access denied|accessdenied|not authori[sz]ed|unauthori[sz]ed|\b40[13]\b|forbidden|no basic auth credentials|permissions? to pull/i,
  },
  { class: 'platform-mismatch', pattern: /descriptor matching platform|no matching manifest|platform .{0,40}does not match/i },
  { class: 'image-not-found', pattern: /not found|manifest unknown|name unknown|failed to resolve ref|does not exist|\b404\b/i },
];

// ResourceInitializationError covers both registry auth and secrets; only the former is a pull.
const REGISTRY_AUTH = /registry auth from Amazon ECR|ecr registry auth|GetAuthorizationToken/i;
const SECRETS = /\bsecrets?\b|\basm\b|\bssm\b|secretsmanager|parameter store/i;

/** `undefined` when the text is not an image-pull (or pre-pull) failure at all. */
export function classifyPullFailure(text: string | undefined): PullFailure | undefined {
  if (!text || !LOOKS_LIKE_PULL_FAILURE.test(text)) return undefined;
  if (/ResourceInitializationError/i.test(text)) return { class: classifyResourceInit(text), stage: 'resource-initialization' };
  const rule = RULES.find((r) => r.pattern.test(text));
  return { class: rule?.class ?? 'other', stage: 'image-pull' };
}

function classifyResourceInit(text: string): PullFailureClass {
  const rule = RULES.find((r) => r.pattern.test(text));
  if (rule?.class === 'registry-unreachable' || rule?.class === 'rate-limited') return rule.class;
  if (rule?.class === 'access-denied' && REGISTRY_AUTH.test(text) && !SECRETS.test(text.replace(/unable to pull secrets or registry auth/i, ''))) {
    return 'access-denied';
  }
  return 'other';
}
