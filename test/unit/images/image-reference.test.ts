import { describe, expect, it } from 'vitest';
import {
  canonicalReference,
  displayName,
  parseImageReference,
  type ImageReference,
  type Registry,
} from '../../../src/images/image-reference.js';

const D = `sha256:${'a'.repeat(64)}`;

type Expected = { registry: Partial<Registry> & { kind: Registry['kind'] }; repository: string; tag?: string; digest?: string; tagImplied?: boolean };

const valid: [string, Expected][] = [
  // ECR private, commercial, China, GovCloud, FIPS, dual-stack
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v42', { registry: { kind: 'ecr-private', account: '123456789012', region: 'us-east-1', partition: 'aws', fips: false }, repository: 'web', tag: 'v42' }],
  ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api/worker:1.2.3', { registry: { kind: 'ecr-private', region: 'eu-west-1' }, repository: 'team/api/worker', tag: '1.2.3' }],
  ['210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/web:prod', { registry: { kind: 'ecr-private', account: '210987654321', region: 'cn-north-1', partition: 'aws-cn' }, repository: 'web', tag: 'prod' }],
  ['123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/web:prod', { registry: { kind: 'ecr-private', region: 'us-gov-west-1', partition: 'aws-us-gov' }, repository: 'web', tag: 'prod' }],
  ['123456789012.dkr.ecr-fips.us-east-2.amazonaws.com/web:prod', { registry: { kind: 'ecr-private', region: 'us-east-2', fips: true }, repository: 'web', tag: 'prod' }],
  ['123456789012.dkr-ecr.ap-southeast-2.on.aws/web:prod', { registry: { kind: 'ecr-private', region: 'ap-southeast-2' }, repository: 'web', tag: 'prod' }],
  [`123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${D}`, { registry: { kind: 'ecr-private' }, repository: 'web', digest: D }],
  [`123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v42@${D}`, { registry: { kind: 'ecr-private' }, repository: 'web', tag: 'v42', digest: D }],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/web', { registry: { kind: 'ecr-private' }, repository: 'web', tag: 'latest', tagImplied: true }],
  // ECR Public
  ['public.ecr.aws/nginx/nginx:1.27', { registry: { kind: 'ecr-public', host: 'public.ecr.aws' }, repository: 'nginx/nginx', tag: '1.27' }],
  ['public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0', { registry: { kind: 'ecr-public' }, repository: 'aws-observability/aws-otel-collector', tag: 'v0.40.0' }],
  // Docker Hub: short names, library/, docker.io, registry-1.docker.io
  ['nginx', { registry: { kind: 'docker-hub', host: 'registry-1.docker.io' }, repository: 'library/nginx', tag: 'latest', tagImplied: true }],
  ['nginx:1.27-alpine', { registry: { kind: 'docker-hub' }, repository: 'library/nginx', tag: '1.27-alpine' }],
  ['library/nginx:stable', { registry: { kind: 'docker-hub' }, repository: 'library/nginx', tag: 'stable' }],
  ['amazon/amazon-ecs-agent:latest', { registry: { kind: 'docker-hub' }, repository: 'amazon/amazon-ecs-agent', tag: 'latest', tagImplied: false }],
  ['docker.io/library/redis:7', { registry: { kind: 'docker-hub' }, repository: 'library/redis', tag: '7' }],
  ['docker.io/redis:7', { registry: { kind: 'docker-hub' }, repository: 'library/redis', tag: '7' }],
  ['registry-1.docker.io/grafana/grafana:11.0.0', { registry: { kind: 'docker-hub' }, repository: 'grafana/grafana', tag: '11.0.0' }],
  [`ubuntu@${D}`, { registry: { kind: 'docker-hub' }, repository: 'library/ubuntu', digest: D }],
  // GHCR
  ['ghcr.io/siemens/kas/kas:2.6', { registry: { kind: 'ghcr', host: 'ghcr.io' }, repository: 'siemens/kas/kas', tag: '2.6' }],
  // Other OCI registries: a dot, a port, or localhost
  ['quay.io/assemblyline/ubuntu', { registry: { kind: 'oci', host: 'quay.io' }, repository: 'assemblyline/ubuntu', tag: 'latest', tagImplied: true }],
  ['registry.example.com:5000/team/app:1.0', { registry: { kind: 'oci', host: 'registry.example.com:5000' }, repository: 'team/app', tag: '1.0' }],
  ['localhost:5000/app:dev', { registry: { kind: 'oci', host: 'localhost:5000' }, repository: 'app', tag: 'dev' }],
  ['localhost/app', { registry: { kind: 'oci', host: 'localhost' }, repository: 'app', tag: 'latest', tagImplied: true }],
  [`myregistry:5000/a/b/c@${D}`, { registry: { kind: 'oci', host: 'myregistry:5000' }, repository: 'a/b/c', digest: D }],
  // Looks like ECR but is not an AWS endpoint (China Region on .com): treated as an ordinary registry
  ['123456789012.dkr.ecr.cn-north-1.amazonaws.com/web:v1', { registry: { kind: 'oci' }, repository: 'web', tag: 'v1' }],
  // Separators allowed in repository components
  ['ghcr.io/org/my_app__x.y-z:v_1.0-rc', { registry: { kind: 'ghcr' }, repository: 'org/my_app__x.y-z', tag: 'v_1.0-rc' }],
];

