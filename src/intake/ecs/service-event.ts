import type { Alert, IncidentClass, Severity } from '../alert.js';
import { ecsClusterName, ecsServiceFromArn } from '../shared/arn.js';
import { ecsServiceConsoleUrl, linkList, safeLink } from '../shared/links.js';
import { compact } from '../shared/object.js';
import { clip, MAX_DESCRIPTION_CHARS, MAX_SUMMARY_CHARS } from '../shared/text.js';
import { IntakeError } from '../errors.js';
import type { EventBridgeEvent, EventDelivery } from '../eventbridge/envelope.js';
import { ecsFingerprint, type EcsCondition, type EcsScope } from './scope.js';

/** The service an `ECS Service Action` / `ECS Deployment State Change` is about. */
export interface ServiceRef {
  scope: EcsScope;
  service: string;
  serviceArn: string;
}

/**
 * These events name the service only in `resources[]` (there is no serviceName in `detail`). The
 * cluster comes from `detail.clusterArn` when present, else from a current-format service ARN.
 */
export function serviceOfEvent(event: EventBridgeEvent, clusterArn: string | undefined): ServiceRef {
  for (const arn of event.resources) {
    const parsed = ecsServiceFromArn(arn);
    if (!parsed) continue;
    const cluster = ecsClusterName(clusterArn) ?? parsed.cluster;
    return {
      scope: { account: event.account, region: event.region, cluster, group: `service:${parsed.service}` },
      service: parsed.service,
      serviceArn: arn,
    };
  }
  throw new IntakeError('INVALID_PAYLOAD', `${event['detail-type']}: resources[] holds no ECS service ARN`);
}

/** The fields that differ between the service-level alerts; the rest is common. */
export interface ServiceAlertSpec {
  condition: EcsCondition;
  status: Alert['status'];
  severity: Severity;
  class: IncidentClass;
  name: string;
  summary: string;
  description?: string;
  deliveryId: string;
  occurredAt: number;
  labels: Record<string, string>;
  resolvesFingerprints?: string[];
}

/** Builds a service-level ECS alert (shared by Service Action and Deployment State Change). */
export function serviceAlert(ref: ServiceRef, spec: ServiceAlertSpec, delivery: EventDelivery): Alert {
  const { scope, service } = ref;
  const alert: Alert = {
    source: delivery.source,
    deliveryId: spec.deliveryId,
    fingerprint: ecsFingerprint(scope, spec.condition),
    name: spec.name,
    status: spec.status,
    severity: spec.severity,
    class: spec.class,
    summary: clip(spec.summary, MAX_SUMMARY_CHARS),
    target: compact({ account: scope.account, region: scope.region, cluster: scope.cluster, service }),
    occurredAt: spec.occurredAt,
    labels: { serviceArn: ref.serviceArn, ...spec.labels },
  };
  if (spec.description) alert.description = clip(spec.description, MAX_DESCRIPTION_CHARS);
  if (spec.resolvesFingerprints) alert.resolvesFingerprints = spec.resolvesFingerprints;
  const links = linkList(scope.cluster ? safeLink('ECS service', ecsServiceConsoleUrl(scope.region, scope.cluster, service)) : undefined);
  if (links) alert.links = links;
  return alert;
}
