/**
 * End to end: a runbook step that needs approval, through the real app router on real Redis, in a
 * Slack conversation with Slack requesters and the access policy from lifeboat.yaml. The requester
 * cannot approve their own run (refused, audited, on the timeline); someone without the operate
 * role cannot either; another operator can, and the step then runs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Requester } from '../../../src/chat/ports.js';
import {
  actionsOf,
  drillRuntime,
  e2ePrefix,
  incidentIds,
  messageText,
  runIdOf,
  runJob,
  shippedDefinitions,
  startLifeboat,
  stepLines,
  timelineOf,
  until,
  walk,
  withRunbooks,
  type LifeboatProcess,
} from './harness.js';

const running: LifeboatProcess[] = [];
afterEach(async () => {
  for (const lb of running.splice(0)) await lb.stop();
});

const APPROVED_REDEPLOY = `
id: approved-redeploy
title: Approved redeploy
description: Redeploy a service once someone other than whoever started the run has approved it.
appliesTo: [image-pull-failed, image-unavailable]
inputs:
  cluster: { description: the ECS cluster, fromIncident: target.cluster }
  service: { description: the ECS service, fromIncident: target.service }
steps:
  - id: check
    title: Check images
    command: 'check images \${inputs.cluster}/\${inputs.service}'
  - id: redeploy
    title: Redeploy the service
    command: 'redeploy \${inputs.cluster}/\${inputs.service}'
    approval: { from: operate, reason: a production deployment }
    verify: '\${steps.redeploy.steady}'
`;

const ACCESS = `
access:
  operate:
    users: [UALICE, UBOB]
`;

const channel: Conversation = { surface: 'slack', channel: 'C0INCIDENTS', threadTs: '1700000000.000100' };
const alice: Requester = { userId: 'UALICE', userName: 'alice' };
const bob: Requester = { userId: 'UBOB', userName: 'bob' };
const carol: Requester = { userId: 'UCAROL', userName: 'carol' };

describe('e2e: runbook approvals (Slack requesters, access from lifeboat.yaml)', () => {
  it('refuses approval by the requester and by someone without the role, audits both, and proceeds on approval by another operator', async () => {
    const shipped = await shippedDefinitions();
    const runbooks = withRunbooks(shipped.registry, shipped.runbooks, [{ path: 'runbooks/approved-redeploy.yaml', text: APPROVED_REDEPLOY }]);
    const runtime = drillRuntime();
    const updateService = vi.spyOn(runtime.ports.ecs, 'updateService');
    const lb = await startLifeboat({ prefix: e2ePrefix('approvals'), runtime, registry: shipped.registry, runbooks, yaml: ACCESS });
    running.push(lb);

    // The GHCR drill, with its release already re-run: only the redeploy is left to do.
    await runtime.start('ghcr-multiarch-children');
    await runJob(lb, 'drill fix rerun-release');
    await runJob(lb, 'drill advance 10m');
    const [incident] = incidentIds(await lb.say('incidents'));
    if (!incident) throw new Error('no incident');

    const runId = runIdOf(await lb.say(`runbook start approved-redeploy for ${incident}`, alice, channel));
    const waiting = await until(async () => {
      const checklist = await lb.say(`runbook status ${runId}`, alice, channel);
      return actionsOf(checklist).some((a) => a.id === 'runbook-approve') ? checklist : undefined;
    }, 'the approval step');
    expect(messageText(waiting)).toContain('needs approval by someone with the operate role other than alice (a production deployment)');
    const approve = actionsOf(waiting).find((a) => a.id === 'runbook-approve');
    if (!approve) throw new Error('no Approve button');

    // The requester presses Approve: refused.
    const own = await lb.press(approve, alice, channel);
    expect(own).toMatchObject({ tone: 'danger' });
    expect(own?.summary).toBe('Not allowed: step 2 needs approval by someone other than alice, who started this runbook. This attempt is recorded in the audit log.');
    // Someone without the operate role: refused (the router refuses the button's command).
    const outsider = await lb.press(approve, carol, channel);
    expect(outsider?.summary).toMatch(/^Not allowed/);
    expect(messageText(outsider)).toContain('needs the operate permission');
    // Still waiting, nothing deployed.
    expect(stepLines(await lb.say(`runbook status ${runId}`, alice, channel))[1]).toBe('⏸ 2. Redeploy the service · redeploy prod/web — waiting for approval');
    expect(updateService).not.toHaveBeenCalled();

    // Another operator approves: the step proceeds (it still waits for Run, which the requester may press).
    const approved = await lb.press(approve, bob, channel);
    expect(approved?.summary).toBe('Approved step 2 (Redeploy the service).');
    const done = await walk(lb, runId, { by: alice, where: channel });
    expect(done.summary).toBe('Runbook Approved redeploy completed: 2 done, 0 skipped.');
    expect(stepLines(done)[1]).toBe('✓ 2. Redeploy the service · redeploy prod/web — done (approved by bob): Redeployed prod/web: steady state with 4/4 tasks');
    expect(updateService).toHaveBeenCalledTimes(1);
    expect(runtime.current()?.healthy().healthy).toBe(true);

    // Audited: both refusals and the approval, by name, where they happened.
    const audit = (await lb.say('audit 200')).blocks.flatMap((b) => (b.type === 'code' ? [b.text] : [])).join('\n');
    expect(audit).toMatch(new RegExp(`refused\\s+alice \\(UALICE\\) in slack:C0INCIDENTS\\s+"runbook approved-redeploy \\(${runId}\\): approval by alice refused: the requester cannot approve their own runbook"`));
    expect(audit).toMatch(/refused\s+carol \(UCAROL\) in slack:C0INCIDENTS\s+"runbook approve /);
    expect(audit).toMatch(new RegExp(`confirmed\\s+bob \\(UBOB\\) in slack:C0INCIDENTS\\s+"runbook approved-redeploy \\(${runId}\\): step 2 "Redeploy the service" approved by bob"`));

    // And on the incident's timeline.
    const ofRun = (await timelineOf(lb, incident)).filter((e) => e.text.includes(runId)).map((e) => `${e.by ?? ''}: ${e.text.replace(`runbook approved-redeploy (${runId}): `, '')}`);
    expect(ofRun[0]).toBe('alice: started');
    expect(ofRun).toEqual(
      expect.arrayContaining([
        'lifeboat: step 2 "Redeploy the service" waiting for approval',
        'alice: approval by alice refused: the requester cannot approve their own runbook',
        'bob: step 2 "Redeploy the service" approved by bob',
      ]),
    );
    expect(ofRun.at(-1)).toBe('lifeboat: completed');
  });
});