const invalid: [string, RegExp][] = [
  ['', /empty/],
  ['   ', /empty/],
  ['nginx latest', /whitespace/],
  ['Nginx', /lowercase/],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com/Web:v1', /lowercase/],
  ['ghcr.io/Org/app:1', /lowercase/],
  ['web@sha256:abc', /malformed digest/],
  [`web@sha256:${'A'.repeat(64)}`, /malformed digest/],
  [`web@sha512:${'a'.repeat(128)}`, /malformed digest/],
  [`web@${'a'.repeat(64)}`, /malformed digest/],
  [`web@sha256:${'a'.repeat(63)}`, /malformed digest/],
  ['web:', /invalid tag/],
  ['web:-bad', /invalid tag/],
  [`web:${'t'.repeat(129)}`, /invalid tag/],
  ['web:a/b', /invalid registry host/],
  ['ghcr.io//app', /empty repository path/],
  ['ghcr.io/app/', /empty repository path/],
  ['web..x', /invalid repository path/],
  ['-web', /invalid repository path/],
  ['public.ecr.aws/nginx', /registry alias/],
  [`r.example.com/${'a'.repeat(260)}`, /longer than 255/],
];

describe('parseImageReference', () => {
  it.each(valid)('parses %s', (input, expected) => {
    const result = parseImageReference(input);
    if (!result.ok) throw new Error(result.error);
    const ref: ImageReference = result.ref;
    expect(ref.raw).toBe(input);
    expect(ref.registry).toMatchObject(expected.registry);
    expect(ref.repository).toBe(expected.repository);
    expect(ref.tag).toBe(expected.tag);
    expect(ref.digest).toBe(expected.digest);
    expect(ref.tagImplied).toBe(expected.tagImplied ?? false);
  });

  it.each(invalid)('rejects %j', (input, message) => {
    const result = parseImageReference(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('applies the 255-character limit only to the part before the digest', () => {
    const name = `r.example.com/${'a'.repeat(230)}`;
    expect(parseImageReference(`${name}@${D}`).ok).toBe(true);
  });
});

describe('names for people and keys', () => {
  it('shows a short name and a canonical full reference', () => {
    const parsed = parseImageReference(`123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:v42@${D}`);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(displayName(parsed.ref)).toBe('team/web:v42');
    expect(canonicalReference(parsed.ref)).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:v42@${D}`);
    const hub = parseImageReference('nginx');
    if (!hub.ok) throw new Error(hub.error);
    expect(displayName(hub.ref)).toBe('nginx:latest');
    expect(canonicalReference(hub.ref)).toBe('registry-1.docker.io/library/nginx:latest');
    const pinned = parseImageReference(`ghcr.io/o/app@${D}`);
    if (!pinned.ok) throw new Error(pinned.error);
    expect(displayName(pinned.ref)).toBe(`o/app@sha256:aaaaaaaaaaaa…`);
  });
});
