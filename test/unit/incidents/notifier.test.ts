import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.js';
import { alarm, alertmanager, stoppedTask, steadyState, taskStartImpaired } from './alerts.js';
import { harness, MINUTE, settingsWith } from './harness.js';
import { AttentionRecordingSurface, makeNotifier, MemoryNotifierState, notificationSettings, textOf } from './notifier-support.js';

const SECOND = 1000;

function header(message: Message | undefined): string {
  const first = message?.blocks[0];
  return first?.type === 'header' ? first.text : '';
}

describe('incident cards', () => {
  it('posts one card per incident with the configured ping, then updates it in place at most once per cardSeconds — the last state always delivered', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(1);
    const card = surface.cards[0]!;
    expect(card.to).toEqual({ surface: 'slack', channel: 'C0ALERTS' });
    expect(card.attention).toEqual({ mentions: [{ type: 'here' }] });
    expect(header(card.message)).toBe('HIGH · prod/api: image pull failed (image not found)');

    // 40 more stopped tasks of the same service over 20 s, flushing every half second.
    for (let i = 0; i < 40; i++) {
      h.clock.advance(SECOND / 2);
      await notifier.accept([stoppedTask('api')]);
      await notifier.flushNow();
    }
    h.clock.advance(5 * SECOND);
    await notifier.flushNow();
    const updates = surface.updatesOf(card.ts);
    // 25 s since the card at one update per 5 s.
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(updates.length).toBeLessThanOrEqual(5);
    expect(textOf(updates.at(-1))).toContain('41 received');
    expect(surface.cards).toHaveLength(1);
    expect(notifier.backlog).toBe(0);
  });

  it('routes by service and pings only whom the config names — never anything from alert text', async () => {
    const h = harness();
    const settings = notificationSettings({
      routes: [{ channel: 'C0PAYMENTS', when: { service: ['payments'] } }],
      mentions: [{ mention: 'S0ONCALL', when: { class: ['image-pull-failed'] } }],
    });
    const { notifier, surface } = makeNotifier({ ...h, notifications: settings });
    await notifier.accept([stoppedTask('payments', { summary: '<!channel> <@U123> pay now <https://evil.example|click>' })]);
    await notifier.accept([alertmanager('DiskFull', 'firing', { summary: '<!here> disk is full' })]);
    await notifier.flushNow();
    const [payments, disk] = surface.cards;
    expect(payments?.to.channel).toBe('C0PAYMENTS');
    expect(payments?.attention?.mentions).toEqual([{ type: 'usergroup', id: 'S0ONCALL' }]);
    expect(disk?.to.channel).toBe('C0ALERTS');
    // No rule matches a warning of class other: posted without any ping.
    expect(disk?.attention).toBeUndefined();
  });

  it('threads alert arrivals, merged into one reply per threadSeconds ("3 more alerts: …")', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    h.clock.advance(SECOND);
    await notifier.accept([taskStartImpaired('api'), alarm('api-cpu', 'ALARM', { service: 'api' }), alarm('api-5xx', 'ALARM', { service: 'api' })]);
    await notifier.flushNow();
    // The flush waits for the card's next update slot (5 s after it was posted); card and thread then go together.
    expect(surface.replies).toHaveLength(0);
    h.clock.advance(4 * SECOND);
    await notifier.flushNow();
    expect(surface.replies).toHaveLength(1);
    expect(surface.updates).toHaveLength(1);
    const first = surface.replies[0]!;
    expect(first.to.threadTs).toBe(surface.cards[0]!.ts);
    expect(first.message.blocks[0]).toEqual({ type: 'text', text: '3 more alerts:' });
    expect(textOf(first.message)).toContain('New alert: SERVICE_TASK_START_IMPAIRED');
    expect(first.attention).toBeUndefined();

    // Two more within 30 s wait for the next slot, then come as one reply.
    h.clock.advance(5 * SECOND);
    await notifier.accept([alarm('api-latency', 'ALARM', { service: 'api' })]);
    await notifier.flushNow();
    h.clock.advance(5 * SECOND);
    await notifier.accept([alarm('api-memory', 'ALARM', { service: 'api' })]);
    await notifier.flushNow();
    expect(surface.replies).toHaveLength(1);
    h.clock.advance(20 * SECOND);
    await notifier.flushNow();
    expect(surface.replies).toHaveLength(2);
    expect(surface.replies[1]!.message.blocks[0]).toEqual({ type: 'text', text: '2 more alerts:' });
  });

  it('caps a merged reply at threadLines with "… and N more"', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier({ ...h, notifications: notificationSettings({ coalesce: { threadLines: 3 } }) });
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    for (let i = 0; i < 8; i++) await notifier.accept([alarm(`api-alarm-${i}`, 'ALARM', { service: 'api' })]);
    h.clock.advance(5 * SECOND);
    await notifier.flushNow();
    const list = surface.replies[0]!.message.blocks[1];
    expect(list?.type === 'list' && list.items).toHaveLength(4);
    expect(list?.type === 'list' && list.items[3]).toMatch(/^… and 5 more \(incident inc-\w+ lists them all\)$/);
  });

  it('re-notifies a reopened incident: a thread reply also shown in the channel, with the renotify ping', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    h.clock.advance(MINUTE);
    await notifier.accept([steadyState('api')]);
    await notifier.flushNow();
    expect(textOf(surface.updates.at(-1)?.message)).toContain('Resolved by itself');
    h.clock.advance(10 * MINUTE);
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    const ping = surface.replies.find((r) => r.attention?.broadcast);
    expect(ping?.attention).toEqual({ mentions: [{ type: 'here' }], broadcast: true });
    expect(ping?.to.threadTs).toBe(surface.cards[0]!.ts);
    expect(textOf(ping?.message)).toContain('needs attention again');
    expect(textOf(ping?.message)).toContain('fired 10 min after the incident was resolved');
    expect(textOf(surface.updates.at(-1)?.message)).toContain('Open again since');
    // Still one card; a second flush does not ping again.
    h.clock.advance(MINUTE);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(1);
    expect(surface.replies.filter((r) => r.attention?.broadcast)).toHaveLength(1);
  });

  it('stale-linked: a new card for the successor (pinged), and the old card says it was continued', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    const first = await h.ingest(stoppedTask('api'));
    await notifier.refresh(first.incident!);
    await notifier.flushNow();
    const oldTs = surface.cards[0]!.ts;
    const acked = await h.store.transition(first.incident!.id, { type: 'ack' }, { id: 'U1', name: 'ana' });
    if (acked.ok) await notifier.refresh(acked.incident);
    await notifier.flushNow();
    h.clock.advance(61 * MINUTE);
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(2);
    const successor = surface.cards[1]!;
    expect(successor.attention?.mentions).toEqual([{ type: 'here' }]);
    expect(textOf(successor.message)).toContain(`Continues ${first.incident!.id}, which had gone stale`);
    const old = surface.updatesOf(oldTs).at(-1);
    expect(textOf(old)).toMatch(/Superseded by inc-\w+/);
    expect(textOf(old)).toMatch(/Continued by inc-\w+\./);
    // The old card keeps no buttons: work happens on the successor.
    expect(old?.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('holds thread replies and pings while an incident flaps (counts keep showing), and says how many were held after', async () => {
    const h = harness(settingsWith({ flap: { changes: 4, windowMinutes: 30 } }));
    const { notifier, surface } = makeNotifier(h);
    // A stopped task keeps the incident open while its alarm goes back and forth.
    await notifier.accept([stoppedTask('api'), alarm('api-5xx', 'ALARM', { service: 'api' })]);
    await notifier.flushNow();
    const cardTs = surface.cards[0]!.ts;
    // OK / ALARM back and forth: the 4th change within 30 min starts flapping.
    for (const state of ['OK', 'ALARM', 'OK', 'ALARM', 'OK', 'ALARM'] as const) {
      h.clock.advance(2 * MINUTE);
      await notifier.accept([alarm('api-5xx', state, { service: 'api' })]);
      await notifier.flushNow();
    }
    const flapping = surface.updatesOf(cardTs).at(-1);
    expect(textOf(flapping)).toContain('Flapping: its alerts keep changing');
    expect(textOf(flapping)).toContain('state changes');
    const repliesWhileFlapping = surface.replies.length;
    // The first changes are threaded; from the 4th (flapping) on, nothing more is.
    expect(textOf(surface.replies.at(-1)?.message)).not.toContain('Flapping');
    expect(surface.replies.some((r) => r.attention)).toBe(false);
    h.clock.advance(MINUTE);
    await notifier.accept([alarm('api-5xx', 'OK', { service: 'api' })]);
    await notifier.flushNow();
    expect(surface.replies.length).toBe(repliesWhileFlapping);
    // After the flap window, the next arrival is threaded with a note of what was held.
    h.clock.advance(31 * MINUTE);
    await notifier.accept([alarm('api-cpu', 'ALARM', { service: 'api' })]);
    await notifier.flushNow();
    expect(surface.replies.length).toBe(repliesWhileFlapping + 1);
    expect(textOf(surface.replies.at(-1)?.message)).toMatch(/\d+ updates were held while the incident was flapping or snoozed/);
  });

  it('holds thread replies while an incident is snoozed', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    const out = await h.ingest(stoppedTask('api'));
    await notifier.refresh(out.incident!);
    await notifier.flushNow();
    const snoozed = await h.store.transition(out.incident!.id, { type: 'snooze', durationMs: 60 * MINUTE }, { id: 'U1', name: 'ana' });
    if (snoozed.ok) await notifier.refresh(snoozed.incident);
    h.clock.advance(5 * SECOND);
    await notifier.flushNow();
    expect(textOf(surface.updates.at(-1)?.message)).toContain('Snoozed until');
    await notifier.accept([alarm('api-cpu', 'ALARM', { service: 'api' })]);
    h.clock.advance(MINUTE);
    await notifier.flushNow();
    expect(surface.replies).toHaveLength(0);
  });

  it('threads a channel repeat of a known alert as "seen again (n×)"', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier(h);
    const fromChannel = { source: 'slack-channel' as const, fingerprint: 'slack-channel:abc', name: 'HighLatency (api prod)', summary: 'p99 latency above 2s', target: {}, class: 'other' as const, severity: 'warning' as const, status: 'firing' as const, occurredAt: 0 };
    await notifier.accept([{ ...fromChannel, deliveryId: 'slack:C0ALERTS:1.1' }]);
    await notifier.flushNow();
    for (let i = 2; i <= 4; i++) await notifier.accept([{ ...fromChannel, deliveryId: `slack:C0ALERTS:${i}.1` }]);
    h.clock.advance(5 * SECOND);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(1);
    expect(surface.replies).toHaveLength(1);
    expect(textOf(surface.replies[0]!.message)).toContain('Seen again in the alert channel (4×): HighLatency (api prod)');
  });

  it('hands every outcome to onOutcome (escalation) after the card is marked; a failing hook does not fail the sender', async () => {
    const h = harness();
    const seen: string[] = [];
    const { notifier, state } = makeNotifier({
      ...h,
      extra: {
        onOutcome: (outcome) => {
          seen.push(`${outcome.kind}:${outcome.escalation}:${state.outbox.size}`);
          if (seen.length === 2) throw new Error('escalation is down');
        },
      },
    });
    const alert = stoppedTask('api');
    await notifier.accept([alert]);
    await notifier.accept([alert]);
    await notifier.accept([stoppedTask('api')]);
    expect(seen).toEqual(['opened:start:1', 'duplicate-delivery:keep:1', 'duplicate:keep:1']);
  });

  it('posts no card and clears the outbox when no channel is configured', async () => {
    const h = harness();
    const { notifier, surface, state } = makeNotifier({ ...h, notifications: notificationSettings({ channel: undefined }) });
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    expect(surface.posts).toHaveLength(0);
    expect(state.outbox.size).toBe(0);
  });
});

