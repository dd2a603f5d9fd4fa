/**
 * The IAM policies in deploy/iam against the code: every AWS operation the adapters can send
 * (found by scanning `src/adapters/aws/**` for `new <Name>Command(`) is allowed by the policy that
 * covers it, and the policies allow nothing more. The mapping from SDK command to IAM action is
 * written out below on purpose: it is not always the command's name (SQS batch calls authorise as
 * the single action; `GetCallerIdentity` needs no permission at all).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECOVERY_IAM_ACTIONS } from '../../src/adapters/aws/recovery-iam.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AWS_ADAPTERS = join(ROOT, 'src/adapters/aws');

/** Which policy grants an action, and to whom it is attached (deploy/iam/README.md). */
type PolicyName = 'read-only' | 'diagnose' | 'recovery' | 'intake-sqs' | 'assume-targets';
const POLICY_FILES: Record<PolicyName, string> = {
  'read-only': 'deploy/iam/lifeboat-read-only.json',
  diagnose: 'deploy/iam/lifeboat-diagnose.json',
  recovery: 'deploy/iam/lifeboat-recovery.json',
  'intake-sqs': 'deploy/iam/lifeboat-intake-sqs.json',
  'assume-targets': 'deploy/iam/lifeboat-assume-targets.json',
};

/** IAM service prefix of each SDK client package (the prefix is not always the package's name). */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-codebuild': 'codebuild',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-iam': 'iam',
};

interface Mapping {
  /** The IAM action the call needs; null when AWS asks for no permission. */
  action: string | null;
  policy: PolicyName | 'none';
  /** Changes something: never in the read-only policy. */
  mutating?: boolean;
}

