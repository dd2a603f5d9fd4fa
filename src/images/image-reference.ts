/**
 * Container image references as ECS task definitions spell them, parsed into where the image lives
 * (which registry, and for ECR which account, Region and partition) and what is asked for (tag,
 * digest, or both). Pure: no I/O.
 *
 * Grammar follows the distribution reference rules Docker and ECS use: the first path component is
 * a registry host only if it contains `.` or `:` or is `localhost`; otherwise the image is on Docker
 * Hub, where a one-component name means `library/<name>`. With neither tag nor digest the tag
 * `latest` is implied, exactly as `docker pull` and the ECS agent do.
 */

/** Where an image is stored; decides how Lifeboat can check it. */
export type Registry =
  | {
      kind: 'ecr-private';
      host: string;
      /** 12-digit registry id (the account that owns the repository). */
      account: string;
      region: string;
      partition: 'aws' | 'aws-cn' | 'aws-us-gov';
      fips: boolean;
    }
  | { kind: 'ecr-public'; host: 'public.ecr.aws' }
  | { kind: 'docker-hub'; host: 'registry-1.docker.io' }
  | { kind: 'ghcr'; host: 'ghcr.io' }
  | { kind: 'oci'; host: string };

/** `ecr-private` | `ecr-public` | `docker-hub` | `ghcr` | `oci`. */
export type RegistryKind = Registry['kind'];

/** A parsed image reference. */
export interface ImageReference {
  /** The string exactly as it appeared in the task definition. */
  raw: string;
  registry: Registry;
  /** Repository path inside the registry, e.g. `team/web` or `library/nginx`. */
  repository: string;
  /** Tag; `latest` when the reference names neither a tag nor a digest (see `tagImplied`). */
  tag?: string;
  tagImplied: boolean;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  digest?: string;
}

/** A parsed reference, or the reason it is not one. */
export type ParseImageResult = { ok: true; ref: ImageReference } | { ok: false; error: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
// Hostname labels, optionally followed by a port; IPv6 literals are not used for registries ECS pulls from.
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$/;
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
const ECR_HOST = /^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(\.cn)?$/;
// Dual-stack endpoint: <account>.dkr-ecr.<region>.on.aws
const ECR_DUALSTACK_HOST = /^([0-9]{12})\.dkr-ecr\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.on\.aws$/;
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** ECS limits the image field to 255 characters (for a digest reference, the part before `@`). */
const MAX_NAME_LENGTH = 255;

/** Is this a well-formed `sha256:<64 lowercase hex>` digest? */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** Parse an image reference; the error says what is wrong in words a person can act on. */
export function parseImageReference(input: string): ParseImageResult {
  const raw = input;
  const text = input.trim();
  if (text === '') return fail('the image reference is empty');
  if (/\s/.test(text)) return fail(`"${raw}" contains whitespace`);

  let name = text;
  let digest: string | undefined;
  const at = text.indexOf('@');
  if (at >= 0) {
    digest = text.slice(at + 1);
    name = text.slice(0, at);
    if (!DIGEST.test(digest)) {
      return fail(`"${raw}" has a malformed digest "${digest}": expected sha256: followed by 64 lowercase hex characters`);
    }
  }
  if (name.length > MAX_NAME_LENGTH) return fail(`"${raw}" is longer than ${MAX_NAME_LENGTH} characters`);

  // The tag is after the last ':' of the last path component, so a registry port never reads as a tag.
  let tag: string | undefined;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) return fail(`"${raw}" has an invalid tag "${tag}"`);
  }

  const parts = name.split('/');
  const first = parts[0] ?? '';
  let host: string | undefined;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = first;
    parts.shift();
  }
  if (host !== undefined && !HOST.test(host)) return fail(`"${raw}" has an invalid registry host "${host}"`);
  if (parts.length === 0 || parts.some((p) => p === '')) return fail(`"${raw}" has an empty repository path component`);
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) {
      const hint = /[A-Z]/.test(part) ? ' (repository names must be lowercase)' : '';
      return fail(`"${raw}" has an invalid repository path component "${part}"${hint}`);
    }
  }

  const registry = classifyHost(host);
  let repository = parts.join('/');
  if (registry.kind === 'docker-hub' && parts.length === 1) repository = `library/${repository}`;
  if (registry.kind === 'ecr-public' && parts.length < 2) {
    return fail(`"${raw}" names no registry alias: ECR Public images look like public.ecr.aws/<alias>/<name>`);
  }

  const tagImplied = tag === undefined && digest === undefined;
  const ref: ImageReference = { raw, registry, repository, tagImplied };
  if (tagImplied) ref.tag = 'latest';
  else if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

function fail(error: string): ParseImageResult {
  return { ok: false, error };
}

function classifyHost(host: string | undefined): Registry {
  if (host === undefined) return { kind: 'docker-hub', host: 'registry-1.docker.io' };
  const lower = host.toLowerCase();
  if (DOCKER_HUB_HOSTS.has(lower)) return { kind: 'docker-hub', host: 'registry-1.docker.io' };
  if (lower === 'public.ecr.aws') return { kind: 'ecr-public', host: 'public.ecr.aws' };
  if (lower === 'ghcr.io') return { kind: 'ghcr', host: 'ghcr.io' };
  const ecr = ECR_HOST.exec(lower);
  if (ecr) {
    const [, account = '', fips, region = '', cn] = ecr;
    const partition = partitionOf(region);
    // A China Region only exists under .amazonaws.com.cn and vice versa; anything else is some other host.
    if ((partition === 'aws-cn') === (cn !== undefined)) {
      return { kind: 'ecr-private', host: lower, account, region, partition, fips: fips !== undefined };
    }
  }
  const dual = ECR_DUALSTACK_HOST.exec(lower);
  if (dual) {
    const [, account = '', region = ''] = dual;
    return { kind: 'ecr-private', host: lower, account, region, partition: partitionOf(region), fips: false };
  }
  return { kind: 'oci', host: lower };
}

/** The AWS partition a Region belongs to. */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Short human name: `web:v42`, `web@sha256:0123abcd…`, `library/nginx:latest`. */
export function displayName(ref: ImageReference): string {
  const base = ref.registry.kind === 'docker-hub' ? ref.repository.replace(/^library\//, '') : ref.repository;
  if (ref.tag !== undefined && !ref.tagImplied) return `${base}:${ref.tag}`;
  if (ref.digest !== undefined) return `${base}@${shortDigest(ref.digest)}`;
  return `${base}:${ref.tag ?? 'latest'}`;
}

/** `sha256:0123456789ab…` — enough to recognise, short enough for chat. */
export function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

/** The canonical full reference: host/repository[:tag][@digest]. */
export function canonicalReference(ref: ImageReference): string {
  let text = `${ref.registry.host}/${ref.repository}`;
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** Stable key of the repository an image lives in (registry host + path). */
export function repositoryKey(ref: ImageReference): string {
  return `${ref.registry.host}/${ref.repository}`;
}
