/**
 * EventBridge → SQS intake, for teams that open no inbound port at all (Slack Socket Mode + SQS).
 *
 * Long-polls the queue (`ReceiveMessage`, 20 s wait, 10 messages), parses each body with
 * `parseEventBridgeEvent(body, { source: 'sqs' })`, hands the alerts to the sink and deletes a
 * message **only after** its alerts are durably stored (or it was ignored: a well-formed event
 * that is not an alert). Per message:
 *
 * | parse result | sink | message |
 * |---|---|---|
 * | alerts | stored | deleted |
 * | alerts | failed / timed out | **kept**: it reappears after the visibility timeout and is retried (the store dedupes by deliveryId) |
 * | ignored | — | deleted |
 * | refused (never parses) | — | `onRefused: delete` (default): deleted and counted; `leave`: kept for the queue's redrive policy / DLQ |
 *
 * Deletes go out as one `DeleteMessageBatch`; entries that fail are logged and counted, never
 * retried here: the message comes back after its visibility timeout and the store recognises it.
 *
 * `stop()` aborts the long poll at once and waits for the batch in hand to finish (store +
 * delete), so shutdown never strands a stored-but-undeleted batch it could have cleaned up.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type DeleteMessageBatchRequestEntry,
  type Message,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import type { Clock } from '../../core/clock.js';
import { LifeboatError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { parseEventBridgeEvent, type Alert } from '../../intake/index.js';
import { INTAKE_METRICS } from '../../intake/metrics.js';
import type { ResolvedSqsSettings } from '../../intake/settings.js';
import type { AlertSink } from '../../intake/sink.js';
import { mapAwsError } from './errors.js';

export interface SqsAlertPollerOptions {
  /** Created at the composition root for the queue's region. */
  client: SQSClient;
  queueUrl: string;
  /** For IAM messages (`sqs:ReceiveMessage on <arn>`); the URL is used when unknown. */
  queueArn?: string;
  sink: AlertSink;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** Long-poll wait, 1–20 s (default 20). */
  waitTimeSeconds?: number;
  /** Messages per receive, 1–10 (default 10). */
  maxMessages?: number;
  /** How long received messages stay hidden (default 60 s); must cover storing a batch. */
  visibilityTimeoutSeconds?: number;
  /** What to do with a message that can never parse (default `delete`). */
  onRefused?: 'delete' | 'leave';
  /** Give up on the store after this long and keep the message (default: half the visibility timeout). */
  storeTimeoutMs?: number;
  /** Waits between failed receives; injectable for tests. Must resolve early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Destroy `client` in `stop()` (set when the poller made it, see `createSqsAlertPoller`). */
  ownsClient?: boolean;
}

/** What one receive did, per outcome (messages). */
export interface PollReport {
  received: number;
  stored: number;
  ignored: number;
  refused: number;
  /** Kept for redelivery: the store failed, or a refused message under `onRefused: leave`. */
  kept: number;
  deleted: number;
  deleteFailed: number;
}

type Outcome = 'stored' | 'ignored' | 'refused' | 'kept';

/** Retryable receive failures back off from 1 s to this; configuration failures wait this long. */
const MAX_BACKOFF_MS = 30_000;
const CONFIG_ERROR_RETRY_MS = 60_000;

export class SqsAlertPoller {
  private readonly waitTimeSeconds: number;
  private readonly maxMessages: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly onRefused: 'delete' | 'leave';
  private readonly storeTimeoutMs: number;
  private readonly resource: string;
  private readonly log: Logger;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastError: LifeboatError | undefined;
  private consecutiveFailures = 0;

