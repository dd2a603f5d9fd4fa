import type { IncidentClass } from '../intake/alert.js';

/** A runbook an incident class offers on its card. */
export interface ClassRunbook {
  /** The runbook id (`runbooks/<id>.yaml`); the `runbook-start` button carries it. */
  id: string;
  /** Shown as "Start runbook: <label>". */
  label: string;
}

/**
 * Which runbook each class offers. The runbook ids are the class names, so a runbook file
 * named after its class is found without touching this map; the runbook engine (another issue)
 * answers "not available yet" for ids it does not have.
 */
export const RUNBOOK_FOR_CLASS: Readonly<Partial<Record<IncidentClass, ClassRunbook>>> = {
  'image-unavailable': { id: 'image-unavailable', label: 'restore the missing image' },
  // A pull that fails for "not found" or "platform" is image loss: the same runbook applies.
  'image-pull-failed': { id: 'image-unavailable', label: 'restore the missing image' },
  'deployment-failed': { id: 'task-fails-to-start', label: 'tasks fail to start' },
  'task-fails-to-start': { id: 'task-fails-to-start', label: 'tasks fail to start' },
  'queue-backlog': { id: 'queue-backlog', label: 'work off the queue backlog' },
  'monitoring-blind': { id: 'monitoring-blind', label: 'restore monitoring' },
};

export function runbookFor(cls: IncidentClass): ClassRunbook | undefined {
  return RUNBOOK_FOR_CLASS[cls];
}
