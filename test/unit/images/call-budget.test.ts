import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { CallBudget, type CallBudgetOptions } from '../../../src/images/call-budget.js';

function budget(overrides: Partial<CallBudgetOptions> = {}) {
  const clock = new ManualClock(0);
  const sleeps: number[] = [];
  const b = new CallBudget({
    ratePerSecond: 10,
    burst: 5,
    maxInFlight: 100,
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    clock,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      return Promise.resolve();
    },
    random: () => 0.999,
    ...overrides,
  });
  return { b, clock, sleeps };
}

describe('call budget', () => {
  it('allows a burst, then paces calls at the sustained rate', async () => {
    const { b, clock } = budget();
    const startedAt: number[] = [];
    await Promise.all(Array.from({ length: 15 }, () => b.run('op', () => Promise.resolve(startedAt.push(clock.now())))));
    expect(startedAt.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // 10 more calls at 10/s take about a second.
    expect(startedAt.at(-1)).toBeGreaterThanOrEqual(1_000);
    expect(startedAt.at(-1)).toBeLessThanOrEqual(1_100);
    expect(b.stats().op).toEqual({ calls: 15, retries: 0, failures: 0 });
  });

  it('keeps at most maxInFlight calls running', async () => {
    const { b } = budget({ maxInFlight: 2, burst: 100 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
    };
    await Promise.all(Array.from({ length: 8 }, () => b.run('op', task)));
    expect(peak).toBe(2);
  });

  it('retries throttling with growing backoff and gives up after maxAttempts', async () => {
    const { b, sleeps } = budget();
    let n = 0;
    const throttled = () => {
      n++;
      return Promise.reject(new LifeboatError('AWS_THROTTLED', 'slow down'));
    };
    await expect(b.run('op', throttled)).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    expect(n).toBe(4);
    expect(sleeps).toEqual([99, 199, 399]);
    expect(b.stats().op).toEqual({ calls: 4, retries: 3, failures: 1 });
  });

  it('never retries what is not retryable', async () => {
    const { b } = budget();
    let n = 0;
    const denied = () => {
      n++;
      return Promise.reject(new LifeboatError('AWS_ACCESS_DENIED', 'no'));
    };
    await expect(b.run('op', denied)).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    await expect(b.run('op', () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    expect(n).toBe(1);
  });

  it('stops when the job is cancelled', async () => {
    const { b } = budget();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(b.run('op', () => Promise.resolve(1), controller.signal)).rejects.toThrow('cancelled');
  });
});
