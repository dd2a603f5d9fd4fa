/**
 * Drills: a simulated AWS account with simulated time, the scenarios that break it the way real
 * incidents did, and the `drill` commands. Nothing here can reach a real account: no SDK, no
 * network client, account `000000000000`. See docs/drills.md for the wiring.
 */
export { DrillAccount, type DrillAccountOptions } from './account.js';
export { createDrill, type Detection, type Drill, type DrillOptions, type DrillStatus } from './drill.js';
export { DrillRuntime, type DrillRuntimeOptions, type DrillStart } from './runtime.js';
export { drillPorts, drillRecoverySettings, drillScanDeps, type DrillPorts } from './port-set.js';
export {
  DrillCodeBuildOps,
  DrillEcrReader,
  DrillEcsOps,
  DrillEcsReader,
  DrillImageConfigReader,
  DrillQueueOps,
  DrillRegistryClient,
  DrillScalingOps,
  DrillScopedCache,
  type AccountSource,
  type DrillPortOptions,
} from './ports.js';
export { DrillServiceAudit } from './service-audit.js';
export { DrillEcrRestoreOps } from './ecr-restore.js';
export { ARCHIVE_RESTORE_MS, ECR_REPLICATION_DELAY_MS, type SimReplicationRule } from './ecr.js';
export { createDrillJobHandlers, DRILL_JOB_KINDS } from './builtins.js';
export { renderDrillStart, renderDrillStatus, renderScenarioList } from './render.js';
export { SCENARIOS, findScenario } from './scenarios/index.js';
export type { DrillScenario, HealthCheck, HealthReport, Remedy, ScenarioFault } from './scenario.js';
export { deliveredByLifeboatRules, type DrillPayload, type EmittedEvent } from './events.js';
export { DRILL_ACCOUNT, DRILL_REGION } from './ids.js';
export type { SimClock } from './scheduler.js';
