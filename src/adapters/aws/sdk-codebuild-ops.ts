/**
 * `CodeBuildOps` on the AWS SDK v3 CodeBuild client: find a project (by name or by tag), start a
 * build with an idempotency token, follow it, stop it. The client is passed in.
 * Create the client with `maxAttempts: 1`: recovery's `RecoveryCalls` owns retries, and must be the
 * one to decide that a mutation whose answer was lost (5xx) is not simply sent again.
 */
import {
  BatchGetBuildsCommand,
  BatchGetProjectsCommand,
  ListBuildsForProjectCommand,
  ListProjectsCommand,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
  type CodeBuildClient,
} from '@aws-sdk/client-codebuild';
import { LifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import type { BuildState, CodeBuildOps, StartBuildInput } from '../../recovery/ports.js';
import { opsCall, type OpsCallContext } from './ops-call.js';
import { toEpochMs } from './sdk-call.js';

/** Options of `SdkCodeBuildOps`. */
export interface SdkCodeBuildOpsOptions {
  account: string;
  region: string;
  /** Stop listing projects after this many pages (100 names each) when searching by tag. Default 20. */
  maxProjectPages?: number;
}

/** Every operation `SdkCodeBuildOps` can send, as IAM actions. */
export const SDK_CODEBUILD_OPS_ACTIONS = [
  'codebuild:BatchGetProjects',
  'codebuild:ListProjects',
  'codebuild:StartBuild',
  'codebuild:BatchGetBuilds',
  'codebuild:ListBuildsForProject',
  'codebuild:StopBuild',
] as const;

/** BatchGetProjects and BatchGetBuilds take at most 100 names or ids. */
const BATCH = 100;

/** `CodeBuildOps` on `CodeBuildClient`; failures leave as `LifeboatError`. */
export class SdkCodeBuildOps implements CodeBuildOps {
  constructor(
    private readonly client: CodeBuildClient,
    private readonly options: SdkCodeBuildOpsOptions,
  ) {}

  async projectExists(name: string): Promise<boolean> {
    const out = await opsCall(this.projectCtx('codebuild:BatchGetProjects', name), () => this.client.send(new BatchGetProjectsCommand({ names: [name] })));
    return (out.projects ?? []).some((p) => p.name === name);
  }

  async projectsTagged(key: string, value: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out = await opsCall({ action: 'codebuild:ListProjects', resource: '*' }, () => this.client.send(new ListProjectsCommand({ sortBy: 'NAME', nextToken })));
      names.push(...(out.projects ?? []));
      nextToken = out.nextToken;
    } while (nextToken && ++pages < (this.options.maxProjectPages ?? 20));

    const tagged: string[] = [];
    for (let i = 0; i < names.length; i += BATCH) {
      const batch = names.slice(i, i + BATCH);
      const out = await opsCall(this.projectCtx('codebuild:BatchGetProjects', '*'), () => this.client.send(new BatchGetProjectsCommand({ names: batch })));
      for (const p of out.projects ?? []) {
        if (p.name && (p.tags ?? []).some((t) => t.key === key && t.value === value)) tagged.push(p.name);
      }
    }
    return tagged;
  }

  async startBuild(input: StartBuildInput): Promise<BuildState> {
    const ctx: OpsCallContext = { ...this.projectCtx('codebuild:StartBuild', input.projectName), notFound: `CodeBuild project ${input.projectName} in ${this.where()}` };
    const out = await opsCall(ctx, () =>
      this.client.send(
        new StartBuildCommand({
          projectName: input.projectName,
          sourceVersion: input.sourceVersion,
          idempotencyToken: input.idempotencyToken,
          environmentVariablesOverride: input.environmentVariablesOverride.map((v) => ({ ...v })),
        }),
      ),
    );
    if (!out.build) throw new LifeboatError('AWS_ERROR', `CodeBuild started no build for ${input.projectName}.`, { retryable: false });
    return toBuildState(out.build);
  }

  async getBuild(id: string): Promise<BuildState | undefined> {
    const out = await opsCall(this.buildCtx('codebuild:BatchGetBuilds', id), () => this.client.send(new BatchGetBuildsCommand({ ids: [id] })));
    const build = (out.builds ?? []).find((b) => b.id === id);
    return build ? toBuildState(build) : undefined;
  }

  async recentBuilds(projectName: string, limit: number): Promise<BuildState[]> {
    const ctx: OpsCallContext = { ...this.projectCtx('codebuild:ListBuildsForProject', projectName), notFound: `CodeBuild project ${projectName} in ${this.where()}` };
    const out = await opsCall(ctx, () => this.client.send(new ListBuildsForProjectCommand({ projectName, sortOrder: 'DESCENDING' })));
    const ids = (out.ids ?? []).slice(0, Math.min(limit, BATCH));
    if (ids.length === 0) return [];
    const got = await opsCall(this.buildCtx('codebuild:BatchGetBuilds', `${projectName}:*`), () => this.client.send(new BatchGetBuildsCommand({ ids })));
    return (got.builds ?? []).map(toBuildState);
  }

  async stopBuild(id: string): Promise<void> {
    await opsCall({ ...this.buildCtx('codebuild:StopBuild', id), notFound: `CodeBuild build ${id}` }, () => this.client.send(new StopBuildCommand({ id })));
  }

  private projectCtx(action: string, project: string): OpsCallContext {
    const { region, account } = this.options;
    return { action, resource: `arn:${partitionOf(region)}:codebuild:${region}:${account}:project/${project}` };
  }

  private buildCtx(action: string, id: string): OpsCallContext {
    const { region, account } = this.options;
    return { action, resource: `arn:${partitionOf(region)}:codebuild:${region}:${account}:build/${id}` };
  }

  private where(): string {
    return `account ${this.options.account} ${this.options.region}`;
  }
}

