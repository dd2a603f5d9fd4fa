import type { MessageRef } from '../chat/ports.js';
import type { Message } from '../core/message.js';

export interface CoalescedMessageOptions<S> {
  /** Minimum time between two chat calls for this message. */
  intervalMs: number;
  /** Turns a state into the message to show. */
  view(state: S): Message;
  post(message: Message): Promise<MessageRef>;
  update(ref: MessageRef, message: Message): Promise<void>;
  /** Called after each successful delivery, e.g. to remember the ref across a worker crash. */
  onDelivered?(ref: MessageRef, state: S): Promise<void>;
  /** Chat failures never fail the job; they are reported here. */
  onError(err: unknown): void;
  /** An already posted message to keep updating (a job resumed by another worker). */
  ref?: MessageRef;
}

/**
 * One chat message that follows a job's progress. The first state is posted at once; later
 * states replace it in place at most once per `intervalMs`, keeping only the newest pending
 * state, so a handler reporting 1000 times a second makes a handful of chat calls. Calls never
 * overlap, and `flush()` always delivers the last state.
 */
export class CoalescedMessage<S> {
  private pending: S | undefined;
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastDeliveredAt = Number.NEGATIVE_INFINITY;
  private current: MessageRef | undefined;

  constructor(private readonly options: CoalescedMessageOptions<S>) {
    this.current = options.ref;
  }

  /** The chat message, once posted. */
  get ref(): MessageRef | undefined {
    return this.current;
  }

  /** True once there is (or is about to be) a message in chat. */
  get started(): boolean {
    return this.current !== undefined || this.pending !== undefined || this.sending !== undefined;
  }

  /** Replaces the state to show; returns at once (delivery happens in the background). */
  set(state: S): void {
    this.pending = state;
    this.schedule();
  }

  /** Delivers the pending state now, ignoring the interval, and waits for it. */
  async flush(): Promise<void> {
    await this.sending;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending !== undefined) this.sendNow();
    await this.sending;
  }

  private schedule(): void {
    if (this.timer || this.sending) return;
    const wait = this.lastDeliveredAt + this.options.intervalMs - Date.now();
    if (wait <= 0) {
      this.sendNow();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendNow();
    }, wait);
  }

  private sendNow(): void {
    const state = this.pending;
    if (state === undefined) return;
    this.pending = undefined;
    this.sending = this.deliver(state)
      .catch((err: unknown) => this.options.onError(err))
      .finally(() => {
        this.sending = undefined;
        // Measured from the end of the call: a slow surface (Slack backing off) slows us too.
        this.lastDeliveredAt = Date.now();
        if (this.pending !== undefined) this.schedule();
      });
  }

  private async deliver(state: S): Promise<void> {
    const message = this.options.view(state);
    if (this.current) {
      await this.options.update(this.current, message);
    } else {
      this.current = await this.options.post(message);
    }
    await this.options.onDelivered?.(this.current, state);
  }
}
