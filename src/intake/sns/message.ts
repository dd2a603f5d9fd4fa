/**
 * `parseSnsMessage`: the alert content of an SNS HTTP(S) delivery. It does **not** verify the
 * signature — the route runs `SnsVerifier.verify` first and parses only what passed.
 *
 * - Notification whose `Message` (a JSON *string*) is a CloudWatch alarm → `cloudwatch/alarm-sns.ts`
 *   (source `sns-cloudwatch`, deliveryId `sns:<MessageId>`).
 * - Notification whose `Message` is an EventBridge event (EventBridge rule → SNS target) →
 *   `parseEventBridgeEvent` (source `eventbridge`, the event's own deliveryId, so a retry that SNS
 *   sees as a new publish is still recognised).
 * - SubscriptionConfirmation / UnsubscribeConfirmation → ignored (see `shouldConfirmSubscription`).
 * - Any other `Message` (plain text, other JSON) → 400: this endpoint is for alarms and events.
 */
import { IntakeError } from '../errors.js';
import { snsAlarmToAlert, looksLikeSnsAlarm } from '../cloudwatch/alarm-sns.js';
import { parseEventBridgeEvent } from '../eventbridge/dispatch.js';
import { looksLikeEventBridgeEvent } from '../eventbridge/envelope.js';
import { isRecord, readJsonPayload } from '../shared/payload.js';
import { validate } from '../shared/validate.js';
import { alerts, guard, ignored, type IntakeResult, type ParseContext } from '../result.js';
import { looksLikeSnsEnvelope, SnsEnvelopeSchema } from './envelope.js';

/** Parses an SNS HTTP(S) body (raw text — SNS posts `text/plain` — or already-parsed JSON). */
export function parseSnsMessage(payload: unknown, ctx: ParseContext = {}): IntakeResult {
  return guard(() => {
    const json = readJsonPayload(payload);
    if (!looksLikeSnsEnvelope(json)) {
      throw new IntakeError('UNKNOWN_SHAPE', 'not an SNS message: expected an object with "Type", "TopicArn" and "Message"');
    }
    const envelope = validate(SnsEnvelopeSchema, json, 'SNS message');
    if (envelope.Type !== 'Notification') {
      return ignored(`SNS ${envelope.Type} carries no alert (subscriptions are handled by shouldConfirmSubscription)`);
    }
    const message = parseMessageJson(envelope.Message);
    if (looksLikeSnsAlarm(message)) {
      return alerts([
        snsAlarmToAlert(message, { messageId: envelope.MessageId, topicArn: envelope.TopicArn, source: ctx.source ?? 'sns-cloudwatch' }),
      ]);
    }
    if (isRecord(message) && looksLikeEventBridgeEvent(message)) {
      return parseEventBridgeEvent(message, { ...ctx, source: ctx.source ?? 'eventbridge' });
    }
    throw new IntakeError('UNKNOWN_SHAPE', 'SNS Message is neither a CloudWatch alarm nor an EventBridge event');
  });
}

function parseMessageJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A plain-text Message (someone publishing by hand) is a shape problem, not broken JSON.
    throw new IntakeError('UNKNOWN_SHAPE', 'SNS Message is not JSON; expected a CloudWatch alarm or an EventBridge event');
  }
}
