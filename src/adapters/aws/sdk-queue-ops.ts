/**
 * `QueueOps` on the AWS SDK v3 SQS and CloudWatch clients: the backlog from `GetQueueAttributes`
 * (approximate by design), and the age of the oldest message from CloudWatch
 * (`AWS/SQS ApproximateAgeOfOldestMessage`, 1-minute maximum) when Lifeboat may read it — the
 * age is a nicety, so its failure never fails the reading. Queue URLs are cached (they never change).
 */
import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../../core/clock.js';
import { isLifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import type { QueueBacklog, QueueOps } from '../../recovery/ports.js';
import { opsCall, type OpsCallContext } from './ops-call.js';

/** Options of `SdkQueueOps`. */
export interface SdkQueueOpsOptions {
  account: string;
  region: string;
  /** Sets the CloudWatch query window. */
  clock: Clock;
}

/** Every operation `SdkQueueOps` can send, as IAM actions. */
export const SDK_QUEUE_OPS_ACTIONS = ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'cloudwatch:GetMetricData'] as const;

/** The backlog attributes read on every poll. */
export const BACKLOG_ATTRIBUTES = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/** SQS publishes queue metrics every minute; look back far enough to find one. */
const AGE_WINDOW_MS = 15 * 60_000;
const QUEUE_MISSING = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'];

/** `QueueOps` on `SQSClient` + `CloudWatchClient`; failures leave as `LifeboatError`. */
export class SdkQueueOps implements QueueOps {
  private readonly urls = new Map<string, string>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly cloudwatch: CloudWatchClient,
    private readonly options: SdkQueueOpsOptions,
  ) {}

  async approximateBacklog(queue: string): Promise<QueueBacklog> {
    const url = await this.queueUrl(queue);
    const out = await opsCall(this.ctx('sqs:GetQueueAttributes', queue), () =>
      this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...BACKLOG_ATTRIBUTES] })),
    );
    const attr = (name: (typeof BACKLOG_ATTRIBUTES)[number]) => Number(out.Attributes?.[name] ?? 0) || 0;
    const backlog: QueueBacklog = {
      queue,
      url,
      visible: attr('ApproximateNumberOfMessages'),
      inFlight: attr('ApproximateNumberOfMessagesNotVisible'),
      delayed: attr('ApproximateNumberOfMessagesDelayed'),
    };
    try {
      const age = await this.oldestAge(queue);
      if (age === undefined) backlog.ageUnavailable = 'CloudWatch has no datapoint for the last 15 minutes';
      else backlog.oldestAgeSeconds = age;
    } catch (err) {
      if (!isLifeboatError(err)) throw err;
      backlog.ageUnavailable = err.userMessage;
    }
    return backlog;
  }

  private async queueUrl(queue: string): Promise<string> {
    const cached = this.urls.get(queue);
    if (cached) return cached;
    const out = await opsCall({ ...this.ctx('sqs:GetQueueUrl', queue), notFoundErrors: QUEUE_MISSING }, () => this.sqs.send(new GetQueueUrlCommand({ QueueName: queue })));
    if (!out.QueueUrl) throw new Error(`SQS returned no URL for queue ${queue}`);
    this.urls.set(queue, out.QueueUrl);
    return out.QueueUrl;
  }

  private async oldestAge(queue: string): Promise<number | undefined> {
    const now = this.options.clock.now();
    const out = await opsCall({ action: 'cloudwatch:GetMetricData', resource: '*' }, () =>
      this.cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - AGE_WINDOW_MS),
          EndTime: new Date(now),
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'oldest',
              ReturnData: true,
              MetricStat: {
                Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: queue }] },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        }),
      ),
    );
    const values = out.MetricDataResults?.find((r) => r.Id === 'oldest')?.Values ?? [];
    return values[0];
  }

  private ctx(action: string, queue: string): OpsCallContext {
    const { region, account } = this.options;
    return { action, resource: `arn:${partitionOf(region)}:sqs:${region}:${account}:${queue}`, notFound: `queue ${queue} in account ${account} ${region}` };
  }
}