  constructor(private readonly options: SqsAlertPollerOptions) {
    this.waitTimeSeconds = clampInt(options.waitTimeSeconds ?? 20, 0, 20);
    this.maxMessages = clampInt(options.maxMessages ?? 10, 1, 10);
    this.visibilityTimeoutSeconds = clampInt(options.visibilityTimeoutSeconds ?? 60, 1, 43_200);
    this.onRefused = options.onRefused ?? 'delete';
    this.storeTimeoutMs = options.storeTimeoutMs ?? Math.max(1_000, (this.visibilityTimeoutSeconds * 1000) / 2);
    this.resource = options.queueArn ?? options.queueUrl;
    this.log = options.logger.child({ component: 'sqs-intake', queue: options.queueArn ?? options.queueUrl });
  }

  /** Starts polling in the background; a second call is a no-op. */
  start(): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.controller = controller;
    this.log.info({ waitTimeSeconds: this.waitTimeSeconds, visibilityTimeoutSeconds: this.visibilityTimeoutSeconds, onRefused: this.onRefused }, 'polling SQS for EventBridge events');
    this.loop = this.run(controller.signal);
  }

  /** Aborts the long poll and waits for the batch in hand to be stored and deleted. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
    this.controller = undefined;
    if (this.options.ownsClient) this.options.client.destroy();
  }

  /** For `/readyz`: failing while receives fail (the last error says why, e.g. the IAM action). */
  health(): { ok: boolean; detail?: string } {
    if (!this.lastError) return { ok: true };
    return { ok: false, detail: this.lastError.userMessage };
  }

  /**
   * One receive and the processing of what it returned. Throws a `LifeboatError` when the
   * receive fails (access denied, queue missing, throttled, network); never for a bad message.
   */
  async pollOnce(signal?: AbortSignal): Promise<PollReport> {
    const messages = await this.receive(signal);
    const report: PollReport = { received: messages.length, stored: 0, ignored: 0, refused: 0, kept: 0, deleted: 0, deleteFailed: 0 };
    if (messages.length === 0) return report;

    // Messages are independent: one that cannot be stored must not hold back the others.
    const outcomes = await Promise.all(messages.map((m) => this.process(m)));
    const toDelete: DeleteMessageBatchRequestEntry[] = [];
    outcomes.forEach((outcome, i) => {
      report[outcome]++;
      this.options.metrics.increment(INTAKE_METRICS.sqsMessages.name, { outcome });
      const message = messages[i];
      const deletable = outcome === 'stored' || outcome === 'ignored' || (outcome === 'refused' && this.onRefused === 'delete');
      if (deletable && message?.ReceiptHandle) toDelete.push({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle });
      if (outcome === 'refused' && this.onRefused === 'leave') report.kept++;
    });
    if (toDelete.length > 0) {
      const { deleted, failed } = await this.deleteBatch(toDelete, messages);
      report.deleted = deleted;
      report.deleteFailed = failed;
    }
    return report;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal);
        // A real long poll waits up to 20 s for messages; an endpoint that answers at once (a
        // stand-in, WaitTimeSeconds 0) must not turn this loop into one that starves the process.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.lastError) this.log.info({ after: this.consecutiveFailures }, 'SQS receives work again');
        this.lastError = undefined;
        this.consecutiveFailures = 0;
      } catch (err) {
        if (signal.aborted) break;
        // `receive` maps AWS errors already; anything else is a bug in this loop, kept visible.
        const error = err instanceof LifeboatError ? err : new LifeboatError('INTERNAL', 'The SQS poller failed unexpectedly; see the log.', { cause: err, retryable: true });
        this.consecutiveFailures++;
        const changed = this.lastError?.code !== error.code || this.lastError.userMessage !== error.userMessage;
        this.lastError = error;
        this.options.metrics.increment(INTAKE_METRICS.sqsReceiveErrors.name, { code: error.code });
        const delay = error.retryable ? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.consecutiveFailures - 1)) : CONFIG_ERROR_RETRY_MS;
        // First failure of a kind at error level; repeats of the same failure quietly.
        const fields = { code: error.code, failures: this.consecutiveFailures, retryInMs: delay, cause: error.code === 'INTERNAL' ? errorText(error.cause) : causeName(error.cause) };
        if (changed) this.log.error(fields, error.userMessage);
        else this.log.warn(fields, error.userMessage);
        await (this.options.sleep ?? abortableSleep)(jitter(delay), signal);
      }
    }
  }

  private async receive(signal?: AbortSignal): Promise<Message[]> {
    const command = new ReceiveMessageCommand({
      QueueUrl: this.options.queueUrl,
      MaxNumberOfMessages: this.maxMessages,
      WaitTimeSeconds: this.waitTimeSeconds,
      VisibilityTimeout: this.visibilityTimeoutSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    try {
      const output = await raceAbort(this.options.client.send(command, signal ? { abortSignal: signal } : {}), signal);
      return output.Messages ?? [];
    } catch (err) {
      if (signal?.aborted) return [];
      throw this.mapError(err, 'sqs:ReceiveMessage');
    }
  }

  /** Parse → store; never throws. */
  private async process(message: Message): Promise<Outcome> {
    const messageId = message.MessageId ?? 'unknown';
    const receiveCount = message.Attributes?.ApproximateReceiveCount;
    const log = this.log.child({ messageId });
    let alerts: Alert[];
    try {
      const result = parseEventBridgeEvent(message.Body ?? '', { source: 'sqs', receivedAt: this.options.clock.now() });
      if (!result.ok) {
        const { error } = result;
        this.options.metrics.increment(INTAKE_METRICS.rejected.name, { source: 'sqs', reason: error.code });
        log.warn({ code: error.code, reason: error.reason, receiveCount, action: this.onRefused, hint: hintFor(message.Body) }, 'SQS message is not an alert Lifeboat can read');
        return 'refused';
      }
      if (result.alerts.length === 0) {
        this.options.metrics.increment(INTAKE_METRICS.ignored.name, { source: 'sqs' });
        log.debug({ reason: result.ignored ?? 'no alert' }, 'SQS message ignored (not an alert)');
        return 'ignored';
      }
      alerts = result.alerts;
    } catch (err) {
      // A parser bug, not a bad message: keep it so it is retried (and lands in the DLQ if it persists).
      this.options.metrics.increment(INTAKE_METRICS.storeFailures.name, { source: 'sqs' });
      log.error({ err: errorText(err), receiveCount }, 'parsing an SQS message failed unexpectedly; keeping it');
      return 'kept';
    }
    try {
      await withTimeout(this.options.sink.accept(alerts), this.storeTimeoutMs);
    } catch (err) {
      this.options.metrics.increment(INTAKE_METRICS.storeFailures.name, { source: 'sqs' });
      log.error(
        { err: errorText(err), alerts: alerts.length, receiveCount, redeliveryInSeconds: this.visibilityTimeoutSeconds },
        'could not store the alerts of an SQS message; keeping it for redelivery',
      );
      return 'kept';
    }
    this.options.metrics.increment(INTAKE_METRICS.alerts.name, { source: 'sqs' }, alerts.length);
    log.debug({ alerts: alerts.length, deliveryIds: alerts.slice(0, 10).map((a) => a.deliveryId) }, 'stored alerts from SQS');
    return 'stored';
  }

  private async deleteBatch(entries: DeleteMessageBatchRequestEntry[], messages: readonly Message[]): Promise<{ deleted: number; failed: number }> {
    const messageIdOf = (id: string | undefined): string | undefined => messages[Number(id?.slice(1))]?.MessageId;
    try {
      const output = await this.options.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }));
      const failed = output.Failed ?? [];
      for (const f of failed) {
        this.options.metrics.increment(INTAKE_METRICS.sqsDeleteFailures.name, { code: f.Code ?? 'unknown' });
        this.log.warn(
          { messageId: messageIdOf(f.Id), code: f.Code, reason: f.Message, senderFault: f.SenderFault },
          'could not delete a processed SQS message; it will be delivered again after its visibility timeout and deduplicated by the store',
        );
      }
      return { deleted: output.Successful?.length ?? entries.length - failed.length, failed: failed.length };
    } catch (err) {
      const error = this.mapError(err, 'sqs:DeleteMessage');
      this.options.metrics.increment(INTAKE_METRICS.sqsDeleteFailures.name, { code: error.code }, entries.length);
      this.log.error(
        { code: error.code, messages: entries.length, messageIds: entries.map((e) => messageIdOf(e.Id)), cause: causeName(error.cause) },
        `${error.userMessage} The processed messages will be delivered again and deduplicated by the store.`,
      );
      return { deleted: 0, failed: entries.length };
    }
  }

  private mapError(err: unknown, action: string): LifeboatError {
    const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
    if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
      return new LifeboatError('AWS_NOT_FOUND', `The SQS queue ${this.options.queueUrl} does not exist; check intake.sqs.queueUrl.`, { cause: err });
    }
    if (typeof name === 'string' && name.startsWith('Kms')) {
      const access = name === 'KmsAccessDenied';
      return new LifeboatError(
        access ? 'AWS_ACCESS_DENIED' : 'AWS_ERROR',
        access
          ? `Lifeboat cannot decrypt messages of ${this.resource}: allow kms:Decrypt on the queue's KMS key for Lifeboat's role.`
          : `The KMS key of ${this.resource} cannot be used (${name}); check the queue's encryption settings.`,
        { cause: err, retryable: name === 'KmsThrottled' },
      );
    }
    return mapAwsError(err, { action, resource: this.resource, notFound: `SQS queue ${this.options.queueUrl}` });
  }
}

