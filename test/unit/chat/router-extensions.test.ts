import { describe, expect, it } from 'vitest';
import type { ActionRequest, Requester } from '../../../src/chat/ports.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { textMessage } from '../../../src/core/message.js';
import { MemoryAuditLog, MemoryConfirmations, RecordingDispatcher } from '../../support/fakes.js';
import { fakeStatus, loadShippedRegistry, openPolicy } from '../../support/router.js';

const alice: Requester = { userId: 'UOPERATOR', userName: 'alice' };
const bob: Requester = { userId: 'UBOB', userName: 'bob' };
const where = { surface: 'slack' as const, channel: 'CINC', threadTs: '1.1' };

async function router(actionHandlers: ConstructorParameters<typeof CommandRouter>[0]['actionHandlers'] = {}) {
  const jobKinds = new Set(['check-images', 'redeploy']);
  const registry = await loadShippedRegistry([...jobKinds]);
  const audit = new MemoryAuditLog();
  const jobs = new RecordingDispatcher();
  const r = new CommandRouter({
    registry,
    builtins: createBuiltins({ registry, jobKinds, status: { status: () => Promise.resolve(fakeStatus) }, audit, jobs }),
    jobs,
    jobKinds,
    audit,
    confirmations: new MemoryConfirmations(),
    access: openPolicy,
    clock: new ManualClock(),
    confirmTtlMs: 60_000,
    logger: silentLogger,
    actionHandlers,
  });
  return { router: r, audit, jobs };
}

describe('router extension points', () => {
  it('hands a feature\'s button to its registered handler, with the router to turn it into a command', async () => {
    const seen: ActionRequest[] = [];
    const { router: r, audit } = await router({
      'thing-go': (request, self) => {
        seen.push(request);
        return self.handleCommand({ text: 'status', requester: request.requester, conversation: request.conversation });
      },
    });
    const reply = await r.handleAction({ actionId: 'thing-go', value: 'x:1', requester: bob, conversation: where });
    expect(reply?.summary).toContain('Lifeboat 0.0.0-test');
    expect(seen).toEqual([expect.objectContaining({ value: 'x:1' })]);
    expect(audit.outcomes()).toEqual(['status:allowed']);
  });

  it('never lets a feature take over the router\'s own buttons, nor answers prototype names', async () => {
    const { router: r } = await router({ confirm: () => Promise.resolve(textMessage('hijacked')) });
    const reply = await r.handleAction({ actionId: 'confirm', value: 'nope', requester: alice, conversation: where });
    expect(reply?.summary).toBe('That confirmation has expired or was already used.');
    expect(await r.handleAction({ actionId: 'toString', value: '', requester: alice, conversation: where })).toBeUndefined();
  });

  describe('dispatch (for programs such as the runbook engine)', () => {
    it('queues a read-only command and says which job, audited with the caller\'s detail', async () => {
      const { router: r, audit, jobs } = await router();
      const result = await r.dispatch({ text: 'check images prod/api', requester: alice, conversation: where }, { outcome: 'allowed', detail: 'runbook rb-1 step check' });
      expect(result).toEqual({ kind: 'job', commandId: 'check-images', jobId: 'job-1', attached: false });
      expect(jobs.requests[0]).toMatchObject({ kind: 'check-images', replyTo: where });
      expect(audit.entries[0]).toMatchObject({ outcome: 'allowed', detail: 'job job-1 · runbook rb-1 step check' });
    });

    it('runs a command with side effects only when confirmed, and never asks for a confirmation itself', async () => {
      const { router: r, audit, jobs } = await router();
      const refused = await r.dispatch({ text: 'redeploy prod/api', requester: alice, conversation: where }, { outcome: 'allowed' });
      expect(refused).toMatchObject({ kind: 'rejected', reason: 'needs-confirmation' });
      expect(jobs.requests).toEqual([]);
      const ran = await r.dispatch({ text: 'redeploy prod/api', requester: alice, conversation: where }, { outcome: 'confirmed' });
      expect(ran).toMatchObject({ kind: 'job', commandId: 'redeploy' });
      expect(audit.outcomes()).toEqual(['redeploy:refused', 'redeploy:confirmed']);
    });

    it('authorises the requester like typed text, and reports unknown, invalid and unavailable commands', async () => {
      const { router: r, audit } = await router();
      expect(await r.dispatch({ text: 'redeploy prod/api', requester: bob, conversation: where }, { outcome: 'confirmed' })).toMatchObject({ kind: 'rejected', reason: 'refused' });
      expect(await r.dispatch({ text: 'launch rockets', requester: alice, conversation: where }, { outcome: 'allowed' })).toMatchObject({ kind: 'rejected', reason: 'unknown' });
      expect(await r.dispatch({ text: 'scale prod/api to many', requester: alice, conversation: where }, { outcome: 'confirmed' })).toMatchObject({ kind: 'rejected', reason: 'invalid', commandId: 'scale' });
      expect(await r.dispatch({ text: 'scale prod/api back', requester: alice, conversation: where }, { outcome: 'confirmed' })).toMatchObject({ kind: 'rejected', reason: 'not-available' });
      expect(audit.outcomes()).toEqual(['redeploy:refused', '(unknown):invalid', 'scale:invalid', 'scale:failed']);
    });

    it('returns a builtin\'s answer instead of posting it', async () => {
      const { router: r } = await router();
      const result = await r.dispatch({ text: 'status', requester: bob, conversation: where }, { outcome: 'allowed' });
      expect(result).toMatchObject({ kind: 'answered', commandId: 'status', message: { summary: expect.stringContaining('Lifeboat') } });
    });
  });
});
