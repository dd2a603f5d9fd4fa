import type { Builtin } from '../chat/builtin.js';
import type { ActionHandler, ActionRequest, ChatRouter } from '../chat/ports.js';
import type { RunbookBuiltinName } from '../commands/builtins/index.js';
import { tokenize } from '../commands/tokenize.js';
import { textMessage, type Message } from '../core/message.js';
import { START_RUNBOOK_ACTION } from './catalog.js';
import { renderCatalog, RUNBOOK_ACTION_IDS } from './checklist.js';
import type { RunbookEngine, StepVerb } from './engine.js';
import { RUN_ID_PATTERN } from './model.js';

const STEP_ID = /^[a-z][a-z0-9-]{0,62}$/;
const RUNBOOK_ID = /^[a-z][a-z0-9-]{0,62}$/;
const INCIDENT_ID = /^inc-[a-z0-9]{6}$/;
const INPUT_PAIR = /^([a-z][a-zA-Z0-9]*)=(.+)$/s;

/**
 * The builtins of the runbook commands (`commands/runbook*.yaml`). Each definition has several
 * formats whose literal second word is the verb (`runbook list`, `runbook skip …`); the router
 * has already matched one of them, so the builtin reads the verb from the text.
 */
export function createRunbookBuiltins(engine: RunbookEngine): Record<RunbookBuiltinName, Builtin> {
  return {
    runbook: async ({ args, request }) => {
      if (verbOf(request.text) === 'list') return renderCatalog(engine.catalog.runbooks, await engine.activeRuns());
      const runId = typeof args.run === 'string' ? args.run : undefined;
      if (runId === undefined) return engine.statusMessage();
      const run = await engine.get(runId);
      return run ? engine.checklistOf(run) : textMessage(`There is no runbook run ${runId}.`, 'warning');
    },
    'runbook-start': async ({ args, request }) => {
      const inputs = parseInputs(typeof args.inputs === 'string' ? args.inputs : '');
      if ('error' in inputs) return textMessage(inputs.error, 'warning');
      return engine.start({
        runbookId: String(args.runbook),
        ...(typeof args.incident === 'string' ? { incidentId: args.incident.toLowerCase() } : {}),
        inputs: inputs.values,
        requester: request.requester,
        conversation: request.conversation,
      });
    },
    'runbook-step': async ({ args, request }) => {
      const verb = verbOf(request.text);
      const runId = String(args.run);
      if (verb === 'abort') return engine.abort(runId, request.requester, request.conversation);
      if (verb === 'run' || verb === 'skip' || verb === 'approve' || verb === 'confirm') {
        return engine.press(verb satisfies StepVerb, runId, String(args.step), request.requester, request.conversation);
      }
      return textMessage(`Unknown runbook action "${verb}".`, 'warning');
    },
  };
}

function verbOf(text: string): string {
  return (tokenize(text)[1] ?? '').toLowerCase();
}

/** `cluster=prod service=api` → `{ cluster: 'prod', service: 'api' }`. */
export function parseInputs(text: string): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = {};
  for (const word of tokenize(text)) {
    const m = INPUT_PAIR.exec(word);
    if (!m?.[1] || m[2] === undefined) return { error: `"${word}" is not name=value: give inputs as name=value, e.g. with service=hooks-worker queue=hooks-queue.` };
    if (Object.hasOwn(values, m[1])) return { error: `input ${m[1]} is given twice.` };
    values[m[1]] = m[2];
  }
  return { values };
}

/**
 * The checklist's buttons (and the incident card's "Start runbook"), for the router's
 * `actionHandlers`. Each press becomes the equivalent typed command (`runbook run <run> <step>`)
 * and goes through `router.handleCommand`, so a button is authorised and audited exactly like
 * typing it in the terminal.
 */
export function runbookActionHandlers(): Record<string, ActionHandler> {
  const stepCommand = (verb: StepVerb | 'abort'): ActionHandler => (request, router) => {
    const [runId = '', stepId = ''] = request.value.split(':');
    if (!RUN_ID_PATTERN.test(runId) || (verb !== 'abort' && !STEP_ID.test(stepId))) return Promise.resolve(stale());
    return asCommand(router, request, verb === 'abort' ? `runbook abort ${runId}` : `runbook ${verb} ${runId} ${stepId}`);
  };
  return {
    [RUNBOOK_ACTION_IDS.run]: stepCommand('run'),
    [RUNBOOK_ACTION_IDS.confirm]: stepCommand('confirm'),
    [RUNBOOK_ACTION_IDS.skip]: stepCommand('skip'),
    [RUNBOOK_ACTION_IDS.approve]: stepCommand('approve'),
    [RUNBOOK_ACTION_IDS.abort]: stepCommand('abort'),
    [START_RUNBOOK_ACTION]: (request, router) => {
      const [runbookId = '', incidentId = ''] = request.value.split(':');
      if (!RUNBOOK_ID.test(runbookId) || !INCIDENT_ID.test(incidentId)) return Promise.resolve(stale());
      return asCommand(router, request, `runbook start ${runbookId} for ${incidentId}`);
    },
  };
}

function asCommand(router: ChatRouter, request: ActionRequest, text: string): Promise<Message> {
  return router.handleCommand({ text, requester: request.requester, conversation: request.conversation });
}

function stale(): Message {
  return textMessage('That button does not belong to a runbook Lifeboat knows; use runbook status to see the runs in progress.', 'warning');
}
