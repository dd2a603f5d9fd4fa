/**
 * Simulated Application Auto Scaling for ECS services: scalable targets (min/max of
 * `ecs:service:DesiredCount`) and scheduled actions. A scaling activity moves the service's desired
 * count into [min, max]; registering a target with a new minimum above the current count scales the
 * service out at once — which is how `scale … for <queue>` raises the floor instead of fighting
 * the target.
 */
import type { SimScheduler } from './scheduler.js';

/** A scalable target. */
export interface SimScalableTarget {
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  suspended: { dynamicScalingInSuspended: boolean; dynamicScalingOutSuspended: boolean; scheduledScalingSuspended: boolean };
  createdAt: number;
}

/** One scaling activity, for status and tests. */
export interface ScalingActivity {
  at: number;
  resourceId: string;
  from: number;
  to: number;
  cause: string;
}

/** What auto scaling needs from ECS (kept as callbacks so neither module imports the other). */
export interface DesiredCountControl {
  desiredCount(resourceId: string): number | undefined;
  setDesiredCount(resourceId: string, count: number, cause: string): void;
}

/** Application Auto Scaling of the simulated account. */
export class DrillAutoScaling {
  readonly targets = new Map<string, SimScalableTarget>();
  readonly activities: ScalingActivity[] = [];

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly ecs: DesiredCountControl,
  ) {}

  /** `RegisterScalableTarget`: create, or update min/max of an existing target; then scale into range. */
  register(resourceId: string, minCapacity: number, maxCapacity: number): SimScalableTarget {
    if (minCapacity > maxCapacity) throw new Error(`drill: min ${minCapacity} > max ${maxCapacity} for ${resourceId}`);
    const existing = this.targets.get(resourceId);
    const target: SimScalableTarget = existing ?? {
      resourceId,
      minCapacity,
      maxCapacity,
      suspended: { dynamicScalingInSuspended: false, dynamicScalingOutSuspended: false, scheduledScalingSuspended: false },
      createdAt: this.scheduler.now(),
    };
    target.minCapacity = minCapacity;
    target.maxCapacity = maxCapacity;
    this.targets.set(resourceId, target);
    this.enforce(resourceId, `registered capacity ${minCapacity}–${maxCapacity}`);
    return target;
  }

  deregister(resourceId: string): void {
    this.targets.delete(resourceId);
  }

  /**
   * A scheduled action at `at` that sets min/max (and so scales the service), like
   * `PutScheduledAction` with an `at(...)` schedule.
   */
  scheduleAction(name: string, resourceId: string, at: number, capacity: { min?: number; max?: number }): void {
    this.scheduler.at(at, `scheduled action ${name}`, () => {
      const target = this.targets.get(resourceId);
      if (!target || target.suspended.scheduledScalingSuspended) return;
      if (capacity.min !== undefined) target.minCapacity = capacity.min;
      if (capacity.max !== undefined) target.maxCapacity = capacity.max;
      if (target.minCapacity > target.maxCapacity) target.maxCapacity = target.minCapacity;
      this.enforce(resourceId, `scheduled action ${name}`);
    });
  }

  private enforce(resourceId: string, why: string): void {
    const target = this.targets.get(resourceId);
    const current = this.ecs.desiredCount(resourceId);
    if (!target || current === undefined) return;
    const wanted = Math.min(Math.max(current, target.minCapacity), target.maxCapacity);
    if (wanted === current) return;
    this.activities.push({ at: this.scheduler.now(), resourceId, from: current, to: wanted, cause: why });
    this.ecs.setDesiredCount(resourceId, wanted, `Application Auto Scaling (${why})`);
  }
}
