import type { Builtin } from '../../chat/builtin.js';
import type { AuditLog, JobDispatcher } from '../../chat/ports.js';
import type { CommandRegistry } from '../registry.js';
import { auditBuiltin } from './audit.js';
import { cancelBuiltin } from './cancel.js';
import { helpBuiltin } from './help.js';
import { statusBuiltin, type StatusSource } from './status.js';

/** The builtin names a command definition may use in `runs.builtin`. */
export const BUILTIN_NAMES = ['help', 'status', 'audit', 'cancel'] as const;

export interface BuiltinDeps {
  registry: CommandRegistry;
  jobKinds: ReadonlySet<string>;
  status: StatusSource;
  audit: AuditLog;
  jobs: JobDispatcher;
}

export function createBuiltins(deps: BuiltinDeps): Record<(typeof BUILTIN_NAMES)[number], Builtin> {
  return {
    help: helpBuiltin(deps.registry, deps.jobKinds),
    status: statusBuiltin(deps.status),
    audit: auditBuiltin(deps.audit),
    cancel: cancelBuiltin(deps.jobs),
  };
}
