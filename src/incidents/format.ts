import type { AlertTarget } from '../intake/alert.js';
import { CLASS_LABELS, PULL_FAILURE_LABELS } from '../triage/classify.js';
import type { Incident, IncidentCounts } from './model.js';

/** `2026-01-01 10:02 UTC`: absolute, so a card reads the same whenever it is looked at. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `image pull failed (image not found)`. */
export function classLabel(incident: Pick<Incident, 'class' | 'pullFailure'>): string {
  const base = CLASS_LABELS[incident.class];
  return incident.class === 'image-pull-failed' && incident.pullFailure ? `${base} (${PULL_FAILURE_LABELS[incident.pullFailure]})` : base;
}

/** Where, in the order people say it: `account 111122223333 · us-west-2 · prod/api · image api:latest`. */
export function targetLine(target: AlertTarget): string {
  const parts: string[] = [];
  if (target.account) parts.push(`account ${target.account}`);
  if (target.region) parts.push(target.region);
  if (target.service) parts.push(target.cluster ? `${target.cluster}/${target.service}` : target.service);
  else if (target.cluster) parts.push(`cluster ${target.cluster}`);
  if (target.queue) parts.push(`queue ${target.queue}`);
  if (target.repository) parts.push(`image ${target.repository}${target.imageTag ? `:${target.imageTag}` : ''}${target.imageDigest ? `@${target.imageDigest.slice(0, 19)}` : ''}`);
  return parts.join(' · ') || 'unknown';
}

/** `2 firing of 3 alerts · 57 received · 40 duplicates · 6 state changes`. */
export function countsLine(counts: IncidentCounts): string {
  const parts = [`${counts.firing} firing of ${counts.alerts} alert${counts.alerts === 1 ? '' : 's'}`, `${counts.received} received`];
  if (counts.duplicates > 0) parts.push(`${counts.duplicates} duplicate${counts.duplicates === 1 ? '' : 's'}`);
  if (counts.stateChanges > 0) parts.push(`${counts.stateChanges} state change${counts.stateChanges === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** `Acknowledged by ana at 2026-01-01 10:02 UTC`. */
export function stateLine(incident: Incident): string {
  switch (incident.state) {
    case 'open':
      return incident.reopenCount > 0 ? `Open again since ${formatTime(incident.openedAt)} (reopened ${incident.reopenCount}×)` : `Open since ${formatTime(incident.openedAt)}`;
    case 'acknowledged':
      return `Acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}${incident.acknowledgedAt ? ` at ${formatTime(incident.acknowledgedAt)}` : ''}`;
    case 'mitigated':
      return `Mitigated${incident.mitigatedBy ? ` by ${incident.mitigatedBy}` : ''}${incident.mitigatedAt ? ` at ${formatTime(incident.mitigatedAt)}` : ''}`;
    case 'resolved': {
      const when = incident.resolvedAt ? ` at ${formatTime(incident.resolvedAt)}` : '';
      if (incident.resolution === 'superseded') return `Superseded by ${incident.supersededBy ?? 'a newer incident'}${when}`;
      if (incident.resolution === 'all-alerts-resolved') return `Resolved by itself${when}: all alerts resolved`;
      return `Resolved${incident.resolvedBy ? ` by ${incident.resolvedBy}` : ''}${when}`;
    }
  }
}

export const SEVERITY_LABELS = { critical: 'CRITICAL', high: 'HIGH', warning: 'WARNING', info: 'INFO' } as const;
