import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCardRefStore } from '../../../src/adapters/redis/redis-card-ref-store.js';
import type { CardRef } from '../../../src/incidents/notifier-ports.js';
import { testPrefix, testRedis } from '../../support/redis.js';
import { MemoryNotifierState } from '../../unit/incidents/notifier-support.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0);

function ref(overrides: Partial<CardRef> = {}): CardRef {
  return { surface: 'slack', channel: 'C0ALERTS', ts: '1700000000.000100', updatedAt: T0, hash: 'h1', cursor: 3, threadAt: 0, held: 0, notified: 0, ...overrides };
}

let a: Redis;
let b: Redis;
beforeAll(() => {
  a = testRedis();
  b = testRedis();
});
afterAll(() => {
  a.disconnect();
  b.disconnect();
});

/** The same contract for Redis (two clients = two processes) and the unit tests' memory stand-in. */
describe.each([
  ['RedisCardRefStore', () => { const prefix = testPrefix('cards'); return [new RedisCardRefStore(a, { prefix }), new RedisCardRefStore(b, { prefix })] as const; }],
  ['MemoryNotifierState', () => { const s = new MemoryNotifierState(); return [s, s] as const; }],
])('%s', (_name, make) => {
  it('lets exactly one of many concurrent claimers post a card; the rest see it busy, then posted', async () => {
    const [one, two] = make();
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).claim('inc-aaaaaa', `p${i}`, T0, 60_000)));
    expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'busy').every((c) => c.kind === 'busy' && c.retryAt <= T0 + 2000)).toBe(true);
    const winner = claims.findIndex((c) => c.kind === 'claimed');
    expect(await one.posted('inc-aaaaaa', 'someone-else', ref())).toBe(false);
    expect(await two.posted('inc-aaaaaa', `p${winner}`, ref())).toBe(true);
    expect(await one.claim('inc-aaaaaa', 'late', T0, 60_000)).toEqual({ kind: 'posted', ref: ref() });
    expect(await two.get('inc-aaaaaa')).toEqual(ref());
  });

  it('lets a claim lapse after its lease, and a failed poster release it', async () => {
    const [one, two] = make();
    expect((await one.claim('inc-bbbbbb', 'crashed', T0, 1000)).kind).toBe('claimed');
    expect((await two.claim('inc-bbbbbb', 'other', T0 + 500, 1000)).kind).toBe('busy');
    expect((await two.claim('inc-bbbbbb', 'other', T0 + 1500, 1000)).kind).toBe('claimed');
    await two.release('inc-bbbbbb', 'other');
    expect((await one.claim('inc-bbbbbb', 'third', T0 + 1600, 1000)).kind).toBe('claimed');
    expect(await one.get('inc-bbbbbb')).toBeUndefined();
  });

  it('hands out one update slot per interval across processes', async () => {
    const [one, two] = make();
    await one.claim('inc-cccccc', 'p', T0, 60_000);
    await one.posted('inc-cccccc', 'p', ref({ updatedAt: T0 }));
    expect(await one.reserveUpdate('inc-cccccc', T0 + 1000, 5000)).toEqual({ ok: false, retryAt: T0 + 5000 });
    const [x, y] = await Promise.all([one.reserveUpdate('inc-cccccc', T0 + 5000, 5000), two.reserveUpdate('inc-cccccc', T0 + 5001, 5000)]);
    expect([x.ok, y.ok].filter(Boolean)).toHaveLength(1);
    const winner = x.ok ? T0 + 5000 : T0 + 5001;
    expect(await two.recordUpdate('inc-cccccc', 'h2', winner)).toBe(true);
    expect((await one.get('inc-cccccc'))?.hash).toBe('h2');
    // An update whose slot was superseded while in flight clears the digest: the card is sent again.
    expect(await one.reserveUpdate('inc-cccccc', T0 + 10_000, 5000)).toEqual({ ok: true });
    expect(await two.reserveUpdate('inc-cccccc', T0 + 15_000, 5000)).toEqual({ ok: true });
    expect(await one.recordUpdate('inc-cccccc', 'h3', T0 + 10_000)).toBe(false);
    expect((await two.get('inc-cccccc'))?.hash).toBe('');
  });

  it('moves the thread cursor by compare-and-set, and pings once per reopen', async () => {
    const [one, two] = make();
    await one.claim('inc-dddddd', 'p', T0, 60_000);
    await one.posted('inc-dddddd', 'p', ref({ cursor: 3 }));
    const moves = await Promise.all([one.moveThreadCursor('inc-dddddd', 3, 7, { held: 0, threadAt: T0 + 10 }), two.moveThreadCursor('inc-dddddd', 3, 7, { held: 0, threadAt: T0 + 11 })]);
    expect(moves.filter(Boolean)).toHaveLength(1);
    expect(await one.moveThreadCursor('inc-dddddd', 7, 9, { held: 4 })).toBe(true);
    expect(await two.get('inc-dddddd')).toMatchObject({ cursor: 9, held: 4 });
    const pings = await Promise.all([one.markNotified('inc-dddddd', 1), two.markNotified('inc-dddddd', 1)]);
    expect(pings.filter(Boolean)).toHaveLength(1);
    expect(await one.markNotified('inc-dddddd', 1)).toBe(false);
    expect(await two.markNotified('inc-dddddd', 2)).toBe(true);
  });

  it('keeps an outbox mark until it is cleared with its newest token', async () => {
    const [one, two] = make();
    const first = await one.mark('inc-eeeeee', T0);
    const second = await two.mark('inc-eeeeee', T0 + 10);
    await one.clear('inc-eeeeee', first);
    expect((await two.list()).filter((e) => e.id === 'inc-eeeeee')).toEqual([{ id: 'inc-eeeeee', token: second, markedAt: T0 + 10 }]);
    await two.clear('inc-eeeeee', second);
    expect((await one.list()).filter((e) => e.id === 'inc-eeeeee')).toEqual([]);
  });

  it('counts one storm across processes and starts a new one after a quiet spell', async () => {
    const [one, two] = make();
    const quiet = 120_000;
    await one.record(10, ['inc-1', 'inc-2'], T0, quiet);
    const tally = await two.record(5, ['inc-2', 'inc-3'], T0 + 1000, quiet);
    expect(tally).toEqual({ since: T0, last: T0 + 1000, alerts: 15, incidents: 3 });
    expect(await one.read(T0 + 2000, quiet)).toEqual(tally);
    expect(await one.read(T0 + 1000 + quiet, quiet)).toBeUndefined();
    expect(await two.record(1, ['inc-9'], T0 + 1000 + quiet, quiet)).toEqual({ since: T0 + 1000 + quiet, last: T0 + 1000 + quiet, alerts: 1, incidents: 1 });
  });
});
