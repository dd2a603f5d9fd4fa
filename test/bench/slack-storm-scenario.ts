/**
 * The Slack side of an alert storm, in simulated time: `alerts` alerts into `groups` incidents
 * over `minutes` minutes, through ingest on the Redis incident store and the incident notifier on
 * the Redis card store, with a surface that counts what would be Slack Web API calls (one
 * `chat.postMessage` per post, one `chat.update` per update — what `SlackSurface` sends).
 * Shared by `slack-storm.ts` (the report) and `slack-storm.bench.ts` (`npm run bench`).
 */
import type { Redis } from 'ioredis';
import { RedisCardRefStore } from '../../src/adapters/redis/redis-card-ref-store.js';
import { RedisIncidentStore } from '../../src/adapters/redis/redis-incident-store.js';
import type { ChatSurface, Conversation, MessageRef } from '../../src/chat/ports.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Message } from '../../src/core/message.js';
import { createIngest } from '../../src/incidents/ingest.js';
import { IncidentNotifier } from '../../src/incidents/notifier.js';
import type { Attention, AttentionSurface } from '../../src/incidents/notifier-ports.js';
import { notificationsSettingsSchema } from '../../src/incidents/notifier-settings.js';
import { defaultTriageSettings } from '../../src/triage/settings.js';
import { stormAlerts } from './ingest-scenario.js';

/** Counts calls by kind, as Slack would see them. */
export class CountingSurface implements ChatSurface, AttentionSurface {
  readonly name = 'slack' as const;
  readonly counts = { card: 0, thread: 0, update: 0 };
  private n = 0;
  post(to: Conversation, _message: Message): Promise<MessageRef> {
    if (to.threadTs) this.counts.thread += 1;
    else this.counts.card += 1;
    return Promise.resolve({ surface: 'slack', channel: to.channel, ts: `1700000000.${String(++this.n).padStart(6, '0')}` });
  }
  postWithAttention(to: Conversation, message: Message, _attention: Attention): Promise<MessageRef> {
    return this.post(to, message);
  }
  update(_ref: MessageRef, _message: Message): Promise<void> {
    this.counts.update += 1;
    return Promise.resolve();
  }
  get total(): number {
    return this.counts.card + this.counts.thread + this.counts.update;
  }
}

export interface StormRun {
  alerts: number;
  incidents: number;
  simulatedSeconds: number;
  calls: { card: number; thread: number; update: number; total: number };
  /** chat.postMessage calls in the alert channel per minute, at the busiest minute. */
  peakPostsPerMinute: number;
  wallMs: number;
}

export async function runSlackStorm(redis: Redis, prefix: string, options: { alerts?: number; groups?: number; minutes?: number; stormSummary?: boolean } = {}): Promise<StormRun> {
  const total = options.alerts ?? 10_000;
  const groups = options.groups ?? 20;
  const minutes = options.minutes ?? 5;
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
  const start = clock.now();
  const settings = notificationsSettingsSchema.parse({ channel: 'C0ALERTS', mentions: [{ mention: 'here', when: { severity: ['critical', 'high'] } }], storm: { summary: options.stormSummary ?? true } });
  const store = new RedisIncidentStore(redis, { clock, prefix: `${prefix}:inc`, retention: defaultTriageSettings.retention });
  const cards = new RedisCardRefStore(redis, { prefix: `${prefix}:notify` });
  const surface = new CountingSurface();
  const notifier = new IncidentNotifier({
    ingest: createIngest({ store, settings: defaultTriageSettings, clock }),
    store,
    surface,
    cards,
    outbox: cards,
    storm: cards,
    settings,
    clock,
    logger: silentLogger,
  });
  const alerts = stormAlerts(total, groups);
  const stepMs = 250;
  const steps = (minutes * 60_000) / stepMs;
  const perStep = total / steps;
  const postsByMinute = new Map<number, number>();
  const countPosts = (before: number): void => {
    const minute = Math.floor((clock.now() - start) / 60_000);
    postsByMinute.set(minute, (postsByMinute.get(minute) ?? 0) + surface.counts.card + surface.counts.thread - before);
  };
  const wall = performance.now();
  let next = 0;
  for (let step = 1; step <= steps; step++) {
    const until = Math.round(step * perStep);
    const batch = alerts.slice(next, until);
    next = until;
    await Promise.all(batch.map((a) => notifier.accept([a])));
    const before = surface.counts.card + surface.counts.thread;
    await notifier.flushNow();
    countPosts(before);
    clock.advance(stepMs);
  }
  // Afterwards: keep the flusher going until the storm is over and every card caught up.
  for (let i = 0; i < 4 * 60 * 10 && (notifier.backlog > 0 || notifier.inStorm); i++) {
    const before = surface.counts.card + surface.counts.thread;
    await notifier.flushNow();
    countPosts(before);
    clock.advance(stepMs);
  }
  const incidents = (await store.list({ state: 'all', limit: 500 })).length;
  return {
    alerts: total,
    incidents,
    simulatedSeconds: (clock.now() - start) / 1000,
    calls: { ...surface.counts, total: surface.total },
    peakPostsPerMinute: Math.max(0, ...postsByMinute.values()),
    wallMs: performance.now() - wall,
  };
}
