import type { Redis } from 'ioredis';
import { LifeboatError } from '../core/errors.js';

/** The sentence a person reads when a job could not be queued, cancelled or counted. */
export function redisUnavailable(attempt: string, cause?: unknown): LifeboatError {
  return new LifeboatError(
    'REDIS_UNAVAILABLE',
    `Lifeboat cannot reach Redis, so it could not ${attempt}. Nothing was started; try again in a minute, and if it keeps failing ask whoever runs Lifeboat to check Redis (see /readyz).`,
    { cause },
  );
}

/** Redis did not become ready, or did not answer, within the caller's budget. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

/** ioredis' ways of saying "not connected" or "no answer", and ours; anything else is a real bug. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof RedisTimeoutError) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|connect ETIMEDOUT|Socket closed/i.test(err.message);
}

/**
 * Resolves once `client` is ready, or rejects after `ms`. Checked *before* handing a command
 * to BullMQ: BullMQ waits for readiness without a deadline, and a command it is still holding
 * when we give up would be sent later — a job nobody is waiting for.
 */
export async function whenReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') throw new RedisTimeoutError('Redis client is closed');
  if (client.status === 'wait') client.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new RedisTimeoutError(`Redis not ready after ${ms} ms (status ${client.status})`));
    }, ms);
    client.once('ready', onReady);
  });
}

/** Rejects with `onTimeout()` when `work` has not settled within `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
