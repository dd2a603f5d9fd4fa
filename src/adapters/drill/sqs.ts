/**
 * A simulated SQS queue whose backlog grows with its producers and drains with the running tasks
 * of the worker service that consumes it (a fixed rate per task). Messages are kept as per-minute
 * arrival batches, so `ApproximateAgeOfOldestMessage` is the age of the oldest batch still waiting.
 */
import { queueArn, queueUrl } from './ids.js';
import type { SimScheduler } from './scheduler.js';

/** Who consumes a queue: a service's running tasks, `perTaskPerMinute` messages each. */
export interface QueueConsumer {
  cluster: string;
  service: string;
  perTaskPerMinute: number;
}

/** A simulated queue. */
export interface SimQueue {
  name: string;
  url: string;
  arn: string;
  /** Waiting messages as (arrival minute, count), oldest first. */
  batches: { at: number; count: number }[];
  inFlight: number;
  /** Messages per minute arriving now (a function of time: traffic has a shape). */
  producerPerMinute: (now: number) => number;
  consumer?: QueueConsumer;
  sent: number;
  deleted: number;
}

/** How many of a service's tasks are running (from the ECS simulation). */
export type RunningTasks = (cluster: string, service: string) => number;

/** SQS of the simulated account; ticks once a simulated minute. */
export class DrillSqs {
  readonly queues = new Map<string, SimQueue>();

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly running: RunningTasks,
  ) {
    scheduler.every(60_000, 'sqs minute', () => this.tick());
  }

  createQueue(name: string, options: { producerPerMinute: number | ((now: number) => number); consumer?: QueueConsumer; backlog?: number }): SimQueue {
    const rate = options.producerPerMinute;
    const queue: SimQueue = {
      name,
      url: queueUrl(name),
      arn: queueArn(name),
      batches: [],
      inFlight: 0,
      producerPerMinute: typeof rate === 'number' ? () => rate : rate,
      sent: 0,
      deleted: 0,
    };
    if (options.consumer) queue.consumer = options.consumer;
    if (options.backlog) queue.batches.push({ at: this.scheduler.now(), count: options.backlog });
    this.queues.set(name, queue);
    return queue;
  }

  /** `ApproximateNumberOfMessages`. */
  visible(name: string): number {
    return this.queues.get(name)?.batches.reduce((n, b) => n + b.count, 0) ?? 0;
  }

  /** `ApproximateAgeOfOldestMessage` in seconds (0 for an empty queue, as CloudWatch reports it). */
  oldestAgeSeconds(name: string): number {
    const first = this.queues.get(name)?.batches[0];
    return first ? Math.max(0, Math.round((this.scheduler.now() - first.at) / 1000)) : 0;
  }

  private tick(): void {
    const now = this.scheduler.now();
    for (const q of this.queues.values()) {
      const produced = Math.max(0, Math.round(q.producerPerMinute(now)));
      if (produced > 0) {
        q.batches.push({ at: now, count: produced });
        q.sent += produced;
      }
      const tasks = q.consumer ? this.running(q.consumer.cluster, q.consumer.service) : 0;
      let capacity = q.consumer ? Math.floor(tasks * q.consumer.perTaskPerMinute) : 0;
      let consumed = 0;
      while (capacity > 0 && q.batches.length > 0) {
        const first = q.batches[0];
        if (!first) break;
        const take = Math.min(first.count, capacity);
        first.count -= take;
        capacity -= take;
        consumed += take;
        if (first.count === 0) q.batches.shift();
      }
      q.deleted += consumed;
      // Each busy task holds a small batch (receive 10, process, delete).
      q.inFlight = Math.min(tasks * 10, consumed);
    }
  }
}
