/**
 * Simulated time. Every process of the drill account (task start-ups, builds, lifecycle runs,
 * queue producers, alarm evaluation) is a timed callback here; `advanceTo` runs them in time order
 * and moves the clock to each one's instant, so whatever reads the clock — the account itself, the
 * app's triage in drill mode — sees the simulated time the thing happened at.
 */
import type { Clock } from '../../core/clock.js';

/** A clock the drill can move: `ManualClock` from `src/core/clock.ts` is one. */
export interface SimClock extends Clock {
  set(ms: number): void;
}

interface Entry {
  at: number;
  seq: number;
  label: string;
  run: () => void;
  cancelled: boolean;
}

/** A handle to cancel a scheduled callback (a task stopped before its pull finished, …). */
export interface Scheduled {
  cancel(): void;
}

/** Timed callbacks over a `SimClock`; callbacks may schedule more, including at the current instant. */
export class SimScheduler {
  private queue: Entry[] = [];
  private seq = 0;

  constructor(readonly clock: SimClock) {}

  now(): number {
    return this.clock.now();
  }

  /** Run `run` at `at` (clamped to now). */
  at(at: number, label: string, run: () => void): Scheduled {
    const entry: Entry = { at: Math.max(at, this.clock.now()), seq: this.seq++, label, run, cancelled: false };
    // Keep the queue sorted by (at, seq); insertion from the end is cheap because most entries are near-future.
    let i = this.queue.length;
    while (i > 0) {
      const prev = this.queue[i - 1];
      if (!prev || prev.at < entry.at || (prev.at === entry.at && prev.seq < entry.seq)) break;
      i--;
    }
    this.queue.splice(i, 0, entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Run `run` after `delayMs`. */
  after(delayMs: number, label: string, run: () => void): Scheduled {
    return this.at(this.clock.now() + delayMs, label, run);
  }

  /** Run `run` every `periodMs`, first at `firstAt` (default one period from now). */
  every(periodMs: number, label: string, run: () => void, firstAt?: number): Scheduled {
    let current: Scheduled | undefined;
    let stopped = false;
    const tick = (at: number) => {
      current = this.at(at, label, () => {
        if (stopped) return;
        run();
        tick(at + periodMs);
      });
    };
    tick(firstAt ?? this.clock.now() + periodMs);
    return {
      cancel: () => {
        stopped = true;
        current?.cancel();
      },
    };
  }

  /** When the next live callback is due, if any. */
  nextAt(): number | undefined {
    this.queue = this.queue.filter((e) => !e.cancelled);
    return this.queue[0]?.at;
  }

  /**
   * Run every callback due at or before `target`, in order, moving the clock to each; then set the
   * clock to `target`. `between` runs after each instant's callbacks (the drill flushes alerts there)
   * and may be async.
   */
  async advanceTo(target: number, between?: () => Promise<void>): Promise<void> {
    for (;;) {
      const next = this.queue[0];
      if (!next || next.at > target) break;
      this.queue.shift();
      if (next.cancelled) continue;
      if (next.at > this.clock.now()) this.clock.set(next.at);
      next.run();
      const following = this.queue[0];
      if (between && (!following || following.at !== next.at)) await between();
    }
    if (target > this.clock.now()) this.clock.set(target);
    if (between) await between();
  }

  /** Labels of pending callbacks, for debugging a scenario. */
  pending(): { at: number; label: string }[] {
    return this.queue.filter((e) => !e.cancelled).map((e) => ({ at: e.at, label: e.label }));
  }
}
