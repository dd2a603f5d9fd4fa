import type { Clock } from '../core/clock.js';
import { isLifeboatError } from '../core/errors.js';
import type { JobContext } from '../core/jobs.js';
import { sleep as realSleep } from '../images/call-budget.js';
import type { ScanDeps } from '../images/scan.js';
import { RecoveryCalls } from './calls.js';
import type { CodeBuildOps, EcrRestoreOps, EcsOps, ImageConfigReader, QueueOps, ScaleRecordStore, ScalingOps } from './ports.js';
import type { RecoverySettings } from './settings.js';

/**
 * Everything the recovery jobs need. Recovery acts in one AWS account and Region (where the ECS
 * clusters, the CodeBuild projects and the queues are); images may live in other registries,
 * which `images.ecrFor` / `images.registry` reach.
 */
export interface RecoveryDeps {
  /** The 12-digit account the ports act in. */
  account: string;
  region: string;
  /** ECS reads and writes (`SdkEcsOps`). */
  ecs: EcsOps;
  /** CodeBuild (`SdkCodeBuildOps`). */
  codebuild: CodeBuildOps;
  /** SQS backlog + CloudWatch oldest-message age (`SdkQueueOps`). */
  queues: QueueOps;
  /** Application Auto Scaling (`SdkScalingOps`). */
  scaling: ScalingOps;
  /** Archive restores and exact-digest copies between ECR repositories (`SdkEcrRestoreOps`). */
  restore: EcrRestoreOps;
  /** Image config labels and platform (`SdkEcrImageConfigReader`). */
  imageConfig: ImageConfigReader;
  /**
   * The same dependencies `check images` runs on (`createCheckImagesJob`): recovery reads
   * services and image availability through the images module. `targets` must include
   * `account`/`region`.
   */
  images: ScanDeps;
  /** Durable record of services Lifeboat scaled (Redis: `RedisScaleRecordStore`). */
  scaleRecords: ScaleRecordStore;
  /** `recovery:` from the config (`recoverySettingsSchema`). */
  settings: RecoverySettings;
  clock: Clock;
  /** Waits between polls; tests pass one that moves a manual clock. Default: real time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1) for retry jitter; injectable for deterministic tests. */
  random?: () => number;
}

/** Per-run helpers every handler uses. */
export interface RunContext {
  deps: RecoveryDeps;
  ctx: JobContext;
  calls: RecoveryCalls;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now(): number;
  /** Calls that must still go out after a cancel (cleanup): no abort signal. */
  cleanupCalls(): RecoveryCalls;
}

export function runContext(deps: RecoveryDeps, ctx: JobContext): RunContext {
  const sleep = deps.sleep ?? realSleep;
  return {
    deps,
    ctx,
    sleep,
    calls: new RecoveryCalls(deps.clock, sleep, ctx.signal, deps.random),
    now: () => deps.clock.now(),
    cleanupCalls: () => new RecoveryCalls(deps.clock, sleep, undefined, deps.random),
  };
}

/** True when the job was cancelled by a person (not a worker shutdown, which resumes elsewhere). */
export function cancelledByUser(signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  const reason: unknown = signal.reason;
  return !(isLifeboatError(reason) && reason.retryable);
}

/** True when the worker is shutting down: leave everything as it is, the job resumes from its checkpoints. */
export function shuttingDown(signal: AbortSignal): boolean {
  return signal.aborted && !cancelledByUser(signal);
}
