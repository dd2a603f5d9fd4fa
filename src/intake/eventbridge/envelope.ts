import { z } from 'zod';
import type { AlertSource } from '../alert.js';
import { parseTimestamp } from '../shared/time.js';

/**
 * The EventBridge event envelope. Only what Lifeboat relies on is required; unknown fields are kept
 * (AWS "may add other event types, sources, and details in the future").
 */
export const EventBridgeEventSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().min(1),
  time: z.string().min(1),
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

export type EventBridgeEvent = z.output<typeof EventBridgeEventSchema>;

/** Does this look like an EventBridge event at all (used to tell it from other JSON)? */
export function looksLikeEventBridgeEvent(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'detail-type' in value && 'source' in value;
}

/** Delivery facts every EventBridge-borne parser needs. */
export interface EventDelivery {
  /** Recorded as `Alert.source`: `eventbridge` unless the caller says `sqs` / `sns-cloudwatch`. */
  source: AlertSource;
}

/** `eventbridge:<id>`: EventBridge keeps `id` across its retries. */
export function eventDeliveryId(event: EventBridgeEvent): string {
  return `eventbridge:${event.id}`;
}

/** The event's `time` in ms; an unreadable `time` is a 400 naming the field. */
export function eventTime(event: EventBridgeEvent): number {
  return parseTimestamp(event.time, 'time');
}
