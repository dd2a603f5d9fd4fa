/**
 * Simulated CodeBuild: projects that build and push an image (to the simulated ECR or GHCR),
 * builds that go through CodeBuild's phases over simulated minutes, can be told to fail in a
 * phase, honour `idempotencyToken` for 5 minutes, and push *new* digests — a rebuild is never
 * bit-identical, so pinned services still need a redeploy (DOMAIN fact 1).
 */
import { LifeboatError } from '../../core/errors.js';
import type { Platform } from '../../images/platform.js';
import type { EventLog } from './events.js';
import { codeBuildBuildArn, codeBuildProjectArn, DRILL_REGION, type DrillIds } from './ids.js';
import type { ImageBuildSpec } from './manifests.js';
import type { SimScheduler } from './scheduler.js';

/** Where a project pushes. */
export interface BuildTarget {
  registry: 'ecr' | 'ghcr';
  repository: string;
  /** Platforms built when the build is not told otherwise (`PLATFORMS`). */
  platforms: Platform[];
  /** buildx attestations (an index with `unknown/unknown` manifests). */
  attestations: boolean;
}

/** A CodeBuild project. */
export interface SimProject {
  name: string;
  arn: string;
  tags: { key: string; value: string }[];
  target: BuildTarget;
  /** Project environment variables (overrides replace by name). */
  environment: { name: string; value: string }[];
  sourceLocation: string;
  /** The commit a build of the default branch resolves to. */
  branchHead: string;
  /** Git tags and branches of the source repository (name → commit). */
  refs: Map<string, string>;
  /** Seconds per phase; BUILD scales with the number of platforms. */
  buildSeconds: number;
  /** Failures queued for the next builds, oldest first. */
  failures: { phase: string; message: string }[];
}

/** One phase of a build. */
export interface SimBuildPhase {
  phaseType: string;
  phaseStatus?: string;
  startTime: number;
  endTime?: number;
  durationInSeconds?: number;
  contexts: { statusCode?: string; message?: string }[];
}

/** A build. */
export interface SimBuild {
  id: string;
  arn: string;
  buildNumber: number;
  projectName: string;
  buildStatus: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'STOPPED';
  currentPhase: string;
  buildComplete: boolean;
  startTime: number;
  endTime?: number;
  phases: SimBuildPhase[];
  sourceVersion?: string;
  /** The commit built; absent when the source version could not be resolved. */
  resolvedSourceVersion?: string;
  environmentVariables: { name: string; value: string }[];
  initiator: string;
  logs: { groupName: string; streamName: string; deepLink: string };
  /** What it pushed, once POST_BUILD finished. */
  pushed?: { registry: 'ecr' | 'ghcr'; repository: string; tag: string; digest: string };
  idempotency?: { token: string; key: string; at: number };
}

/** Pushes a built image; the account wires it to ECR or GHCR. */
export type ImagePusher = (target: { registry: 'ecr' | 'ghcr'; repository: string }, spec: ImageBuildSpec, tag: string) => string;

/** `StartBuild` input (AWS names). */
export interface StartBuildParams {
  projectName: string;
  sourceVersion?: string;
  idempotencyToken?: string;
  environmentVariablesOverride?: { name: string; value: string }[];
  initiator?: string;
}

const PHASES = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'] as const;
const PHASE_SECONDS: Record<string, number> = { SUBMITTED: 1, QUEUED: 4, PROVISIONING: 22, DOWNLOAD_SOURCE: 6, INSTALL: 12, PRE_BUILD: 9, POST_BUILD: 35, UPLOAD_ARTIFACTS: 1, FINALIZING: 3 };
const IDEMPOTENCY_MS = 5 * 60_000;

