import { describe, expect, it } from 'vitest';
import type { CommandRequest, Requester } from '../../../src/chat/ports.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Incident } from '../../../src/incidents/model.js';
import { MemoryAuditLog, MemoryConfirmations, messageText, RecordingDispatcher } from '../../support/fakes.js';
import { fakeStatus, loadShippedRegistry, openPolicy } from '../../support/router.js';
import { alarm, stoppedTask } from './alerts.js';
import { harness, MINUTE } from './harness.js';

const operator: Requester = { userId: 'UOPERATOR', userName: 'alice' };
const onCall: Requester = { userId: 'UCAROL', userName: 'carol', groups: ['SONCALL'] };
const bystander: Requester = { userId: 'UBOB', userName: 'bob' };

function slack(text: string, requester: Requester): CommandRequest {
  return { text, requester, conversation: { surface: 'slack', channel: 'CALERTS', threadTs: '1.2' } };
}

async function setup() {
  const h = harness();
  const registry = await loadShippedRegistry();
  const audit = new MemoryAuditLog();
  const jobs = new RecordingDispatcher();
  const changed: Incident[] = [];
  const router = new CommandRouter({
    registry,
    builtins: createBuiltins({
      registry,
      jobKinds: new Set(),
      status: { status: () => Promise.resolve(fakeStatus) },
      audit,
      jobs,
      incidents: { store: h.store, onChange: (i) => Promise.resolve(void changed.push(i)) },
    }),
    jobs,
    jobKinds: new Set(),
    audit,
    confirmations: new MemoryConfirmations(),
    access: openPolicy,
    clock: h.clock,
    confirmTtlMs: 300_000,
    logger: silentLogger,
  });
  return { ...h, router, audit, changed };
}

describe('incident commands', () => {
  it('list open incidents worst first, and all of them on request', async () => {
    const { ingest, router, clock } = await setup();
    await ingest(alarm('alb-5xx', 'ALARM', { overrides: { severity: 'warning' } }));
    clock.advance(MINUTE);
    const pull = await ingest(stoppedTask('api'));
    const reply = await router.handleCommand(slack('incidents', bystander));
    expect(reply.summary).toBe('Open incidents: 2');
    const items = reply.blocks.find((b) => b.type === 'list');
    expect(items?.type === 'list' && items.items[0]).toContain(pull.incident?.id);
    expect((await router.handleCommand(slack('incidents all', bystander))).summary).toBe('Incidents: 2');
  });

  it('show one incident by id, whatever its case, and say so for an unknown one', async () => {
    const { ingest, router } = await setup();
    const out = await ingest(stoppedTask('api'));
    const reply = await router.handleCommand(slack(`incident ${out.incident!.id.toUpperCase()}`, bystander));
    expect(messageText(reply)).toContain('Timeline');
    expect(messageText(await router.handleCommand(slack('incident inc-zzzzzz', bystander)))).toContain('There is no incident inc-zzzzzz');
  });

  it('acknowledge for the on-call group, report it, tell the card updater, and refuse a second ack politely', async () => {
    const { ingest, router, changed, audit } = await setup();
    const out = await ingest(stoppedTask('api'));
    const id = out.incident!.id;
    const reply = await router.handleCommand(slack(`ack ${id}`, onCall));
    expect(reply.summary).toBe(`${id}: Acknowledged by carol.`);
    expect(changed.map((i) => i.state)).toEqual(['acknowledged']);
    const again = await router.handleCommand(slack(`ack ${id}`, operator));
    expect(again.summary).toBe(`${id} is already acknowledged by carol.`);
    expect(audit.outcomes()).toEqual(['ack:allowed', 'ack:allowed']);
  });

  it('refuse state changes to people without the operate grant, and audit it', async () => {
    const { ingest, router, audit, store } = await setup();
    const out = await ingest(stoppedTask('api'));
    const reply = await router.handleCommand(slack(`resolve ${out.incident!.id}`, bystander));
    expect(reply.tone).toBe('danger');
    expect(audit.outcomes()).toEqual(['resolve:refused']);
    expect((await store.get(out.incident!.id))?.incident.state).toBe('open');
  });

  it('snooze for a duration, resolve, and reopen', async () => {
    const { ingest, router, store } = await setup();
    const out = await ingest(stoppedTask('api'));
    const id = out.incident!.id;
    const snoozed = await router.handleCommand(slack(`snooze ${id} 2h`, operator));
    expect(snoozed.summary).toBe(`${id}: Snoozed by alice for 2 h (this acknowledges it): notifications and the stale rule wait until then.`);
    expect((await store.get(id))?.incident).toMatchObject({ state: 'acknowledged', snoozedUntil: out.incident!.createdAt + 2 * 60 * MINUTE });
    expect(messageText(await router.handleCommand(slack(`snooze ${id} 3d`, operator)))).toContain('at most 24 h');
    expect((await router.handleCommand(slack(`resolve ${id}`, operator))).summary).toContain('Resolved by alice while 1 of its alerts were still firing');
    expect((await router.handleCommand(slack(`reopen ${id}`, operator))).summary).toBe(`${id}: Reopened by alice.`);
    expect(messageText(await router.handleCommand(slack(`mitigate ${id}`, operator)))).toContain('Marked mitigated by alice.');
  });

  it('explain an id that cannot be one', async () => {
    const { router } = await setup();
    expect((await router.handleCommand(slack('ack inc-0o0o0o', operator))).summary).toBe('"inc-0o0o0o" is not an incident id; they look like inc-7f3a2c.');
  });
});
