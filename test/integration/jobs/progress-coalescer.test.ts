import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageRef } from '../../../src/chat/ports.js';
import { textMessage, type Message } from '../../../src/core/message.js';
import { CoalescedMessage } from '../../../src/jobs/progress.js';

// Pure logic with fake timers (no Redis); it sits with the job tests it supports.
describe('CoalescedMessage', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function recorder(): { calls: string[]; message: CoalescedMessage<string>; slowUpdates: (ms: number) => void } {
    const calls: string[] = [];
    let delay = 0;
    const ref: MessageRef = { surface: 'console', channel: 'ops', ts: '1' };
    const message = new CoalescedMessage<string>({
      intervalMs: 2000,
      view: (s): Message => textMessage(s),
      post: (m) => {
        calls.push(`post ${m.summary}`);
        return Promise.resolve(ref);
      },
      update: async (_ref, m) => {
        calls.push(`update ${m.summary}`);
        if (delay) await new Promise((r) => setTimeout(r, delay));
      },
      onError: () => undefined,
    });
    return { calls, message, slowUpdates: (ms) => (delay = ms) };
  }

  it('posts the first state at once, then at most one update per interval with the newest state', async () => {
    const { calls, message } = recorder();
    message.set('0');
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 1; i <= 1000; i++) {
      message.set(String(i));
      await vi.advanceTimersByTimeAsync(5); // 1000 reports over 5 s
    }
    await message.flush();
    expect(calls[0]).toBe('post 0');
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.at(-1)).toBe('update 1000');
  });

  it('delivers the last state on flush even inside the interval', async () => {
    const { calls, message } = recorder();
    message.set('a');
    await vi.advanceTimersByTimeAsync(0);
    message.set('b');
    message.set('c');
    await message.flush();
    expect(calls).toEqual(['post a', 'update c']);
  });

  it('never overlaps calls, and spaces them from the end of a slow one', async () => {
    const { calls, message, slowUpdates } = recorder();
    slowUpdates(3000);
    message.set('a');
    await vi.advanceTimersByTimeAsync(2000);
    message.set('b'); // update starts, takes 3 s
    await vi.advanceTimersByTimeAsync(100);
    message.set('c');
    await vi.advanceTimersByTimeAsync(4000); // b finishes at ~5 s; c may go at ~7 s
    expect(calls).toEqual(['post a', 'update b']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual(['post a', 'update b', 'update c']);
  });

  it('keeps going after a failed chat call', async () => {
    let fail = true;
    const calls: string[] = [];
    const message = new CoalescedMessage<string>({
      intervalMs: 10,
      view: (s) => textMessage(s),
      post: (m) => {
        calls.push(m.summary);
        if (fail) return Promise.reject(new Error('slack down'));
        return Promise.resolve({ surface: 'console', channel: 'ops', ts: '9' });
      },
      update: () => Promise.resolve(),
      onError: () => {
        fail = false;
      },
    });
    message.set('a');
    await message.flush();
    message.set('b');
    await message.flush();
    expect(calls).toEqual(['a', 'b']);
    expect(message.ref?.ts).toBe('9');
  });
});
