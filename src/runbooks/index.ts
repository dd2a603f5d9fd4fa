/**
 * Guided recovery: runbook definitions (`runbooks/*.yaml`), the step engine, its chat commands
 * and buttons. The composition root calls {@link createRunbooks}, hands `builtins` and
 * `actionHandlers` to the router, then binds the router as the engine's command executor.
 */
import type { CommandExecution, CommandExecutor, CommandRequest, DispatchOptions } from '../chat/ports.js';
import { LifeboatError } from '../core/errors.js';
import { createRunbookBuiltins, runbookActionHandlers } from './builtins.js';
import { RunbookEngine, type RunbookEngineDeps } from './engine.js';

export { accessApprovals } from './approvals.js';
export { createRunbookBuiltins, runbookActionHandlers } from './builtins.js';
export { RunbookCatalog, START_RUNBOOK_ACTION, startRunbookAction } from './catalog.js';
export { checkImagesOutputs } from './check-images-outputs.js';
export { RUNBOOK_ACTION_IDS } from './checklist.js';
export { INCIDENT_CLASSES, INCIDENT_FIELDS, RUNBOOK_ACTIONS, type RunbookDefinition } from './definition.js';
export { RunbookEngine, type RunbookEngineDeps, type StartRequest, type StepVerb } from './engine.js';
export { loadRunbooks } from './load-runbooks.js';
export { MemoryRunbookStore } from './memory-store.js';
export type { RunbookRun, StepState, StepStatus } from './model.js';
export { STEP_OUTPUTS } from './outputs.js';
export type { ApprovalPolicy, IncidentLookup, RunbookEscalation, RunbookIncident, RunbookStore, RunbookTimelineEntry, TimelineSink } from './ports.js';

/**
 * The router, handed to the engine before the router exists (the router needs the runbook
 * builtins, the engine needs the router). `bind` it once the router is built; until then a
 * dispatch fails with a clear sentence instead of a null dereference.
 */
export class DeferredCommandExecutor implements CommandExecutor {
  private target: CommandExecutor | undefined;

  bind(target: CommandExecutor): void {
    this.target = target;
  }

  dispatch(request: CommandRequest, options: DispatchOptions): Promise<CommandExecution> {
    if (!this.target) return Promise.reject(new LifeboatError('INTERNAL', 'Runbooks are still starting up; try again in a moment.'));
    return this.target.dispatch(request, options);
  }
}

/** Everything the composition root wires for runbooks. */
export interface Runbooks {
  engine: RunbookEngine;
  /** For `createBuiltins({ …, runbooks: builtins })`. */
  builtins: ReturnType<typeof createRunbookBuiltins>;
  /** For `new CommandRouter({ …, actionHandlers })`. */
  actionHandlers: ReturnType<typeof runbookActionHandlers>;
  /** `commands.bind(router)` once the router exists. */
  commands: DeferredCommandExecutor;
}

export function createRunbooks(deps: Omit<RunbookEngineDeps, 'commands'>): Runbooks {
  const commands = new DeferredCommandExecutor();
  const engine = new RunbookEngine({ ...deps, commands });
  return { engine, builtins: createRunbookBuiltins(engine), actionHandlers: runbookActionHandlers(), commands };
}
