import type { AccessPolicy } from '../../../src/chat/access.js';
import type { ActionRequest, Conversation, EnqueuedJob, JobDispatcher, JobRequest, Requester } from '../../../src/chat/ports.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import type { CommandRegistry } from '../../../src/commands/registry.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { FinishedJob, JobOutcomeSource, JobOutputs } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Action, Message } from '../../../src/core/message.js';
import { accessApprovals, createRunbooks, loadRunbooks, MemoryRunbookStore, RunbookCatalog, type RunbookEngine, type RunbookIncident, type RunbookStore } from '../../../src/runbooks/index.js';
import type { RunbookEscalationRequest, RunbookTimelineEntry } from '../../../src/runbooks/ports.js';
import { MemoryAuditLog, MemoryConfirmations, RecordingSurface, messageText } from '../../support/fakes.js';
import { fakeStatus, loadShippedRegistry, openPolicy } from '../../support/router.js';

export const alice: Requester = { userId: 'UOPERATOR', userName: 'alice' };
export const carol: Requester = { userId: 'UCAROL', userName: 'carol', groups: ['SONCALL'] };
export const bob: Requester = { userId: 'UBOB', userName: 'bob' };
export const root: Requester = { userId: 'UADMIN', userName: 'root' };
export const thread: Conversation = { surface: 'slack', channel: 'CINC', threadTs: '100.1' };

/**
 * Jobs that finish when the test says so: a dispatcher (dedup keys held until the job finishes,
 * like BullMQ's) and the outcome source the engine waits on.
 */
export class ScriptedJobs implements JobDispatcher, JobOutcomeSource {
  readonly requests: (JobRequest & { jobId: string })[] = [];
  private readonly live = new Map<string, string>();
  private readonly finished = new Map<string, FinishedJob>();
  private readonly waiters = new Map<string, ((f: FinishedJob) => void)[]>();

  enqueue(request: JobRequest): Promise<EnqueuedJob> {
    const running = this.live.get(request.dedupKey);
    if (running) return Promise.resolve({ jobId: running, attached: true, state: 'active' });
    const jobId = `job-${this.requests.length + 1}`;
    this.requests.push({ ...request, jobId });
    this.live.set(request.dedupKey, jobId);
    return Promise.resolve({ jobId, attached: false, state: 'waiting' });
  }

  cancel(): Promise<'cancelled' | 'not-running' | 'unknown'> {
    return Promise.resolve('unknown');
  }