function toBuildState(b: Build): BuildState {
  return {
    id: b.id ?? '',
    ...(b.arn !== undefined ? { arn: b.arn } : {}),
    projectName: b.projectName ?? '',
    buildStatus: b.buildStatus ?? 'IN_PROGRESS',
    ...(b.currentPhase !== undefined ? { currentPhase: b.currentPhase } : {}),
    buildComplete: b.buildComplete ?? false,
    ...(b.startTime !== undefined ? { startTime: toEpochMs(b.startTime) } : {}),
    ...(b.endTime !== undefined ? { endTime: toEpochMs(b.endTime) } : {}),
    phases: (b.phases ?? []).map((p) => ({
      phaseType: p.phaseType ?? '',
      ...(p.phaseStatus !== undefined ? { phaseStatus: p.phaseStatus } : {}),
      ...(p.startTime !== undefined ? { startTime: toEpochMs(p.startTime) } : {}),
      ...(p.endTime !== undefined ? { endTime: toEpochMs(p.endTime) } : {}),
      ...(p.durationInSeconds !== undefined ? { durationInSeconds: p.durationInSeconds } : {}),
      contexts: (p.contexts ?? []).flatMap((c) => (c.statusCode || c.message ? [{ ...(c.statusCode ? { statusCode: c.statusCode } : {}), ...(c.message ? { message: c.message } : {}) }] : [])),
    })),
    ...(b.sourceVersion !== undefined ? { sourceVersion: b.sourceVersion } : {}),
    ...(b.resolvedSourceVersion !== undefined ? { resolvedSourceVersion: b.resolvedSourceVersion } : {}),
    ...(b.logs?.deepLink !== undefined ? { logsDeepLink: b.logs.deepLink } : {}),
    environmentVariables: (b.environment?.environmentVariables ?? []).flatMap((v) => (v.name !== undefined ? [{ name: v.name, value: v.value ?? '' }] : [])),
  };
}
