import type { Conversation, MessageRef, SurfaceName } from '../chat/ports.js';
import type { Message } from '../core/message.js';

/**
 * A ping a surface turns into a real notification. Mentions come from configuration only
 * (`notifications.mentions`), never from alert text: messages stay plain text, and a surface
 * renders these separately, from validated ids.
 */
export type Mention = { type: 'here' } | { type: 'channel' } | { type: 'usergroup'; id: string } | { type: 'user'; id: string };

/** How loudly a message is posted. */
export interface Attention {
  mentions: readonly Mention[];
  /** A thread reply that is also shown in the channel (Slack `reply_broadcast`). */
  broadcast?: boolean;
}

/**
 * A surface that can ping people (Slack). The notifier uses it when the surface has it; on
 * other surfaces (the terminal) the same message is posted without pings.
 */
export interface AttentionSurface {
  postWithAttention(to: Conversation, message: Message, attention: Attention): Promise<MessageRef>;
}

/** Where an incident's card lives and what the notifier has already shown there. */
export interface CardRef {
  surface: SurfaceName;
  channel: string;
  ts: string;
  /** When the card was last posted or updated (ms). */
  updatedAt: number;
  /** Digest of the card as last rendered: an unchanged card is not sent again. */
  hash: string;
  /** Timeline entries (absolute index, oldest = 0) already shown on the card or in its thread. */
  cursor: number;
  /** When the last thread reply was posted (ms; 0 = never). */
  threadAt: number;
  /** Thread lines skipped while the incident was flapping or snoozed, to mention once it is not. */
  held: number;
  /** The incident's `reopenCount` people were last pinged for. */
  notified: number;
}

export type CardClaim =
  /** This process may post the card; call `posted` or `release` afterwards. */
  | { kind: 'claimed' }
  /** The card exists already (posted by this or another process). */
  | { kind: 'posted'; ref: CardRef }
  /** Another process is posting it right now. */
  | { kind: 'busy'; retryAt: number };

/**
 * Card references, shared by every Lifeboat process (Redis in production): one card per
 * incident, however many processes see its alerts. Keys are incident ids, or `storm:<since>` for
 * a storm summary card.
 */
export interface CardRefStore {
  get(key: string): Promise<CardRef | undefined>;
  /**
   * Atomically claims the right to post the card (SET NX semantics): exactly one caller gets
   * `claimed`; the claim lapses after `leaseMs` so a crashed poster does not block it forever.
   */
  claim(key: string, owner: string, now: number, leaseMs: number): Promise<CardClaim>;
  /** Records the posted card; false when the claim was lost meanwhile (another process posted). */
  posted(key: string, owner: string, ref: CardRef): Promise<boolean>;
  /** Gives up a claim after a failed post. */
  release(key: string, owner: string): Promise<void>;
  /**
   * Takes the card's update slot: ok when the last update is at least `intervalMs` ago (and
   * records `now`), else when to try again. Coalesces updates across processes.
   */
  reserveUpdate(key: string, now: number, intervalMs: number): Promise<{ ok: true } | { ok: false; retryAt: number }>;
  /**
   * The digest of what the card now shows, after an update sent in the slot reserved at
   * `reservedAt`. False when another process reserved a later slot meanwhile: the two updates
   * may reach Slack in either order, so the digest is cleared and the caller sends the card once
   * more after the interval.
   */
  recordUpdate(key: string, hash: string, reservedAt: number): Promise<boolean>;
  /**
   * Compare-and-set of the thread cursor: moves it from `from` to `to` (and sets `held`, and
   * `threadAt` when given) only if it is still `from`. False: another process took those lines.
   */
  moveThreadCursor(key: string, from: number, to: number, change: { held: number; threadAt?: number }): Promise<boolean>;
  /** True for exactly one caller per `reopenCount` above the recorded one: that caller pings. */
  markNotified(key: string, reopenCount: number): Promise<boolean>;
}

export interface OutboxEntry {
  id: string;
  token: string;
  markedAt: number;
}

/**
 * The notifier's outbox: incident ids whose card may be behind their stored state. An id is
 * marked (durably) before the alert that changed it is acknowledged to its sender, and cleared
 * only after its card caught up, so a restart loses no card update: the flusher re-renders every
 * marked incident from the store.
 */
export interface NotificationOutbox {
  /** Marks an incident; returns a token that `clear` must present. */
  mark(id: string, now: number): Promise<string>;
  /** Clears the mark unless it was marked again since (a newer token). */
  clear(id: string, token: string): Promise<void>;
  list(): Promise<OutboxEntry[]>;
}

/** The current alert storm, counted across processes. */
export interface StormTally {
  /** When it started (ms); also names its summary card (`storm:<since>`). */
  since: number;
  /** The last time any process recorded storm-rate alerts. */
  last: number;
  alerts: number;
  incidents: number;
}

export interface StormLedger {
  /**
   * Adds alerts and incident ids to the current storm, starting a new one when the last ended
   * (no record for `quietMs`). `seed` is added only by the call that starts a storm: the alerts
   * of the minute that made it one. Returns the totals.
   */
  record(alerts: number, incidentIds: readonly string[], now: number, quietMs: number, seed?: number): Promise<StormTally>;
  /** The current storm, if one is recorded and not over. */
  read(now: number, quietMs: number): Promise<StormTally | undefined>;
}
