import type { IncidentClass, Severity } from '../intake/alert.js';

/** Severities, worst first. */
export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const satisfies readonly Severity[];

/** The incident classes a policy may match (`image-event` never becomes an incident). */
export const INCIDENT_CLASSES_FOR_POLICIES = [
  'image-unavailable',
  'image-pull-failed',
  'deployment-failed',
  'task-fails-to-start',
  'queue-backlog',
  'monitoring-blind',
  'other',
] as const satisfies readonly IncidentClass[];

/** Timeline entries escalation writes start with this, so its own lines never count as activity. */
export const ESCALATION_TEXT_PREFIX = 'Escalation';
