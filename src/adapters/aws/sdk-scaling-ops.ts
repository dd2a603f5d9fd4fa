/**
 * `ScalingOps` on the AWS SDK v3 Application Auto Scaling client: an ECS service's scalable target
 * (`service/<cluster>/<service>`, `ecs:service:DesiredCount`), and updating its capacity.
 * Create the client with `maxAttempts: 1`: recovery's `RecoveryCalls` owns retries, and must be the
 * one to decide that a mutation whose answer was lost (5xx) is not simply sent again.
 */
import { DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { partitionOf } from '../../images/image-reference.js';
import type { RegisterScalableTargetInput, ScalableTargetState, ScalingOps } from '../../recovery/ports.js';
import { opsCall, type OpsCallContext } from './ops-call.js';

/** Options of `SdkScalingOps`. */
export interface SdkScalingOpsOptions {
  account: string;
  region: string;
}

/** Every operation `SdkScalingOps` can send, as IAM actions. */
export const SDK_SCALING_OPS_ACTIONS = ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:RegisterScalableTarget'] as const;

/** `ScalingOps` on `ApplicationAutoScalingClient`; failures leave as `LifeboatError`. */
export class SdkScalingOps implements ScalingOps {
  constructor(
    private readonly client: ApplicationAutoScalingClient,
    private readonly options: SdkScalingOpsOptions,
  ) {}

  async describeScalableTarget(cluster: string, service: string): Promise<ScalableTargetState | undefined> {
    const resourceId = `service/${cluster}/${service}`;
    const out = await opsCall(this.ctx('application-autoscaling:DescribeScalableTargets', resourceId), () =>
      this.client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: 'ecs:service:DesiredCount' })),
    );
    const t = (out.ScalableTargets ?? []).find((x) => x.ResourceId === resourceId);
    if (!t || t.MinCapacity === undefined || t.MaxCapacity === undefined) return undefined;
    const s = t.SuspendedState;
    return {
      resourceId,
      minCapacity: t.MinCapacity,
      maxCapacity: t.MaxCapacity,
      ...(s
        ? {
            suspended: {
              ...(s.DynamicScalingInSuspended !== undefined ? { dynamicScalingInSuspended: s.DynamicScalingInSuspended } : {}),
              ...(s.DynamicScalingOutSuspended !== undefined ? { dynamicScalingOutSuspended: s.DynamicScalingOutSuspended } : {}),
              ...(s.ScheduledScalingSuspended !== undefined ? { scheduledScalingSuspended: s.ScheduledScalingSuspended } : {}),
            },
          }
        : {}),
    };
  }

  async registerScalableTarget(input: RegisterScalableTargetInput): Promise<void> {
    await opsCall({ ...this.ctx('application-autoscaling:RegisterScalableTarget', input.ResourceId), notFoundErrors: ['ObjectNotFoundException'] }, () =>
      this.client.send(new RegisterScalableTargetCommand({ ...input })),
    );
  }

  private ctx(action: string, resourceId: string): OpsCallContext {
    const { region, account } = this.options;
    // Scalable targets have ARNs of their own, but IAM policies for them are usually written as `*`.
    return { action, resource: `arn:${partitionOf(region)}:application-autoscaling:${region}:${account}:scalable-target/* (${resourceId})`, notFound: `the auto scaling target of ${resourceId}` };
  }
}
