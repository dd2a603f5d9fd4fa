import type { Alert } from '../intake/alert.js';
import type { GroupSnapshot } from '../incidents/ports.js';
import type { TriageSettings } from './settings.js';

/** Everything one triage decision depends on. */
export interface TriageInput {
  alert: Alert;
  groupKey: string;
  snapshot: GroupSnapshot;
  settings: TriageSettings;
  now: number;
  /** Draws a new incident id; called again if the store finds the id taken. */
  newId: () => string;
}
