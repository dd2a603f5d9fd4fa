import { describe, expect, it } from 'vitest';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { stoppedTask, alarm } from '../incidents/alerts.js';
import { DAY, escalationHarness, HOUR, MINUTE, settingsWith, THREE_STEPS } from './support.js';

/** What got notified, when (minutes after start), in order: thread mentions, DMs and pages. */
function trace(h: ReturnType<typeof escalationHarness>) {
  const events: { minute: number; what: string }[] = [];
  for (const t of h.chat.thread) {
    const mentions = t.mentions.map((m) => (m.type === 'here' || m.type === 'channel' ? `@${m.type}` : m.type === 'usergroup' ? `@${m.id}` : `@${m.id}`));
    if (mentions.length) events.push({ minute: h.minutes(t.at), what: `thread ${mentions.join(' ')}` });
  }
  for (const d of h.chat.dms) events.push({ minute: h.minutes(d.at), what: `dm ${d.userId}` });
  for (const p of [...h.pd.pages, ...h.og.pages]) events.push({ minute: h.minutes(p.at), what: `page ${p.request.dedupKey}` });
  return events.sort((a, b) => a.minute - b.minute || a.what.localeCompare(b.what));
}

describe('escalation chain on a fake clock', () => {
  it('fires every step at its time, repeats the rounds, then says the policy ran out', async () => {
    const settings = settingsWith({
      policies: [{
        id: 'prod',
        match: { services: ['prod/*'] },
        repeat: 2,
        repeatAfterMinutes: 10,
        steps: [
          { waitMinutes: 0, notify: [{ channel: 'here' }, { oncall: 'primary' }] },
          { waitMinutes: 5, notify: [{ userGroup: 'S0ONCALL', name: 'oncall' }] },
          { waitMinutes: 15, notify: [{ pagerduty: 'main' }] },
        ],
      }],
    });
    const h = escalationHarness({ settings });
    const opened = await h.alert(stoppedTask('api'));
    expect(opened.escalation).toBe('start');
    const id = opened.incident!.id;
    await h.advance(3 * HOUR);

    // 2026-03-02 is in ana's… no: week 9 since 2026-01-05 → index 8 → cy (8 mod 3 = 2).
    expect(trace(h)).toEqual([
      { minute: 0, what: 'dm U03CY' },
      { minute: 0, what: 'thread @here @U03CY' },
      { minute: 5, what: 'thread @S0ONCALL' },
      { minute: 20, what: `page lifeboat-${id}-1` },
      { minute: 30, what: 'dm U03CY' },
      { minute: 30, what: 'thread @here @U03CY' },
      { minute: 35, what: 'thread @S0ONCALL' },
      { minute: 50, what: `page lifeboat-${id}-1` },
    ]);
    const timeline = await h.escalationTimeline(id);
    expect(timeline).toHaveLength(7);
    expect(timeline[0]).toMatch(/^Escalation step 1 of 3, round 1 of 2 \(policy prod\), new and unacknowledged: paged @here in the incident channel, on-call primary \(cy\) by DM\.$/);
    expect(timeline[3]).toContain('step 1 of 3, round 2 of 2');
    expect(timeline[6]).toBe(`Escalation: policy prod ran all 6 steps and nobody acknowledged ${id}.`);
    // The channel target posts to the channel too (broadcast), the others only in the thread.
    expect(h.chat.thread.map((t) => t.broadcast)).toEqual([true, false, false, true, false, false, false]);
    expect((await h.state.get(id))?.mode).toBe('exhausted');
    expect(h.metrics.value('lifeboat_escalations_total', { trigger: 'timer' })).toBe(6);
  });

  it('does nothing when acknowledged before a step is due, and cancels the pending timer', async () => {
    const settings = settingsWith({ policies: [{ id: 'p', steps: [{ waitMinutes: 10, notify: [{ oncall: 'primary' }] }, { waitMinutes: 10, notify: [{ pagerduty: 'main' }] }] }] });
    const h = escalationHarness({ settings });
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(5 * MINUTE);
    await h.act(id, { type: 'ack' });
    expect(h.timers.cancelled).toEqual([`esc:${id}:0:1`]);
    await h.advance(6 * HOUR);
    expect(trace(h)).toEqual([]);
    expect(await h.escalationTimeline(id)).toEqual([]);
    expect((await h.state.get(id))?.mode).toBe('paused');
  });

  it('sends at most one notification when an ack lands while the step is being sent, and the chain stops', async () => {
    const h = escalationHarness();
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    let acked = false;
    h.chat.onDm = async () => {
      if (acked) return;
      acked = true;
      await h.act(id, { type: 'ack' }, { id: 'U02BO', name: 'bo' });
    };
    await h.advance(6 * HOUR);
    expect(acked).toBe(true);
    expect(trace(h)).toEqual([
      { minute: 0, what: 'dm U03CY' },
      { minute: 0, what: 'thread @here @U03CY' },
    ]);
    expect((await h.state.get(id))?.mode).toBe('paused');
  });

  it('sends nothing when the ack lands between the due check and the claim (the incident is read again)', async () => {
    const h = escalationHarness();
    const claims = h.claims;
    const original = claims.claim.bind(claims);
    let id = '';
    claims.claim = async (key, owner, lease) => {
      if (key.startsWith(`escalated:${id}:0:`)) await h.store.transition(id, { type: 'ack' }, { id: 'U02BO', name: 'bo' });
      return original(key, owner, lease);
    };
    const outcome = await h.alert(stoppedTask('api'));
    id = outcome.incident!.id;
    await h.advance(2 * HOUR);
    expect(trace(h)).toEqual([]);
    // The claim was given back: nothing is marked as sent.
    expect([...claims.claims.keys()].filter((k) => k.startsWith(`escalated:${id}:0:`))).toEqual([]);
  });

  it('stops everything on resolve, and resolves what it paged', async () => {
    const h = escalationHarness();
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(21 * MINUTE); // step 3 paged PagerDuty at minute 20
    expect(h.pd.pages).toHaveLength(1);
    await h.act(id, { type: 'resolve' });
    await h.advance(DAY, true);
    expect(h.pd.pages).toHaveLength(1);
    expect(h.pd.closes).toEqual([{ dedupKey: `lifeboat-${id}-1`, action: 'resolve' }]);
    expect((await h.state.get(id))?.mode).toBe('stopped');
  });

  it('stops when the incident resolves by itself (ingest outcome stop) before its next step', async () => {
    const h = escalationHarness();
    const id = (await h.alert(alarm('api-5xx', 'ALARM', { service: 'api' }))).incident!.id;
    await h.advance(2 * MINUTE);
    const resolved = await h.alert(alarm('api-5xx', 'OK', { service: 'api' }));
    expect(resolved.escalation).toBe('stop');
    await h.advance(HOUR, true);
    expect(trace(h).filter((e) => e.minute > 0)).toEqual([]);
    expect((await h.state.get(id))?.mode).toBe('stopped');
  });

  it('pages again when a new alert arrives for an incident left open for weeks (the hooks-worker outage)', async () => {
    const h = escalationHarness();
    const old = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.act(old, { type: 'ack' });
    await h.advance(3 * 7 * DAY); // acknowledged three weeks ago, nobody touched it since
    const dmsBefore = h.chat.dms.length;
    const pagesBefore = h.pd.pages.length;

    const again = await h.alert(stoppedTask('api'));
    expect(again).toMatchObject({ kind: 'stale-linked', escalation: 'restart', previous: { id: old, state: 'resolved' } });
    const fresh = again.incident!.id;
    expect(fresh).not.toBe(old);
    await h.advance(30 * MINUTE);

    const newDms = h.chat.dms.slice(dmsBefore);
    expect(newDms.map((d) => h.minutes(d.at) - 3 * 7 * 24 * 60)).toEqual([0]);
    expect(h.pd.pages.slice(pagesBefore).map((p) => p.request.dedupKey)).toEqual([`lifeboat-${fresh}-1`]);
    expect((await h.state.get(old))?.mode).toBe('stopped');
    const timeline = await h.escalationTimeline(fresh);
    expect(timeline[0]).toBe('Escalation starts (open for 21 d (more than 24 h)): policy prod, 3 steps.');
    expect(timeline[1]).toMatch(/^Escalation step 1 of 3 \(policy prod\), new and unacknowledged/);
  });

  it('restarts as a new generation on reopen: timers of the old chain do nothing', async () => {
    const h = escalationHarness();
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);
    await h.act(id, { type: 'resolve' });
    await h.act(id, { type: 'reopen' });
    const state = await h.state.get(id);
    expect(state).toMatchObject({ generation: 2, mode: 'running', nextStep: 0 });
    // A stale timer of generation 1 firing late is a no-op.
    await h.handle({ id: `esc:${id}:1:1`, dueAt: h.clock.now(), firedAt: h.clock.now(), attempt: 1, payload: { kind: 'escalation-step', incidentId: id, step: 1, generation: 1 } });
    expect(h.chat.thread.filter((t) => t.mentions.some((m) => m.type === 'usergroup'))).toEqual([]);
    await h.advance(10 * MINUTE);
    expect(trace(h).map((e) => `${e.minute} ${e.what}`)).toEqual([
      '0 dm U03CY', '0 thread @here @U03CY',
      '1 dm U03CY', '1 thread @here @U03CY',
      '6 thread @S0ONCALL',
    ]);
  });

  it('never escalates one step twice when two processes fire the same timer at once', async () => {
    const h = escalationHarness();
    const second = new EscalationEngine({ ...h.deps });
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    const timer = { id: `esc:${id}:0:1`, dueAt: h.clock.now(), firedAt: h.clock.now(), attempt: 1, payload: { kind: 'escalation-step', incidentId: id, step: 0, generation: 1 } };
    h.timers.pending.delete(timer.id);
    const results = await Promise.allSettled([h.engine.handleTimer(timer), second.handleTimer(timer), h.engine.handleTimer(timer)]);
    // One sends; the others find the step claimed (busy → retried later, or done / moved on → nothing).
    expect(h.chat.dms).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/being handled by another process/);
    // Retrying the losers later changes nothing.
    await h.engine.handleTimer(timer);
    await second.handleTimer(timer);
    expect(h.chat.dms).toHaveLength(1);
    expect((await h.state.get(id))?.nextStep).toBe(1);
  });

  it('escalate <id> pages the next step now; its timer then does nothing and the chain goes on from now', async () => {
    const h = escalationHarness();
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(2 * MINUTE);
    const result = await h.engine.escalateNow(id, { id: 'U02BO', name: 'bo' }, 'need more hands');
    expect(result.ok).toBe(true);
    expect(result.message.summary).toBe(`${id}: paged step 2 of 3 of policy prod — @oncall.`);
    await h.advance(30 * MINUTE);
    expect(trace(h).map((e) => `${e.minute} ${e.what}`)).toEqual([
      '0 dm U03CY', '0 thread @here @U03CY',
      '2 thread @S0ONCALL',
      `17 page lifeboat-${id}-1`,
    ]);
    expect((await h.escalationTimeline(id))[1]).toContain('bo escalated by hand: need more hands');
    // Every step ran: escalate pages the last one again.
    const again = await h.engine.escalateNow(id, { id: 'U02BO', name: 'bo' });
    expect(again.message.summary).toContain('paged the last step of policy prod again');
    expect(h.pd.pages).toHaveLength(2);
  });

  it('says in the thread when a paging service keeps failing and starts the next step at once', async () => {
    const settings = settingsWith({
      policies: [{ id: 'p', steps: [
        { waitMinutes: 0, notify: [{ pagerduty: 'main' }] },
        { waitMinutes: 30, notify: [{ opsgenie: 'ops' }, { oncall: 'primary' }] },
      ] }],
    });
    const h = escalationHarness({ settings });
    h.pd.failing = true;
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);
    expect(h.og.pages.map((p) => h.minutes(p.at))).toEqual([0]);
    const first = h.chat.thread[0]!;
    expect(first.message.tone).toBe('danger');
    expect(first.message.blocks).toContainEqual({ type: 'list', items: ['PagerDuty main keeps failing: HTTP 500 after 4 tries'] });
    expect(first.message.summary).toContain('The next step starts now (step 2 of 2)');
    expect(h.metrics.value('lifeboat_escalation_failures_total', { target: 'pagerduty:main' })).toBe(1);
    expect((await h.escalationTimeline(id))[0]).toContain('PagerDuty main keeps failing');
  });

  it('adopts an open incident whose start was lost, keeping its times', async () => {
    const h = escalationHarness();
    const outcome = await h.deps.incidents.get('nope');
    expect(outcome).toBeUndefined();
    // Ingest without telling escalation (the process died before onIngest).
    const { createIngest } = await import('../../../src/incidents/ingest.js');
    const { defaultTriageSettings } = await import('../../../src/triage/settings.js');
    const ingest = createIngest({ store: h.store, settings: defaultTriageSettings, clock: h.clock, newId: () => 'inc-lost22' });
    await ingest(stoppedTask('api'));
    await h.advance(7 * MINUTE, true); // the sweep runs every minute
    // Its first step was due at once when it opened: the sweep a minute later sends it; the rest follow from there.
    expect(trace(h).map((e) => `${e.minute} ${e.what}`)).toEqual(['1 dm U03CY', '1 thread @here @U03CY', '6 thread @S0ONCALL']);
  });
});

