/**
 * In-memory stand-ins for the notifier's shared state (the same contract as `RedisCardRefStore`,
 * which test/integration/incidents/card-ref-store.test.ts checks on real Redis) and a surface that
 * records posts with their pings.
 */
import type { ChatSurface, Conversation, MessageRef, SurfaceName } from '../../../src/chat/ports.js';
import type { Clock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import type { Ingest } from '../../../src/incidents/ingest.js';
import { IncidentNotifier, type IncidentNotifierDeps } from '../../../src/incidents/notifier.js';
import type { Attention, AttentionSurface, CardClaim, CardRef, CardRefStore, NotificationOutbox, OutboxEntry, StormLedger, StormTally } from '../../../src/incidents/notifier-ports.js';
import { notificationsSettingsSchema, type NotificationsSettings } from '../../../src/incidents/notifier-settings.js';
import type { IncidentStore } from '../../../src/incidents/ports.js';

interface StoredCard {
  state: 'posting' | 'posted';
  owner?: string;
  leaseUntil?: number;
  ref?: CardRef;
}

export class MemoryNotifierState implements CardRefStore, NotificationOutbox, StormLedger {
  readonly cards = new Map<string, StoredCard>();
  readonly outbox = new Map<string, { token: string; markedAt: number }>();
  storm: { since: number; last: number; alerts: number; ids: Set<string> } | undefined;
  private tokens = 0;

  get(key: string): Promise<CardRef | undefined> {
    const card = this.cards.get(key);
    return Promise.resolve(card?.state === 'posted' && card.ref ? { ...card.ref } : undefined);
  }
  claim(key: string, owner: string, now: number, leaseMs: number): Promise<CardClaim> {
    const card = this.cards.get(key);
    if (card?.state === 'posted' && card.ref) return Promise.resolve({ kind: 'posted', ref: { ...card.ref } });
    if (card?.state === 'posting' && card.owner !== owner && (card.leaseUntil ?? 0) > now) return Promise.resolve({ kind: 'busy', retryAt: Math.min(card.leaseUntil ?? now, now + 2000) });
    this.cards.set(key, { state: 'posting', owner, leaseUntil: now + leaseMs });
    return Promise.resolve({ kind: 'claimed' });
  }
  posted(key: string, owner: string, ref: CardRef): Promise<boolean> {
    const card = this.cards.get(key);
    if (card?.state !== 'posting' || card.owner !== owner) return Promise.resolve(false);
    this.cards.set(key, { state: 'posted', ref: { ...ref } });
    return Promise.resolve(true);
  }
  release(key: string, owner: string): Promise<void> {
    const card = this.cards.get(key);
    if (card?.state === 'posting' && card.owner === owner) this.cards.delete(key);
    return Promise.resolve();
  }
  reserveUpdate(key: string, now: number, intervalMs: number): Promise<{ ok: true } | { ok: false; retryAt: number }> {
    const ref = this.cards.get(key)?.ref;
    if (!ref) return Promise.resolve({ ok: false, retryAt: now + 1000 });
    if (now - ref.updatedAt >= intervalMs) {
      ref.updatedAt = now;
      return Promise.resolve({ ok: true });
    }
    return Promise.resolve({ ok: false, retryAt: ref.updatedAt + intervalMs });
  }
  recordUpdate(key: string, hash: string, reservedAt: number): Promise<boolean> {
    const ref = this.cards.get(key)?.ref;
    if (!ref) return Promise.resolve(false);
    const current = ref.updatedAt === reservedAt;
    ref.hash = current ? hash : '';
    return Promise.resolve(current);
  }
  moveThreadCursor(key: string, from: number, to: number, change: { held: number; threadAt?: number }): Promise<boolean> {
    const ref = this.cards.get(key)?.ref;
    if (!ref || ref.cursor !== from) return Promise.resolve(false);
    ref.cursor = to;
    ref.held = change.held;
    if (change.threadAt !== undefined) ref.threadAt = change.threadAt;
    return Promise.resolve(true);
  }
  markNotified(key: string, reopenCount: number): Promise<boolean> {
    const ref = this.cards.get(key)?.ref;
    if (!ref || ref.notified >= reopenCount) return Promise.resolve(false);
    ref.notified = reopenCount;
    return Promise.resolve(true);
  }
  mark(id: string, now: number): Promise<string> {
    const token = `t${++this.tokens}`;
    this.outbox.set(id, { token, markedAt: now });
    return Promise.resolve(token);
  }
  clear(id: string, token: string): Promise<void> {
    if (this.outbox.get(id)?.token === token) this.outbox.delete(id);
    return Promise.resolve();
  }
  list(): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.outbox].map(([id, v]) => ({ id, ...v })));
  }
  record(alerts: number, incidentIds: readonly string[], now: number, quietMs: number, seed = 0): Promise<StormTally> {
    if (!this.storm || now - this.storm.last >= quietMs) this.storm = { since: now, last: now, alerts: seed, ids: new Set() };
    this.storm.last = Math.max(this.storm.last, now);
    this.storm.alerts += alerts;
    for (const id of incidentIds) this.storm.ids.add(id);
    return Promise.resolve(this.tally());
  }
  read(now: number, quietMs: number): Promise<StormTally | undefined> {
    if (!this.storm || now - this.storm.last >= quietMs) return Promise.resolve(undefined);
    return Promise.resolve(this.tally());
  }
  private tally(): StormTally {
    const s = this.storm!;
    return { since: s.since, last: s.last, alerts: s.alerts, incidents: s.ids.size };
  }
}

