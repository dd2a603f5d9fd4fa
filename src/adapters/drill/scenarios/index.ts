/** Every drill scenario, by id (the order `drill list` shows). */
import type { DrillScenario } from '../scenario.js';
import { alertStorm } from './alert-storm.js';
import { armBuildsExhaustRetention } from './arm-builds-exhaust-retention.js';
import { ecrArchivedImage } from './ecr-archived-image.js';
import { ecrLifecycleExpiry } from './ecr-lifecycle-expiry.js';
import { ecrReplicaSurvives } from './ecr-replica-survives.js';
import { ecsFootguns } from './ecs-footguns.js';
import { ghcrMultiarchChildren } from './ghcr-multiarch-children.js';

export const SCENARIOS: readonly DrillScenario[] = [
  ecrLifecycleExpiry,
  armBuildsExhaustRetention,
  ghcrMultiarchChildren,
  ecsFootguns,
  alertStorm,
  ecrArchivedImage,
  ecrReplicaSurvives,
];

/** The scenario with this id, if any. */
export function findScenario(id: string): DrillScenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}
