import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/console/text-renderer.js';
import { CommandRouter } from '../../../src/chat/router.js';
import { createBuiltins } from '../../../src/commands/builtins/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createEscalationBuiltins } from '../../../src/escalation/builtins.js';
import { MemoryAuditLog, MemoryConfirmations, RecordingDispatcher } from '../../support/fakes.js';
import { fakeStatus, loadShippedRegistry, openPolicy } from '../../support/router.js';
import { stoppedTask } from '../incidents/alerts.js';
import { escalationHarness, MINUTE, settingsWith, THREE_STEPS } from './support.js';

async function setup() {
  const settings = settingsWith({
    ...THREE_STEPS,
    policies: [
      { id: 'critical', match: { services: ['prod/*'], severities: ['critical'] }, steps: [{ waitMinutes: 0, notify: [{ channel: 'here' }, { pagerduty: 'main' }] }] },
      ...THREE_STEPS.policies,
    ],
    defaultPolicy: 'prod',
  });
  const h = escalationHarness({ settings });
  const registry = await loadShippedRegistry(['heartbeats']);
  const audit = new MemoryAuditLog();
  const router = new CommandRouter({
    registry,
    builtins: createBuiltins({ registry, jobKinds: new Set(['heartbeats']), status: { status: () => Promise.resolve(fakeStatus) }, audit, jobs: new RecordingDispatcher(), escalation: createEscalationBuiltins({ engine: h.engine, incidents: h.store, state: h.state, clock: h.clock }) }),
    jobs: new RecordingDispatcher(),
    jobKinds: new Set(['heartbeats']),
    audit,
    confirmations: new MemoryConfirmations(),
    access: openPolicy,
    clock: h.clock,
    confirmTtlMs: 300_000,
    logger: silentLogger,
  });
  const run = async (text: string, userId = 'UOPERATOR') => renderText(await router.handleCommand({ text, requester: { userId, userName: 'ana' }, conversation: { surface: 'slack', channel: 'C0INCIDENTS' } }));
  return { h, run, audit };
}

describe('escalation commands', () => {
  it('escalate <id> pages the next level now, for operators only, audited', async () => {
    const { h, run, audit } = await setup();
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);
    expect(await run(`escalate ${id}`, 'USOMEONE')).toMatch(/^\[✗\] Not allowed: `escalate` needs the operate permission/);
    expect(await run(`escalate ${id} need the db team`)).toBe(`[✓] ${id}: paged step 2 of 3 of policy prod — @oncall.`);
    expect(h.chat.thread.at(-1)?.message.summary).toContain('ana escalated by hand: need the db team');
    expect(audit.outcomes()).toEqual(['escalate:refused', 'escalate:allowed']);
    expect(await run('escalate inc-zzzzzz')).toBe('[!] There is no incident inc-zzzzzz.');
  });

  it('oncall shows who is on call now and next', async () => {
    const { run } = await setup();
    expect(await run('oncall')).toBe([
      '[i] == On call ==',
      '  primary (weekly, hands over Mondays 09:00 UTC): now: cy since 2026-03-02 09:00 UTC',
      '  next: ana from 2026-03-09 09:00 UTC (in 7 d)',
    ].join('\n'));
    expect(await run('oncall secondary')).toBe('[!] There is no rotation "secondary"; rotations: primary.');
  });

  it('policy <service> explains which policy applies and why; policy <incident> also says where the chain is', async () => {
    const { h, run } = await setup();
    expect(await run('policy prod/api')).toBe([
      '[i] == Escalation for prod/api ==',
      '  • critical: applies to incidents with severity critical (matches service prod/*).',
      '  • prod: applies to every other incident here (matches service prod/*).',
      'critical:',
      '  • 1. at once: @here in the incident channel, PagerDuty main',
      '  • until someone acknowledges; then it stops.',
      'prod:',
      '  • 1. at once: @here in the incident channel, on-call primary',
      '  • 2. after 5 min: @oncall',
      '  • 3. after 15 min: PagerDuty main',
      '  • until someone acknowledges; then it stops.',
      '  (Policies are tried in order (escalation.policies); the first whose every criterion holds wins.)',
    ].join('\n'));
    expect(await run('policy staging/web')).toContain('critical: does not apply — needs service prod/*.');
    expect(await run('policy staging/web')).toContain('otherwise the default policy prod.');
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);
    const text = await run(`policy ${id}`);
    expect(text).toContain('Policy prod: matches service prod/*.');
    expect(text).toContain('Now: running, last paged step 1 of 3 at 2026-03-02 09:00 UTC; next: step 2 of 3 at 2026-03-02 09:05 UTC.');
  });
});