/** Every SDK command the adapters may send → the IAM action it needs and the policy granting it. */
const COMMANDS: Record<string, Mapping> = {
  // check images (SdkEcsReader, SdkEcrReader)
  '@aws-sdk/client-ecs ListClustersCommand': { action: 'ecs:ListClusters', policy: 'read-only' },
  '@aws-sdk/client-ecs ListServicesCommand': { action: 'ecs:ListServices', policy: 'read-only' },
  '@aws-sdk/client-ecs DescribeServicesCommand': { action: 'ecs:DescribeServices', policy: 'read-only' },
  '@aws-sdk/client-ecs DescribeServiceRevisionsCommand': { action: 'ecs:DescribeServiceRevisions', policy: 'read-only' },
  '@aws-sdk/client-ecs DescribeTaskDefinitionCommand': { action: 'ecs:DescribeTaskDefinition', policy: 'read-only' },
  '@aws-sdk/client-ecr DescribeImagesCommand': { action: 'ecr:DescribeImages', policy: 'read-only' },
  '@aws-sdk/client-ecr BatchGetImageCommand': { action: 'ecr:BatchGetImage', policy: 'read-only' },
  '@aws-sdk/client-ecr GetLifecyclePolicyCommand': { action: 'ecr:GetLifecyclePolicy', policy: 'read-only' },
  // A dry run: IAM files it under Write, but it changes nothing the policy or the images see.
  '@aws-sdk/client-ecr StartLifecyclePolicyPreviewCommand': { action: 'ecr:StartLifecyclePolicyPreview', policy: 'read-only' },
  '@aws-sdk/client-ecr GetLifecyclePolicyPreviewCommand': { action: 'ecr:GetLifecyclePolicyPreview', policy: 'read-only' },
  // diagnose (SdkServiceAudit, SdkAuditLogs): log groups, the app's log, what the task's roles allow —
  // the opt-in diagnose policy: application logs and role permissions stay out of every scan's role.
  '@aws-sdk/client-cloudwatch-logs DescribeLogGroupsCommand': { action: 'logs:DescribeLogGroups', policy: 'diagnose' },
  '@aws-sdk/client-cloudwatch-logs FilterLogEventsCommand': { action: 'logs:FilterLogEvents', policy: 'diagnose' },
  '@aws-sdk/client-iam SimulatePrincipalPolicyCommand': { action: 'iam:SimulatePrincipalPolicy', policy: 'diagnose' },
  // recovery (SdkEcsOps, SdkEcrImageConfigReader, SdkCodeBuildOps, SdkQueueOps, SdkScalingOps)
  '@aws-sdk/client-ecs ListTasksCommand': { action: 'ecs:ListTasks', policy: 'recovery' },
  '@aws-sdk/client-ecs DescribeTasksCommand': { action: 'ecs:DescribeTasks', policy: 'recovery' },
  '@aws-sdk/client-ecs UpdateServiceCommand': { action: 'ecs:UpdateService', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecs RegisterTaskDefinitionCommand': { action: 'ecs:RegisterTaskDefinition', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecr GetDownloadUrlForLayerCommand': { action: 'ecr:GetDownloadUrlForLayer', policy: 'recovery' },
  // restore (SdkEcrRestoreOps): where copies are is a read `check images` asks too
  '@aws-sdk/client-ecr DescribeRegistryCommand': { action: 'ecr:DescribeRegistry', policy: 'read-only' },
  '@aws-sdk/client-ecr BatchCheckLayerAvailabilityCommand': { action: 'ecr:BatchCheckLayerAvailability', policy: 'recovery' },
  '@aws-sdk/client-ecr UpdateImageStorageClassCommand': { action: 'ecr:UpdateImageStorageClass', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecr InitiateLayerUploadCommand': { action: 'ecr:InitiateLayerUpload', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecr UploadLayerPartCommand': { action: 'ecr:UploadLayerPart', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecr CompleteLayerUploadCommand': { action: 'ecr:CompleteLayerUpload', policy: 'recovery', mutating: true },
  '@aws-sdk/client-ecr PutImageCommand': { action: 'ecr:PutImage', policy: 'recovery', mutating: true },
  '@aws-sdk/client-codebuild ListProjectsCommand': { action: 'codebuild:ListProjects', policy: 'recovery' },
  '@aws-sdk/client-codebuild BatchGetProjectsCommand': { action: 'codebuild:BatchGetProjects', policy: 'recovery' },
  '@aws-sdk/client-codebuild StartBuildCommand': { action: 'codebuild:StartBuild', policy: 'recovery', mutating: true },
  '@aws-sdk/client-codebuild BatchGetBuildsCommand': { action: 'codebuild:BatchGetBuilds', policy: 'recovery' },
  '@aws-sdk/client-codebuild ListBuildsForProjectCommand': { action: 'codebuild:ListBuildsForProject', policy: 'recovery' },
  '@aws-sdk/client-codebuild StopBuildCommand': { action: 'codebuild:StopBuild', policy: 'recovery', mutating: true },
  '@aws-sdk/client-sqs GetQueueUrlCommand': { action: 'sqs:GetQueueUrl', policy: 'recovery' },
  '@aws-sdk/client-sqs GetQueueAttributesCommand': { action: 'sqs:GetQueueAttributes', policy: 'recovery' },
  '@aws-sdk/client-cloudwatch GetMetricDataCommand': { action: 'cloudwatch:GetMetricData', policy: 'recovery' },
  '@aws-sdk/client-application-auto-scaling DescribeScalableTargetsCommand': { action: 'application-autoscaling:DescribeScalableTargets', policy: 'recovery' },
  '@aws-sdk/client-application-auto-scaling RegisterScalableTargetCommand': { action: 'application-autoscaling:RegisterScalableTarget', policy: 'recovery', mutating: true },
  // intake (SqsAlertPoller): batch deletes authorise as sqs:DeleteMessage — there is no sqs:DeleteMessageBatch action.
  '@aws-sdk/client-sqs ReceiveMessageCommand': { action: 'sqs:ReceiveMessage', policy: 'intake-sqs' },
  '@aws-sdk/client-sqs DeleteMessageBatchCommand': { action: 'sqs:DeleteMessage', policy: 'intake-sqs', mutating: true },
  // Lifeboat's own principal (the hub): assume each target's role; find its own account.
  '@aws-sdk/client-sts AssumeRoleCommand': { action: 'sts:AssumeRole', policy: 'assume-targets' },
  '@aws-sdk/client-sts GetCallerIdentityCommand': { action: null, policy: 'none' },
};

/** Permission-only actions AWS checks on the side of a call the code makes. */
const SIDE_ACTIONS: Record<string, Mapping & { because: string }> = {
  'iam:PassRole': { action: 'iam:PassRole', policy: 'recovery', mutating: true, because: 'RegisterTaskDefinition with taskRoleArn / executionRoleArn' },
  'ecs:TagResource': { action: 'ecs:TagResource', policy: 'recovery', mutating: true, because: 'RegisterTaskDefinition with tags' },
};

/** Files whose calls `check images` makes: they must need nothing beyond the read-only policy. */
const CHECK_FILES = ['sdk-ecs-reader.ts', 'sdk-ecr-reader.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `new <Name>Command(` in the AWS adapters, with the SDK package it is imported from. */
const sent = sourceFiles(AWS_ADAPTERS).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const packageOf = new Map<string, string>();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
    for (const name of (m[1] ?? '').split(',')) {
      const imported = name.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? '';
      if (imported) packageOf.set(imported, m[2] ?? '');
    }
  }
  return [...text.matchAll(/new\s+(\w+Command)\s*\(/g)].map((m) => {
    const command = m[1] ?? '';
    return { file: relative(AWS_ADAPTERS, file), command, pkg: packageOf.get(command) ?? '(not imported from @aws-sdk)', key: `${packageOf.get(command) ?? '?'} ${command}` };
  });
});

interface Statement {
  Effect: string;
  Action: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, string>>;
}
const readPolicy = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { Version: string; Statement: Statement[] };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const policies = Object.fromEntries(Object.entries(POLICY_FILES).map(([name, path]) => [name, readPolicy(path)])) as Record<PolicyName, ReturnType<typeof readPolicy>>;
const allowed = (name: PolicyName) => new Set(policies[name].Statement.flatMap(actionsOf));
const needed = [...Object.values(COMMANDS), ...Object.values(SIDE_ACTIONS)];

describe('IAM policies (deploy/iam)', () => {
  it('finds the AWS calls the adapters send', () => {
    expect(sent.length).toBeGreaterThan(20);
    expect(sent.filter((s) => !s.pkg.startsWith('@aws-sdk/client-'))).toEqual([]);
  });

  it('maps every command the code can send to an IAM action (update the table when you add one)', () => {
    const unmapped = [...new Set(sent.map((s) => s.key))].filter((key) => !(key in COMMANDS));
    expect(unmapped).toEqual([]);
  });

  it('keeps no table entry the code no longer sends', () => {
    const keys = new Set(sent.map((s) => s.key));
    expect(Object.keys(COMMANDS).filter((key) => !keys.has(key))).toEqual([]);
  });

  it('spells each action as the service prefix and the operation, except where IAM says otherwise', () => {
    const exceptions = new Set(['@aws-sdk/client-sqs DeleteMessageBatchCommand', '@aws-sdk/client-sts GetCallerIdentityCommand']);
    const mismatched = Object.entries(COMMANDS)
      .filter(([key]) => !exceptions.has(key))
      .filter(([key, m]) => {
        const [pkg = '', command = ''] = key.split(' ');
        return m.action !== `${SERVICE_PREFIX[pkg] ?? '?'}:${command.replace(/Command$/, '')}`;
      });
    expect(mismatched).toEqual([]);
  });

  it.each(Object.entries(COMMANDS))('allows %s in the policy that covers it', (_key, mapping) => {
    if (mapping.action === null) return;
    expect(mapping.policy).not.toBe('none');
    expect(allowed(mapping.policy as PolicyName).has(mapping.action)).toBe(true);
  });

  it('allows the permission-only actions AWS checks beside the calls', () => {
    for (const side of Object.values(SIDE_ACTIONS)) expect(allowed(side.policy as PolicyName).has(side.action ?? '')).toBe(true);
  });

  it('allows nothing more than the code needs, with no wildcard actions', () => {
    for (const name of Object.keys(POLICY_FILES) as PolicyName[]) {
      const expected = new Set(needed.filter((m) => m.policy === name).map((m) => m.action));
      const actions = [...allowed(name)];
      expect(actions.filter((a) => !expected.has(a)), name).toEqual([]);
      expect(actions.filter((a) => a.includes('*') || a.includes('?')), name).toEqual([]);
      for (const s of policies[name].Statement) {
        expect(s.Effect, name).toBe('Allow');
        expect(s.NotAction ?? s.NotResource ?? s.Principal, name).toBeUndefined();
        expect(s.Resource, name).toBeDefined();
      }
    }
  });

  it('keeps every mutating action out of the read-only policy, and check images within it', () => {
    const readOnly = allowed('read-only');
    expect(needed.filter((m) => m.mutating && m.action !== null && readOnly.has(m.action))).toEqual([]);
    const checkNeeds = sent.filter((s) => CHECK_FILES.includes(s.file)).map((s) => COMMANDS[s.key]);
    expect(checkNeeds.filter((m) => m?.policy !== 'read-only')).toEqual([]);
  });

  it('covers everything recovery declares (RECOVERY_IAM_ACTIONS) with read-only + recovery, mutations in recovery only', () => {
    const recovery = allowed('recovery');
    const readOnly = allowed('read-only');
    expect(RECOVERY_IAM_ACTIONS.filter((a) => !recovery.has(a.action) && !readOnly.has(a.action)).map((a) => a.action)).toEqual([]);
    expect(RECOVERY_IAM_ACTIONS.filter((a) => a.mutating && !recovery.has(a.action)).map((a) => a.action)).toEqual([]);
    const declared = new Set(RECOVERY_IAM_ACTIONS.map((a) => a.action));
    expect([...recovery].filter((a) => !declared.has(a))).toEqual([]);
  });

  it('keeps application logs and role permissions out of the read-only policy, and scopes the log search to /ecs/* groups', () => {
    const readOnly = allowed('read-only');
    expect(['logs:DescribeLogGroups', 'logs:FilterLogEvents', 'iam:SimulatePrincipalPolicy'].filter((a) => readOnly.has(a))).toEqual([]);
    const filter = policies.diagnose.Statement.find((s) => actionsOf(s).includes('logs:FilterLogEvents'));
    expect(actionsOf(filter!)).toEqual(['logs:FilterLogEvents']);
    expect(filter?.Resource).toBe('arn:aws:logs:*:*:log-group:/ecs/*');
  });

  it('scopes PassRole to ECS tasks and tagging to task definitions being registered', () => {
    const statement = (action: string) => policies.recovery.Statement.find((s) => actionsOf(s).includes(action));
    expect(statement('iam:PassRole')?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(statement('ecs:TagResource')?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
    expect(statement('ecs:UpdateService')?.Resource).toBe('arn:aws:ecs:*:*:service/*');
  });

  it('ships a trust policy that requires the external id', () => {
    const trust = readPolicy('deploy/iam/trust-policy.json');
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': expect.any(String) } } });
    expect(JSON.stringify(trust.Statement[0]?.Principal)).not.toContain('"*"');
  });
});
