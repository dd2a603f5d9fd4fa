/**
 * The settings `check images` needs from `lifeboat.yaml`: which AWS accounts and Regions to scan
 * (and which role to assume in each), how to log in to other registries, and the scan's own knobs.
 * Pure: the schemas validate YAML, `resolveRegistryCredentials` looks the secrets up in the
 * environment it is given. Nothing here reads `process.env`.
 *
 * Secrets are never written in the YAML: a registry names the environment variables that hold its
 * username and password (a GHCR PAT, a Docker Hub access token).
 *
 * ```yaml
 * aws:
 *   targets:
 *     - account: "111111111111"          # quote it: YAML reads a leading-zero id as a number
 *       region: eu-west-1
 *       roleArn: arn:aws:iam::111111111111:role/lifeboat-read-only
 *       externalId: lifeboat-prod        # when the role's trust policy asks for one
 *       name: prod
 *     - account: "222222222222"          # no roleArn: Lifeboat's own credentials (default chain)
 *       region: us-east-1
 * registries:
 *   ghcr.io: { usernameEnv: GHCR_USERNAME, passwordEnv: GHCR_TOKEN }
 * images:
 *   horizonDays: 14
 *   lifecyclePreview: true
 * ```
 *
 * With no targets, Lifeboat scans one: the account of its own credentials (STS
 * `GetCallerIdentity`, asked once, when the first scan runs) in `AWS_REGION`.
 * Every key is listed in docs/images.md ("Configuration").
 */
import { z } from 'zod';
import { partitionOf } from './image-reference.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as GHCR_TOKEN');

