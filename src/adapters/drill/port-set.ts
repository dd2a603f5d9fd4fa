/**
 * Every port a drill stands in for, built over one account source — what the composition root
 * uses instead of the AWS adapters in drill mode.
 */
import { MemoryCache } from '../../images/cache.js';
import type { ImageIndex } from '../../images/oci-index.js';
import type { EcrReader, EcsReader, EcsServiceRevision, EcsTaskDefinition, ImmutableCache, RegistryClient } from '../../images/ports.js';
import type { ScanDeps } from '../../images/scan.js';
import type { ServiceAuditReader } from '../../recovery/diagnose-ports.js';
import type { CodeBuildOps, EcrRestoreOps, EcsOps, ImageConfigReader, QueueOps, ScalingOps } from '../../recovery/ports.js';
import type { RecoverySettings } from '../../recovery/settings.js';
import type { Clock } from '../../core/clock.js';
import { DrillEcrRestoreOps } from './ecr-restore.js';
import { DRILL_ACCOUNT, DRILL_GHCR_HOST, DRILL_REGION } from './ids.js';
import { SCENARIOS } from './scenarios/index.js';
import {
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
import { DrillServiceAudit } from './service-audit.js';

/** The drill's stand-ins for every AWS and registry port. */
export interface DrillPorts {
  account: string;
  region: string;
  /** images: `ScanTarget.ecs`. */
  ecsReader: EcsReader;
  /** images: `ScanDeps.ecrFor` answers this for the drill account in `region` (other registries are denied). */
  ecrReader: EcrReader;
  /**
   * The drill account's ECR in any Region: `ecrReader` for `region`, a reader over a replica
   * Region's registry for that Region (no repositories where the drill has none).
   */
  ecrReaderIn(region: string): EcrReader;
  /** images: `ScanDeps.registry` (the simulated ghcr.io; other hosts answer an error). */
  registry: RegistryClient;
  /** recovery: `RecoveryDeps.ecs`. */
  ecs: EcsOps;
  /** recovery: `RecoveryDeps.codebuild`. */
  codebuild: CodeBuildOps;
  /** recovery: `RecoveryDeps.queues`. */
  queues: QueueOps;
  /** recovery: `RecoveryDeps.scaling`. */
  scaling: ScalingOps;
  /** recovery: `RecoveryDeps.imageConfig`. */
  imageConfig: ImageConfigReader;
  /** recovery: `createDiagnoseJob({ audit })`. */
  audit: ServiceAuditReader;
  /** recovery: `RecoveryDeps.restore` (archive restores, exact-digest copies from replicas). */
  restore: EcrRestoreOps;
}

const UNLIMITED = { ratePerSecond: 1_000_000, burst: 1_000_000, maxInFlight: 64 };

/** Build the ports over `source` (a getter, so a runtime can swap drills underneath). */
export function drillPorts(source: AccountSource, options: DrillPortOptions = {}): DrillPorts {
  const ecrReader = new DrillEcrReader(source, options);
  const readers = new Map<string, EcrReader>([[DRILL_REGION, ecrReader]]);
  return {
    account: DRILL_ACCOUNT,
    region: DRILL_REGION,
    ecsReader: new DrillEcsReader(source, options),
    ecrReader,
    ecrReaderIn(region) {
      let reader = readers.get(region);
      if (!reader) {
        reader = new DrillEcrReader(source, options, region);
        readers.set(region, reader);
      }
      return reader;
    },
    registry: new DrillRegistryClient(source),
    ecs: new DrillEcsOps(source, options),
    codebuild: new DrillCodeBuildOps(source, options),
    queues: new DrillQueueOps(source, options),
    scaling: new DrillScalingOps(source, options),
    imageConfig: new DrillImageConfigReader(source, options),
    audit: new DrillServiceAudit(source, options),
    restore: new DrillEcrRestoreOps(source, options),
  };
}

/**
 * `ScanDeps` for `runImageScan` / `createCheckImagesJob` over the drill ports. Caches are scoped
 * to `generation` (bump it when a new drill starts: ARNs repeat across drills).
 */
export function drillScanDeps(ports: DrillPorts, clock: Clock, generation: () => number = () => 0): ScanDeps {
  const scoped = <T>(): ImmutableCache<T> => new DrillScopedCache(new MemoryCache<T>(), generation);
  return {
    targets: [{ account: ports.account, region: ports.region, ecs: ports.ecsReader }],
    // The reader checks the registry id itself: another account's registry is denied.
    ecrFor: (_registryId, region) => ports.ecrReaderIn(region),
    registry: ports.registry,
    taskDefinitions: scoped<EcsTaskDefinition>(),
    manifests: scoped<ImageIndex>(),
    revisions: scoped<EcsServiceRevision>(),
    clock,
    // Simulated calls are free and the simulated clock does not move during a scan: no pacing
    // (a budget waiting for its bucket to refill on a stopped clock would wait forever), no jitter.
    budgets: { ecs: UNLIMITED, ecr: UNLIMITED, registry: UNLIMITED },
    // GHCR deletes untagged children a tagged index still uses: warn about in-use ones there.
    retentionWarningHosts: new Set([DRILL_GHCR_HOST]),
    sleep: () => Promise.resolve(),
    random: () => 0,
  };
}

/**
 * The recovery settings drills need on top of the configured ones: each scenario's queue scaling
 * (`hooks-queue`: 40 messages a task a minute, …). CodeBuild projects are found by their
 * `lifeboat:repository` tag, so `rebuild.projects` needs nothing.
 */
export function drillRecoverySettings(base: RecoverySettings): RecoverySettings {
  const queues = Object.assign({}, ...SCENARIOS.map((s) => s.recovery?.scale?.queues ?? {})) as RecoverySettings['scale']['queues'];
  return { ...base, scale: { ...base.scale, queues: { ...queues, ...base.scale.queues } } };
}
