/**
 * Names and ids of the simulated account. Everything is deterministic (a counter and a seed), so
 * a scenario replays the same digests, task ids and event ids every run — tests can assert them —
 * and everything is obviously fake: account `000000000000`, signatures that say DRILL.
 */
import { createHash } from 'node:crypto';

/** The simulated account id: twelve zeros, never a real account. */
export const DRILL_ACCOUNT = '000000000000';
/** The simulated Region. */
export const DRILL_REGION = 'us-east-1';
/** How the Region reads in CloudWatch alarm messages (SNS `Region` is the display name). */
export const DRILL_REGION_NAME = 'US East (N. Virginia)';
/** The simulated private ECR registry host. */
export const DRILL_ECR_HOST = `${DRILL_ACCOUNT}.dkr.ecr.${DRILL_REGION}.amazonaws.com`;
/** The simulated GHCR host and the organisation its packages live under. */
export const DRILL_GHCR_HOST = 'ghcr.io';
export const DRILL_GHCR_ORG = 'lifeboat-drill';
/** The SNS topic CloudWatch alarms publish to. */
export const DRILL_ALARM_TOPIC = `arn:aws:sns:${DRILL_REGION}:${DRILL_ACCOUNT}:lifeboat-drill-alarms`;

/** `sha256:<64 hex>` of any text: manifests are content-addressed, like the real thing. */
export function sha256Digest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Deterministic id source for one drill. */
export class DrillIds {
  private counter = 0;

  constructor(private readonly seed: string) {}

  private next(kind: string): string {
    this.counter += 1;
    return createHash('sha256').update(`${this.seed}|${kind}|${this.counter}`).digest('hex');
  }

  /** A UUID-shaped id (EventBridge ids, SNS MessageIds, CloudTrail eventIDs, build ids). */
  uuid(): string {
    const h = this.next('uuid');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  /** 32 hex characters: an ECS task id. */
  taskId(): string {
    return this.next('task').slice(0, 32);
  }

  /** Nineteen digits: ECS deployment (`ecs-svc/…`) and service revision ids. */
  numericId(): string {
    const h = this.next('num');
    const digits = BigInt(`0x${h.slice(0, 16)}`).toString().padStart(19, '1');
    return digits.slice(0, 19);
  }

  /** Free-form hex of `length` characters (layer blobs, commit SHAs). */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.next('hex');
    return out.slice(0, length);
  }
}

export function clusterArn(cluster: string): string {
  return `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:cluster/${cluster}`;
}

export function serviceArn(cluster: string, service: string): string {
  return `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:service/${cluster}/${service}`;
}

export function taskArn(cluster: string, taskId: string): string {
  return `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:task/${cluster}/${taskId}`;
}

export function taskDefinitionArn(family: string, revision: number): string {
  return `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:task-definition/${family}:${revision}`;
}

export function serviceRevisionArn(cluster: string, service: string, id: string): string {
  return `arn:aws:ecs:${DRILL_REGION}:${DRILL_ACCOUNT}:service-revision/${cluster}/${service}/${id}`;
}

export function repositoryArn(repository: string, region: string = DRILL_REGION): string {
  return `arn:aws:ecr:${region}:${DRILL_ACCOUNT}:repository/${repository}`;
}

/** The drill account's private ECR registry host in `region` (a replica Region has its own). */
export function ecrHost(region: string): string {
  return `${DRILL_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`;
}

export function roleArn(role: string): string {
  return `arn:aws:iam::${DRILL_ACCOUNT}:role/${role}`;
}

export function queueUrl(queue: string): string {
  return `https://sqs.${DRILL_REGION}.amazonaws.com/${DRILL_ACCOUNT}/${queue}`;
}

export function queueArn(queue: string): string {
  return `arn:aws:sqs:${DRILL_REGION}:${DRILL_ACCOUNT}:${queue}`;
}

export function alarmArn(alarm: string): string {
  return `arn:aws:cloudwatch:${DRILL_REGION}:${DRILL_ACCOUNT}:alarm:${alarm}`;
}

export function codeBuildProjectArn(project: string): string {
  return `arn:aws:codebuild:${DRILL_REGION}:${DRILL_ACCOUNT}:project/${project}`;
}

export function codeBuildBuildArn(buildId: string): string {
  return `arn:aws:codebuild:${DRILL_REGION}:${DRILL_ACCOUNT}:build/${buildId}`;
}

export function logGroupArn(group: string): string {
  return `arn:aws:logs:${DRILL_REGION}:${DRILL_ACCOUNT}:log-group:${group}`;
}

export function targetGroupArn(name: string): string {
  return `arn:aws:elasticloadbalancing:${DRILL_REGION}:${DRILL_ACCOUNT}:targetgroup/${name}/${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** ISO time without milliseconds, as EventBridge's envelope `time` reads. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO time with milliseconds, as ECS writes times inside `detail`. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}
