import { randomBytes } from 'node:crypto';
import type { ChatSurface, Conversation, MessageRef } from '../chat/ports.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Message } from '../core/message.js';
import { noMetrics, type Metrics } from '../core/metrics.js';
import type { Alert } from '../intake/alert.js';
import type { AlertSink } from '../intake/sink.js';
import type { IngestOutcome } from '../triage/outcome.js';
import type { CardOptions } from './card.js';
import type { Ingest } from './ingest.js';
import { isActive, type Incident } from './model.js';
import type { Attention, AttentionSurface, CardRef, CardRefStore, Mention, NotificationOutbox, StormLedger, StormTally } from './notifier-ports.js';
import { incidentCardMessage, messageDigest, renotifyReply, reopenedByPerson, stormSummary, THREAD_KINDS, threadReply, type SeenAgain } from './notifier-render.js';
import { channelFor, mentionsFor, type NotificationsSettings } from './notifier-settings.js';
import type { IncidentStore } from './ports.js';

/** Counter of what the notifier sent, by `kind`: card, update, thread, renotify, storm-card, storm-update. */
export const NOTIFIER_METRIC = 'lifeboat_incident_notifications_total';

export interface IncidentNotifierDeps {
  ingest: Ingest;
  store: Pick<IncidentStore, 'get'>;
  /** Where cards go. Slack in production (pings via `postWithAttention`), the terminal in console mode. */
  surface: ChatSurface & Partial<AttentionSurface>;
  cards: CardRefStore;
  outbox: NotificationOutbox;
  storm: StormLedger;
  settings: NotificationsSettings;
  /** `triage.storm.alertsPerMinute`, for the summary card's wording. Default 60. */
  stormThreshold?: number;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** How cards offer runbooks (see `CardOptions`). */
  card?: CardOptions;
  /**
   * Told about every outcome after it is stored (escalation hooks in here). Errors are logged,
   * not thrown: the alert is stored, and failing its sender would only make it retry a duplicate.
   */
  onOutcome?: (outcome: IngestOutcome, alert: Alert) => void | Promise<void>;
  /** Names this process in card claims; default a random id. */
  owner?: string;
  /** How often the flusher looks for due work. Default 250 ms. */
  tickMs?: number;
  /** `triage.retention.timelineEntries`: the notifier reads whole timelines to find what its threads have not shown. Default 200. */
  timelineLimit?: number;
  /** How long a card claim holds while its post is in flight. Default 10 min (a 429 can delay a post). */
  claimLeaseMs?: number;
  /** Re-reads the outbox this often to adopt incidents a crashed process left marked. Default 60 s. */
  sweepMs?: number;
}

/** One incident whose card may be behind. */
interface Pending {
  id: string;
  /** The outbox token, once the mark is in Redis. */
  token: string | undefined;
  marking: Promise<void> | undefined;
  clearing: Promise<void> | undefined;
  dueAt: number;
  inFlight: boolean;
  /** Marked again while a flush was running: flush once more. */
  again: boolean;
  failures: number;
  /** The newest state seen in an outcome, to pick a lane before reading the store. */
  incident: Incident | undefined;
  /** Channel repeats (fingerprint → name) to thread as "seen again (n×)". */
  seen: Map<string, string>;
  /** Its card is posted after a storm: without pings (the summary card already pinged). */
  afterStorm: boolean;
}

interface FlushResult {
  done: boolean;
  retryAt?: number;
}

/** This process's view of the current storm. */
interface StormState {
  /** The alerts of the minute that made it a storm: counted once, by whoever starts the tally. */
  seed: number;
  /** Alerts and incident ids not yet recorded in the shared tally. */
  unrecordedAlerts: number;
  unrecordedIds: Set<string>;
  /** The newest state of every incident this process saw during the storm. */
  incidents: Map<string, Incident>;
  tally: StormTally | undefined;
  rate: number;
  nextSummaryAt: number;
  summaryBusy: boolean;
  /** The shared tally is written (or read) at most once per {@link STORM_SYNC_MS}. */
  nextSyncAt: number;
}

