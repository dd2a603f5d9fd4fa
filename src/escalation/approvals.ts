import type { RunbookRun } from '../runbooks/model.js';
import type { ApprovalSource, WaitingApproval } from './ports.js';

/**
 * The runbook steps waiting for approval, read from the runbook store's active runs: the
 * stuck-approval rule's source. `listActive` is `RunbookStore.listActive`.
 */
export function approvalsFromRunbookStore(store: { listActive(): Promise<RunbookRun[]> }): ApprovalSource {
  return {
    async waitingApprovals(): Promise<WaitingApproval[]> {
      const out: WaitingApproval[] = [];
      for (const run of await store.listActive()) {
        run.steps.forEach((step, i) => {
          if (step.status !== 'waiting-approval' || step.since === undefined) return;
          out.push({
            ...(run.incident ? { incidentId: run.incident.id } : {}),
            runId: run.id,
            runbookId: run.runbook.id,
            stepId: step.id,
            stepTitle: run.runbook.steps[i]?.title ?? step.id,
            since: step.since,
          });
        });
      }
      return out;
    },
  };
}
