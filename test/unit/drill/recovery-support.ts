import type { JobContext } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import type { Drill } from '../../../src/adapters/drill/drill.js';
import { drillScanDeps } from '../../../src/adapters/drill/port-set.js';
import { DEFAULT_RECOVERY_SETTINGS, MemoryScaleRecordStore, createRecoveryJobs, type RecoverySettings } from '../../../src/recovery/index.js';
import { createCheckImagesJob } from '../../../src/images/check-images-job.js';

/** An in-memory job context: checkpoints in a map, progress recorded. */
export function jobContext(jobId = 'job-1'): JobContext & { progressed: Message[]; checkpoints: Map<string, unknown> } {
  const checkpoints = new Map<string, unknown>();
  const progressed: Message[] = [];
  return {
    jobId,
    signal: new AbortController().signal,
    progress: (m) => {
      progressed.push(m);
      return Promise.resolve();
    },
    checkpoint: {
      get: <T>(key: string) => Promise.resolve(checkpoints.get(key) as T | undefined),
      set: (key, value) => {
        checkpoints.set(key, JSON.parse(JSON.stringify(value)));
        return Promise.resolve();
      },
    },
    log: silentLogger,
    progressed,
    checkpoints,
  };
}

/** The recovery and check-images handlers over a drill's ports, time moved by the drill. */
export function recoveryOver(drill: Drill) {
  const images = drillScanDeps(drill.ports, drill.clock);
  const queues = drill.scenario.recovery?.scale?.queues ?? {};
  const settings: RecoverySettings = {
    ...DEFAULT_RECOVERY_SETTINGS,
    scale: { ...DEFAULT_RECOVERY_SETTINGS.scale, queues: { ...DEFAULT_RECOVERY_SETTINGS.scale.queues, ...queues } },
  };
  const jobs = createRecoveryJobs({
    account: drill.ports.account,
    region: drill.ports.region,
    ecs: drill.ports.ecs,
    codebuild: drill.ports.codebuild,
    queues: drill.ports.queues,
    scaling: drill.ports.scaling,
    imageConfig: drill.ports.imageConfig,
    restore: drill.ports.restore,
    images,
    scaleRecords: new MemoryScaleRecordStore(),
    settings,
    clock: drill.clock,
    sleep: (ms, signal) => drill.sleep(ms, signal),
    random: () => 0,
  });
  return { ...jobs, checkImages: createCheckImagesJob(images) };
}
