import { INCIDENT_ACTIONS } from './card.js';
import { normalizeIncidentId } from './ids.js';

/** What the Snooze button snoozes for when the surface offers no duration choice. */
export const DEFAULT_SNOOZE = '1h';

/**
 * The command a card button stands for, so a button press takes the same path as typing it —
 * permission check, audit, reply — in the router: `incident-ack` + `inc-7f3a2c` →
 * `ack inc-7f3a2c`. A Snooze value may carry a duration (`inc-7f3a2c:30m`, from a duration
 * menu). Undefined for anything else, including a value that is not an incident id.
 */
export function incidentActionCommand(actionId: string, value: string): string | undefined {
  const [rawId = '', duration] = value.split(':', 2);
  const id = normalizeIncidentId(rawId);
  if (!id) return undefined;
  switch (actionId) {
    case INCIDENT_ACTIONS.ack:
      return `ack ${id}`;
    case INCIDENT_ACTIONS.resolve:
      return `resolve ${id}`;
    case INCIDENT_ACTIONS.snooze:
      return `snooze ${id} ${duration && /^\d{1,6}[smhd]$/i.test(duration) ? duration.toLowerCase() : DEFAULT_SNOOZE}`;
    default:
      return undefined;
  }
}
