import { authorize, type AccessPolicy } from '../chat/access.js';
import type { CommandDefinition } from '../commands/definition.js';
import type { ApprovalPolicy } from './ports.js';

/**
 * Approvals judged by the access policy (`access` in lifeboat.yaml), as if approving were a
 * command named `runbook-approve` with the step's role as its permission: operators (or admins)
 * may approve `from: operate` steps, admins `from: admin` ones. A grant under
 * `access.commands.runbook-approve` replaces both, like any per-command grant. In the terminal the
 * console role decides. That the approver is not the requester is the engine's own rule.
 */
export function accessApprovals(policy: AccessPolicy): ApprovalPolicy {
  const definitions = { operate: approvalDefinition('operate'), admin: approvalDefinition('admin') };
  return { mayApprove: (role, who, where) => authorize(definitions[role], who, where, policy) };
}

function approvalDefinition(permission: 'operate' | 'admin'): CommandDefinition {
  return {
    id: 'runbook-approve',
    summary: 'Approve a runbook step.',
    formats: ['runbook approve {run} {step}'],
    args: {},
    flags: {},
    examples: [],
    sideEffects: true,
    permission,
    confirm: false,
    runs: { builtin: 'runbook-step' },
  };
}