const SUMMARY_KEY = (since: number): string => `storm:${since}`;
const MAX_BACKOFF_MS = 60_000;
const LAST_UPDATE_CACHE = 10_000;
const RECENT_INCIDENTS = 1000;
const STORM_SYNC_MS = 1000;

/**
 * Incident cards: the intake's {@link AlertSink}. Each alert is ingested (stored atomically),
 * its incident is marked in a durable outbox, and a flusher brings the incident's card up to date
 * by re-rendering it from the store — so a retry, a second process, or a restart can only ever
 * repeat the same, current card.
 *
 * - **One card per incident**, posted in `notifications.channel` (or a route) after an atomic
 *   claim, so two processes never post two cards; then **updated in place**, at most once per
 *   `coalesce.cardSeconds` per card across all processes, the last state always delivered.
 * - **Its thread** gets alert arrivals and other timeline entries, merged into one reply per
 *   `coalesce.threadSeconds` ("3 more alerts: …"), and channel repeats ("seen again (4×)").
 * - **Renotify** (an incident reopened by an alert): a thread reply also shown in the channel,
 *   with the configured mentions. A stale incident's successor is a new incident: a new card;
 *   the old card updates to "Superseded by …".
 * - **Flapping or snoozed**: the card keeps updating (counts), thread replies and pings are held.
 * - **Storm mode** (outcomes say `storm`): one summary card that updates instead of per-incident
 *   cards and threads, and says so; when the storm is quiet for `storm.quietSeconds` the summary
 *   says it is over and every incident's card catches up (new ones without pings).
 *
 * Per-incident work runs in one lane per channel, so a throttled channel (429) stalls only itself.
 */
export class IncidentNotifier implements AlertSink {
  private readonly pending = new Map<string, Pending>();
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private readonly lastUpdate = new Map<string, number>();
  private readonly laneOf = new Map<string, string>();
  /** Incidents seen in outcomes lately (for the storm summary's first minute). */
  private readonly recent = new Map<string, { incident: Incident; at: number }>();
  private readonly owner: string;
  private readonly metrics: Metrics;
  private readonly cardMs: number;
  private readonly threadMs: number;
  private storm: StormState | undefined;
  private stormEnding: { since: number; view: Message } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The loop's round in progress, if any. */
  private ticking: Promise<void> | undefined;
  private nextSweepAt = 0;

  constructor(private readonly deps: IncidentNotifierDeps) {
    this.owner = deps.owner ?? `notifier-${randomBytes(4).toString('hex')}`;
    this.metrics = deps.metrics ?? noMetrics;
    this.cardMs = deps.settings.coalesce.cardSeconds * 1000;
    this.threadMs = deps.settings.coalesce.threadSeconds * 1000;
  }

