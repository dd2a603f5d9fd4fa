import type { Alert } from './alert.js';

/**
 * Where intake hands parsed alerts. `accept` resolves only once every alert is durably stored
 * (so a source may be answered 2xx, or an SQS message deleted); it rejects when storage is
 * unavailable, and the source then answers 5xx so the sender retries.
 */
export interface AlertSink {
  accept(alerts: readonly Alert[]): Promise<void>;
}