/** CodeBuild of the simulated account. */
export class DrillCodeBuild {
  readonly projects = new Map<string, SimProject>();
  readonly builds = new Map<string, SimBuild>();
  private readonly byProject = new Map<string, string[]>();

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly events: EventLog,
    private readonly ids: DrillIds,
    private readonly push: ImagePusher,
  ) {}

  createProject(input: {
    name: string;
    target: BuildTarget;
    tags?: { key: string; value: string }[];
    environment?: { name: string; value: string }[];
    buildSeconds?: number;
    sourceLocation?: string;
    /** Git tags (and branches other than the default) of the source: name → commit. */
    refs?: Record<string, string>;
    /** The commit at the head of `main` (default: a new one). */
    branchHead?: string;
  }): SimProject {
    const project: SimProject = {
      name: input.name,
      arn: codeBuildProjectArn(input.name),
      tags: input.tags ?? [],
      target: input.target,
      environment: input.environment ?? [
        { name: 'IMAGE_REPO_NAME', value: input.target.repository },
        { name: 'IMAGE_TAG', value: 'latest' },
      ],
      sourceLocation: input.sourceLocation ?? `https://github.com/lifeboat-drill/${input.target.repository.split('/').pop() ?? input.name}.git`,
      branchHead: input.branchHead ?? this.ids.hex(40),
      refs: new Map(Object.entries(input.refs ?? {})),
      buildSeconds: input.buildSeconds ?? 240,
      failures: [],
    };
    this.projects.set(project.name, project);
    return project;
  }

  /** Make the next build of `project` fail in `phase` with `message` (CodeBuild's phase context). */
  failNext(project: string, phase: string, message: string): void {
    this.project(project).failures.push({ phase, message });
  }

  /** A new commit lands on the default branch. */
  commit(project: string): string {
    const p = this.project(project);
    p.branchHead = this.ids.hex(40);
    return p.branchHead;
  }

  startBuild(params: StartBuildParams): SimBuild {
    const project = this.project(params.projectName);
    const now = this.scheduler.now();
    const key = JSON.stringify([params.projectName, params.sourceVersion ?? null, params.environmentVariablesOverride ?? []]);
    if (params.idempotencyToken !== undefined) {
      const earlier = [...this.builds.values()].find((b) => b.idempotency !== undefined && b.idempotency.token === params.idempotencyToken && now - b.idempotency.at < IDEMPOTENCY_MS);
      if (earlier) {
        if (earlier.idempotency?.key !== key) {
          throw new LifeboatError('AWS_ERROR', `CodeBuild rejected codebuild:StartBuild on ${project.arn} (InvalidInputException: idempotency token reused with different parameters).`, { retryable: false });
        }
        return earlier;
      }
    }
    const env = new Map(project.environment.map((e) => [e.name, e.value]));
    for (const o of params.environmentVariablesOverride ?? []) env.set(o.name, o.value);
    const uuid = this.ids.uuid();
    const id = `${project.name}:${uuid}`;
    const numbers = this.byProject.get(project.name) ?? [];
    const build: SimBuild = {
      id,
      arn: codeBuildBuildArn(id),
      buildNumber: numbers.length + 1,
      projectName: project.name,
      buildStatus: 'IN_PROGRESS',
      currentPhase: 'SUBMITTED',
      buildComplete: false,
      startTime: now,
      phases: [],
      environmentVariables: [...env].map(([name, value]) => ({ name, value })),
      initiator: params.initiator ?? 'lifeboat',
      logs: {
        groupName: `/aws/codebuild/${project.name}`,
        streamName: uuid,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${DRILL_REGION}#logEvent:group=/aws/codebuild/${project.name};stream=${uuid}`,
      },
    };
    if (params.sourceVersion !== undefined) build.sourceVersion = params.sourceVersion;
    const resolved = this.resolveSource(project, params.sourceVersion);
    if (resolved !== undefined) build.resolvedSourceVersion = resolved;
    if (params.idempotencyToken !== undefined) build.idempotency = { token: params.idempotencyToken, key, at: now };
    this.builds.set(id, build);
    this.byProject.set(project.name, [...numbers, id]);
    const failure =
      resolved === undefined
        ? { phase: 'DOWNLOAD_SOURCE', message: `CLIENT_ERROR: reference not found for primary source and source version ${params.sourceVersion ?? ''}` }
        : project.failures.shift();
    this.stateChange(build);
    this.runPhase(build, project, 0, failure);
    return build;
  }

  stopBuild(id: string): SimBuild {
    const build = this.build(id);
    if (build.buildComplete) return build;
    const phase = build.phases[build.phases.length - 1];
    if (phase && phase.phaseStatus === undefined) this.endPhase(phase, 'STOPPED');
    this.finish(build, 'STOPPED');
    return build;
  }

  getBuild(id: string): SimBuild | undefined {
    return this.builds.get(id);
  }

  /** Newest first. */
  recentBuilds(project: string, limit: number): SimBuild[] {
    return (this.byProject.get(project) ?? []).slice(-limit).reverse().flatMap((id) => this.builds.get(id) ?? []);
  }

  project(name: string): SimProject {
    const project = this.projects.get(name);
    if (!project) {
      throw new LifeboatError('AWS_NOT_FOUND', `CodeBuild project ${name} does not exist.`, { cause: new Error(`ResourceNotFoundException: Project cannot be found: ${codeBuildProjectArn(name)}`) });
    }
    return project;
  }

  private build(id: string): SimBuild {
    const build = this.builds.get(id);
    if (!build) throw new LifeboatError('AWS_NOT_FOUND', `CodeBuild build ${id} does not exist.`);
    return build;
  }

  private resolveSource(project: SimProject, sourceVersion: string | undefined): string | undefined {
    if (sourceVersion === undefined || sourceVersion === 'main' || sourceVersion === 'refs/heads/main') return project.branchHead;
    const ref = project.refs.get(sourceVersion.replace(/^refs\/(tags|heads)\//, ''));
    if (ref !== undefined) return ref;
    if (/^[0-9a-f]{40}$/.test(sourceVersion)) return sourceVersion;
    // A short SHA expands to a full one; a branch or tag resolves to the branch head.
    if (/^[0-9a-f]{7,39}$/.test(sourceVersion)) return `${sourceVersion}${this.ids.hex(40 - sourceVersion.length)}`;
    return undefined;
  }

  private runPhase(build: SimBuild, project: SimProject, index: number, failure: { phase: string; message: string } | undefined): void {
    if (build.buildComplete) return;
    const type = PHASES[index];
    if (type === undefined) {
      this.finish(build, failure ? 'FAILED' : 'SUCCEEDED');
      return;
    }
    const phase: SimBuildPhase = { phaseType: type, startTime: this.scheduler.now(), contexts: [] };
    build.phases.push(phase);
    build.currentPhase = type;
    const platforms = this.platformsOf(build, project);
    const seconds = type === 'BUILD' ? project.buildSeconds * Math.max(1, platforms.length * 0.75) : PHASE_SECONDS[type] ?? 1;
    this.scheduler.after(Math.round(seconds * 1000), `codebuild ${build.id} ${type}`, () => {
      if (build.buildComplete) return;
      if (failure && failure.phase === type) {
        this.endPhase(phase, 'FAILED', { statusCode: 'COMMAND_EXECUTION_ERROR', message: failure.message });
        // After a failed phase CodeBuild still uploads artifacts and finalizes; nothing was pushed.
        const next = PHASES.indexOf('UPLOAD_ARTIFACTS');
        this.runPhase(build, project, Math.max(next, index + 1), failure);
        return;
      }
      if (type === 'POST_BUILD' && !failure) this.pushImage(build, project, platforms);
      this.endPhase(phase, 'SUCCEEDED');
      this.runPhase(build, project, index + 1, failure);
    });
  }

  private pushImage(build: SimBuild, project: SimProject, platforms: Platform[]): void {
    const env = new Map(build.environmentVariables.map((e) => [e.name, e.value]));
    const tag = env.get('IMAGE_TAG') ?? 'latest';
    const repository = env.get('IMAGE_REPO_NAME') ?? project.target.repository;
    const spec: ImageBuildSpec = {
      platforms,
      attestations: project.target.attestations,
      seed: `${repository}|${build.resolvedSourceVersion ?? ''}|${build.id}`,
      ...(build.resolvedSourceVersion !== undefined ? { revision: build.resolvedSourceVersion } : {}),
      labels: { 'org.opencontainers.image.source': project.sourceLocation.replace(/\.git$/, '') },
    };
    const digest = this.push({ registry: project.target.registry, repository }, spec, tag);
    build.pushed = { registry: project.target.registry, repository, tag, digest };
  }

  private platformsOf(build: SimBuild, project: SimProject): Platform[] {
    const text = build.environmentVariables.find((e) => e.name === 'PLATFORMS')?.value;
    if (!text) return project.target.platforms;
    return text.split(',').map((p) => {
      const [os = 'linux', architecture = 'amd64', variant] = p.trim().split('/');
      return variant !== undefined ? { os, architecture, variant } : { os, architecture };
    });
  }

  private endPhase(phase: SimBuildPhase, status: string, context?: { statusCode: string; message: string }): void {
    phase.phaseStatus = status;
    phase.endTime = this.scheduler.now();
    phase.durationInSeconds = Math.round((phase.endTime - phase.startTime) / 1000);
    if (context) phase.contexts.push(context);
  }

  private finish(build: SimBuild, status: SimBuild['buildStatus']): void {
    build.buildStatus = status;
    build.buildComplete = true;
    build.endTime = this.scheduler.now();
    build.currentPhase = 'COMPLETED';
    build.phases.push({ phaseType: 'COMPLETED', startTime: build.endTime, contexts: [] });
    this.stateChange(build);
  }

  private stateChange(build: SimBuild): void {
    this.events.eventBridge('aws.codebuild', 'CodeBuild Build State Change', [build.arn], {
      'build-status': build.buildStatus,
      'project-name': build.projectName,
      'build-id': build.arn,
      'additional-information': {
        'build-complete': build.buildComplete,
        initiator: build.initiator,
        'build-start-time': codeBuildTime(build.startTime),
        logs: { 'group-name': build.logs.groupName, 'stream-name': build.logs.streamName, 'deep-link': build.logs.deepLink },
      },
      'current-phase': build.currentPhase,
      version: '1',
    });
  }
}

/** `Sep 1, 2017 4:12:29 PM`: CodeBuild's human timestamps inside events. */
function codeBuildTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const h = d.getUTCHours() % 12 || 12;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}
