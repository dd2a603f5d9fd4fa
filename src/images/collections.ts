/** Small collection helpers shared by the scan's gatherers. */

/** Split into consecutive batches of at most `size` (API batch limits). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Distinct values, first occurrence order. */
export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** Items grouped by key, in first-seen order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