describe('across processes and restarts', () => {
  it('two notifiers on one store and one card state post one card for one incident', async () => {
    const h = harness();
    const state = new MemoryNotifierState();
    const surface = new AttentionRecordingSurface();
    const a = makeNotifier({ ...h, state, surface, extra: { owner: 'a' } }).notifier;
    const b = makeNotifier({ ...h, state, surface, extra: { owner: 'b' } }).notifier;
    const alert = stoppedTask('api');
    await Promise.all([a.accept([alert]), b.accept([alert])]);
    await Promise.all([a.flushNow(), b.flushNow()]);
    expect(surface.cards).toHaveLength(1);
    expect(surface.updates).toHaveLength(0);
  });

  it('a restart loses no card update: the next notifier flushes what the outbox still holds', async () => {
    const h = harness();
    const state = new MemoryNotifierState();
    const surface = new AttentionRecordingSurface();
    const before = makeNotifier({ ...h, state, surface, extra: { owner: 'before' } }).notifier;
    await before.accept([stoppedTask('api')]);
    await before.flushNow();
    h.clock.advance(SECOND);
    // Stored and marked, but the update waits for its slot — and then the process dies.
    await before.accept([taskStartImpaired('api'), stoppedTask('api')]);
    await before.flushNow();
    expect(surface.updates).toHaveLength(0);
    expect(state.outbox.size).toBe(1);

    const after = makeNotifier({ ...h, state, surface, extra: { owner: 'after' } }).notifier;
    await after.start();
    await after.stop();
    h.clock.advance(5 * SECOND);
    await after.flushNow();
    expect(surface.updates).toHaveLength(1);
    expect(textOf(surface.updates[0]!.message)).toContain('2 firing of 2 alerts · 3 received');
    expect(state.outbox.size).toBe(0);
  });

  it('keeps the mark and retries with backoff when Slack fails', async () => {
    const h = harness();
    const { notifier, surface, state } = makeNotifier(h);
    surface.failNext = 1;
    await notifier.accept([stoppedTask('api')]);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(0);
    expect(state.outbox.size).toBe(1);
    expect(state.cards.size).toBe(0);
    h.clock.advance(3 * SECOND);
    await notifier.flushNow();
    expect(surface.cards).toHaveLength(1);
    expect(state.outbox.size).toBe(0);
  });
});