describe('stuck incidents', () => {
  it('reminds the acknowledger after ackedIdleMinutes without activity, then continues the chain; activity pauses it again', async () => {
    const h = escalationHarness({ settings: settingsWith({ ...THREE_STEPS, stuck: { ackedIdleMinutes: 30 } }) });
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(2 * MINUTE);
    await h.act(id, { type: 'ack' }, { id: 'U02BO', name: 'bo' });
    await h.advance(29 * MINUTE, true);
    expect(h.chat.dms.map((d) => d.userId)).toEqual(['U03CY']);

    await h.advance(2 * MINUTE, true); // 30 min idle since the ack at minute 2
    expect(h.chat.dms.map((d) => `${h.minutes(d.at)} ${d.userId}`)).toEqual(['0 U03CY', '32 U02BO']);
    const reminder = h.chat.thread.at(-1)!;
    expect(reminder.mentions).toEqual([{ type: 'user', id: 'U02BO', name: 'bo' }]);
    expect(reminder.message.summary).toBe(`Escalation: bo acknowledged ${id} and nothing has happened for 30 min. Still on it? Reminded bo.`);

    await h.advance(30 * MINUTE, true); // as long again: the chain continues with step 2
    expect(trace(h).filter((e) => e.minute >= 60).map((e) => `${e.minute} ${e.what}`)).toEqual(['62 thread @S0ONCALL']);
    expect(await h.escalationTimeline(id)).toContain('Escalation continues: acknowledged by bo with no activity for 1 h.');

    // bo writes a note: activity — the continued chain pauses at its next step.
    await h.store.appendTimeline(id, { kind: 'note', text: 'looking at the registry', by: 'bo' });
    await h.advance(20 * MINUTE, true);
    expect(h.pd.pages).toEqual([]);
    expect((await h.state.get(id))?.mode).toBe('paused');
  });

  it('escalates a runbook approval that waits too long, once', async () => {
    const waiting = [{ incidentId: '', runId: 'rb-0123456789', runbookId: 'image-unavailable', stepId: 'rebuild', stepTitle: 'Rebuild and push', since: 0 }];
    const h = escalationHarness({ settings: settingsWith({ ...THREE_STEPS, stuck: { approvalWaitMinutes: 15 } }), engine: { approvals: { waitingApprovals: () => Promise.resolve(waiting) } } });
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);
    await h.act(id, { type: 'ack' });
    waiting[0]!.incidentId = id;
    waiting[0]!.since = h.clock.now();
    await h.advance(14 * MINUTE, true);
    const before = h.chat.thread.length;
    await h.advance(10 * MINUTE, true);
    const notes = h.chat.thread.slice(before);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message.summary).toMatch(/^Escalation: Runbook image-unavailable step "Rebuild and push" \(run rb-0123456789\) has waited 15 min for approval; notified @oncall\.$/);
    // The default targets: the next step of the incident's policy (step 2: the user group).
    expect(notes[0]!.mentions).toEqual([{ type: 'usergroup', id: 'S0ONCALL', name: 'oncall' }]);
    expect(notes[0]!.message.blocks).toContainEqual({ type: 'context', text: 'Approve it with: runbook approve rb-0123456789 rebuild' });
  });

  it('re-opens escalation when a mitigated backlog keeps growing', async () => {
    const depth = { value: 1200 };
    const settings = settingsWith({ policies: [{ id: 'queues', match: { queues: ['hooks-*'] }, steps: [{ waitMinutes: 0, notify: [{ oncall: 'primary' }] }] }], stuck: { backlog: { afterMinutes: 10, growthPercent: 20 } } });
    const h = escalationHarness({ settings, engine: { backlog: { backlog: () => Promise.resolve(depth.value) } } });
    const id = (await h.alert(alarm('hooks-backlog', 'ALARM', { queue: 'hooks-queue' }))).incident!.id;
    await h.advance(MINUTE);
    await h.act(id, { type: 'mitigate' }, { id: 'U01ANA', name: 'ana' });
    await h.advance(5 * MINUTE, true); // the first sweep after mitigation records 1,200 as the baseline
    depth.value = 1100; // draining: fine
    await h.advance(10 * MINUTE, true);
    depth.value = 1300; // up again, but within 20 % of the baseline: still fine
    await h.advance(MINUTE, true);
    expect(h.chat.dms).toHaveLength(1);
    depth.value = 1600; // 33 % above the baseline and rising, 16 min after mitigation
    await h.advance(MINUTE, true);
    expect(h.chat.dms.map((d) => h.minutes(d.at))).toEqual([0, 18]);
    const timeline = await h.escalationTimeline(id);
    expect(timeline).toContain('Escalation starts again (the backlog is still growing 17 min after ana mitigated it: 1,200 → 1,600 messages): policy queues, 1 step.');
    expect(h.chat.thread.some((t) => t.message.summary.startsWith('Escalation starts again (the backlog'))).toBe(true);
    expect((await h.store.get(id))?.incident.state).toBe('open'); // the mitigation did not hold: re-opened
    await h.advance(HOUR, true);
    expect(h.chat.dms).toHaveLength(2);
  });
});
