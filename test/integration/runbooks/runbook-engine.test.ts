/**
 * The runbook engine on real Redis with the real job system: BullMQ dispatcher and worker, the
 * BullMQ outcome source, the Redis run store and the router, as app.ts wires them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisRunbookStore } from '../../../src/adapters/redis/redis-runbook-store.js';
import type { Conversation, Requester } from '../../../src/chat/ports.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import { systemClock } from '../../../src/core/clock.js';
import type { JobHandlers } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import { textMessage } from '../../../src/core/message.js';
import { BullJobOutcomes } from '../../../src/jobs/index.js';
import { accessApprovals, createRunbooks, loadRunbooks, RunbookCatalog, type RunbookRun } from '../../../src/runbooks/index.js';
import { MemoryAuditLog, MemoryConfirmations, messageText } from '../../support/fakes.js';
import { fakeStatus, loadShippedRegistry, openPolicy } from '../../support/router.js';
import { testPrefix } from '../../support/redis.js';
import { gate, jobSystem, waitFor, type JobSystem } from '../jobs/fixtures/harness.js';
import { checklistPosts, findAction, lastChecklist, RecordingTimeline, stepLines } from '../../unit/runbooks/support.js';

const RUNBOOK = `
id: restart-test
title: Restart test
description: check, redeploy (waits for Run), confirm
appliesTo: [image-unavailable]
inputs:
  cluster: { description: cluster }
  service: { description: service }
steps:
  - id: check
    title: Check images
    command: 'check images \${inputs.cluster}/\${inputs.service}'
  - id: redeploy
    title: Redeploy
    command: 'redeploy \${inputs.cluster}/\${inputs.service}'
    when: '\${steps.check.missing}'
    verify: '\${steps.redeploy.steady}'
  - id: confirm
    title: Confirm
    command: 'check images \${inputs.cluster}/\${inputs.service}'
    verify: '\${steps.confirm.healthy}'
`;

const console_: Conversation = { surface: 'console', channel: 'terminal' };
const you: Requester = { userId: 'console', userName: 'you' };

let system: JobSystem | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await system?.close();
  system = undefined;
});

/** One "process": an engine, its router and outcome source over the shared Redis store and queue. */
async function lifeboatProcess(s: JobSystem, storePrefix: string) {
  const jobKinds = new Set(['check-images', 'redeploy']);
  const registry = await loadShippedRegistry([...jobKinds]);
  const { runbooks: definitions, problems } = loadRunbooks([{ path: 'runbooks/restart-test.yaml', text: RUNBOOK }], registry);
  expect(problems).toEqual([]);
  const audit = new MemoryAuditLog();
  const timeline = new RecordingTimeline();
  const outcomes = new BullJobOutcomes({ connection: s.producer, logger: silentLogger, prefix: s.prefix, pollMs: 50 });
  const store = new RedisRunbookStore(s.producer, { prefix: storePrefix });
  const runbooks = createRunbooks({
    catalog: new RunbookCatalog(definitions),
    registry,
    store,
    outcomes,
    surfaces: { console: s.surface },
    timeline,
    audit,
    approvals: accessApprovals(openPolicy),
    clock: systemClock,
    logger: silentLogger,
  });
  const router = new CommandRouter({
    registry,
    builtins: createBuiltins({ registry, jobKinds, status: { status: () => Promise.resolve(fakeStatus) }, audit, jobs: s.dispatcher, runbooks: runbooks.builtins }),
    jobs: s.dispatcher,
    jobKinds,
    audit,
    confirmations: new MemoryConfirmations(),
    access: openPolicy,
    clock: systemClock,
    confirmTtlMs: 60_000,
    logger: silentLogger,
    actionHandlers: runbooks.actionHandlers,
  });
  runbooks.commands.bind(router);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await runbooks.engine.close();
    await outcomes.close();
  };
  cleanups.push(stop);
  return { engine: runbooks.engine, router, store, audit, stop };
}

async function runIn(store: RedisRunbookStore, id: string, until: (run: RunbookRun) => boolean, what: string): Promise<RunbookRun> {
  return waitFor(async () => {
    const run = await store.get(id);
    return run && until(run) ? run : undefined;
  }, 10_000, what);
}

