/**
 * The port `diagnose` (job `diagnose-service`) reads a service's configuration through: the
 * service, its task definition, its recent tasks, and the account facts a task start depends on
 * (log groups, what a role allows, the auto scaling target, image availability). Implemented over
 * the drill account (`adapters/drill`) and the SDK (`adapters/aws/sdk-service-audit.ts`).
 *
 * Contract as in `ports.ts`: a failed whole call (service, task definition) is thrown as a
 * `LifeboatError`. The account facts Lifeboat may not be able to read answer `unknown` with a
 * sentence naming what to check (e.g. the IAM permission it lacks), never throw.
 */
import type { ScalableTargetState } from './ports.js';

/** A fact Lifeboat knows, or why it does not. */
export type Answer<T> = { known: true; value: T } | { known: false; why: string };

/** A service as the audit needs it. */
export interface AuditService {
  cluster: string;
  name: string;
  desiredCount: number;
  /** Absent when ECS reports none (0 for a service behind a load balancer). */
  healthCheckGracePeriodSeconds?: number;
  loadBalancers: { targetGroupArn?: string; containerName?: string; containerPort?: number }[];
  /** The PRIMARY deployment's task definition ARN. */
  taskDefinition: string;
  deployments: { id: string; status: string; taskDefinition: string; rolloutState?: string; failedTasks: number }[];
  /** Newest first. */
  events: { createdAt?: number; message: string }[];
}

/** A container definition as the audit needs it. */
export interface AuditContainer {
  name: string;
  image: string;
  essential: boolean;
  logConfiguration?: { logDriver: string; options: Record<string, string> };
  secrets: { name: string; valueFrom: string }[];
}

/** A task definition as the audit needs it. */
export interface AuditTaskDefinition {
  arn: string;
  family: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  containers: AuditContainer[];
}

/** A recent task (running, or stopped within the last hour). Times are epoch milliseconds. */
export interface AuditTask {
  arn: string;
  lastStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  containers: { name: string; reason?: string; exitCode?: number }[];
}

/** One image of the task definition: can its tasks pull it? */
export interface AuditImage {
  container: string;
  image: string;
  available: boolean;
  detail: string;
}

/** Reads what `diagnose` audits, in one account and Region. */
export interface ServiceAuditReader {
  /** `DescribeServices`; `AWS_NOT_FOUND` when the service or cluster is missing. */
  service(cluster: string, service: string): Promise<AuditService>;
  /** `DescribeTaskDefinition`. */
  taskDefinition(arn: string): Promise<AuditTaskDefinition>;
  /** The service's running tasks and those stopped in the last hour, newest first (at most 100). */
  recentTasks(cluster: string, service: string): Promise<AuditTask[]>;
  /**
   * Does the CloudWatch Logs log group exist in `region` (the container's `awslogs-region`; the
   * reader's own Region when undefined)?
   */
  logGroupExists(group: string, region: string | undefined): Promise<Answer<boolean>>;
  /**
   * Does the role allow `action` (on `resource`, the final ARN IAM authorises, when given)? A
   * denial a resource policy may override (an ECR repository's, a secret's) answers `unknown`.
   */
  roleAllows(roleArn: string, action: string, resource?: string): Promise<Answer<boolean>>;
  /** Application Auto Scaling target of the service (undefined: none registered). */
  scalableTarget(cluster: string, service: string): Promise<Answer<ScalableTargetState | undefined>>;
  /**
   * The most recent lines the app wrote to `group` in `region` (as for `logGroupExists`) that
   * contain `pattern`: newest last, at most `limit`.
   */
  appLogLines(group: string, region: string | undefined, pattern: string, limit: number): Promise<Answer<string[]>>;
  /** Can the service's tasks pull each image of the task definition? */
  images(cluster: string, service: string, taskDefinition: AuditTaskDefinition): Promise<Answer<AuditImage[]>>;
}
