import { describe, expect, it } from 'vitest';
import type { CommandRequest, Requester } from '../../../src/chat/ports.js';
import { LifeboatError } from '../../../src/core/errors.js';
import type { Action, Message } from '../../../src/core/message.js';
import { messageText } from '../../support/fakes.js';
import { buildTestRouter, openPolicy } from '../../support/router.js';

const alice: Requester = { userId: 'UOPERATOR', userName: 'alice' };
const bob: Requester = { userId: 'UBOB', userName: 'bob' };
const carol: Requester = { userId: 'UCAROL', userName: 'carol', groups: ['SONCALL'] };
const admin: Requester = { userId: 'UADMIN', userName: 'root' };

function slack(text: string, requester: Requester, channel = 'CINCIDENTS'): CommandRequest {
  return { text, requester, conversation: { surface: 'slack', channel, threadTs: '111.222' } };
}

function action(message: Message, id: string): Action {
  for (const b of message.blocks) if (b.type === 'actions') for (const a of b.actions) if (a.id === id) return a;
  throw new Error(`no ${id} action in ${messageText(message)}`);
}

describe('command router', () => {
  it('lists the nearest commands for an unknown one and audits the attempt', async () => {
    const { router, audit } = await buildTestRouter();
    const reply = await router.handleCommand(slack('chek images prod', bob));
    expect(messageText(reply)).toContain('check images [target]');
    const typo = await router.handleCommand(slack('redploy prod/api', bob));
    expect(messageText(typo)).toContain('redeploy <service>');
    expect(audit.outcomes()).toEqual(['(unknown):invalid', '(unknown):invalid']);
  });

  it('shows usage and an example when the arguments are wrong', async () => {
    const { router, audit } = await buildTestRouter();
    const reply = await router.handleCommand(slack('scale prod/worker to many', alice));
    expect(messageText(reply)).toContain('count must be a whole number');
    expect(messageText(reply)).toContain('scale <service> to <count>');
    const noTarget = await router.handleCommand(slack('redeploy', alice));
    expect(messageText(noTarget)).toContain('usage: redeploy <service>');
    expect(audit.outcomes()).toEqual(['scale:invalid', 'redeploy:invalid']);
  });

  it('runs read-only commands for everyone', async () => {
    const { router, audit } = await buildTestRouter();
    const reply = await router.handleCommand(slack('help', bob));
    expect(messageText(reply)).toContain('redeploy <service>');
    expect(audit.outcomes()).toEqual(['help:allowed']);
  });

  it('refuses a side-effect command to a user without the operate grant, and audits the refusal', async () => {
    const { router, audit, jobs, confirmations } = await buildTestRouter();
    const reply = await router.handleCommand(slack('redeploy prod/api', bob));
    expect(reply.tone).toBe('danger');
    expect(messageText(reply)).toContain('needs the operate permission');
    expect(jobs.requests).toEqual([]);
    expect(confirmations.items.size).toBe(0);
    expect(audit.entries[0]).toMatchObject({ userId: 'UBOB', commandId: 'redeploy', outcome: 'refused', channel: 'CINCIDENTS', surface: 'slack', args: { service: 'prod/api' } });
  });

  it('lets members of an operate user group run side-effect commands', async () => {
    const { router, audit } = await buildTestRouter();
    const reply = await router.handleCommand(slack('scale prod/worker to 4', carol));
    expect(reply.summary).toContain('Confirm');
    expect(audit.outcomes()).toEqual(['scale:awaiting-confirmation']);
  });

  it('keeps the audit log for admins', async () => {
    const { router } = await buildTestRouter();
    expect((await router.handleCommand(slack('audit', alice))).tone).toBe('danger');
    const reply = await router.handleCommand(slack('audit', admin));
    expect(messageText(reply)).toContain('refused');
    expect(messageText(reply)).toContain('UOPERATOR');
  });

  it('limits a command to the channels of its per-command grant', async () => {
    const policy = { ...openPolicy, commands: { redeploy: { users: ['UOPERATOR'], userGroups: [], channels: ['COPS'] } } };
    const { router, audit } = await buildTestRouter({ policy });
    expect((await router.handleCommand(slack('redeploy prod/api', alice, 'CRANDOM'))).tone).toBe('danger');
    expect((await router.handleCommand(slack('redeploy prod/api', alice, 'COPS'))).summary).toContain('Confirm');
    expect(audit.outcomes()).toEqual(['redeploy:refused', 'redeploy:awaiting-confirmation']);
  });

  it('runs a confirmed command only when the requester presses Confirm', async () => {
    const { router, audit, jobs } = await buildTestRouter();
    const asked = await router.handleCommand(slack('redeploy prod/api', alice));
    const confirm = action(asked, 'confirm');

    const stranger = await router.handleAction({ actionId: 'confirm', value: confirm.value, requester: carol, conversation: { surface: 'slack', channel: 'CINCIDENTS', threadTs: '111.222' } });
    expect(messageText(stranger)).toContain('Only alice');
    expect(jobs.requests).toEqual([]);

    const ran = await router.handleAction({ actionId: 'confirm', value: confirm.value, requester: alice, conversation: { surface: 'slack', channel: 'CINCIDENTS', threadTs: '111.222' } });
    expect(messageText(ran)).toContain('Started job');
    expect(jobs.requests).toEqual([expect.objectContaining({ kind: 'redeploy', dedupKey: 'redeploy:service=prod/api', data: { service: 'prod/api' } })]);

    const again = await router.handleAction({ actionId: 'confirm', value: confirm.value, requester: alice, conversation: { surface: 'slack', channel: 'CINCIDENTS' } });
    expect(messageText(again)).toContain('expired or was already used');
    expect(jobs.requests).toHaveLength(1);
    expect(audit.outcomes()).toEqual(['redeploy:awaiting-confirmation', 'redeploy:not-yours', 'redeploy:confirmed', '(confirmation):expired']);
  });

  it('lets a confirmation expire after its time', async () => {
    const { router, audit, jobs, clock } = await buildTestRouter({ ttlMs: 60_000 });
    const asked = await router.handleCommand(slack('scale prod/worker back', alice));
    clock.advance(60_001);
    const late = await router.handleAction({ actionId: 'confirm', value: action(asked, 'confirm').value, requester: alice, conversation: { surface: 'slack', channel: 'CINCIDENTS' } });
    expect(messageText(late)).toContain('expired; nothing was run');
    expect(jobs.requests).toEqual([]);
    expect(audit.outcomes()).toEqual(['scale:awaiting-confirmation', 'scale:expired']);
  });

  it('records a declined confirmation and runs nothing', async () => {
    const { router, audit, jobs } = await buildTestRouter();
    const asked = await router.handleCommand(slack('rebuild web:v1', alice));
    const reply = await router.handleAction({ actionId: 'decline', value: action(asked, 'decline').value, requester: alice, conversation: { surface: 'slack', channel: 'CINCIDENTS' } });
    expect(messageText(reply)).toContain('nothing was run');
    expect(jobs.requests).toEqual([]);
    expect(audit.outcomes()).toEqual(['rebuild:awaiting-confirmation', 'rebuild:cancelled']);
  });

  it('skips confirmation for a dry run, which never joins the real run', async () => {
    const { router, jobs } = await buildTestRouter();
    const reply = await router.handleCommand(slack('redeploy prod/api --dry-run', alice));
    expect(messageText(reply)).toContain('Started job');
    expect(jobs.requests[0]?.dedupKey).toBe('redeploy:service=prod/api,dryRun=true');
  });

  it('attaches the same command on the same target to the running job', async () => {
    const { router, jobs } = await buildTestRouter();
    const first = await router.handleCommand(slack('check images prod', bob));
    const second = await router.handleCommand(slack('check images prod', alice));
    expect(messageText(first)).toContain('Started job job-1');
    expect(messageText(second)).toContain('Already running: joined job job-1');
    expect(new Set(jobs.requests.map((r) => r.dedupKey))).toEqual(new Set(['check-images:target=prod']));
  });

  it('answers "not available yet" for a command whose job has no handler', async () => {
    const { router, jobs, audit } = await buildTestRouter({ jobKinds: [] });
    const reply = await router.handleCommand(slack('drill list', bob));
    expect(messageText(reply)).toContain('not available yet');
    expect(messageText(reply)).toContain('It is planned in drill mode');
    expect(jobs.requests).toEqual([]);
    expect(audit.entries[0]).toMatchObject({ outcome: 'failed', detail: 'not available yet' });
  });

  it('says plainly when Redis is down instead of hanging', async () => {
    const { router, jobs, audit } = await buildTestRouter();
    jobs.failWith = new LifeboatError('REDIS_UNAVAILABLE', 'Lifeboat cannot reach Redis right now; nothing was started. Try again in a minute.');
    const reply = await router.handleCommand(slack('check images', bob));
    expect(reply.tone).toBe('danger');
    expect(messageText(reply)).toContain('cannot reach Redis');
    expect(audit.entries[0]).toMatchObject({ outcome: 'failed', detail: 'REDIS_UNAVAILABLE' });
  });

  it('trusts the terminal user by the configured console role', async () => {
    const { router } = await buildTestRouter({ policy: { ...openPolicy, consoleRole: 'read' } });
    const reply = await router.handleCommand({ text: 'redeploy prod/api', requester: { userId: 'console' }, conversation: { surface: 'console', channel: 'terminal' } });
    expect(messageText(reply)).toContain('access.consoleRole');
  });
});
