import { describe, expect, it } from 'vitest';
import type { ActionRequest, Requester } from '../../../src/chat/ports.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { incidentActionHandlers, SNOOZE_CHOICES } from '../../../src/incidents/action-handlers.js';
import { MemoryAuditLog, MemoryConfirmations, messageText, RecordingDispatcher } from '../../support/fakes.js';
import { join } from 'node:path';
import { packageRoot, readYamlDir } from '../../../src/cli/definition-files.js';
import { BUILTIN_NAMES } from '../../../src/commands/builtins/index.js';
import { loadCommandDefinitions } from '../../../src/commands/load-definitions.js';
import { fakeStatus, openPolicy } from '../../support/router.js';
import { stoppedTask } from './alerts.js';
import { harness, MINUTE } from './harness.js';
import { makeNotifier, textOf } from './notifier-support.js';

const operator: Requester = { userId: 'UOPERATOR', userName: 'alice' };
const bystander: Requester = { userId: 'UBOB', userName: 'bob' };

/** The shipped incident commands only (other features' commands may be mid-change). */
async function incidentRegistry() {
  const wanted = new Set(['help', 'incidents', 'incident', 'ack', 'mitigate', 'resolve', 'reopen', 'snooze']);
  const files = (await readYamlDir(join(packageRoot, 'commands'))).filter((f) => wanted.has(f.path.replace(/^.*\//, '').replace(/\.ya?ml$/, '')));
  const { registry, problems } = loadCommandDefinitions(files, { builtins: BUILTIN_NAMES, jobs: [] });
  if (problems.some((p) => p.critical)) throw new Error(JSON.stringify(problems));
  return registry;
}

/** The app's wiring in small: builtins tell the notifier, the router knows the card buttons. */
async function setup() {
  const h = harness();
  const { notifier, surface } = makeNotifier(h);
  const registry = await incidentRegistry();
  const audit = new MemoryAuditLog();
  const jobs = new RecordingDispatcher();
  const router = new CommandRouter({
    registry,
    builtins: createBuiltins({
      registry,
      jobKinds: new Set(),
      status: { status: () => Promise.resolve(fakeStatus) },
      audit,
      jobs,
      incidents: { store: h.store, onChange: (incident) => notifier.refresh(incident) },
    }),
    jobs,
    jobKinds: new Set(),
    audit,
    confirmations: new MemoryConfirmations(),
    access: openPolicy,
    clock: h.clock,
    confirmTtlMs: 300_000,
    logger: silentLogger,
    actionHandlers: incidentActionHandlers(),
  });
  await notifier.accept([stoppedTask('api')]);
  await notifier.flushNow();
  const card = surface.cards[0]!;
  const id = /inc-\w{6}/.exec(textOf(card.message))![0];
  const press = (actionId: string, value: string, requester: Requester = operator): ActionRequest => ({
    actionId,
    value,
    requester,
    conversation: { surface: 'slack', channel: card.to.channel, threadTs: card.ts },
  });
  return { ...h, notifier, surface, router, audit, card, id, press };
}

describe('incident card buttons', () => {
  it('Acknowledge runs `ack <id>` through the router (audited), answers with one line, and the card updates in place', async () => {
    const { router, audit, press, id, notifier, surface, card, clock } = await setup();
    const reply = await router.handleAction(press('incident-ack', id));
    expect(reply).toEqual({ summary: `${id}: Acknowledged by alice.`, tone: 'danger', blocks: [{ type: 'text', text: `${id}: Acknowledged by alice.` }] });
    expect(audit.outcomes()).toEqual(['ack:allowed']);
    clock.advance(5000);
    await notifier.flushNow();
    const updated = surface.updatesOf(card.ts).at(-1);
    expect(textOf(updated)).toContain('Acknowledged by alice');
    expect(updated?.blocks.flatMap((b) => (b.type === 'actions' ? b.actions.map((a) => a.id) : []))).not.toContain('incident-ack');
  });

  it('Resolve is refused (and audited) for someone without operate, and nothing changes', async () => {
    const { router, audit, press, id, store } = await setup();
    const reply = await router.handleAction(press('incident-resolve', id, bystander));
    expect(reply?.tone).toBe('danger');
    expect(messageText(reply)).toContain('operate');
    expect(audit.outcomes()).toEqual(['resolve:refused']);
    expect((await store.get(id))?.incident.state).toBe('open');
  });

  it('Snooze offers a choice of durations; a choice runs `snooze <id> <duration>`', async () => {
    const { router, press, id, store } = await setup();
    const choice = await router.handleAction(press('incident-snooze', id));
    const actions = choice?.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : []));
    expect(actions?.map((a) => a.value)).toEqual(SNOOZE_CHOICES.map((d) => `${id}:${d}`));
    expect(actions?.every((a) => a.id === 'incident-snooze')).toBe(true);
    const reply = await router.handleAction(press('incident-snooze', `${id}:4h`));
    expect(reply?.summary).toBe(`${id}: Snoozed by alice for 4 h (this acknowledges it): notifications and the stale rule wait until then.`);
    expect((await store.get(id))?.incident.snoozedUntil).toBe((await store.get(id))!.incident.acknowledgedAt! + 4 * 60 * MINUTE);
  });

  it('answers a button with a value that is not an incident id without running anything', async () => {
    const { router, press, audit } = await setup();
    for (const [action, value] of [['incident-ack', 'inc-0o0o0o'], ['incident-resolve', '<!channel>'], ['incident-snooze', 'x:1h']] as const) {
      expect(messageText(await router.handleAction(press(action, value)))).toContain('does not belong to an incident');
    }
    expect(audit.entries).toEqual([]);
  });
});
