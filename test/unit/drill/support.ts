import { ManualClock } from '../../../src/core/clock.js';
import type { Alert } from '../../../src/intake/alert.js';
import type { AlertSink } from '../../../src/intake/sink.js';

/** An AlertSink that keeps what it gets. */
export class RecordingSink implements AlertSink {
  readonly alerts: Alert[] = [];
  accept(alerts: readonly Alert[]): Promise<void> {
    this.alerts.push(...alerts);
    return Promise.resolve();
  }
}

/** 2026-01-01T00:00Z, like ManualClock's default. */
export const T0 = Date.UTC(2026, 0, 1);

export function clockAt(ms = T0): ManualClock {
  return new ManualClock(ms);
}
