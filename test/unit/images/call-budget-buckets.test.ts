import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { CallBudget, DEFAULT_BUDGETS, type CallBudgetOptions } from '../../../src/images/call-budget.js';

function budget(overrides: Partial<CallBudgetOptions>, sleep?: CallBudgetOptions['sleep']) {
  const clock = new ManualClock(0);
  const sleeps: number[] = [];
  const b = new CallBudget({
    ratePerSecond: 10,
    burst: 1,
    maxInFlight: 10,
    maxAttempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    clock,
    sleep:
      sleep ??
      ((ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      }),
    random: () => 0,
    ...overrides,
  });
  return { b, clock, sleeps };
}

describe('call budget buckets', () => {
  it('gives every API its own bucket, and a call waiting for its token holds no slot another API needs', async () => {
    const waiting: (() => void)[] = [];
    const { b } = budget({ bucketOf: (op) => op, maxInFlight: 1 }, () => new Promise<void>((resolve) => waiting.push(resolve)));
    const order: string[] = [];
    await b.run('ecs:DescribeTaskDefinition', () => Promise.resolve(order.push('td 1')));
    // The second task definition waits for its bucket (nothing moves the clock here)…
    void b.run('ecs:DescribeTaskDefinition', () => Promise.resolve(order.push('td 2')));
    // …while another API, with tokens of its own, runs through the only slot.
    await b.run('ecs:DescribeServices', () => Promise.resolve(order.push('services')));
    expect(order).toEqual(['td 1', 'services']);
    expect(waiting).toHaveLength(1);
  });

  it('halves the rate of a throttled API when adaptive, and wins it back call by call', async () => {
    const { b, sleeps } = budget({ adaptive: true, bucketOf: (op) => op });
    let n = 0;
    await b.run('ecr:DescribeImages', () => (++n === 1 ? Promise.reject(new LifeboatError('AWS_THROTTLED', 'Rate exceeded')) : Promise.resolve(n)));
    // Backoff (jitter 0), then a token at the halved rate: 1 token at 5/s.
    expect(sleeps).toEqual([0, 200]);
    await b.run('ecr:DescribeImages', () => Promise.resolve(0));
    // 5.2/s after one success: a token takes ceil(1000 / 5.2) ms.
    expect(sleeps.at(-1)).toBe(Math.ceil(1000 / 5.2));
    // Other APIs keep their rate.
    sleeps.length = 0;
    await b.run('ecr:GetLifecyclePolicy', () => Promise.resolve(0));
    await b.run('ecr:GetLifecyclePolicy', () => Promise.resolve(0));
    expect(sleeps).toEqual([100]);
  });

  it('is neither per API nor adaptive unless told', async () => {
    const { b, sleeps } = budget({});
    await b.run('a', () => Promise.resolve(0));
    await b.run('b', () => Promise.resolve(0));
    expect(sleeps).toEqual([100]);
    expect(DEFAULT_BUDGETS.ecs).toMatchObject({ ratePerSecond: 20, burst: 40, adaptive: true });
    expect(DEFAULT_BUDGETS.ecs.bucketOf?.('ecs:DescribeServices')).not.toBe(DEFAULT_BUDGETS.ecs.bucketOf?.('ecs:DescribeTaskDefinition'));
  });
});
