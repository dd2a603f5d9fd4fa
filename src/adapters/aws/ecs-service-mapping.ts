import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { lastSegment, toEpochMs } from './sdk-call.js';

/**
 * The fields of an SDK `Service` that both the image scan (`SdkEcsReader`) and the recovery
 * commands (`SdkEcsOps`) read, mapped once: SDK optionals become defaults, dates become epoch ms.
 * Each adapter adds what only it needs (revisions; events, circuit breaker, rollout reasons).
 */
export function serviceBase(s: Service) {
  return {
    arn: s.serviceArn ?? '',
    name: s.serviceName ?? lastSegment(s.serviceArn ?? ''),
    clusterArn: s.clusterArn ?? '',
    status: s.status ?? 'ACTIVE',
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    ...(s.taskDefinition !== undefined ? { taskDefinition: s.taskDefinition } : {}),
  };
}

/** The deployment fields both adapters read. */
export function deploymentBase(d: Deployment) {
  return {
    id: d.id ?? '',
    status: d.status ?? '',
    taskDefinition: d.taskDefinition ?? '',
    desiredCount: d.desiredCount ?? 0,
    runningCount: d.runningCount ?? 0,
    pendingCount: d.pendingCount ?? 0,
    ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
    ...(d.createdAt !== undefined ? { createdAt: toEpochMs(d.createdAt) } : {}),
  };
}