/** One account and Region to scan, and how to get credentials for it. */
export const awsTargetSchema = z
  .object({
    /** The account whose ECS services are scanned (12 digits, quoted in YAML). */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id in quotes, such as "123456789012"'),
    region: z.string().regex(REGION, 'must be an AWS region such as eu-west-1'),
    /** Role Lifeboat assumes in `account`; without it Lifeboat's own credentials are used. */
    roleArn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/lifeboat-read-only').optional(),
    /** `sts:ExternalId` the role's trust policy requires (not a secret, but do not reuse it across customers). */
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2–1224 characters of letters, digits and + = , . @ : / - _')
      .optional(),
    /** A label for messages and logs, e.g. `prod`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a short label: letters, digits, _ . -')
      .optional(),
  })
  .strict()
  .superRefine((target, ctx) => {
    if (target.externalId !== undefined && target.roleArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'only means something with roleArn (it is sent when assuming the role)' });
    }
    const match = target.roleArn !== undefined ? ROLE_ARN.exec(target.roleArn) : null;
    if (match) {
      const [, partition, account] = match;
      if (account !== target.account) {
        ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `is a role in account ${account ?? '?'}, but the target is account ${target.account}: Lifeboat would scan the role's account` });
      }
      if (partition !== partitionOf(target.region)) {
        ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `is in partition ${partition ?? '?'}, but region ${target.region} is in ${partitionOf(target.region)}` });
      }
    }
  });

/** A validated target. */
export type AwsTarget = z.output<typeof awsTargetSchema>;

/** The `aws:` section of `lifeboat.yaml`. */
export const awsSettingsSchema = z
  .object({
    /** Accounts and Regions to scan. Empty: Lifeboat's own account in `AWS_REGION`. */
    targets: z.array(awsTargetSchema).max(500).default([]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Map<string, number>();
    settings.targets.forEach((t, i) => {
      const key = `${t.account}/${t.region}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['targets', i], message: `repeats account ${t.account} in ${t.region} (already targets[${first}])` });
      } else seen.set(key, i);
    });
  });

/** The validated `aws:` section. */
export type AwsSettings = z.output<typeof awsSettingsSchema>;

const HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;
/** Docker Hub is spelled several ways; image references resolve to this host. */
const DOCKER_HUB = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'hub.docker.com']);

/** How Lifeboat logs in to one registry: the variables holding the username and the password / token. */
export const registryLoginSchema = z
  .object({
    usernameEnv: envName,
    passwordEnv: envName,
  })
  .strict();

/**
 * The `registries:` section: login per registry host (`ghcr.io`, `docker.io`, `registry.example.com:5000`).
 * Hosts without an entry are read anonymously. Private ECR needs no entry: AWS credentials cover it.
 */
export const registriesSettingsSchema = z
  .record(z.string().regex(HOST, 'must be a registry host such as ghcr.io or registry.example.com:5000'), registryLoginSchema)
  .superRefine((registries, ctx) => {
    for (const host of Object.keys(registries)) {
      if (/\.dkr\.ecr(-fips)?\.|\.dkr-ecr\./.test(host)) {
        ctx.addIssue({ code: 'custom', path: [host], message: 'is a private ECR registry: Lifeboat reads it with its AWS credentials, not a password' });
      }
    }
  })
  .transform((registries) => {
    const normalised: Record<string, z.output<typeof registryLoginSchema>> = {};
    for (const [host, login] of Object.entries(registries)) normalised[normaliseRegistryHost(host)] = login;
    return normalised;
  })
  .default({});

/** The validated `registries:` section, keyed by the host image references resolve to. */
export type RegistriesSettings = z.output<typeof registriesSettingsSchema>;

/** The `images:` section: exposure horizon, lifecycle preview, retention warnings. */
export const imagesSettingsSchema = z
  .object({
    /**
     * The scheduled guard: every this many minutes a full `check images` runs (once across all
     * Lifeboat processes) and its findings open or resolve incidents. 0 turns it off.
     */
    guardEveryMinutes: z.number().int().min(0).max(24 * 60).default(15),
    /** A lifecycle rule due within this many days makes an image "at risk". */
    horizonDays: z.number().int().min(1).max(365).default(14),
    /** A count rule with an in-use image this many pushes or fewer from the cut is a trap. */
    burstMargin: z.number().int().min(0).max(1000).default(10),
    /**
     * Cross-check Lifeboat's lifecycle evaluation with ECR's own dry run
     * (`StartLifecyclePolicyPreview`) for repositories holding in-use images. Costs a few calls
     * and up to `previewTimeoutSeconds` per scan; disagreements are reported as notes.
     */
    lifecyclePreview: z.boolean().default(false),
    previewTimeoutSeconds: z.number().int().min(5).max(600).default(100),
    /**
     * Registries whose retention Lifeboat cannot see, where untagged children of an in-use
     * multi-arch image are worth a warning (a cleanup of "untagged versions" deletes them).
     * Default: GHCR plus every host under `registries:`.
     */
    retentionWarningHosts: z.array(z.string().regex(HOST, 'must be a registry host such as ghcr.io')).optional(),
  })
  .strict();

/** The validated `images:` section. */
export type ImagesSettings = z.output<typeof imagesSettingsSchema>;

/** Username and password for one registry host. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Same shape as the config loader's problems, so they can be merged into its list. */
export interface ImagesSettingsProblem {
  where: string;
  message: string;
  critical: boolean;
}

/**
 * Look the registry logins up in `env`. A host with neither variable set is read anonymously
 * (a warning: private images there will be `unknown`); one of the two set is an error. Problems
 * name variables, never values.
 */
export function resolveRegistryCredentials(
  registries: RegistriesSettings,
  env: Readonly<Record<string, string | undefined>>,
  configFile = 'lifeboat.yaml',
): { credentials: (host: string) => RegistryLogin | undefined; hosts: string[]; problems: ImagesSettingsProblem[] } {
  const problems: ImagesSettingsProblem[] = [];
  const logins = new Map<string, RegistryLogin>();
  for (const [host, login] of Object.entries(registries)) {
    const username = nonEmpty(env[login.usernameEnv]);
    const password = nonEmpty(env[login.passwordEnv]);
    const where = `${configFile}: registries.${host}`;
    if (username !== undefined && password !== undefined) {
      logins.set(host, { username, password });
    } else if (username === undefined && password === undefined) {
      problems.push({ where, message: `names ${login.usernameEnv} and ${login.passwordEnv}, which are both unset: ${host} is read anonymously`, critical: false });
    } else {
      const missing = username === undefined ? login.usernameEnv : login.passwordEnv;
      problems.push({ where, message: `needs ${missing} too (only one of username and password is set)`, critical: true });
    }
  }
  return { credentials: (host) => logins.get(normaliseRegistryHost(host)), hosts: [...logins.keys()], problems };
}

/** The hosts whose untagged index children deserve a retention warning (see `imagesSettingsSchema`). */
export function retentionWarningHosts(images: ImagesSettings, registries: RegistriesSettings): Set<string> {
  return new Set((images.retentionWarningHosts ?? ['ghcr.io', ...Object.keys(registries)]).map(normaliseRegistryHost));
}

/** `docker.io` and friends → `registry-1.docker.io`; hosts are case-insensitive. */
export function normaliseRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
