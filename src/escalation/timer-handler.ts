import type { Logger } from '../core/logger.js';
import type { FiredTimer } from './ports.js';

/** Anything that handles some fired timers and says whether the timer was its kind. */
export interface TimerConsumer {
  handleTimer(timer: FiredTimer): Promise<boolean>;
}

/**
 * The one handler the timer worker runs: hands each fired timer to the engine, the heartbeat
 * monitor or the synthetic checks, by payload kind. Errors propagate so the timer is retried.
 */
export function createTimerHandler(consumers: readonly (TimerConsumer | undefined)[], logger: Logger): (timer: FiredTimer) => Promise<void> {
  const log = logger.child({ component: 'timers' });
  return async (timer) => {
    for (const consumer of consumers) {
      if (consumer && (await consumer.handleTimer(timer))) return;
    }
    log.warn({ timer: timer.id, kind: timer.payload.kind }, 'no handler for this timer kind; dropped');
  };
}
