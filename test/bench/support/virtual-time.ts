/**
 * Simulated time for benchmarks: `sleep` registers a timer and `run` advances the clock to the next
 * timer whenever nothing else can move. Everything the scan waits for (token buckets, backoff, the
 * stand-in's latency) goes through `sleep`, so a 60-second scan is measured exactly, and
 * deterministically, in well under a second of CPU.
 */
import type { Clock } from '../../../src/core/clock.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A clock and a `sleep` that only move when `run` says so. */
export class VirtualTime implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 31, 12)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Move the clock without running anything (a quiet spell between two scans). */
  advance(ms: number): void {
    this.current += ms;
  }

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, resolve };
      // Kept sorted by time, then by arrival: few timers are pending at once.
      const index = this.timers.findIndex((t) => t.at > timer.at);
      this.timers.splice(index < 0 ? this.timers.length : index, 0, timer);
    });

  /** Run `fn` to completion, advancing the clock from timer to timer. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    let settled = false;
    const promise = fn().finally(() => {
      settled = true;
    });
    promise.catch(() => undefined);
    while (!settled) {
      // Let every promise that can settle without time passing do so.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) break;
      const next = this.timers.shift();
      if (!next) throw new Error('virtual time: nothing is scheduled, yet the work has not finished');
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
    return promise;
  }
}
