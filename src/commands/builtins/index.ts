import type { Builtin } from '../../chat/builtin.js';
import type { AuditLog, JobDispatcher } from '../../chat/ports.js';
import { textMessage } from '../../core/message.js';
import { ESCALATION_BUILTIN_NAMES, type EscalationBuiltinName } from '../../escalation/builtins.js';
import { createIncidentBuiltins, INCIDENT_BUILTIN_NAMES, type IncidentBuiltinDeps, type IncidentBuiltinName } from '../../incidents/builtins.js';
import type { CommandRegistry } from '../registry.js';
import { auditBuiltin } from './audit.js';
import { cancelBuiltin } from './cancel.js';
import { helpBuiltin } from './help.js';
import { statusBuiltin, type StatusSource } from './status.js';

/** The runbook commands' builtins; `createRunbookBuiltins` (src/runbooks/builtins.ts) makes them. */
export const RUNBOOK_BUILTIN_NAMES = ['runbook', 'runbook-start', 'runbook-step'] as const;
export type RunbookBuiltinName = (typeof RUNBOOK_BUILTIN_NAMES)[number];

/** The builtin names a command definition may use in `runs.builtin`. */
export const BUILTIN_NAMES = ['help', 'status', 'audit', 'cancel', ...INCIDENT_BUILTIN_NAMES, ...RUNBOOK_BUILTIN_NAMES, ...ESCALATION_BUILTIN_NAMES] as const;

export interface BuiltinDeps {
  registry: CommandRegistry;
  jobKinds: ReadonlySet<string>;
  status: StatusSource;
  audit: AuditLog;
  jobs: JobDispatcher;
  /**
   * The incident store for `incidents`, `incident`, `ack`, `mitigate`, `resolve`, `reopen` and
   * `snooze`. Optional only until the composition root wires it; without it those commands say so.
   */
  incidents?: IncidentBuiltinDeps;
  /** From `createRunbookBuiltins(engine)`; without them the runbook commands say runbooks are not set up. */
  runbooks?: Readonly<Record<RunbookBuiltinName, Builtin>>;
  /** From `createEscalationBuiltins(...)` (src/escalation/builtins.ts); without them `escalate`, `oncall` and `policy` say escalation is not set up. */
  escalation?: Readonly<Record<EscalationBuiltinName, Builtin>>;
}

export function createBuiltins(deps: BuiltinDeps): Record<(typeof BUILTIN_NAMES)[number], Builtin> {
  return {
    help: helpBuiltin(deps.registry, deps.jobKinds),
    status: statusBuiltin(deps.status),
    audit: auditBuiltin(deps.audit),
    cancel: cancelBuiltin(deps.jobs),
    ...(deps.incidents ? createIncidentBuiltins(deps.incidents) : incidentsNotWired()),
    ...(deps.runbooks ?? runbooksNotWired()),
    ...(deps.escalation ?? escalationNotWired()),
  };
}

function escalationNotWired(): Record<EscalationBuiltinName, Builtin> {
  const builtin: Builtin = () => Promise.resolve(textMessage('Escalation is not set up in this Lifeboat process.', 'warning'));
  return Object.fromEntries(ESCALATION_BUILTIN_NAMES.map((name) => [name, builtin])) as Record<EscalationBuiltinName, Builtin>;
}

function runbooksNotWired(): Record<RunbookBuiltinName, Builtin> {
  const builtin: Builtin = () => Promise.resolve(textMessage('Runbooks are not set up in this Lifeboat process.', 'warning'));
  return { runbook: builtin, 'runbook-start': builtin, 'runbook-step': builtin };
}

function incidentsNotWired(): Record<IncidentBuiltinName, Builtin> {
  const builtin: Builtin = () => Promise.resolve(textMessage('Incidents are not set up in this Lifeboat process.', 'warning'));
  return Object.fromEntries(INCIDENT_BUILTIN_NAMES.map((name) => [name, builtin])) as Record<IncidentBuiltinName, Builtin>;
}
