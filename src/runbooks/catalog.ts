import type { CommandRegistry } from '../commands/registry.js';
import type { Action } from '../core/message.js';
import type { RunbookDefinition } from './definition.js';
import type { ClassifyCommand } from './progress.js';

/** The loaded runbooks (`loadRunbooks`), looked up by id or by the incident class they apply to. */
export class RunbookCatalog {
  constructor(readonly runbooks: readonly RunbookDefinition[]) {}

  get(id: string): RunbookDefinition | undefined {
    return this.runbooks.find((r) => r.id === id);
  }

  /** Runbooks whose `appliesTo` names the class, in file order: what an incident card offers. */
  forClass(incidentClass: string): RunbookDefinition[] {
    return this.runbooks.filter((r) => (r.appliesTo as readonly string[]).includes(incidentClass));
  }
}

/** Action id of the "Start runbook" button; its value is `<runbook-id>:<incident-id>`. */
export const START_RUNBOOK_ACTION = 'runbook-start';

/** The "Start runbook: …" button for an incident card. */
export function startRunbookAction(runbook: RunbookDefinition, incidentId: string): Action {
  return { id: START_RUNBOOK_ACTION, label: `Start runbook: ${runbook.title}`, value: `${runbook.id}:${incidentId}`, style: 'primary' };
}

/** Classifies command texts with the command registry: whether a step may run by itself. */
export function classifyWith(registry: CommandRegistry): ClassifyCommand {
  return (text) => {
    const match = registry.match(text);
    switch (match.kind) {
      case 'matched':
        // A dry run changes nothing, exactly as the router sees it.
        return { commandId: match.command.definition.id, sideEffects: match.command.definition.sideEffects && match.args.dryRun !== true };
      case 'invalid':
        return { error: `"${text}" is not valid: ${match.errors.join('; ')}` };
      case 'unknown':
      case 'empty':
        return { error: `"${text}" is not a command this Lifeboat knows` };
    }
  };
}