  /** Stores each alert (resolves once stored and marked for its card) — the intake routes' sink. */
  async accept(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) {
      const outcome = await this.deps.ingest(alert);
      await this.observe(outcome, alert);
    }
  }

  /**
   * An incident changed outside alert intake (ack, resolve, snooze from a command or button, a
   * job's timeline entry): its card catches up. For the incident builtins' `onChange`.
   */
  async refresh(incident: Incident): Promise<void> {
    await this.mark(incident.id, { incident });
  }

  /** Reads the outbox (cards a previous run left behind) and starts the flusher loop. */
  async start(): Promise<void> {
    await this.adoptOutbox(0);
    this.nextSweepAt = this.deps.clock.now() + (this.deps.sweepMs ?? 60_000);
    this.timer ??= setInterval(() => void this.tick(), this.deps.tickMs ?? 250);
    this.timer.unref();
  }

  /** Stops the loop and waits for flushes in progress. Marks left in the outbox are flushed by the next start. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.idle();
  }

  /** Resolves when no flush is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Runs every flush that is due now and waits for them (tests drive time with this). */
  async flushNow(): Promise<void> {
    await this.flushDue();
    await this.idle();
  }

  /** Incidents whose card is behind (for status and tests). */
  get backlog(): number {
    return this.pending.size;
  }

  /** True while this process shows the storm summary instead of per-incident cards. */
  get inStorm(): boolean {
    return this.storm !== undefined;
  }

  // --- intake side ------------------------------------------------------------------------------

  private async observe(outcome: IngestOutcome, alert: Alert): Promise<void> {
    const incident = outcome.incident;
    if (incident) {
      if (outcome.storm && this.deps.settings.storm.summary) this.noteStorm(outcome, incident);
      else this.noteRecent(incident);
      if (outcome.previous) await this.mark(outcome.previous.id, { incident: outcome.previous });
      const seen = alert.source === 'slack-channel' && outcome.kind === 'duplicate' ? { fingerprint: alert.fingerprint, name: alert.name } : undefined;
      await this.mark(incident.id, { incident, ...(seen ? { seen } : {}) });
    }
    // After the card's mark is durable: escalation may talk in the card's thread.
    try {
      await this.deps.onOutcome?.(outcome, alert);
    } catch (err) {
      this.deps.logger.error({ err, kind: outcome.kind, incidentId: outcome.incident?.id }, 'An ingest outcome hook failed');
    }
  }

  /**
   * Marks an incident for its card. Resolves once the mark is durable: the first mark since its
   * last flush writes the outbox (one Redis call); later ones only note it in memory, since the
   * durable mark is still there.
   */
  private async mark(id: string, info: { incident?: Incident; seen?: { fingerprint: string; name: string } }): Promise<void> {
    for (;;) {
      const existing = this.pending.get(id);
      if (existing?.clearing) {
        // Its mark is being cleared: wait, then mark afresh so the new change is durable too.
        await existing.clearing.catch(() => undefined);
        continue;
      }
      if (existing) {
        if (info.incident && (!existing.incident || info.incident.version >= existing.incident.version)) existing.incident = info.incident;
        if (info.seen) existing.seen.set(info.seen.fingerprint, info.seen.name);
        if (existing.inFlight) existing.again = true;
        if (existing.marking) await existing.marking;
        return;
      }
      const now = this.deps.clock.now();
      const entry: Pending = {
        id,
        token: undefined,
        marking: undefined,
        clearing: undefined,
        dueAt: this.nextDue(id, now),
        inFlight: false,
        again: false,
        failures: 0,
        incident: info.incident,
        seen: new Map(info.seen ? [[info.seen.fingerprint, info.seen.name]] : []),
        afterStorm: false,
      };
      this.pending.set(id, entry);
      entry.marking = this.deps.outbox.mark(id, now).then((token) => {
        entry.token = token;
      });
      try {
        await entry.marking;
      } catch (err) {
        // Not durable: the caller fails (its sender retries, and the retry marks again).
        if (this.pending.get(id) === entry && !entry.inFlight) this.pending.delete(id);
        throw err;
      } finally {
        entry.marking = undefined;
      }
      return;
    }
  }

  private noteRecent(incident: Incident): void {
    remember(this.recent, incident.id, { incident, at: this.deps.clock.now() }, RECENT_INCIDENTS);
  }

  private nextDue(id: string, now: number): number {
    const last = this.lastUpdate.get(id);
    return last === undefined ? now : Math.max(now, last + this.cardMs);
  }

  private rememberUpdate(id: string, at: number): void {
    remember(this.lastUpdate, id, at, LAST_UPDATE_CACHE);
  }

  // --- the flusher ------------------------------------------------------------------------------

  private tick(): Promise<void> {
    if (this.ticking || !this.timer) return this.ticking ?? Promise.resolve();
    this.ticking = this.round().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async round(): Promise<void> {
    try {
      await this.flushDue();
      const now = this.deps.clock.now();
      if (now >= this.nextSweepAt) {
        this.nextSweepAt = now + (this.deps.sweepMs ?? 60_000);
        // A mark older than two sweeps belongs to a process that is gone (or to us, already pending).
        await this.adoptOutbox(2 * (this.deps.sweepMs ?? 60_000));
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'The incident card flusher failed a round; retrying');
    }
  }

  private async flushDue(): Promise<void> {
    const now = this.deps.clock.now();
    await this.stormStep(now);
    if (this.storm) return;
    for (const entry of this.pending.values()) {
      if (entry.inFlight || entry.clearing || entry.marking || entry.dueAt > now) continue;
      this.launch(entry);
    }
  }

  /** Takes over outbox marks this process does not know (a restart, or a peer that died). */
  private async adoptOutbox(minAgeMs: number): Promise<void> {
    const now = this.deps.clock.now();
    for (const mark of await this.deps.outbox.list()) {
      if (this.pending.has(mark.id) || now - mark.markedAt < minAgeMs) continue;
      this.pending.set(mark.id, {
        id: mark.id,
        token: mark.token,
        marking: undefined,
        clearing: undefined,
        dueAt: now,
        inFlight: false,
        again: false,
        failures: 0,
        incident: undefined,
        seen: new Map(),
        afterStorm: false,
      });
    }
  }

  private launch(entry: Pending): void {
    entry.inFlight = true;
    entry.again = false;
    const lane = this.laneOf.get(entry.id) ?? (entry.incident ? channelFor(this.deps.settings, entry.incident) : undefined) ?? this.deps.settings.channel ?? '-';
    const run = this.inLane(lane, () => this.flushIncident(entry))
      .then(
        (result) => this.settle(entry, result),
        (err: unknown) => {
          entry.failures += 1;
          const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(entry.failures, 6));
          entry.dueAt = this.deps.clock.now() + backoff;
          entry.inFlight = false;
          this.deps.logger.warn({ err, incidentId: entry.id, retryInMs: backoff }, 'Could not bring an incident card up to date; retrying');
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private async settle(entry: Pending, result: FlushResult): Promise<void> {
    entry.failures = 0;
    const now = this.deps.clock.now();
    if (result.done && !entry.again && entry.seen.size === 0) {
      const token = entry.token;
      entry.clearing = (async () => {
        try {
          if (token) await this.deps.outbox.clear(entry.id, token);
        } finally {
          this.pending.delete(entry.id);
        }
      })();
      try {
        await entry.clearing;
      } catch (err) {
        // The mark stays in Redis; a later sweep finds the card current and clears it.
        this.deps.logger.warn({ err, incidentId: entry.id }, 'Could not clear an outbox mark');
      }
      return;
    }
    entry.inFlight = false;
    entry.dueAt = result.retryAt ?? this.nextDue(entry.id, now);
  }

  /** Runs `work` after everything queued in the same channel lane. */
  private inLane<T>(lane: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.lanes.set(lane, tail);
    void tail.then(() => {
      if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
    });
    return result;
  }

  /** Brings one incident's card and thread up to date with its stored state. */
  private async flushIncident(entry: Pending): Promise<FlushResult> {
    const { store, cards, settings, clock } = this.deps;
    let now = clock.now();
    if (this.storm) return { done: false, retryAt: now + this.cardMs };
    const details = await store.get(entry.id, { timelineLimit: this.deps.timelineLimit ?? 200 });
    if (!details) return { done: true };
    const { incident, timeline } = details;
    entry.incident = incident;
    const quiet = incident.flapping || (incident.snoozedUntil !== undefined && incident.snoozedUntil > now);
    const card = incidentCardMessage(details, this.deps.card);
    const hash = messageDigest(card);
    const total = incident.timelineDropped + timeline.length;

    let ref = await cards.get(entry.id);
    if (!ref) {
      const channel = channelFor(settings, incident);
      if (!channel) return { done: true };
      const claim = await cards.claim(entry.id, this.owner, now, this.deps.claimLeaseMs ?? 600_000);
      if (claim.kind === 'busy') return { done: false, retryAt: claim.retryAt };
      if (claim.kind === 'posted') {
        ref = claim.ref;
      } else {
        const mentions = isActive(incident) && !quiet && !entry.afterStorm ? mentionsFor(settings, incident, 'new') : [];
        let posted: MessageRef;
        try {
          posted = await this.post({ surface: this.deps.surface.name, channel }, card, { mentions });
        } catch (err) {
          await cards.release(entry.id, this.owner).catch(() => undefined);
          throw err;
        }
        now = clock.now();
        ref = { surface: posted.surface, channel: posted.channel, ts: posted.ts, updatedAt: now, hash, cursor: total, threadAt: 0, held: 0, notified: incident.reopenCount };
        if (!(await cards.posted(entry.id, this.owner, ref))) {
          this.deps.logger.warn({ incidentId: entry.id }, 'Another process took over this incident card while it was being posted; its card is the one kept');
          ref = (await cards.get(entry.id)) ?? ref;
        }
        this.metrics.increment(NOTIFIER_METRIC, { kind: 'card' });
        this.rememberUpdate(entry.id, now);
      }
    }
    remember(this.laneOf, entry.id, ref.channel, LAST_UPDATE_CACHE);
    if (ref.surface !== this.deps.surface.name) return { done: true };
    const messageRef: MessageRef = { surface: ref.surface, channel: ref.channel, ts: ref.ts };
    let retryAt: number | undefined;
    const later = (at: number): void => {
      retryAt = retryAt === undefined ? at : Math.min(retryAt, at);
    };

    // 1. The card, in place, coalesced.
    if (ref.hash !== hash) {
      const slot = await cards.reserveUpdate(entry.id, now, this.cardMs);
      if (slot.ok) {
        await this.deps.surface.update(messageRef, card);
        this.metrics.increment(NOTIFIER_METRIC, { kind: 'update' });
        this.rememberUpdate(entry.id, now);
        // Another process updated the card while ours was in flight: send the current card once more.
        if (!(await cards.recordUpdate(entry.id, hash, now))) later(now + this.cardMs);
      } else {
        this.rememberUpdate(entry.id, slot.retryAt - this.cardMs);
        later(slot.retryAt);
      }
    }

    // 2. Needs attention again (an alert reopened it): one ping, in the thread and the channel.
    if (incident.reopenCount > ref.notified && (await cards.markNotified(entry.id, incident.reopenCount))) {
      if (incident.state === 'open' && !quiet && !reopenedByPerson(timeline)) {
        const mentions = mentionsFor(settings, incident, 'renotify');
        await this.post({ surface: ref.surface, channel: ref.channel, threadTs: ref.ts }, renotifyReply(incident, timeline), { mentions, broadcast: true });
        this.metrics.increment(NOTIFIER_METRIC, { kind: 'renotify' });
      }
    }

    // 3. The thread: timeline entries not shown yet, and channel repeats; merged and paced.
    const start = total - timeline.length;
    const fresh = timeline.slice(Math.max(0, ref.cursor - start)).filter((e) => THREAD_KINDS.has(e.kind));
    const missed = Math.max(0, start - ref.cursor);
    const seen = this.seenAgain(entry, details.alerts);
    if (ref.cursor < total || seen.length > 0) {
      const reply = quiet ? undefined : threadReply({ incidentId: incident.id, entries: fresh, seenAgain: seen, held: ref.held, missed, maxLines: settings.coalesce.threadLines });
      if (quiet || !reply) {
        // Flapping or snoozed: hold (count) the lines; or nothing a thread shows (state changes are on the card).
        const held = quiet ? ref.held + fresh.length + seen.length : ref.held;
        await cards.moveThreadCursor(entry.id, ref.cursor, total, { held });
        entry.seen.clear();
      } else if (ref.threadAt > 0 && now - ref.threadAt < this.threadMs) {
        later(ref.threadAt + this.threadMs);
      } else if (await cards.moveThreadCursor(entry.id, ref.cursor, total, { held: 0, threadAt: now })) {
        entry.seen.clear();
        try {
          await this.post({ surface: ref.surface, channel: ref.channel, threadTs: ref.ts }, reply, { mentions: [] });
          this.metrics.increment(NOTIFIER_METRIC, { kind: 'thread' });
        } catch (err) {
          // Give the lines back so the next flush posts them.
          await cards.moveThreadCursor(entry.id, total, ref.cursor, { held: ref.held, threadAt: ref.threadAt }).catch(() => undefined);
          throw err;
        }
      } else {
        // Another process took these lines and posts them.
        entry.seen.clear();
      }
    }
    return retryAt === undefined ? { done: true } : { done: false, retryAt };
  }

  private seenAgain(entry: Pending, alerts: readonly { fingerprint: string; name: string; received: number }[]): SeenAgain[] {
    const out: SeenAgain[] = [];
    for (const [fingerprint, name] of entry.seen) {
      const record = alerts.find((a) => a.fingerprint === fingerprint);
      out.push({ name: record?.name ?? name, received: record?.received ?? 2 });
    }
    return out;
  }

  private post(to: Conversation, message: Message, attention: Attention): Promise<MessageRef> {
    const surface = this.deps.surface;
    if ((attention.mentions.length > 0 || attention.broadcast) && surface.postWithAttention) return surface.postWithAttention(to, message, attention);
    return surface.post(to, message);
  }

  // --- storm mode -------------------------------------------------------------------------------

  private noteStorm(outcome: IngestOutcome, incident: Incident): void {
    const now = this.deps.clock.now();
    if (!this.storm) {
      // The minute before counts: those alerts made it a storm. Incidents seen then are part of it.
      const recent = [...this.recent.values()].filter((r) => now - r.at <= 60_000).map((r) => r.incident);
      this.storm = {
        seed: Math.max(0, outcome.alertsPerMinute - 1),
        unrecordedAlerts: 0,
        unrecordedIds: new Set(recent.map((i) => i.id)),
        incidents: new Map(recent.map((i) => [i.id, i])),
        tally: undefined,
        rate: 0,
        nextSummaryAt: now,
        summaryBusy: false,
        nextSyncAt: now,
      };
      this.deps.logger.warn({ alertsPerMinute: outcome.alertsPerMinute }, 'Alert storm: showing one summary card instead of a card per incident');
    }
    const storm = this.storm;
    storm.rate = outcome.alertsPerMinute;
    if (outcome.kind !== 'duplicate-delivery') storm.unrecordedAlerts += 1;
    storm.unrecordedIds.add(incident.id);
    const known = storm.incidents.get(incident.id);
    if (!known || incident.version >= known.version) storm.incidents.set(incident.id, incident);
  }

  private async stormStep(now: number): Promise<void> {
    const { settings } = this.deps;
    const quietMs = settings.storm.quietSeconds * 1000;
    if (this.stormEnding) await this.sendStormEnding();
    const storm = this.storm;
    if (!storm) return;
    if (now < storm.nextSyncAt && storm.tally) {
      // Between syncs with the shared tally: the summary may still be due.
    } else if (storm.unrecordedAlerts > 0 || storm.unrecordedIds.size > 0 || storm.seed > 0) {
      storm.nextSyncAt = now + STORM_SYNC_MS;
      const ids = [...storm.unrecordedIds];
      const alerts = storm.unrecordedAlerts;
      storm.unrecordedAlerts = 0;
      storm.unrecordedIds.clear();
      try {
        storm.tally = await this.deps.storm.record(alerts, ids, now, quietMs, storm.seed);
        storm.seed = 0;
      } catch (err) {
        storm.unrecordedAlerts += alerts;
        for (const id of ids) storm.unrecordedIds.add(id);
        throw err;
      }
    } else {
      storm.nextSyncAt = now + STORM_SYNC_MS;
      const tally = await this.deps.storm.read(now, quietMs);
      if (!tally || tally.since !== storm.tally?.since || now - tally.last >= quietMs) {
        this.endStorm(storm, now);
        return;
      }
      storm.tally = tally;
    }
    if (!storm.summaryBusy && now >= storm.nextSummaryAt && storm.tally) {
      storm.summaryBusy = true;
      storm.nextSummaryAt = now + settings.storm.updateSeconds * 1000;
      const tally = storm.tally;
      const run = this.inLane(this.stormChannel() ?? '-', () => this.sendStormSummary(tally, this.stormView(storm, tally, now, false), false))
        .catch((err: unknown) => {
          storm.nextSummaryAt = this.deps.clock.now() + 2000;
          this.deps.logger.warn({ err }, 'Could not update the storm summary card; retrying');
        })
        .finally(() => {
          storm.summaryBusy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    }
  }

  private endStorm(storm: StormState, now: number): void {
    this.storm = undefined;
    const tally = storm.tally;
    this.deps.logger.info({ alerts: tally?.alerts, incidents: tally?.incidents }, 'The alert storm is over; incident cards catch up');
    for (const id of storm.incidents.keys()) {
      const entry = this.pending.get(id);
      if (entry) entry.afterStorm = true;
    }
    if (tally) this.stormEnding = { since: tally.since, view: this.stormView(storm, tally, now, true) };
  }

  private stormView(storm: StormState, tally: StormTally, now: number, over: boolean): Message {
    return stormSummary({
      since: tally.since,
      now,
      alerts: tally.alerts,
      incidents: Math.max(tally.incidents, storm.incidents.size),
      ratePerMinute: storm.rate,
      threshold: this.deps.stormThreshold ?? 60,
      known: [...storm.incidents.values()],
      top: this.deps.settings.storm.topIncidents,
      over,
    });
  }

  private stormChannel(): string | undefined {
    return this.deps.settings.storm.channel ?? this.deps.settings.channel;
  }

  /** Delivers the "storm over" summary (retried on later ticks until it is). */
  private async sendStormEnding(): Promise<void> {
    const ending = this.stormEnding;
    if (!ending) return;
    try {
      await this.inLane(this.stormChannel() ?? '-', () => this.sendStormSummary({ since: ending.since, last: 0, alerts: 0, incidents: 0 }, ending.view, true));
      if (this.stormEnding === ending) this.stormEnding = undefined;
    } catch (err) {
      this.deps.logger.warn({ err }, 'Could not post the end of the storm on its summary card; retrying');
    }
  }

  private async sendStormSummary(tally: StormTally, message: Message, final: boolean): Promise<void> {
    const channel = this.stormChannel();
    if (!channel) return;
    const { cards, clock } = this.deps;
    const key = SUMMARY_KEY(tally.since);
    const now = clock.now();
    const hash = messageDigest(message);
    let ref: CardRef | undefined = await cards.get(key);
    if (!ref) {
      if (final) return; // No summary was ever posted for this storm: nothing to close.
      const claim = await cards.claim(key, this.owner, now, this.deps.claimLeaseMs ?? 600_000);
      if (claim.kind === 'busy') return;
      if (claim.kind === 'claimed') {
        const mentions = this.stormMentions();
        let posted: MessageRef;
        try {
          posted = await this.post({ surface: this.deps.surface.name, channel }, message, { mentions });
        } catch (err) {
          await cards.release(key, this.owner).catch(() => undefined);
          throw err;
        }
        await cards.posted(key, this.owner, { surface: posted.surface, channel: posted.channel, ts: posted.ts, updatedAt: clock.now(), hash, cursor: 0, threadAt: 0, held: 0, notified: 0 });
        this.metrics.increment(NOTIFIER_METRIC, { kind: 'storm-card' });
        return;
      }
      ref = claim.ref;
    }
    if (ref.hash === hash || ref.surface !== this.deps.surface.name) return;
    const slot = await cards.reserveUpdate(key, now, final ? 0 : this.deps.settings.storm.updateSeconds * 1000);
    if (!slot.ok) return;
    await this.deps.surface.update({ surface: ref.surface, channel: ref.channel, ts: ref.ts }, message);
    await cards.recordUpdate(key, hash, now);
    this.metrics.increment(NOTIFIER_METRIC, { kind: 'storm-update' });
  }

  /** The summary card pings as the worst incident known so far would (rules with `on: storm`). */
  private stormMentions(): Mention[] {
    const rank = { critical: 0, high: 1, warning: 2, info: 3 } as const;
    const worst = [...(this.storm?.incidents.values() ?? [])].sort((a, b) => rank[a.severity] - rank[b.severity])[0];
    return worst ? mentionsFor(this.deps.settings, worst, 'storm') : [];
  }
}

/** Sets a key in an insertion-ordered map used as an LRU, dropping the oldest beyond `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * The intake sink for a process without a chat surface (no Slack, no terminal): alerts are
 * stored and outcomes handed on, no cards. A process with a surface uses {@link IncidentNotifier}.
 */
export function ingestOnlySink(ingest: Ingest, onOutcome?: (outcome: IngestOutcome, alert: Alert) => void | Promise<void>): AlertSink {
  return {
    async accept(alerts) {
      for (const alert of alerts) {
        const outcome = await ingest(alert);
        await onOutcome?.(outcome, alert);
      }
    },
  };
}
