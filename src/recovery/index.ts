/**
 * Guided recovery: `rebuild`, `redeploy`, `scale` and `restore` as queued, resumable jobs. The composition
 * root builds `RecoveryDeps` (SDK adapters from `adapters/aws`, the Redis scale-record store, the
 * image-check dependencies, parsed `recovery:` settings) and registers the handlers this returns.
 * See docs/recovery.md.
 */
import type { JobHandler } from '../core/jobs.js';
import type { RecoveryDeps } from './deps.js';
import { createRebuildJob } from './rebuild.js';
import { createRedeployJob } from './redeploy.js';
import { createRestoreJob } from './restore.js';
import { createScaleJob } from './scale.js';

export type { RecoveryDeps } from './deps.js';
export type * from './ports.js';
export type * from './diagnose-ports.js';
export { createDiagnoseJob, auditService, diagnoseOutputs, type Finding, type DiagnoseOutputs } from './diagnose.js';
export { recoverySettingsSchema, DEFAULT_RECOVERY_SETTINGS, type RecoverySettings } from './settings.js';
export { MemoryScaleRecordStore } from './memory-scale-records.js';
export { overdueScaleRecords, scaleRecordKey, desiredTasks } from './scale.js';
export type { PlannedCall } from './calls.js';
export { createDigestCopyFinder, type CopySourceDeps } from './copy-sources.js';

/** The recovery job handlers, by job kind (`runs.job` of `commands/{rebuild,redeploy,scale,restore}.yaml`). */
export interface RecoveryJobs {
  rebuild: JobHandler;
  redeploy: JobHandler;
  scale: JobHandler;
  restore: JobHandler;
  readonly [kind: string]: JobHandler;
}

/**
 * Build the `rebuild`, `redeploy`, `scale` and `restore` handlers.
 *
 * `deps` (see `RecoveryDeps` for each field):
 * - `account`, `region` — where the clusters, CodeBuild projects and queues are;
 * - `ecs`, `codebuild`, `queues`, `scaling`, `imageConfig`, `restore` — ports, on the SDK adapters
 *   `SdkEcsOps`, `SdkCodeBuildOps`, `SdkQueueOps`, `SdkScalingOps`, `SdkEcrImageConfigReader`,
 *   `SdkEcrRestoreOps`;
 * - `images` — the `ScanDeps` that `check images` uses (its `targets` must include
 *   `account`/`region`), so availability answers are the same everywhere;
 * - `scaleRecords` — `RedisScaleRecordStore` (records must outlive a worker);
 * - `settings` — `recoverySettingsSchema` output;
 * - `clock`, optional `sleep`/`random` — injectable time for tests and drills.
 *
 * Every handler is idempotent and resumable from its checkpoints; `--dry-run` returns the plan and
 * the AWS calls it would make, and makes no change.
 */
export function createRecoveryJobs(deps: RecoveryDeps): RecoveryJobs {
  return {
    rebuild: createRebuildJob(deps),
    redeploy: createRedeployJob(deps),
    scale: createScaleJob(deps),
    restore: createRestoreJob(deps),
  };
}