/** Process-level inputs of `createSqsAlertPoller`. */
export interface CreateSqsAlertPollerOptions {
  /** `AWS_REGION`, used when the queue URL names no region and `intake.sqs.region` is unset. */
  region?: string;
  sink: AlertSink;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** How the SDK client is made; tests pass their own. */
  client?: (config: SQSClientConfig) => SQSClient;
}

/**
 * The poller for `intake.sqs`, with its own SQS client (Lifeboat's default credential chain, the
 * queue's Region). The client's request timeout is the long-poll wait plus 10 s, so a connection
 * that silently died cannot hang the loop; `stop()` destroys the client.
 */
export function createSqsAlertPoller(settings: ResolvedSqsSettings, options: CreateSqsAlertPollerOptions): SqsAlertPoller {
  const region = settings.region ?? options.region;
  const config: SQSClientConfig = {
    ...(region ? { region } : {}),
    userAgentAppId: 'lifeboat',
    requestHandler: { requestTimeout: (settings.waitTimeSeconds + 10) * 1000, connectionTimeout: 5_000 },
  };
  const client = (options.client ?? ((c: SQSClientConfig) => new SQSClient(c)))(config);
  return new SqsAlertPoller({
    client,
    ownsClient: true,
    queueUrl: settings.queueUrl,
    ...(settings.queueArn ? { queueArn: settings.queueArn } : {}),
    sink: options.sink,
    metrics: options.metrics,
    logger: options.logger,
    clock: options.clock,
    waitTimeSeconds: settings.waitTimeSeconds,
    maxMessages: settings.maxMessages,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
    onRefused: settings.onRefused,
  });
}

/** Tells the operator what a common wrong wiring looks like (never the body itself). */
function hintFor(body: string | undefined): string | undefined {
  if (!body) return 'the message body is empty';
  if (body.includes('"TopicArn"') && body.includes('"Type"')) {
    return 'this is an SNS envelope: target the queue from the EventBridge rule directly, or enable raw message delivery on the SNS subscription';
  }
  return undefined;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles as soon as `signal` aborts even if the transport ignores it (and as the promise does otherwise). */
async function raceAbort<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const promise = Promise.resolve(pending);
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    throw signal.reason;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    promise.catch(() => undefined);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** ±20 % so several Lifeboat processes do not retry in lockstep. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

function causeName(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.name : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
