import { describe, expect, it } from 'vitest';
import {
  awsSettingsSchema,
  imagesSettingsSchema,
  registriesSettingsSchema,
  resolveRegistryCredentials,
  retentionWarningHosts,
} from '../../../src/images/settings.js';

const ROLE = 'arn:aws:iam::111111111111:role/lifeboat-read-only';
const issues = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('aws.targets settings', () => {
  it('accepts targets with and without a role, and defaults to none', () => {
    const parsed = awsSettingsSchema.parse({
      targets: [
        { account: '111111111111', region: 'eu-west-1', roleArn: ROLE, externalId: 'lifeboat-prod', name: 'prod' },
        { account: '222222222222', region: 'us-east-1' },
      ],
    });
    expect(parsed.targets).toHaveLength(2);
    expect(awsSettingsSchema.parse({})).toEqual({ targets: [] });
  });

  it('explains an unquoted account id, an external id without a role, and a role in another account', () => {
    const result = awsSettingsSchema.safeParse({
      targets: [
        { account: 111111111111, region: 'eu-west-1' },
        { account: '222222222222', region: 'eu-west-1', externalId: 'x-123' },
        { account: '333333333333', region: 'eu-west-1', roleArn: ROLE },
        { account: '111111111111', region: 'cn-north-1', roleArn: ROLE },
      ],
    });
    expect(issues(result)).toEqual([
      'targets.0.account: Invalid input: expected string, received number',
      'targets.1.externalId: only means something with roleArn (it is sent when assuming the role)',
      "targets.2.roleArn: is a role in account 111111111111, but the target is account 333333333333: Lifeboat would scan the role's account",
      'targets.3.roleArn: is in partition aws, but region cn-north-1 is in aws-cn',
    ]);
  });

  it('refuses the same account and Region twice, and unknown keys', () => {
    const result = awsSettingsSchema.safeParse({
      targets: [
        { account: '111111111111', region: 'eu-west-1' },
        { account: '111111111111', region: 'eu-west-1', name: 'again' },
      ],
    });
    expect(issues(result)).toEqual(['targets.1: repeats account 111111111111 in eu-west-1 (already targets[0])']);
    expect(awsSettingsSchema.safeParse({ targets: [{ account: '111111111111', region: 'eu-west-1', secretAccessKey: 'x' }] }).success).toBe(false);
  });
});

describe('registries settings', () => {
  it('names environment variables, never secrets, and keys Docker Hub by the host references resolve to', () => {
    const parsed = registriesSettingsSchema.parse({ 'ghcr.io': { usernameEnv: 'GHCR_USERNAME', passwordEnv: 'GHCR_TOKEN' }, 'docker.io': { usernameEnv: 'HUB_USER', passwordEnv: 'HUB_TOKEN' } });
    expect(Object.keys(parsed).sort()).toEqual(['ghcr.io', 'registry-1.docker.io']);
    expect(registriesSettingsSchema.safeParse({ 'ghcr.io': { username: 'bot', password: 'ghp_secret' } }).success).toBe(false);
    expect(issues(registriesSettingsSchema.safeParse({ '123456789012.dkr.ecr.eu-west-1.amazonaws.com': { usernameEnv: 'A', passwordEnv: 'B' } }))).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com: is a private ECR registry: Lifeboat reads it with its AWS credentials, not a password',
    ]);
  });

  it('resolves logins from the environment, warns when both are unset and fails when only one is', () => {
    const registries = registriesSettingsSchema.parse({
      'ghcr.io': { usernameEnv: 'GHCR_USERNAME', passwordEnv: 'GHCR_TOKEN' },
      'quay.io': { usernameEnv: 'QUAY_USER', passwordEnv: 'QUAY_TOKEN' },
      'registry.example.com:5000': { usernameEnv: 'REG_USER', passwordEnv: 'REG_TOKEN' },
    });
    const { credentials, hosts, problems } = resolveRegistryCredentials(registries, { GHCR_USERNAME: 'bot', GHCR_TOKEN: 'ghp_x', REG_USER: 'ci' });
    expect(credentials('GHCR.io')).toEqual({ username: 'bot', password: 'ghp_x' });
    expect(credentials('quay.io')).toBeUndefined();
    expect(hosts).toEqual(['ghcr.io']);
    expect(problems).toEqual([
      { where: 'lifeboat.yaml: registries.quay.io', message: 'names QUAY_USER and QUAY_TOKEN, which are both unset: quay.io is read anonymously', critical: false },
      { where: 'lifeboat.yaml: registries.registry.example.com:5000', message: 'needs REG_TOKEN too (only one of username and password is set)', critical: true },
    ]);
    expect(JSON.stringify(problems)).not.toContain('ghp_x');
  });
});

describe('images settings', () => {
  it('has defaults, and warns about retention on GHCR and the configured registries unless told otherwise', () => {
    const images = imagesSettingsSchema.parse({});
    expect(images).toEqual({ guardEveryMinutes: 15, horizonDays: 14, burstMargin: 10, lifecyclePreview: false, previewTimeoutSeconds: 100 });
    const registries = registriesSettingsSchema.parse({ 'registry.example.com': { usernameEnv: 'A', passwordEnv: 'B' } });
    expect([...retentionWarningHosts(images, registries)]).toEqual(['ghcr.io', 'registry.example.com']);
    expect([...retentionWarningHosts(imagesSettingsSchema.parse({ retentionWarningHosts: ['docker.io'] }), registries)]).toEqual(['registry-1.docker.io']);
  });
});