describe('storm mode', () => {
  it('switches to one summary card that updates and says so, then back — cards catch up without pings', async () => {
    const h = harness();
    const { notifier, surface } = makeNotifier({ ...h, extra: { stormThreshold: 60 } });
    // 120 stopped tasks across 5 services within 40 s: above 60 a minute.
    for (let i = 0; i < 120; i++) {
      await notifier.accept([stoppedTask(`svc-${i % 5}`)]);
      if (i % 3 === 0) h.clock.advance(SECOND);
    }
    await notifier.flushNow();
    expect(notifier.inStorm).toBe(true);
    expect(surface.cards).toHaveLength(1);
    const summary = surface.cards[0]!;
    expect(header(summary.message)).toMatch(/^Alert storm: \d+ alerts in 5 incidents in the last 1 min$/);
    expect(textOf(summary.message)).toContain('Lifeboat keeps this one card up to date instead of a card and a thread per incident');
    expect(summary.attention?.mentions).toEqual([{ type: 'here' }]);

    // More storm: the summary updates (at most once per 15 s), still no per-incident card.
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 2; i++) await notifier.accept([stoppedTask(`svc-${i % 5}`)]);
      h.clock.advance(SECOND);
      await notifier.flushNow();
    }
    const summaryUpdates = surface.updatesOf(summary.ts);
    expect(summaryUpdates.length).toBeGreaterThanOrEqual(1);
    expect(summaryUpdates.length).toBeLessThanOrEqual(2);
    expect(surface.cards).toHaveLength(1);

    // Quiet for 2 minutes: the summary says the storm is over, then each incident gets its card.
    h.clock.advance(121 * SECOND);
    await notifier.flushNow();
    expect(notifier.inStorm).toBe(false);
    await notifier.flushNow();
    expect(header(surface.updatesOf(summary.ts).at(-1))).toMatch(/^Alert storm over: \d+ alerts in 5 incidents in \d+ min$/);
    const cards = surface.cards.slice(1);
    expect(cards).toHaveLength(5);
    expect(cards.every((c) => c.attention === undefined)).toBe(true);
    expect(surface.replies).toHaveLength(0);
  });
});
