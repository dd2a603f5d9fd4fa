import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../core/logger.js';

/**
 * How a client behaves while Redis is unreachable.
 *
 * - `producer`: anything on a person's request path (enqueueing jobs, audit, confirmations,
 *   health checks). Commands fail at once instead of queueing, so a chat command gets a clear
 *   "Redis is down" answer within seconds rather than hanging — and a command that was refused
 *   is never silently replayed when Redis comes back.
 * - `worker`: BullMQ workers and the cancel subscriber. Commands wait for the reconnect
 *   (`maxRetriesPerRequest: null`, as BullMQ requires) and the client reconnects forever.
 */
export type RedisClientRole = 'producer' | 'worker';

export interface RedisClientOptions {
  role: RedisClientRole;
  logger: Logger;
  /**
   * Prepended by ioredis to every key. For store clients only: BullMQ refuses clients with a
   * `keyPrefix` (it has its own `prefix` option), so never pass one to the job system.
   */
  keyPrefix?: string;
  /** Shown in `CLIENT LIST`, handy when several bots and workers share one Redis. */
  connectionName?: string;
  /** Producer only: how long one command may take before it is rejected. Default 5000 ms. */
  commandTimeoutMs?: number;
  /** How long one connection attempt may take. Default 2000 ms. */
  connectTimeoutMs?: number;
}

/** Reconnect delay: quick at first, then every 2 s (producer) or 5 s (worker), forever. */
function retryStrategy(capMs: number): (times: number) => number {
  return (times) => Math.min(times * 200, capMs);
}

/** The ioredis options for a role; exported so the choice is testable and documented in one place. */
export function redisOptionsFor(options: RedisClientOptions): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 2000,
    keyPrefix: options.keyPrefix,
    connectionName: options.connectionName,
  };
  if (options.role === 'producer') {
    return {
      ...common,
      retryStrategy: retryStrategy(2000),
      // Fail instead of queueing while disconnected; never replay a command the caller was told failed.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
    };
  }
  return {
    ...common,
    retryStrategy: retryStrategy(5000),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  };
}

/**
 * Creates an ioredis client for `url` with the options its role needs. The caller owns it and
 * closes it (`quit()`/`disconnect()`) on shutdown. Connection errors are logged once per outage
 * instead of printed by ioredis as "Unhandled error event".
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const client = new Redis(url, redisOptionsFor(options));
  const log = options.logger.child({ redis: options.connectionName ?? options.role });
  let outage: string | undefined;
  client.on('error', (err: Error) => {
    if (outage !== undefined) return;
    outage = err.message;
    log.warn({ err: err.message }, 'Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (outage !== undefined) log.info('Redis connection restored');
    outage = undefined;
  });
  return client;
}

/** What `/readyz`, `status` and the startup check learn about Redis. */
export type RedisHealth =
  | { ok: true; latencyMs: number; maxmemoryPolicy: string | undefined }
  | { ok: false; latencyMs: number; error: string };

/**
 * Pings Redis and reads its eviction policy. Uses `INFO memory` rather than `CONFIG GET`
 * because managed Redis (ElastiCache, Memorystore) disables `CONFIG`. Never throws; gives up
 * after `timeoutMs` so a hung Redis cannot hang a health probe.
 */
export async function checkRedisHealth(client: Redis, timeoutMs = 1000): Promise<RedisHealth> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), timeout]);
    const latencyMs = elapsed();
    const info = await Promise.race([client.info('memory'), timeout]);
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    return { ok: true, latencyMs, maxmemoryPolicy: policy };
  } catch (err) {
    return { ok: false, latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The startup warning when Redis may evict keys: an evicted BullMQ key is a lost job, an
 * evicted audit entry is a hole in the trail. Undefined when the policy is safe or unknown.
 */
export function evictionPolicyWarning(health: RedisHealth): string | undefined {
  if (!health.ok || health.maxmemoryPolicy === undefined || health.maxmemoryPolicy === 'noeviction') return undefined;
  return `Redis maxmemory-policy is "${health.maxmemoryPolicy}"; Lifeboat needs "noeviction" or Redis may silently drop queued jobs and audit entries. Set \`maxmemory-policy noeviction\` in redis.conf (or the parameter group on ElastiCache).`;
}

/**
 * Waits until the client is connected (at most `timeoutMs`). Producer clients refuse commands
 * while connecting, so start-up waits here once instead of failing its first reads.
 */
export async function waitForRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      client.removeListener('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('ready', onReady);
  });
}