export interface Posted {
  to: Conversation;
  message: Message;
  ts: string;
  attention?: Attention;
}

/** Records posts (with their pings) and updates, like Slack would receive them. */
export class AttentionRecordingSurface implements ChatSurface, AttentionSurface {
  readonly posts: Posted[] = [];
  readonly updates: { ref: MessageRef; message: Message }[] = [];
  /** Throw on the next calls (a Slack outage). */
  failNext = 0;
  private n = 0;
  constructor(readonly name: SurfaceName = 'slack') {}
  post(to: Conversation, message: Message): Promise<MessageRef> {
    return this.record(to, message, undefined);
  }
  postWithAttention(to: Conversation, message: Message, attention: Attention): Promise<MessageRef> {
    return this.record(to, message, attention);
  }
  update(ref: MessageRef, message: Message): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('slack is down'));
    }
    this.updates.push({ ref, message });
    return Promise.resolve();
  }
  /** Top-level posts (cards, storm summary). */
  get cards(): Posted[] {
    return this.posts.filter((p) => p.to.threadTs === undefined);
  }
  /** Thread replies. */
  get replies(): Posted[] {
    return this.posts.filter((p) => p.to.threadTs !== undefined);
  }
  updatesOf(ts: string): Message[] {
    return this.updates.filter((u) => u.ref.ts === ts).map((u) => u.message);
  }
  private record(to: Conversation, message: Message, attention: Attention | undefined): Promise<MessageRef> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('slack is down'));
    }
    const ts = `1700000000.${String(++this.n).padStart(6, '0')}`;
    this.posts.push({ to, message, ts, ...(attention ? { attention } : {}) });
    return Promise.resolve({ surface: this.name, channel: to.channel, ts });
  }
}

export function notificationSettings(input: Record<string, unknown> = {}): NotificationsSettings {
  return notificationsSettingsSchema.parse({ channel: 'C0ALERTS', mentions: [{ mention: 'here', when: { severity: ['critical', 'high'] } }], ...input });
}

export function makeNotifier(parts: {
  ingest: Ingest;
  store: Pick<IncidentStore, 'get'>;
  clock: Clock;
  state?: MemoryNotifierState;
  surface?: AttentionRecordingSurface;
  notifications?: NotificationsSettings;
  extra?: Partial<IncidentNotifierDeps>;
}) {
  const state = parts.state ?? new MemoryNotifierState();
  const surface = parts.surface ?? new AttentionRecordingSurface();
  const notifier = new IncidentNotifier({
    ingest: parts.ingest,
    store: parts.store,
    surface,
    cards: state,
    outbox: state,
    storm: state,
    settings: parts.notifications ?? notificationSettings(),
    clock: parts.clock,
    logger: silentLogger,
    ...parts.extra,
  });
  return { notifier, state, surface };
}

/** Every string in a message, for assertions that do not care about layout. */
export function textOf(message: Message | undefined): string {
  if (!message) return '';
  return [message.summary, ...message.blocks.map((b) => JSON.stringify(b))].join('\n');
}
