import { describe, expect, it } from 'vitest';
import { RecordingSurface, messageText } from '../../support/fakes.js';
import type { RunbookIncident } from '../../../src/runbooks/index.js';
import { MemoryRunbookStore } from '../../../src/runbooks/index.js';
import { actionLabels, alice, bob, carol, checklistPosts, lastChecklist, root, runbookHarness, ScriptedJobs, stepLines, thread } from './support.js';

/** A runbook shaped like image-unavailable, small enough to reason about. */
const IMAGE = `
id: test-image
title: Test image recovery
description: test
appliesTo: [image-unavailable]
inputs:
  cluster: { description: the cluster, fromIncident: target.cluster }
  service: { description: the service, fromIncident: target.service }
  queue: { description: the queue, required: false }
steps:
  - id: check
    title: Check images
    command: 'check images \${inputs.cluster}/\${inputs.service}'
  - id: cause
    title: Find the cause
    action: note
    text: 'Missing: \${steps.check.cause}'
  - id: rebuild
    title: Rebuild
    command: 'rebuild \${steps.check.rebuild}'
    when: '\${steps.check.rebuild}'
  - id: redeploy
    title: Redeploy
    command: 'redeploy \${inputs.cluster}/\${inputs.service}'
    verify: '\${steps.redeploy.steady}'
  - id: confirm
    title: Confirm
    command: 'check images \${inputs.cluster}/\${inputs.service}'
    verify: '\${steps.confirm.healthy}'
  - id: backlog
    title: Scale for the backlog
    command: 'scale \${inputs.cluster}/\${inputs.service} for \${inputs.queue}'
    when: '\${inputs.queue}'
`;

const incident: RunbookIncident = {
  id: 'inc-7f3a2c',
  class: 'image-unavailable',
  title: 'prod/api: image unavailable',
  summary: 'pinned digest gone',
  target: { cluster: 'prod', service: 'api' },
  thread: { surface: 'slack', channel: 'CALERTS', threadTs: '555.1' },
};

