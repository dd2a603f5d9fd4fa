/**
 * `DrillAccount`: one simulated AWS account (`000000000000`, us-east-1) with simulated time —
 * ECR, a GHCR-like registry, ECS on Fargate, CodeBuild, SQS, CloudWatch, Application Auto Scaling
 * and the bits of IAM and CloudWatch Logs a task start needs. It imports no SDK and has no network
 * client: nothing a drill does can reach a real account.
 *
 * Time moves only through `advanceTo` (the drill driver calls it); each subsystem schedules its
 * own processes on the shared `SimScheduler`.
 *
 * ECR is regional: `ecr` is the registry in `DRILL_REGION`; a scenario may add the same
 * account's registry in a replica Region (`addEcrRegion`) and replicate into it.
 */
import { DrillAutoScaling } from './autoscaling.js';
import { DrillCloudWatch, type MetricId } from './cloudwatch.js';
import { DrillCodeBuild } from './codebuild.js';
import { DrillEcr } from './ecr.js';
import { DrillEcs } from './ecs.js';
import { EventLog } from './events.js';
import { DrillGhcr } from './ghcr.js';
import { DrillIam, DrillLogs } from './iam.js';
import { DRILL_ACCOUNT, DRILL_REGION, DrillIds } from './ids.js';
import type { PullSource } from './registry-model.js';
import { SimScheduler, type SimClock } from './scheduler.js';
import { DrillSqs } from './sqs.js';

/** Options of a simulated account. */
export interface DrillAccountOptions {
  clock: SimClock;
  /** Seeds every id and digest: the same seed replays the same account. */
  seed: string;
  /** ECS emits every n-th failed-start task event twice (0 = never). */
  duplicateTaskEventsEvery?: number;
}

/** The simulated account. */
export class DrillAccount {
  readonly account = DRILL_ACCOUNT;
  readonly region = DRILL_REGION;
  readonly scheduler: SimScheduler;
  readonly ids: DrillIds;
  readonly events: EventLog;
  readonly ecr: DrillEcr;
  readonly ghcr: DrillGhcr;
  readonly iam = new DrillIam();
  readonly logs = new DrillLogs();
  readonly ecs: DrillEcs;
  readonly autoscaling: DrillAutoScaling;
  readonly sqs: DrillSqs;
  readonly cloudwatch: DrillCloudWatch;
  readonly codebuild: DrillCodeBuild;
  /** The account's ECR registry per Region (`ecr` and any replica Region's). */
  private readonly ecrRegions = new Map<string, DrillEcr>();
  /** Registry host → what tasks pull from. */
  private readonly registries = new Map<string, PullSource>();

  constructor(options: DrillAccountOptions) {
    this.scheduler = new SimScheduler(options.clock);
    this.ids = new DrillIds(options.seed);
    this.events = new EventLog(this.ids, () => this.scheduler.now());
    this.ecr = new DrillEcr(this.scheduler, this.events, this.ids, { region: DRILL_REGION, registryIn: (region) => this.ecrIn(region) });
    this.ecrRegions.set(this.ecr.region, this.ecr);
    this.ghcr = new DrillGhcr(this.scheduler);
    this.registries.set(this.ecr.host, this.ecr);
    this.registries.set(this.ghcr.host, this.ghcr);
    this.ecs = new DrillEcs({
      scheduler: this.scheduler,
      events: this.events,
      ids: this.ids,
      registries: this.registries,
      iam: this.iam,
      logs: this.logs,
      duplicateTaskEventsEvery: options.duplicateTaskEventsEvery ?? 0,
    });
    this.autoscaling = new DrillAutoScaling(this.scheduler, {
      desiredCount: (resourceId) => {
        const [, cluster = '', service = ''] = resourceId.split('/');
        return this.ecs.services.get(`${cluster}/${service}`)?.desiredCount;
      },
      setDesiredCount: (resourceId, count, cause) => {
        const [, cluster = '', service = ''] = resourceId.split('/');
        this.ecs.updateService({ cluster, service, desiredCount: count, cause });
      },
    });
    this.sqs = new DrillSqs(this.scheduler, (cluster, service) => this.ecs.runningCount(cluster, service));
    this.cloudwatch = new DrillCloudWatch(this.scheduler, this.events);
    this.codebuild = new DrillCodeBuild(this.scheduler, this.events, this.ids, (target, spec, tag) =>
      target.registry === 'ecr' ? this.ecr.push(target.repository, spec, { tag }).digest : this.ghcr.push(target.repository, spec, { tag }).digest,
    );
  }

  now(): number {
    return this.scheduler.now();
  }

  /** The account's ECR registry in `region`, if the drill has one there. */
  ecrIn(region: string): DrillEcr | undefined {
    return this.ecrRegions.get(region);
  }

  /**
   * The account's ECR registry in another Region (a replication destination), created empty on
   * first use: no repositories and so no lifecycle policies until something puts them there. Its
   * host answers pulls too (cross-Region pulls work in ECR).
   */
  addEcrRegion(region: string): DrillEcr {
    const existing = this.ecrRegions.get(region);
    if (existing) return existing;
    const ecr = new DrillEcr(this.scheduler, this.events, this.ids, { region, registryIn: (r) => this.ecrIn(r) });
    this.ecrRegions.set(region, ecr);
    this.registries.set(ecr.host, ecr);
    return ecr;
  }

  /**
   * Replicate the primary registry's repositories starting with `repositoryPrefixes` (none: all)
   * to `region` of the same account (one more `PutReplicationConfiguration` rule), creating that
   * Region's registry. Only pushes from then on replicate: call it before the scenario's pushes.
   */
  replicateEcr(region: string, repositoryPrefixes: readonly string[] = []): DrillEcr {
    const replica = this.addEcrRegion(region);
    this.ecr.putReplicationConfiguration([...this.ecr.replicationRules, { destinations: [{ region, registryId: this.account }], repositoryPrefixes: [...repositoryPrefixes] }]);
    return replica;
  }

  /** The registry tasks pull from for an image host (an ECR Region's or the GHCR-like one), if the drill has it. */
  pullSource(host: string): PullSource | undefined {
    return this.registries.get(host);
  }

  /** Publish a queue's SQS metrics to CloudWatch (as SQS does for every queue). */
  publishQueueMetrics(queue: string): { visible: MetricId; age: MetricId } {
    const dimensions = [{ name: 'QueueName', value: queue }];
    const visible: MetricId = { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions };
    const age: MetricId = { namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', dimensions };
    this.cloudwatch.registerMetric(visible, () => (this.sqs.queues.has(queue) ? this.sqs.visible(queue) : undefined));
    this.cloudwatch.registerMetric(age, () => (this.sqs.queues.has(queue) ? this.sqs.oldestAgeSeconds(queue) : undefined));
    return { visible, age };
  }
}
