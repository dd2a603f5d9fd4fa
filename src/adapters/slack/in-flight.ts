/**
 * Work started by a Slack listener after it acked (posting the thread, running the router). Bolt
 * does not wait for it on our behalf in every receiver, so shutdown and tests wait here instead.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `work`, remembering it until it settles. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.running.add(promise);
    const forget = () => this.running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Resolves when nothing is running (including work started while waiting). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
