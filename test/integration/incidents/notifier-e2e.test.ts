/**
 * Alerts in, cards out, end to end: real HTTP intake, real Redis (incident store and card
 * references), the real Slack surface and outbox against the Slack stand-in.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/core/clock.js';
import { testPrefix, testRedis } from '../../support/redis.js';
import { SlackStandIn, STANDIN_BOT_ID, STANDIN_BOT_USER_ID, type RecordedCall } from '../../support/slack-standin.js';
import { until } from '../../support/wait.js';
import { sendSigned } from '../slack/signed-request.js';
import { messageEvent, pool, SIGNING_SECRET, startProcess, stoppedTaskEvent, type LifeboatProcess } from './notifier-harness.js';

let redis: Redis;
let standIn: SlackStandIn;
const open: LifeboatProcess[] = [];

beforeAll(async () => {
  redis = testRedis();
  standIn = await SlackStandIn.start();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await standIn.close();
  redis.disconnect();
});

async function process(options: Omit<Parameters<typeof startProcess>[0], 'redis' | 'standIn'> & { redis?: Redis }): Promise<LifeboatProcess> {
  const p = await startProcess({ redis, standIn, ...options });
  open.push(p);
  return p;
}

const inChannel = (channel: string) => (c: RecordedCall) => c.params.channel === channel;
const topLevel = (channel: string) => (c: RecordedCall) => c.params.channel === channel && c.params.thread_ts === undefined;
const text = (c: RecordedCall | undefined) => JSON.stringify(c?.params ?? {});

// Real HTTP, Redis and Slack round trips on a shared 2-core machine: give each test room.
describe('incident cards end to end', { timeout: 45_000 }, () => {
  it('500 alerts across 5 services → 5 incidents, 5 cards, updates coalesced to at most one per card per cardSeconds, final counts shown', async () => {
    const channel = 'C0E2E500';
    const p = await process({
      clock: systemClock,
      prefix: testPrefix('e2e500'),
      notifications: { channel, mentions: [{ mention: 'here', when: { severity: ['high'] } }], coalesce: { cardSeconds: 1 } },
      // Far above 500 a minute: this test is about per-incident cards, not storm mode.
      triage: { storm: { alertsPerMinute: 100_000 } },
    });
    const events = Array.from({ length: 500 }, (_, i) => stoppedTaskEvent(`svc-${i % 5}`));
    const started = Date.now();
    await pool(events, 16, async (event) => {
      const res = await p.event(event);
      expect(res.status).toBe(200);
    });
    const ingestMs = Date.now() - started;

    const incidents = await p.store.list({ state: 'all', limit: 50 });
    expect(incidents).toHaveLength(5);
    expect(incidents.map((i) => i.counts.received).sort()).toEqual([100, 100, 100, 100, 100]);

    // Every card ends up showing its final count.
    await until(() => incidents.every((i) => standIn.delivered('chat.update', inChannel(channel)).some((c) => text(c).includes(i.id) && text(c).includes('100 received'))), 'final card states', 15_000);
    await p.notifier.stop();
    const cards = standIn.delivered('chat.postMessage', topLevel(channel));
    expect(cards).toHaveLength(5);
    // The configured ping, and the card's own escaped content.
    expect(cards.every((c) => String(c.params.text).startsWith('<!here> '))).toBe(true);
    const updates = standIn.delivered('chat.update', inChannel(channel));
    for (const card of cards) {
      const own = updates.filter((u) => u.params.ts === tsOf(card));
      const span = Math.max(0, ...own.map((u) => u.at)) - card.at;
      // One update per second per card at most (+1 for the slot at the start, +1 for scheduling jitter).
      expect(own.length).toBeLessThanOrEqual(Math.ceil(span / 1000) + 2);
    }
    expect(updates.length).toBeLessThanOrEqual(5 * (Math.ceil((ingestMs + 2000) / 1000) + 2));
    expect(updates.length).toBeLessThan(100);
  });

  it('the same payload delivered 3× is stored once (and answered 200 each time)', async () => {
    const p = await process({ clock: systemClock, prefix: testPrefix('e2edup'), notifications: { channel: 'C0E2EDUP' } });
    const event = stoppedTaskEvent('dup-api');
    for (let i = 0; i < 3; i++) expect((await p.event(event)).status).toBe(200);
    const [incident] = await p.store.list({ state: 'all' });
    expect(incident?.counts).toMatchObject({ received: 1, alerts: 1 });
    await until(() => standIn.delivered('chat.postMessage', topLevel('C0E2EDUP'))[0], 'the card');
    await p.notifier.stop();
    expect(standIn.delivered('chat.postMessage', topLevel('C0E2EDUP'))).toHaveLength(1);
  });

  it('the stale-incident rule re-notifies: a new card with the ping, and the old card says who continues it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
    const channel = 'C0E2ESTALE';
    const p = await process({ clock, prefix: testPrefix('e2estale'), loop: false, notifications: { channel, mentions: [{ mention: 'S0ONCALL', when: { severity: ['high'] } }] } });
    expect((await p.event(stoppedTaskEvent('stale-api'))).status).toBe(200);
    await p.notifier.flushNow();
    const [first] = await p.store.list();
    const acked = await p.store.transition(first!.id, { type: 'ack' }, { id: 'U0ANA', name: 'ana' });
    expect(acked.ok).toBe(true);
    if (acked.ok) await p.notifier.refresh(acked.incident);
    clock.advance(61 * 60_000);
    expect((await p.event(stoppedTaskEvent('stale-api'))).status).toBe(200);
    await p.notifier.flushNow();
    const cards = standIn.delivered('chat.postMessage', topLevel(channel));
    expect(cards).toHaveLength(2);
    expect(String(cards[1]!.params.text)).toMatch(/^<!subteam\^S0ONCALL> /);
    expect(text(cards[1])).toContain(`Continues ${first!.id}`);
    const oldUpdates = standIn.delivered('chat.update', (c) => c.params.channel === channel && c.params.ts === tsOf(cards[0]!));
    expect(text(oldUpdates.at(-1))).toMatch(/Superseded by inc-\w{6}/);
    const [successor] = await p.store.list();
    expect(successor?.linkedIncidentId).toBe(first!.id);
  });

  it('two Lifeboat processes on one Redis, both receiving the alerts → one incident, one card', async () => {
    const prefix = testPrefix('e2etwo');
    const channel = 'C0E2ETWO';
    const second = testRedis();
    try {
      const a = await process({ clock: systemClock, prefix, name: 'a', notifications: { channel, coalesce: { cardSeconds: 1 } } });
      const b = await process({ clock: systemClock, prefix, name: 'b', redis: second, notifications: { channel, coalesce: { cardSeconds: 1 } } });
      const events = Array.from({ length: 20 }, () => stoppedTaskEvent('twin-api'));
      // Every event goes to both processes at once, as with two replicas behind SNS fan-out.
      await Promise.all(events.flatMap((e) => [a.event(e), b.event(e)]));
      expect(await a.store.list({ state: 'all' })).toHaveLength(1);
      const [incident] = await b.store.list({ state: 'all' });
      expect(incident?.counts.received).toBe(20);
      // The card shows all 20: in an update, or already in the first post when the 20 arrived
      // before the coalescing window closed (a slow machine).
      const cardStates = () => [...standIn.delivered('chat.postMessage', topLevel(channel)), ...standIn.delivered('chat.update', inChannel(channel))];
      await until(() => cardStates().some((c) => text(c).includes('20 received')), 'the final card state', 20_000);
      await Promise.all([a.notifier.stop(), b.notifier.stop()]);
      expect(standIn.delivered('chat.postMessage', topLevel(channel))).toHaveLength(1);
    } finally {
      second.disconnect();
    }
  });

  it('honours a 429 on the alert channel without losing the update, while another channel keeps flowing', async () => {
    const channel = 'C0E2E429';
    const other = 'C0E2EOTHER';
    const p = await process({
      clock: systemClock,
      prefix: testPrefix('e2e429'),
      notifications: { channel, routes: [{ channel: other, when: { service: ['other-api'] } }], coalesce: { cardSeconds: 1 } },
    });
    await p.event(stoppedTaskEvent('limited-api'));
    await until(() => standIn.delivered('chat.postMessage', topLevel(channel))[0], 'the card');
    standIn.rateLimit({ method: 'chat.update', channel, times: 2, retryAfterSec: 2 });
    for (let i = 0; i < 9; i++) await p.event(stoppedTaskEvent('limited-api'));
    await until(() => standIn.callsTo('chat.update', (c) => c.status === 429 && c.params.channel === channel)[0], 'the 429');
    // Another channel is not stalled by the throttled one.
    const limitedAt = Date.now();
    await p.event(stoppedTaskEvent('other-api'));
    const otherCard = await until(() => standIn.delivered('chat.postMessage', topLevel(other))[0], 'the other channel’s card');
    expect(otherCard.at - limitedAt).toBeLessThan(1500);
    // The throttled card still gets its last state, after Retry-After.
    const final = await until(() => standIn.delivered('chat.update', inChannel(channel)).find((c) => text(c).includes('10 received')), 'the final state after the 429', 15_000);
    expect(standIn.callsTo('chat.update', (c) => c.status === 429 && c.params.channel === channel)).toHaveLength(2);
    expect(final.at - limitedAt).toBeGreaterThan(1500);
  });

  it('loses no card update across a restart: the next process flushes what the outbox holds', async () => {
    const prefix = testPrefix('e2erestart');
    const channel = 'C0E2ERESTART';
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
    const before = await process({ clock, prefix, name: 'before', loop: false, notifications: { channel } });
    await before.event(stoppedTaskEvent('restart-api'));
    await before.notifier.flushNow();
    expect(standIn.delivered('chat.postMessage', topLevel(channel))).toHaveLength(1);
    clock.advance(1000);
    // Stored and marked; the card's update slot is 5 s away — and then the process goes down.
    for (let i = 0; i < 4; i++) await before.event(stoppedTaskEvent('restart-api'));
    await before.notifier.flushNow();
    expect(standIn.delivered('chat.update', inChannel(channel))).toHaveLength(0);
    await before.close();
    open.splice(open.indexOf(before), 1);

    clock.advance(5000);
    const after = await process({ clock, prefix, name: 'after', notifications: { channel } });
    const update = await until(() => standIn.delivered('chat.update', inChannel(channel))[0], 'the update after the restart');
    expect(text(update)).toContain('5 received');
    expect(await after.cards.list()).toEqual([]);
  });

  it('reads alert channels: an integration’s alert opens an incident with a card, its repeats are threaded as "seen again"', async () => {
    const channel = 'C0E2ECHAN';
    const p = await process({ clock: systemClock, prefix: testPrefix('e2echan'), notifications: { channel, alertChannels: [{ channel }], coalesce: { cardSeconds: 1, threadSeconds: 1 } } });
    const grafana = (ts: string, value: string) =>
      messageEvent({
        subtype: 'bot_message',
        bot_id: 'B0GRAFANA',
        username: 'grafana',
        channel,
        ts,
        text: '',
        attachments: [{ title: '[FIRING:1] HighLatency checkout (prod)', title_link: 'https://grafana.example.com/alerting/list', text: `Value: B=${value}\nLabels:\n - alertname = HighLatency\n - severity = warning <!channel>`, footer: 'Grafana v10.4.1' }],
      });
    const send = (body: string) => sendSigned(`${p.base}/slack/events`, body, { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect((await send(grafana('1772445660.000100', '2.31'))).status).toBe(200);
    const card = await until(() => standIn.delivered('chat.postMessage', topLevel(channel)).find((c) => text(c).includes('HighLatency')), 'the card');
    for (const [ts, value] of [['1772445720.000100', '2.8'], ['1772445780.000100', '3.1']] as const) expect((await send(grafana(ts, value))).status).toBe(200);
    // Lifeboat's own messages in the channel are never read back as alerts.
    await send(messageEvent({ channel, ts: '1772445790.000100', bot_id: STANDIN_BOT_ID, user: STANDIN_BOT_USER_ID, text: '[FIRING:1] something Lifeboat said' }));
    const seen = await until(() => standIn.delivered('chat.postMessage', (c) => c.params.thread_ts === tsOf(card) && text(c).includes('Seen again'))[0], 'the seen-again reply');
    expect(text(seen)).toContain('Seen again in the alert channel (3×): HighLatency checkout (prod)');
    expect(text(card)).not.toContain('<!channel>');
    await p.notifier.stop();
    expect(standIn.delivered('chat.postMessage', topLevel(channel))).toHaveLength(1);
    expect(await p.store.list({ state: 'all' })).toHaveLength(1);
  });
});

/** The ts the stand-in gave a posted message. */
function tsOf(call: RecordedCall): string {
  const ts = call.response?.ts;
  return typeof ts === 'string' ? ts : '';
}