describe('runbook engine on Redis and BullMQ', () => {
  it('persists a run; a restarted engine resumes at the right step and completes it, updating one checklist in place', async () => {
    system = await jobSystem();
    const s = system;
    const redeployed = gate();
    let checks = 0;
    const handlers: JobHandlers = {
      'check-images': () => {
        checks += 1;
        return Promise.resolve(
          checks === 1
            ? { ...textMessage('1 image missing', 'danger'), outputs: { missing: 1, healthy: false } }
            : { ...textMessage('All images are pullable', 'success'), outputs: { missing: 0, healthy: true } },
        );
      },
      redeploy: async () => {
        await redeployed.promise;
        return { ...textMessage('prod/api is steady', 'success'), outputs: { steady: true } };
      },
    };
    await s.startWorker(handlers);
    const storePrefix = `${testPrefix('runbooks')}:`;

    // Process A: starts the run; the check runs by itself; the redeploy waits for Run; Run is pressed.
    const a = await lifeboatProcess(s, storePrefix);
    const started = await a.router.handleCommand({ text: 'runbook start restart-test with cluster=prod service=api', requester: you, conversation: console_ });
    const runId = /rb-[0-9a-f]{10}/.exec(started.summary)?.[0] ?? '';
    expect(runId).not.toBe('');
    await runIn(a.store, runId, (r) => r.steps[0]?.status === 'done', 'the check to finish');
    await waitFor(() => messageText(lastChecklist(s.surface)).includes('Run step 2'), 5000, 'the Run button');
    const run = findAction(lastChecklist(s.surface), 'Run step 2');
    const pressed = await a.router.handleAction({ actionId: run.id, value: run.value, requester: you, conversation: console_ });
    expect(pressed?.summary).toContain('Step 2 (Redeploy) started');
    await runIn(a.store, runId, (r) => r.steps[1]?.status === 'running' && r.steps[1].jobId !== undefined, 'the redeploy job');

    // Restart: process A goes away mid-step; its run is in Redis only.
    await a.stop();
    const b = await lifeboatProcess(s, storePrefix);
    expect(await b.engine.resume()).toBe(1);
    redeployed.open();

    const done = await runIn(b.store, runId, (r) => r.status === 'completed', 'the run to complete');
    expect(done.steps.map((st) => `${st.id}:${st.status}`)).toEqual(['check:done', 'redeploy:done', 'confirm:done']);
    expect(done.steps[1]?.outputs).toEqual({ steady: true });
    expect(done.steps[2]?.outputs).toEqual({ missing: 0, healthy: true });
    expect(await b.store.listActive()).toEqual([]);
    // The restarted process recorded the end of the step the first one started.
    const said = (p: { audit: MemoryAuditLog }): string[] => p.audit.entries.map((e) => e.text.replace(/rb-[0-9a-f]{10}/, 'RUN'));
    expect(said(a)).toContain('runbook restart-test (RUN): step 2 "Redeploy" started: redeploy prod/api (job ' + (done.steps[1]?.jobId ?? '') + ')');
    expect(said(a).some((t) => t.includes('"Redeploy" done'))).toBe(false);
    expect(said(b)).toContain('runbook restart-test (RUN): step 2 "Redeploy" done: prod/api is steady');

    await b.engine.idle();
    const posts = checklistPosts(s.surface);
    expect(posts).toHaveLength(1);
    const updates = s.surface.updates.filter((u) => u.ref.ts === posts[0]?.ts);
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(stepLines(lastChecklist(s.surface))).toEqual([
      '✓ 1. Check images · check images prod/api — done: 1 image missing',
      '✓ 2. Redeploy · redeploy prod/api — done: prod/api is steady',
      '✓ 3. Confirm · check images prod/api — done: All images are pullable',
    ]);
    expect(lastChecklist(s.surface).summary).toBe('Runbook Restart test completed: 3 done, 0 skipped.');
    // The jobs posted their own results, without their outputs.
    const results = s.surface.posts.map((p) => p.message).filter((m) => m.summary === 'prod/api is steady');
    expect(results).toHaveLength(1);
    expect(results[0]).not.toHaveProperty('outputs');
  });
});

describe('RedisRunbookStore', () => {
  it('lets exactly one of two writers based on the same version win, and forgets finished runs from the active list', async () => {
    system = await jobSystem();
    const store = new RedisRunbookStore(system.producer, { prefix: `${testPrefix('runbooks')}:`, keepFinishedMs: 60_000 });
    const run: RunbookRun = {
      id: 'rb-0123456789',
      version: 1,
      runbook: { id: 'x', title: 'X', description: 'x', appliesTo: ['other'], inputs: {}, steps: [{ id: 'one', title: 'One', command: 'status', onFailure: 'stop' }] },
      requester: { userId: 'U1' },
      conversation: console_,
      inputs: {},
      status: 'active',
      steps: [{ id: 'one', status: 'pending', attempts: 0 }],
      createdAt: 1,
      updatedAt: 1,
    };
    await store.create(run);
    await expect(store.create(run)).rejects.toThrow('already exists');
    const [first, second] = await Promise.all([
      store.update({ ...run, version: 2, steps: [{ id: 'one', status: 'running', attempts: 1 }] }, 1),
      store.update({ ...run, version: 2, steps: [{ id: 'one', status: 'skipped', attempts: 0 }] }, 1),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect((await store.get(run.id))?.version).toBe(2);
    expect((await store.listActive()).map((r) => r.id)).toEqual([run.id]);

    expect(await store.update({ ...run, version: 3, status: 'completed' }, 2)).toBe(true);
    expect(await store.listActive()).toEqual([]);
    expect((await store.get(run.id))?.status).toBe('completed');
    const ttl = await system.producer.pttl(`${(store as unknown as { prefix: string }).prefix}run:${run.id}`);
    expect(ttl).toBeGreaterThan(50_000);
  });
});
