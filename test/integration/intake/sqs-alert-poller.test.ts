/**
 * The SQS poller against a mocked SQS client (aws-sdk-client-mock) with EventBridge-shaped bodies
 * from the corpus: a message is deleted only after its alerts are stored (or it was ignored);
 * refusals follow `onRefused`; store failures keep the message; delete failures are logged.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  SQSServiceException,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqsAlertPoller, SqsAlertPoller, type SqsAlertPollerOptions } from '../../../src/adapters/aws/sqs-alert-poller.js';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import { parseEventBridgeEvent } from '../../../src/intake/index.js';
import { INTAKE_METRICS } from '../../../src/intake/metrics.js';
import { intakeSettingsSchema, resolveIntakeSettings } from '../../../src/intake/settings.js';
import { until } from '../../support/wait.js';
import { eventBridgeCorpus, fixtureText, RecordingSink, recordingLogger } from './support.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/lifeboat-events';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:lifeboat-events';
const CANNOT_PULL = fixtureText('ecs/ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json');
const RUNNING = fixtureText('ecs/ecs-task-state-change-running.json');
const DEPLOY_FAILED = fixtureText('ecs/ecs-deployment-failed-circuit-breaker.json');
const M = INTAKE_METRICS;

const sqsMock = mockClient(SQSClient);
const client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

let sink: RecordingSink;
let metrics: MetricsRegistry;
let logger: ReturnType<typeof recordingLogger>;
let clock: ManualClock;
const pollers: SqsAlertPoller[] = [];

beforeEach(() => {
  sqsMock.reset();
  sink = new RecordingSink();
  metrics = new MetricsRegistry();
  logger = recordingLogger();
  clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

function poller(options: Partial<SqsAlertPollerOptions> = {}): SqsAlertPoller {
  const p = new SqsAlertPoller({ client, queueUrl: QUEUE_URL, queueArn: QUEUE_ARN, sink, metrics, logger, clock, ...options });
  pollers.push(p);
  return p;
}

function message(id: string, body: string): Message {
  return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: body, Attributes: { ApproximateReceiveCount: '1' } };
}

function receives(...batches: Message[][]): void {
  let mock = sqsMock.on(ReceiveMessageCommand);
  for (const batch of batches) mock = mock.resolvesOnce({ Messages: batch });
  mock.resolves({ Messages: [] });
}

function deletedHandles(): string[] {
  return sqsMock.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle ?? '') ?? []);
}

function sqsError(name: string, message: string, status = 400): SQSServiceException {
  return new SQSServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

describe('SqsAlertPoller.pollOnce', () => {
  it('long-polls with 20 s wait, 10 messages and a visibility timeout', async () => {
    receives([]);
    await poller().pollOnce();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 60,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it('stores the alerts, then deletes stored and ignored messages in one batch', async () => {
    receives([message('a', CANNOT_PULL), message('b', RUNNING), message('c', DEPLOY_FAILED)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }, { Id: 'm1' }, { Id: 'm2' }], Failed: [] });
    const report = await poller().pollOnce();

    expect(report).toEqual({ received: 3, stored: 2, ignored: 1, refused: 0, kept: 0, deleted: 3, deleteFailed: 0 });
    expect(sink.alerts.map((a) => [a.source, a.class])).toEqual([
      ['sqs', 'image-pull-failed'],
      ['sqs', 'deployment-failed'],
    ]);
    expect(deletedHandles()).toEqual(['rh-a', 'rh-b', 'rh-c']);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(QUEUE_URL);
    expect(metrics.value(M.alerts.name, { source: 'sqs' })).toBe(2);
    expect(metrics.value(M.ignored.name, { source: 'sqs' })).toBe(1);
    expect(metrics.value(M.sqsMessages.name, { outcome: 'stored' })).toBe(2);
  });

  it('deletes nothing before the store has answered', async () => {
    receives([message('a', CANNOT_PULL)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }] });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const accept = sink.accept.bind(sink);
    sink.accept = async (alerts) => {
      await gate;
      return accept(alerts);
    };
    const pending = poller().pollOnce();
    await new Promise((r) => setTimeout(r, 50));
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    release();
    await pending;
    expect(deletedHandles()).toEqual(['rh-a']);
  });

  it('keeps a message whose alerts could not be stored (redelivered after the visibility timeout)', async () => {
    receives([message('a', CANNOT_PULL), message('b', RUNNING)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm1' }] });
    sink.failWith = new Error('redis down');
    const report = await poller().pollOnce();
    expect(report).toMatchObject({ stored: 0, ignored: 1, kept: 1, deleted: 1 });
    expect(deletedHandles()).toEqual(['rh-b']);
    expect(metrics.value(M.storeFailures.name, { source: 'sqs' })).toBe(1);
    expect(metrics.value(M.sqsMessages.name, { outcome: 'kept' })).toBe(1);
    expect(logger.lines.find((l) => l.level === 'error')).toMatchObject({ fields: { messageId: 'a', redeliveryInSeconds: 60 } });
  });

  it('keeps the message when the store does not answer in time', async () => {
    receives([message('a', CANNOT_PULL)]);
    sink.delayMs = 1000;
    const report = await poller({ storeTimeoutMs: 50 }).pollOnce();
    expect(report).toMatchObject({ stored: 0, kept: 1, deleted: 0 });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it('deletes and counts a message that can never parse (onRefused: delete, the default)', async () => {
    receives([message('x', 'not json'), message('y', '{"hello":"world"}'), message('z', CANNOT_PULL.replace('"time"', '"tiem"'))]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }, { Id: 'm1' }, { Id: 'm2' }] });
    const report = await poller().pollOnce();
    expect(report).toMatchObject({ refused: 3, kept: 0, deleted: 3 });
    expect(deletedHandles()).toEqual(['rh-x', 'rh-y', 'rh-z']);
    expect(metrics.value(M.rejected.name, { source: 'sqs', reason: 'INVALID_JSON' })).toBe(1);
    expect(metrics.value(M.rejected.name, { source: 'sqs', reason: 'UNKNOWN_SHAPE' })).toBe(1);
    expect(metrics.value(M.rejected.name, { source: 'sqs', reason: 'INVALID_PAYLOAD' })).toBe(1);
    expect(sink.batches).toEqual([]);
    // Bodies are not logged.
    expect(JSON.stringify(logger.lines)).not.toContain('hello');
  });

  it('leaves refused messages for the redrive policy with onRefused: leave', async () => {
    receives([message('x', 'not json'), message('a', CANNOT_PULL)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm1' }] });
    const report = await poller({ onRefused: 'leave' }).pollOnce();
    expect(report).toMatchObject({ refused: 1, stored: 1, kept: 1, deleted: 1 });
    expect(deletedHandles()).toEqual(['rh-a']);
  });

  it('points at the wiring when an SNS envelope arrives instead of an event', async () => {
    const envelope = fixtureText('sns-cloudwatch/sns-http-notification.eventbridge-ecs-task-start-impaired.lifeboat-CONSTRUCTED.json');
    receives([message('s', envelope)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }] });
    await poller().pollOnce();
    expect(logger.lines.find((l) => l.level === 'warn')?.fields.hint).toMatch(/raw message delivery/);
  });

  it('logs and counts a partial DeleteMessageBatch failure (the message comes back and the store dedupes it)', async () => {
    receives([message('a', CANNOT_PULL), message('b', DEPLOY_FAILED)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: 'm0' }],
      Failed: [{ Id: 'm1', Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle has expired', SenderFault: true }],
    });
    const report = await poller().pollOnce();
    expect(report).toMatchObject({ stored: 2, deleted: 1, deleteFailed: 1 });
    expect(metrics.value(M.sqsDeleteFailures.name, { code: 'ReceiptHandleIsInvalid' })).toBe(1);
    const warn = logger.lines.find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ fields: { messageId: 'b', code: 'ReceiptHandleIsInvalid', senderFault: true } });
    expect(warn?.msg).toMatch(/delivered again/);
  });

  it('logs and counts a DeleteMessageBatch call that fails outright', async () => {
    receives([message('a', CANNOT_PULL)]);
    sqsMock.on(DeleteMessageBatchCommand).rejects(sqsError('AccessDenied', 'not authorized to perform: sqs:DeleteMessage', 403));
    const report = await poller().pollOnce();
    expect(report).toMatchObject({ stored: 1, deleted: 0, deleteFailed: 1 });
    expect(metrics.value(M.sqsDeleteFailures.name, { code: 'AWS_ACCESS_DENIED' })).toBe(1);
    expect(logger.lines.find((l) => l.level === 'error')?.msg).toContain(`sqs:DeleteMessage on ${QUEUE_ARN}`);
  });

  it('maps AccessDenied on receive to AWS_ACCESS_DENIED naming sqs:ReceiveMessage on the queue ARN', async () => {
    sqsMock.on(ReceiveMessageCommand).rejects(sqsError('AccessDenied', 'User is not authorized to perform: sqs:receivemessage', 403));
    const err = await poller().pollOnce().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toMatchObject({ code: 'AWS_ACCESS_DENIED', retryable: false });
    expect((err as LifeboatError).userMessage).toContain(`sqs:ReceiveMessage on ${QUEUE_ARN}`);
  });

  it('maps a missing queue and a KMS denial to sentences that say what to fix', async () => {
    sqsMock.on(ReceiveMessageCommand).rejectsOnce(sqsError('QueueDoesNotExist', 'The specified queue does not exist.')).rejectsOnce(sqsError('KmsAccessDenied', 'denied'));
    await expect(poller().pollOnce()).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', userMessage: expect.stringContaining('intake.sqs.queueUrl') });
    await expect(poller().pollOnce()).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED', userMessage: expect.stringContaining('kms:Decrypt') });
  });

  it('reads every EventBridge-shaped corpus payload as the HTTP route does, with source sqs', async () => {
    const corpus = eventBridgeCorpus();
    receives(...corpus.map((c, i) => [message(`c${i}`, c.body)]));
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })) }));
    const p = poller();
    for (const { body, file } of corpus) {
      sink.reset();
      const report = await p.pollOnce();
      const expected = parseEventBridgeEvent(body, { source: 'sqs', receivedAt: clock.now() });
      if (!expected.ok) throw new Error(`${file}: ${expected.error.reason}`);
      expect(sink.alerts, file).toEqual(expected.alerts);
      expect(report.deleted, file).toBe(1);
    }
  });
});

describe('SqsAlertPoller.start / stop', () => {
  it('polls until stopped, and stop() returns at once even while a long poll is in flight', async () => {
    let calls = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake(() => {
      calls++;
      if (calls === 1) return Promise.resolve({ Messages: [message('a', CANNOT_PULL)] });
      return new Promise(() => {}); // a 20 s long poll that never ends by itself
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }] });
    const p = poller();
    p.start();
    await until(() => calls >= 2, 'the second receive');
    const started = Date.now();
    await p.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(sink.alerts).toHaveLength(1);
    expect(deletedHandles()).toEqual(['rh-a']);
  });

  it('finishes the batch in hand (store and delete) before stop() resolves', async () => {
    receives([message('a', CANNOT_PULL)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }] });
    sink.delayMs = 200;
    const p = poller();
    p.start();
    await until(() => sqsMock.commandCalls(ReceiveMessageCommand).length >= 1, 'the first receive');
    await p.stop();
    expect(sink.alerts).toHaveLength(1);
    expect(deletedHandles()).toEqual(['rh-a']);
  });

  it('backs off after a failed receive, reports unhealthy with the reason, and recovers', async () => {
    const sleeps: number[] = [];
    sqsMock
      .on(ReceiveMessageCommand)
      .rejectsOnce(sqsError('AccessDenied', 'not authorized to perform: sqs:receivemessage', 403))
      .rejectsOnce(sqsError('AccessDenied', 'not authorized to perform: sqs:receivemessage', 403))
      .resolves({ Messages: [] });
    let healthDuringFailure: ReturnType<SqsAlertPoller['health']> | undefined;
    const p = poller({
      sleep: async (ms) => {
        sleeps.push(ms);
        healthDuringFailure ??= p.health();
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    p.start();
    await until(() => sqsMock.commandCalls(ReceiveMessageCommand).length >= 4, 'receives after recovery');
    expect(healthDuringFailure).toEqual({ ok: false, detail: expect.stringContaining(`sqs:ReceiveMessage on ${QUEUE_ARN}`) });
    expect(p.health()).toEqual({ ok: true });
    // A configuration error (access denied) is retried slowly: someone has to fix IAM first.
    expect(sleeps.every((ms) => ms >= 45_000)).toBe(true);
    expect(metrics.value(M.sqsReceiveErrors.name, { code: 'AWS_ACCESS_DENIED' })).toBe(2);
    // The first failure is an error; the identical repeat is a warning.
    expect(logger.lines.filter((l) => l.fields.code === 'AWS_ACCESS_DENIED').map((l) => l.level)).toEqual(['error', 'warn']);
    await p.stop();
  });

  it('retries transient receive failures with a growing backoff', async () => {
    const sleeps: number[] = [];
    sqsMock
      .on(ReceiveMessageCommand)
      .rejectsOnce(sqsError('ServiceUnavailable', 'try later', 503))
      .rejectsOnce(sqsError('ServiceUnavailable', 'try later', 503))
      .rejectsOnce(sqsError('ServiceUnavailable', 'try later', 503))
      .resolves({ Messages: [] });
    const p = poller({ sleep: (ms) => Promise.resolve(void sleeps.push(ms)) });
    p.start();
    await until(() => sleeps.length >= 3, 'three backoffs');
    await p.stop();
    expect(sleeps[0]).toBeLessThan(1300);
    expect(sleeps[2]).toBeGreaterThan(3000);
  });
});

describe('createSqsAlertPoller', () => {
  it('builds its client for the queue region from the settings and destroys it on stop', async () => {
    const parsed = intakeSettingsSchema.parse({ sqs: { queueUrl: QUEUE_URL, visibilityTimeoutSeconds: 120 } });
    const sqs = resolveIntakeSettings(parsed, {}).settings.sqs!;
    const configs: unknown[] = [];
    let made: SQSClient | undefined;
    const p = createSqsAlertPoller(sqs, {
      region: 'us-east-1',
      sink,
      metrics,
      logger,
      clock,
      client: (config) => {
        configs.push(config);
        made = new SQSClient({ ...config, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
        return made;
      },
    });
    expect(configs).toEqual([{ region: 'eu-west-1', userAgentAppId: 'lifeboat', requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000 } }]);
    receives([message('a', CANNOT_PULL)]);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }] });
    await p.pollOnce();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: QUEUE_URL, VisibilityTimeout: 120 });
    expect(sink.alerts).toHaveLength(1);
    let destroyed = false;
    const destroy = made!.destroy.bind(made);
    made!.destroy = () => {
      destroyed = true;
      destroy();
    };
    await p.stop();
    expect(destroyed).toBe(true);
  });
});
