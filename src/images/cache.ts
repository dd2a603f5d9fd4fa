/**
 * In-memory `ImmutableCache`: bounded, least-recently-used eviction. Values never go stale —
 * task definitions and content-addressed manifests are immutable — so there is no TTL.
 */
import type { ImmutableCache } from './ports.js';

/** Bounded LRU map behind the `ImmutableCache` port. */
export class MemoryCache<T> implements ImmutableCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly maxEntries = 10_000) {}

  get(key: string): Promise<T | undefined> {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return Promise.resolve(value);
  }

  set(key: string, value: T): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }
}