  waitForOutcome(jobId: string, options: { signal?: AbortSignal } = {}): Promise<FinishedJob> {
    const done = this.finished.get(jobId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
      options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }

  /** Ends a job (by id, or the newest of a kind) with outputs or a failure. */
  finish(which: string, outcome: Partial<FinishedJob> & { outputs?: JobOutputs } = {}): string {
    const job = which.startsWith('job-') ? this.requests.find((r) => r.jobId === which) : [...this.requests].reverse().find((r) => r.kind === which);
    if (!job) throw new Error(`no job ${which}; jobs: ${this.requests.map((r) => `${r.jobId}:${r.kind}`).join(', ')}`);
    const result: FinishedJob = { status: outcome.status ?? 'completed', ...(outcome.summary ? { summary: outcome.summary } : { summary: `${job.commandText}: done` }), ...(outcome.outputs ? { outputs: outcome.outputs } : {}) };
    this.finished.set(job.jobId, result);
    if (this.live.get(job.dedupKey) === job.jobId) this.live.delete(job.dedupKey);
    for (const resolve of this.waiters.get(job.jobId) ?? []) resolve(result);
    this.waiters.delete(job.jobId);
    return job.jobId;
  }

  kinds(): string[] {
    return this.requests.map((r) => r.kind);
  }
}

export class RecordingTimeline {
  readonly entries: (RunbookTimelineEntry & { incidentId: string })[] = [];
  append(incidentId: string, entry: RunbookTimelineEntry): Promise<void> {
    this.entries.push({ incidentId, ...entry });
    return Promise.resolve();
  }
}

export interface HarnessOptions {
  /** Runbook YAML texts (validated against the shipped commands). */
  runbooks: string[];
  incidents?: RunbookIncident[];
  policy?: AccessPolicy;
  store?: RunbookStore;
  jobs?: ScriptedJobs;
  clock?: ManualClock;
  surface?: RecordingSurface;
  audit?: MemoryAuditLog;
  timeline?: RecordingTimeline;
  escalations?: RunbookEscalationRequest[];
  jobKinds?: string[];
  /** Leave the engine's command executor unbound (as before the router exists). */
  unbound?: boolean;
}

export type Harness = Awaited<ReturnType<typeof runbookHarness>>;

/** A router over the shipped commands with the runbook engine wired as app.ts wires it, on fakes. */
export async function runbookHarness(options: HarnessOptions) {
  const jobKinds = new Set(options.jobKinds ?? ['check-images', 'redeploy', 'rebuild', 'scale', 'restore', 'diagnose-service', 'heartbeats']);
  const registry: CommandRegistry = await loadShippedRegistry([...jobKinds]);
  const loaded = loadRunbooks(options.runbooks.map((text, i) => ({ path: `runbooks/test-${i}.yaml`, text })), registry);
  const critical = loaded.problems.filter((p) => p.critical);
  if (critical.length) throw new Error(`test runbooks are broken: ${JSON.stringify(critical)}`);
  const jobs = options.jobs ?? new ScriptedJobs();
  const surface = options.surface ?? new RecordingSurface('slack');
  const audit = options.audit ?? new MemoryAuditLog();
  const timeline = options.timeline ?? new RecordingTimeline();
  const store = options.store ?? new MemoryRunbookStore();
  const clock = options.clock ?? new ManualClock();
  const escalations = options.escalations ?? [];
  const policy = options.policy ?? openPolicy;
  const incidents = new Map((options.incidents ?? []).map((i) => [i.id, i]));

  const runbooks = createRunbooks({
    catalog: new RunbookCatalog(loaded.runbooks),
    registry,
    store,
    outcomes: jobs,
    surfaces: { slack: surface, console: surface },
    timeline,
    audit,
    approvals: accessApprovals(policy),
    clock,
    logger: silentLogger,
    incidents: { get: (id) => Promise.resolve(incidents.get(id)) },
    escalation: { escalate: (r) => Promise.resolve(void escalations.push(r)) },
    confirmTtlMs: 5 * 60_000,
  });
  const router = new CommandRouter({
    registry,
    builtins: createBuiltins({ registry, jobKinds, status: { status: () => Promise.resolve(fakeStatus) }, audit, jobs, runbooks: runbooks.builtins }),
    jobs,
    jobKinds,
    audit,
    confirmations: new MemoryConfirmations(),
    access: policy,
    clock,
    confirmTtlMs: 5 * 60_000,
    logger: silentLogger,
    actionHandlers: runbooks.actionHandlers,
  });
  if (!options.unbound) runbooks.commands.bind(router);
  const engine: RunbookEngine = runbooks.engine;

  return {
    engine,
    router,
    jobs,
    surface,
    audit,
    timeline,
    store,
    clock,
    escalations,
    registry,
    /** Types a command as `who`, in the incident thread. */
    async say(text: string, who: Requester = alice, where: Conversation = thread): Promise<Message> {
      const reply = await router.handleCommand({ text, requester: who, conversation: where });
      await engine.idle();
      return reply;
    },
    /** Presses a button of the newest checklist (found by label) as `who`. */
    async press(label: string, who: Requester = alice, where: Conversation = thread): Promise<Message | undefined> {
      const action = findAction(lastChecklist(surface), label);
      const request: ActionRequest = { actionId: action.id, value: action.value, requester: who, conversation: where };
      const reply = await router.handleAction(request);
      await engine.idle();
      return reply;
    },
    async finish(which: string, outcome: Partial<FinishedJob> & { outputs?: JobOutputs } = {}): Promise<string> {
      const id = jobs.finish(which, outcome);
      await engine.idle();
      return id;
    },
    /** The run id of the only (or newest) run. */
    async runId(): Promise<string> {
      const runs = await store.listActive();
      const id = runs.at(-1)?.id ?? /rb-[0-9a-f]{10}/.exec(messageText(lastChecklist(surface)))?.[0];
      if (!id) throw new Error('no run');
      return id;
    },
  };
}

/** The checklist as it looks now: the newest update of the newest checklist post. */
export function lastChecklist(surface: RecordingSurface): Message {
  const posts = checklistPosts(surface);
  const post = posts.at(-1);
  if (!post) throw new Error('no checklist was posted');
  const updates = surface.updates.filter((u) => u.ref.ts === post.ts);
  return updates.at(-1)?.message ?? post.message;
}

export function checklistPosts(surface: RecordingSurface): { ts: string; message: Message }[] {
  return surface.posts.filter((p) => p.message.blocks[0]?.type === 'header' && p.message.blocks[0].text.startsWith('Runbook: '));
}

export function findAction(message: Message, label: string): Action {
  for (const block of message.blocks) if (block.type === 'actions') for (const a of block.actions) if (a.label.startsWith(label)) return a;
  throw new Error(`no "${label}" button in: ${messageText(message)}`);
}

export function actionLabels(message: Message): string[] {
  return message.blocks.flatMap((b) => (b.type === 'actions' ? b.actions.map((a) => a.label) : []));
}

/** The checklist's step lines. */
export function stepLines(message: Message): string[] {
  const list = message.blocks.find((b) => b.type === 'list');
  return list?.type === 'list' ? list.items : [];
}
