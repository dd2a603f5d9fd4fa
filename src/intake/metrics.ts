/**
 * Intake counters, shared by the HTTP routes and the SQS poller so both report into the same
 * series (label `source` is the *transport*: `sns`, `eventbridge`, `alertmanager`, `generic`,
 * `sqs` — not `Alert.source`). Label values are bounded: `reason` is an `IntakeErrorCode`, never
 * free text. The composition root declares them (`MetricsRegistry.declare`) with this help text.
 */
export const INTAKE_METRICS = {
  /** Alerts handed to the store and stored. */
  alerts: { name: 'lifeboat_intake_alerts_total', type: 'counter', help: 'Alerts received and durably stored, by intake transport.' },
  /** Well-formed payloads that are deliberately not alerts (a RUNNING task, a scan result). */
  ignored: { name: 'lifeboat_intake_ignored_total', type: 'counter', help: 'Payloads accepted but not alerts (ignored), by intake transport.' },
  /** Refused payloads: nothing stored. `reason` is the IntakeError code. */
  rejected: { name: 'lifeboat_intake_rejected_total', type: 'counter', help: 'Payloads refused (bad signature, token, JSON, shape, size), by intake transport and reason code.' },
  /** The store failed or timed out: the sender is answered 503 (or the SQS message is kept) and retries. */
  storeFailures: { name: 'lifeboat_intake_store_failures_total', type: 'counter', help: 'Deliveries whose alerts could not be stored (answered 503 / message kept), by intake transport.' },
  /** SNS subscription confirmations, by outcome (confirmed, failed, refused). */
  subscriptions: { name: 'lifeboat_intake_sns_subscriptions_total', type: 'counter', help: 'SNS subscription confirmations, by outcome (confirmed, failed, refused).' },
  /** SQS messages by outcome (stored, ignored, refused, kept). */
  sqsMessages: { name: 'lifeboat_intake_sqs_messages_total', type: 'counter', help: 'SQS messages processed, by outcome (stored, ignored, refused, kept).' },
  /** SQS messages that were processed but could not be deleted (they come back; the store dedupes). */
  sqsDeleteFailures: { name: 'lifeboat_intake_sqs_delete_failures_total', type: 'counter', help: 'SQS messages processed but not deleted (redelivered later, deduplicated by the store), by error code.' },
  /** Failed ReceiveMessage calls, by Lifeboat error code. */
  sqsReceiveErrors: { name: 'lifeboat_intake_sqs_receive_errors_total', type: 'counter', help: 'Failed SQS ReceiveMessage calls, by error code.' },
} as const satisfies Record<string, { name: string; type: 'counter' | 'gauge'; help: string }>;

/** The transports, as the `source` label spells them. */
export type IntakeTransport = 'sns' | 'eventbridge' | 'alertmanager' | 'generic' | 'sqs';