describe('runbook engine', () => {
  it('runs read-only steps by themselves, as the requester, and stops at the first step with side effects', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    const reply = await h.say('runbook start test-image with cluster=prod service=api');
    expect(reply.summary).toMatch(/^Started runbook Test image recovery as rb-[0-9a-f]{10}/);
    expect(h.jobs.requests).toEqual([expect.objectContaining({ kind: 'check-images', data: { target: 'prod/api' }, requester: { userId: 'UOPERATOR', userName: 'alice' }, replyTo: thread })]);

    await h.finish('check-images', { summary: '1 image missing', outputs: { cause: 'pinned digest sha256:ab… is gone from repo api', rebuild: 'api:v1.4.2', missing: 1 } });
    // The note is posted in the thread; rebuild changes things, so nothing more was queued.
    expect(h.surface.posts.map((p) => p.message.summary)).toContain('Step 2 · Find the cause');
    expect(messageText(h.surface.posts.find((p) => p.message.summary === 'Step 2 · Find the cause')?.message)).toContain('Missing: pinned digest sha256:ab… is gone from repo api');
    expect(h.jobs.kinds()).toEqual(['check-images']);
    const checklist = lastChecklist(h.surface);
    expect(stepLines(checklist)).toEqual([
      '✓ 1. Check images · check images prod/api — done: 1 image missing',
      '✓ 2. Find the cause · note — done: noted in the thread',
      '→ 3. Rebuild · rebuild api:v1.4.2',
      '○ 4. Redeploy · redeploy prod/api',
      '○ 5. Confirm · check images prod/api',
      '○ 6. Scale for the backlog · scale prod/api for ‹queue›',
    ]);
    expect(messageText(checklist)).toContain('rebuild api:v1.4.2 — changes things');
    expect(actionLabels(checklist)).toEqual(['Run step 3', 'Skip step 3', 'Abort runbook']);
  });

  it('runs a step with side effects on Run, as the person who pressed it, audited as confirmed', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    await h.finish('check-images', { outputs: { rebuild: 'api:v1.4.2', missing: 1 } });
    const reply = await h.press('Run step 3', carol);
    expect(reply?.summary).toContain('Step 3 (Rebuild) started: job job-2');
    expect(h.jobs.requests[1]).toMatchObject({ kind: 'rebuild', data: { target: 'api:v1.4.2' }, requester: { userId: 'UCAROL' } });
    expect(h.audit.outcomes()).toEqual(expect.arrayContaining(['runbook-step:allowed', 'rebuild:confirmed']));
    const rebuildAudit = h.audit.entries.find((e) => e.commandId === 'rebuild');
    expect(rebuildAudit?.detail).toMatch(/^job job-2 · runbook rb-[0-9a-f]{10} step rebuild$/);
  });

  it('skips a step whose `when` is false and asks a person when it cannot tell', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    // The check reported outputs without `rebuild`: not needed.
    await h.finish('check-images', { outputs: { missing: 1 } });
    expect(stepLines(lastChecklist(h.surface))[2]).toBe('↷ 3. Rebuild · rebuild ‹check.rebuild› — skipped: not needed: step check reported no rebuild');
    expect(messageText(lastChecklist(h.surface))).toContain('Step 4 of 6 · Redeploy');

    // A check job that reports no outputs at all: Lifeboat cannot build `rebuild …`, so it says so.
    const g = await runbookHarness({ runbooks: [IMAGE] });
    await g.say('runbook start test-image with cluster=prod service=api');
    await g.finish('check-images');
    const checklist = lastChecklist(g.surface);
    expect(messageText(checklist)).toContain('cannot run: ${steps.check.rebuild} is not known: step check reported no outputs');
    expect(actionLabels(checklist)).toEqual(['Skip step 3', 'Abort runbook']);
  });

  it('holds a read-only step for a person when its `when` cannot be decided', async () => {
    const runbook = `
id: test-when
title: When unknown
description: test
appliesTo: [other]
inputs: { cluster: { description: c }, service: { description: s } }
steps:
  - { id: check, title: Check, command: 'check images \${inputs.cluster}/\${inputs.service}' }
  - { id: again, title: Check again, command: 'check images \${inputs.cluster}', when: '\${steps.check.missing}' }
`;
    const h = await runbookHarness({ runbooks: [runbook] });
    await h.say('runbook start test-when with cluster=prod service=api');
    await h.finish('check-images');
    expect(h.jobs.kinds()).toEqual(['check-images']);
    expect(messageText(lastChecklist(h.surface))).toContain('Lifeboat cannot tell whether it is needed (step check reported no outputs); run it or skip it');
    await h.press('Run step 2');
    expect(h.jobs.requests[1]).toMatchObject({ kind: 'check-images', data: { target: 'prod' } });
  });

  it('fails a step whose verification fails, stops the run, and runs it again on Retry', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    await h.finish('check-images', { outputs: { missing: 1 } });
    await h.press('Run step 4');
    await h.finish('redeploy', { summary: 'rollout stuck', outputs: { steady: false } });
    let checklist = lastChecklist(h.surface);
    expect(checklist.tone).toBe('warning');
    expect(stepLines(checklist)[3]).toBe('✗ 4. Redeploy · redeploy prod/api — failed: verification failed: ${steps.redeploy.steady} is false');
    expect(actionLabels(checklist)).toEqual(['Retry step 4', 'Skip step 4', 'Abort runbook']);
    expect(h.jobs.kinds()).toEqual(['check-images', 'redeploy']);

    await h.press('Retry step 4');
    await h.finish('redeploy', { outputs: { steady: true } });
    // The confirming check runs by itself and completes the run when healthy; no queue: backlog skipped.
    await h.finish('check-images', { outputs: { healthy: true } });
    checklist = lastChecklist(h.surface);
    expect(checklist.tone).toBe('success');
    expect(checklist.summary).toBe('Runbook Test image recovery completed: 4 done, 2 skipped.');
    expect((await h.store.listActive())).toEqual([]);
  });

  it('goes on after a failure with onFailure skip, and escalates with onFailure escalate', async () => {
    const runbook = `
id: test-failure
title: Failure handling
description: test
appliesTo: [other]
inputs: { service: { description: s } }
steps:
  - { id: audit, title: Audit, command: 'diagnose \${inputs.service}', onFailure: skip }
  - { id: redeploy, title: Redeploy, command: 'redeploy \${inputs.service}', onFailure: escalate }
`;
    const h = await runbookHarness({ runbooks: [runbook], jobKinds: ['redeploy'] });
    await h.say('runbook start test-failure with service=prod/api');
    // `diagnose` has no job handler in this build: not available, so the step fails, and is skipped.
    expect(stepLines(lastChecklist(h.surface))[0]).toMatch(/^↷ 1\. Audit · diagnose prod\/api — skipped: diagnose is not available yet\. — skipped \(onFailure: skip\)$/);
    await h.press('Run step 2');
    await h.finish('redeploy', { status: 'failed', summary: 'CannotPullContainerError on the new tasks' });
    expect(h.escalations).toEqual([expect.objectContaining({ runbookId: 'test-failure', stepId: 'redeploy', reason: 'CannotPullContainerError on the new tasks' })]);
    expect(h.surface.posts.some((p) => p.message.tone === 'danger' && p.message.summary.includes('this runbook escalates'))).toBe(true);
    expect(actionLabels(lastChecklist(h.surface))).toEqual(['Retry step 2', 'Skip step 2', 'Abort runbook']);
  });

  describe('approval', () => {
    const runbook = `
id: test-approval
title: Approval
description: test
appliesTo: [other]
inputs: { service: { description: s } }
steps:
  - { id: redeploy, title: Redeploy, command: 'redeploy \${inputs.service}', approval: { from: operate, reason: production } }
`;

    it('refuses approval by the requester, with an audit entry', async () => {
      const h = await runbookHarness({ runbooks: [runbook] });
      await h.say('runbook start test-approval with service=prod/api', alice);
      expect(messageText(lastChecklist(h.surface))).toContain('needs approval by someone with the operate role other than alice (production)');
      const reply = await h.press('Approve step 1', alice);
      expect(reply?.tone).toBe('danger');
      expect(reply?.summary).toContain('Not allowed: step 1 needs approval by someone other than alice');
      const refusal = h.audit.entries.find((e) => e.outcome === 'refused');
      expect(refusal).toMatchObject({ userId: 'UOPERATOR', commandId: 'runbook/test-approval', args: { step: 'redeploy' } });
      expect(refusal?.text).toContain('approval by alice refused: the requester cannot approve their own runbook');
      expect(actionLabels(lastChecklist(h.surface))).toEqual(['Approve step 1', 'Skip step 1', 'Abort runbook']);
      expect(h.jobs.requests).toEqual([]);
    });

    it('refuses someone without the role (the router refuses the button), and audits it', async () => {
      const h = await runbookHarness({ runbooks: [runbook] });
      await h.say('runbook start test-approval with service=prod/api', alice);
      const reply = await h.press('Approve step 1', bob);
      expect(reply?.summary).toBe('Not allowed.');
      expect(h.audit.outcomes()).toContain('runbook-step:refused');
      expect(actionLabels(lastChecklist(h.surface))).toContain('Approve step 1');
    });

    it('refuses an operator when the step wants an admin', async () => {
      const h = await runbookHarness({ runbooks: [runbook.replace('from: operate', 'from: admin')] });
      await h.say('runbook start test-approval with service=prod/api', alice);
      const reply = await h.press('Approve step 1', carol);
      expect(reply?.summary).toContain('Not allowed to approve step 1: `runbook-approve` needs the admin permission');
      expect(h.audit.entries.filter((e) => e.outcome === 'refused').map((e) => e.userId)).toEqual(['UCAROL']);
      await h.press('Approve step 1', root);
      expect(actionLabels(lastChecklist(h.surface))).toEqual(['Run step 1', 'Skip step 1', 'Abort runbook']);
    });

    it('proceeds when an allowed other user approves; the step then runs on Run', async () => {
      const h = await runbookHarness({ runbooks: [runbook] });
      await h.say('runbook start test-approval with service=prod/api', alice);
      const approved = await h.press('Approve step 1', carol);
      expect(approved?.summary).toBe('Approved step 1 (Redeploy).');
      expect(h.audit.entries.find((e) => e.outcome === 'confirmed' && e.commandId === 'runbook/test-approval')?.text).toContain('approved by carol');
      await h.press('Run step 1', alice);
      expect(h.jobs.requests).toEqual([expect.objectContaining({ kind: 'redeploy', requester: { userId: 'UOPERATOR', userName: 'alice' } })]);
      await h.finish('redeploy');
      expect(stepLines(lastChecklist(h.surface))).toEqual(['✓ 1. Redeploy · redeploy prod/api — done (approved by carol): redeploy prod/api: done']);
    });
  });

  it('with confirm: true asks the person who pressed Run to confirm, only them, before it expires', async () => {
    const runbook = `
id: test-confirm
title: Confirm
description: test
appliesTo: [other]
inputs: { service: { description: s } }
steps:
  - { id: redeploy, title: Redeploy, command: 'redeploy \${inputs.service}', confirm: true }
`;
    const h = await runbookHarness({ runbooks: [runbook] });
    await h.say('runbook start test-confirm with service=prod/api');
    const prompt = await h.press('Run step 1', alice);
    expect(prompt?.summary).toBe('Confirm step 1: redeploy prod/api');
    expect(h.jobs.requests).toEqual([]);

    const stranger = await h.press('Confirm step 1', carol);
    expect(stranger?.summary).toBe('Only alice, who pressed Run, can confirm step 1.');
    expect(h.audit.outcomes()).toContain('runbook/test-confirm:not-yours');

    h.clock.advance(5 * 60_000 + 1);
    const late = await h.press('Confirm step 1', alice);
    expect(late?.summary).toContain('expired; nothing was run');
    expect(h.jobs.requests).toEqual([]);

    await h.press('Run step 1', alice);
    await h.press('Confirm step 1', alice);
    expect(h.jobs.requests).toEqual([expect.objectContaining({ kind: 'redeploy' })]);
  });

  it('turns every button into a command, so a user without the operate grant is refused and audited', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    await h.finish('check-images', { outputs: { rebuild: 'api:v1', missing: 1 } });
    const reply = await h.press('Skip step 3', bob);
    expect(reply?.summary).toBe('Not allowed.');
    expect(h.audit.entries.at(-1)).toMatchObject({ userId: 'UBOB', commandId: 'runbook-step', outcome: 'refused' });
    expect(h.audit.entries.at(-1)?.text).toMatch(/^runbook skip rb-[0-9a-f]{10} rebuild$/);
    expect(stepLines(lastChecklist(h.surface))[2]).toMatch(/^→ 3\./);
  });

  it('keeps the checklist one message, updated in place', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api queue=hooks-queue');
    await h.finish('check-images', { outputs: { missing: 1 } });
    await h.press('Run step 4');
    await h.finish('redeploy', { outputs: { steady: true } });
    await h.finish('check-images', { outputs: { healthy: true } });
    await h.press('Run step 6');
    await h.finish('scale', { outputs: { drained: true } });
    const posts = checklistPosts(h.surface);
    expect(posts).toHaveLength(1);
    const updates = h.surface.updates;
    // One update per burst of transitions (a press, a job ending), not one per transition.
    expect(updates.length).toBeGreaterThanOrEqual(5);
    expect(updates.length).toBeLessThanOrEqual(8);
    expect(new Set(updates.map((u) => u.ref.ts))).toEqual(new Set([posts[0]?.ts]));
    expect(lastChecklist(h.surface).summary).toBe('Runbook Test image recovery completed: 5 done, 1 skipped.');
  });

  it('starts for an incident: inputs from it, checklist in its thread, every transition on its timeline', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE], incidents: [incident] });
    const reply = await h.say('runbook start test-image for INC-7F3A2C');
    expect(reply.summary).toContain('the checklist is in the incident thread');
    expect(checklistPosts(h.surface)).toHaveLength(1);
    expect(h.surface.posts[0]?.to).toEqual(incident.thread);
    expect(h.jobs.requests[0]).toMatchObject({ data: { target: 'prod/api' }, replyTo: incident.thread });
    expect(messageText(lastChecklist(h.surface))).toContain('for inc-7f3a2c (prod/api: image unavailable)');

    await h.finish('check-images', { outputs: { missing: 0 } });
    const lines = h.timeline.entries.map((e) => `${e.incidentId} ${e.by}: ${e.text.replace(/rb-[0-9a-f]{10}/, 'RUN')}`);
    expect(lines).toEqual([
      'inc-7f3a2c alice: runbook test-image (RUN): started',
      'inc-7f3a2c alice: runbook test-image (RUN): step 1 "Check images" started: check images prod/api (job job-1)',
      'inc-7f3a2c lifeboat: runbook test-image (RUN): step 1 "Check images" done: check images prod/api: done',
      'inc-7f3a2c lifeboat: runbook test-image (RUN): step 2 "Find the cause" note shown',
      'inc-7f3a2c lifeboat: runbook test-image (RUN): step 3 "Rebuild" skipped: not needed: step check reported no rebuild',
    ]);
    expect(h.timeline.entries.every((e) => e.incidentId === 'inc-7f3a2c' && e.runId.startsWith('rb-'))).toBe(true);

    const again = await h.say('runbook start test-image for inc-7f3a2c');
    expect(again.summary).toMatch(/already running for inc-7f3a2c as rb-/);
  });

  it('refuses a runbook for another incident class, asks for missing inputs, and refuses inputs that are not one word', async () => {
    const other: RunbookIncident = { ...incident, id: 'inc-b4ckl9', class: 'queue-backlog' };
    const h = await runbookHarness({ runbooks: [IMAGE], incidents: [other] });
    expect((await h.say('runbook start test-image for inc-b4ckl9')).summary).toContain('is for image-unavailable incidents; inc-b4ckl9 is queue-backlog');
    const missing = await h.say('runbook start test-image with cluster=prod');
    expect(messageText(missing)).toContain('service — the service');
    expect(messageText(missing)).toContain('runbook start test-image with cluster=prod service=…');
    // The same text as a "Fill in" action: Slack opens a modal with it, the terminal shows it to type.
    expect(missing.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : []))).toEqual([
      { id: 'fill-in-command', label: 'Fill in the inputs…', value: 'runbook start test-image with cluster=prod service=…', style: 'primary' },
    ]);
    const flag = await h.say('runbook start test-image with cluster=prod service=api --digest sha256:00');
    expect(flag.tone).toBe('warning');
    const sneaky = await h.say('runbook start test-image with cluster=prod service=api;reboot');
    expect(messageText(sneaky)).toContain('service \\"api;reboot\\" must be one word');
    expect(h.jobs.requests).toEqual([]);
    expect(await h.store.listActive()).toEqual([]);
  });

  it('blocks a step whose output is not a single word, instead of running something else', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    await h.finish('check-images', { outputs: { rebuild: 'api:v1 --ref evil', missing: 1 } });
    expect(messageText(lastChecklist(h.surface))).toContain('${steps.check.rebuild} is \\"api:v1 --ref evil\\", which is not a single word a command can take');
    expect(actionLabels(lastChecklist(h.surface))).toEqual(['Skip step 3', 'Abort runbook']);
  });

  it('aborts: nothing more runs, and a running job is named', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    await h.say('runbook start test-image with cluster=prod service=api');
    const reply = await h.press('Abort runbook', carol);
    expect(reply?.summary).toContain('Job job-1 of step "check" is still running');
    await h.finish('check-images', { outputs: { missing: 1 } });
    expect(lastChecklist(h.surface).summary).toBe('Runbook Test image recovery aborted by carol.');
    expect(actionLabels(lastChecklist(h.surface))).toEqual([]);
    expect(h.jobs.kinds()).toEqual(['check-images']);
  });

  it('resumes after a restart: a new engine re-attaches to the running job and carries on', async () => {
    const store = new MemoryRunbookStore();
    const jobs = new ScriptedJobs();
    const surface = new RecordingSurface('slack');
    const first = await runbookHarness({ runbooks: [IMAGE], store, jobs, surface });
    await first.say('runbook start test-image with cluster=prod service=api');
    await first.engine.close();

    const second = await runbookHarness({ runbooks: [IMAGE], store, jobs, surface });
    expect(await second.engine.resume()).toBe(1);
    await second.finish('check-images', { outputs: { missing: 1 } });
    expect(messageText(lastChecklist(surface))).toContain('Step 4 of 6 · Redeploy');
    expect(checklistPosts(surface)).toHaveLength(1);
  });

  it('after a crash mid-dispatch, runs a read-only step again but leaves a step with side effects to a person', async () => {
    const store = new MemoryRunbookStore();
    const jobs = new ScriptedJobs();
    const surface = new RecordingSurface('slack');
    const first = await runbookHarness({ runbooks: [IMAGE], store, jobs, surface });
    await first.say('runbook start test-image with cluster=prod service=api');
    await first.engine.close();
    // As a process that died between claiming the step and learning its job id leaves it.
    const runId = await first.runId();
    const run = (await store.get(runId))!;
    run.steps[0] = { id: 'check', status: 'running', attempts: 1, command: 'check images prod/api', since: first.clock.now() - 60_000 };
    await store.update({ ...run, version: run.version + 1 }, run.version);

    const second = await runbookHarness({ runbooks: [IMAGE], store, jobs, surface, clock: first.clock });
    await second.engine.resume();
    await second.engine.idle();
    // Dispatched again: the job the dead process had queued is still live, so the step joins it.
    expect((await store.get(runId))?.steps[0]).toMatchObject({ status: 'running', jobId: 'job-1', attempts: 1 });
    expect(jobs.kinds()).toEqual(['check-images']);
    await second.finish('check-images', { outputs: { missing: 1, rebuild: 'api:v1' } });
    await second.press('Run step 3');
    await second.engine.close();

    const again = (await store.get(runId))!;
    again.steps[2] = { id: 'rebuild', status: 'running', attempts: 1, command: 'rebuild api:v1', since: first.clock.now() - 60_000 };
    await store.update({ ...again, version: again.version + 1 }, again.version);
    const third = await runbookHarness({ runbooks: [IMAGE], store, jobs, surface, clock: first.clock });
    await third.engine.resume();
    await third.engine.idle();
    expect(jobs.kinds()).toEqual(['check-images', 'rebuild']);
    expect(stepLines(lastChecklist(surface))[2]).toBe('✗ 3. Rebuild · rebuild api:v1 — failed: interrupted before Lifeboat learned its job; check the thread for it, then Retry or Skip');
  });

  it('never leaves a step claimed when its command cannot even be dispatched', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE], unbound: true });
    await h.say('runbook start test-image with cluster=prod service=api');
    const checklist = lastChecklist(h.surface);
    expect(stepLines(checklist)[0]).toBe('→ 1. Check images · check images prod/api');
    expect(messageText(checklist)).toContain('it could not run as alice: Runbooks are still starting up; try again in a moment.');
    expect(actionLabels(checklist)).toEqual(['Run step 1', 'Skip step 1', 'Abort runbook']);
  });

  it('lists runbooks and runs, and shows one run\'s checklist with live buttons', async () => {
    const h = await runbookHarness({ runbooks: [IMAGE] });
    expect(messageText(await h.say('runbook list', bob))).toContain('test-image — Test image recovery (for image-unavailable; 6 steps; inputs cluster, service, queue?)');
    await h.say('runbook start test-image with cluster=prod service=api');
    const runId = await h.runId();
    expect(messageText(await h.say('runbook status', bob))).toContain(`${runId} · Test image recovery · step 1 of 6 (Check images, running (job job-1))`);
    const copy = await h.say(`runbook status ${runId}`, bob);
    expect(copy.blocks[0]).toEqual({ type: 'header', text: 'Runbook: Test image recovery' });
    expect(actionLabels(copy)).toEqual(['Abort runbook']);
  });
});
