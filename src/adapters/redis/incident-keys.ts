import { createHash } from 'node:crypto';

/**
 * The incident store's key layout. Every key shares one Redis Cluster hash tag, because each
 * script touches several of them atomically (delivery id, group pointer, incidents, indexes);
 * the prefix `lifeboat:inc` becomes the tag `{lifeboat:inc}` unless it already has one.
 *
 * ```
 * {p}:d:<deliveryId>     string  incident id        delivery-id dedup, TTL retention.deliveryIdHours
 * {p}:g:<groupKey>       string  incident id        the group's current incident; TTL once it resolves
 * {p}:i:<id>             hash    the incident       TTL retention.resolvedDays once resolved
 * {p}:a:<id>             hash    fingerprint → alert record (JSON array)
 * {p}:t:<id>             list    timeline entries (JSON), capped at retention.timelineEntries
 * {p}:open               zset    active incident ids by createdAt
 * {p}:all                zset    every incident id by createdAt
 * {p}:expiring           zset    resolved incident ids by when their keys expire: drives pruning of `all`
 * {p}:rate:<minute>      string  accepted alerts in that clock minute (storm mode), TTL 3 min
 * ```
 */
export class IncidentKeys {
  /** Prefix including the hash tag and the trailing colon, e.g. `{lifeboat:inc}:`; also handed to the scripts. */
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${/\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`}:`;
  }

  /** Long delivery ids (ARNs and versions) are hashed: the key is per alert, so its length is per-alert memory. */
  delivery(deliveryId: string): string {
    return `${this.base}d:${deliveryId.length <= 40 ? deliveryId : createHash('sha1').update(deliveryId).digest('base64url')}`;
  }

  /** Must match `pointerKey` in the Lua scripts: group keys over 100 bytes become `#<sha1 hex>`. */
  pointer(groupKey: string): string {
    return `${this.base}g:${groupKeyPart(groupKey)}`;
  }

  incident(id: string): string {
    return `${this.base}i:${id}`;
  }

  alerts(id: string): string {
    return `${this.base}a:${id}`;
  }

  timeline(id: string): string {
    return `${this.base}t:${id}`;
  }

  get open(): string {
    return `${this.base}open`;
  }

  get all(): string {
    return `${this.base}all`;
  }

  rate(minute: number): string {
    return `${this.base}rate:${minute}`;
  }
}

export function groupKeyPart(groupKey: string): string {
  return Buffer.byteLength(groupKey) <= 100 ? groupKey : `#${createHash('sha1').update(groupKey).digest('hex')}`;
}
