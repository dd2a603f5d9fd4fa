import type { ScaleRecord, ScaleRecordStore } from './ports.js';

/**
 * `ScaleRecordStore` in memory: for tests and drills. Production uses Redis
 * (`RedisScaleRecordStore`), because the record must outlive the worker that wrote it.
 */
export class MemoryScaleRecordStore implements ScaleRecordStore {
  readonly records = new Map<string, ScaleRecord>();

  putIfAbsent(record: ScaleRecord): Promise<ScaleRecord> {
    const existing = this.records.get(record.key);
    if (existing) return Promise.resolve(structuredClone(existing));
    this.records.set(record.key, structuredClone(record));
    return Promise.resolve(structuredClone(record));
  }

  put(record: ScaleRecord): Promise<void> {
    this.records.set(record.key, structuredClone(record));
    return Promise.resolve();
  }

  get(key: string): Promise<ScaleRecord | undefined> {
    const record = this.records.get(key);
    return Promise.resolve(record ? structuredClone(record) : undefined);
  }

  delete(key: string): Promise<void> {
    this.records.delete(key);
    return Promise.resolve();
  }

  list(): Promise<ScaleRecord[]> {
    return Promise.resolve([...this.records.values()].map((r) => structuredClone(r)));
  }
}
