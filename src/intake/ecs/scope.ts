/**
 * Service-scoped fingerprints shared by every ECS event parser, so that a stopped task, a
 * `SERVICE_TASK_START_IMPAIRED` and a `SERVICE_STEADY_STATE` of one service talk about the same
 * conditions.
 *
 * Format: `ecs/<account>/<region>/<cluster>/<group>/<condition>` where `<group>` is the task
 * group ECS itself uses — `service:<name>` for service tasks, `family:<name>` for standalone
 * tasks — and `<cluster>` is `-` when the event does not say (old-format service ARNs). ECS names
 * cannot contain `/`, so the parts never run together.
 */

/** The conditions ECS events open or close. */
export type EcsCondition =
  | 'image-pull-failed'
  | 'task-failed-to-start'
  | 'task-start-impaired'
  | 'task-placement-failed'
  | 'task-configuration-failed'
  | 'operation-throttled'
  | 'deployment-failed'
  | (string & {});

/** Where an ECS condition lives. */
export interface EcsScope {
  account: string;
  region: string;
  cluster?: string;
  /** `service:<name>` or `family:<name>`. */
  group: string;
}

export function ecsFingerprint(scope: EcsScope, condition: EcsCondition): string {
  return `ecs/${scope.account}/${scope.region}/${scope.cluster ?? '-'}/${scope.group}/${condition}`;
}

/**
 * What a service reaching steady state ends: tasks now start, pull and get placed. Deployment
 * failure is not among them (only a completed deployment ends it), nor are service-discovery
 * health conditions (steady state says nothing about them).
 */
export const ENDED_BY_STEADY_STATE: readonly EcsCondition[] = [
  'task-start-impaired',
  'image-pull-failed',
  'task-failed-to-start',
  'task-placement-failed',
  'task-configuration-failed',
  'operation-throttled',
];

/** The service name from a task group `service:<name>`, else undefined. */
export function serviceOfGroup(group: string): string | undefined {
  return group.startsWith('service:') ? group.slice('service:'.length) || undefined : undefined;
}
