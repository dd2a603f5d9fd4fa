import type { RunbookRun } from './model.js';
import type { RunbookStore } from './ports.js';

/**
 * Runs in memory, with the same compare-and-set contract as the Redis store: for unit tests and
 * one-process experiments. Stores copies, so a caller can never change a stored run by accident.
 */
export class MemoryRunbookStore implements RunbookStore {
  private readonly runs = new Map<string, RunbookRun>();

  create(run: RunbookRun): Promise<void> {
    if (this.runs.has(run.id)) return Promise.reject(new Error(`run ${run.id} already exists`));
    this.runs.set(run.id, structuredClone(run));
    return Promise.resolve();
  }

  get(id: string): Promise<RunbookRun | undefined> {
    const run = this.runs.get(id);
    return Promise.resolve(run ? structuredClone(run) : undefined);
  }

  update(run: RunbookRun, expectedVersion: number): Promise<boolean> {
    const stored = this.runs.get(run.id);
    if (!stored || stored.version !== expectedVersion) return Promise.resolve(false);
    this.runs.set(run.id, structuredClone(run));
    return Promise.resolve(true);
  }

  listActive(): Promise<RunbookRun[]> {
    return Promise.resolve([...this.runs.values()].filter((r) => r.status === 'active').sort((a, b) => a.createdAt - b.createdAt).map((r) => structuredClone(r)));
  }
}
