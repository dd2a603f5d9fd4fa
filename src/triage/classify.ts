import type { AlertTarget, IncidentClass, PullFailureClass, Severity } from '../intake/alert.js';

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, high: 2, critical: 3 };

/** The higher of two severities: an incident is as severe as its worst alert. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

/**
 * Classes from most to least specific: the more a class says about the cause, the earlier. An
 * incident takes the most specific class of its alerts, so a service whose backlog alarm fired
 * first becomes `image-pull-failed` once its stopped tasks arrive — and gets that runbook.
 */
const CLASS_SPECIFICITY: readonly IncidentClass[] = [
  'image-unavailable',
  'image-pull-failed',
  'deployment-failed',
  'task-fails-to-start',
  'queue-backlog',
  'monitoring-blind',
  'image-event',
  'other',
];

/** True when `candidate` says more about the cause than `current`. */
export function isMoreSpecific(candidate: IncidentClass, current: IncidentClass): boolean {
  return CLASS_SPECIFICITY.indexOf(candidate) < CLASS_SPECIFICITY.indexOf(current);
}

/** A missing image is the most actionable pull failure; "other" the least. */
const PULL_FAILURE_SPECIFICITY: readonly PullFailureClass[] = ['image-not-found', 'platform-mismatch', 'access-denied', 'registry-unreachable', 'rate-limited', 'other'];

export function morePreciseFailure(current: PullFailureClass | undefined, candidate: PullFailureClass | undefined): PullFailureClass | undefined {
  if (candidate === undefined) return current;
  if (current === undefined) return candidate;
  return PULL_FAILURE_SPECIFICITY.indexOf(candidate) < PULL_FAILURE_SPECIFICITY.indexOf(current) ? candidate : current;
}

export const CLASS_LABELS: Readonly<Record<IncidentClass, string>> = {
  'image-unavailable': 'image unavailable',
  'image-pull-failed': 'image pull failed',
  'deployment-failed': 'deployment failed',
  'task-fails-to-start': 'tasks fail to start',
  'queue-backlog': 'queue backlog',
  'monitoring-blind': 'monitoring blind',
  'image-event': 'image event',
  other: 'alert',
};

export const PULL_FAILURE_LABELS: Readonly<Record<PullFailureClass, string>> = {
  'image-not-found': 'image not found',
  'platform-mismatch': 'platform mismatch',
  'registry-unreachable': 'registry unreachable',
  'access-denied': 'access denied',
  'rate-limited': 'rate limited',
  other: 'other cause',
};

/**
 * The incident title: `prod/api: image pull failed (image not found)` for a service,
 * `jobs-queue: queue backlog` for a queue, else the name of the alert that opened it.
 */
export function incidentTitle(target: AlertTarget, cls: IncidentClass, pullFailure: PullFailureClass | undefined, firstAlertName: string): string {
  const what = cls === 'other' ? undefined : `${CLASS_LABELS[cls]}${cls === 'image-pull-failed' && pullFailure ? ` (${PULL_FAILURE_LABELS[pullFailure]})` : ''}`;
  const where = target.service ? (target.cluster ? `${target.cluster}/${target.service}` : target.service) : target.queue;
  if (where) return what ? `${where}: ${what}` : `${where}: ${firstAlertName}`;
  return firstAlertName;
}

/** Fills fields the incident does not know yet from a newer alert; known fields are kept. */
export function mergeTarget(known: AlertTarget, more: AlertTarget): AlertTarget {
  const merged: AlertTarget = { ...known };
  for (const [field, value] of Object.entries(more) as [keyof AlertTarget, string | undefined][]) {
    if (value !== undefined && value !== '' && merged[field] === undefined) merged[field] = value;
  }
  return merged;
}
