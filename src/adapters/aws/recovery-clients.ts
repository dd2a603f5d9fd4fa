import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { AwsTarget } from '../../images/settings.js';
import type { ServiceAuditReader } from '../../recovery/diagnose-ports.js';
import type { CodeBuildOps, EcrRestoreOps, EcsOps, ImageConfigReader, QueueOps, ScalingOps } from '../../recovery/ports.js';
import { createAssumeRoleProvider, sessionNameFor } from './assume-role.js';
import { SdkCodeBuildOps } from './sdk-codebuild-ops.js';
import { SdkEcrImageConfigReader } from './sdk-ecr-image-config.js';
import { SdkEcrRestoreOps, type SdkEcrRestoreOpsOptions } from './sdk-ecr-restore-ops.js';
import { SdkEcsOps } from './sdk-ecs-ops.js';
import { SdkQueueOps } from './sdk-queue-ops.js';
import { SdkScalingOps } from './sdk-scaling-ops.js';
import { SdkServiceAudit } from './sdk-service-audit.js';

/** The recovery ports for one account and Region, and a way to close their sockets. */
export interface RecoveryOps {
  ecs: EcsOps;
  codebuild: CodeBuildOps;
  queues: QueueOps;
  scaling: ScalingOps;
  imageConfig: ImageConfigReader;
  /** `restore`: archive restores and exact-digest copies between ECR repositories and Regions. */
  restore: EcrRestoreOps;
  /** `diagnose` (job `diagnose-service`): read-only audit of a service's configuration. */
  audit: ServiceAuditReader;
  destroy(): void;
}

/**
 * SDK clients for the recovery commands in one target, on the target's role when it names one
 * (else the default credential chain). `maxAttempts: 1` on every client recovery sends through: the
 * SDK must never re-send `UpdateService` or `StartBuild` after a 500 — recovery's own retry logic
 * knows when that is safe. The CloudWatch Logs and IAM clients only read for `diagnose`, so they
 * keep the SDK's retries (one throttled `SimulatePrincipalPolicy` should not fail the audit).
 */
export function createRecoveryOps(target: Pick<AwsTarget, 'account' | 'region' | 'roleArn' | 'externalId'>, options: { clock: Clock; logger: Logger; fetch: typeof fetch; replication?: SdkEcrRestoreOpsOptions['replication'] }): RecoveryOps {
  const { account, region } = target;
  const credentials = target.roleArn
    ? createAssumeRoleProvider({
        sts: new STSClient({ region, userAgentAppId: 'lifeboat' }),
        roleArn: target.roleArn,
        ...(target.externalId !== undefined ? { externalId: target.externalId } : {}),
        sessionName: sessionNameFor(),
        clock: options.clock,
        logger: options.logger,
      })
    : undefined;
  const config = { region, maxAttempts: 1, userAgentAppId: 'lifeboat', ...(credentials ? { credentials } : {}) };
  const clients = {
    ecs: new ECSClient(config),
    codebuild: new CodeBuildClient(config),
    sqs: new SQSClient(config),
    cloudwatch: new CloudWatchClient(config),
    scaling: new ApplicationAutoScalingClient(config),
    ecr: new ECRClient(config),
    // IAM is global: from the target's Region the SDK resolves the partition's IAM endpoint.
    iam: new IAMClient({ ...config, maxAttempts: 3 }),
  };
  // `restore` copies from replicas in other Regions: one more ECR client per Region it reaches.
  const ecrElsewhere = new Map<string, ECRClient>();
  const ecrIn = (r: string): ECRClient => {
    if (r === region) return clients.ecr;
    let client = ecrElsewhere.get(r);
    if (!client) {
      client = new ECRClient({ ...config, region: r });
      ecrElsewhere.set(r, client);
    }
    return client;
  };
  // `diagnose` reads log groups in the Region each task definition names (awslogs-region): one client per Region.
  const logsRegions = new Map<string, CloudWatchLogsClient>();
  const logsIn = (r: string): CloudWatchLogsClient => {
    let client = logsRegions.get(r);
    if (!client) {
      client = new CloudWatchLogsClient({ ...config, region: r, maxAttempts: 3 });
      logsRegions.set(r, client);
    }
    return client;
  };
  return {
    ecs: new SdkEcsOps(clients.ecs, { account, region }),
    codebuild: new SdkCodeBuildOps(clients.codebuild, { account, region }),
    queues: new SdkQueueOps(clients.sqs, clients.cloudwatch, { account, region, clock: options.clock }),
    scaling: new SdkScalingOps(clients.scaling, { account, region }),
    imageConfig: new SdkEcrImageConfigReader(clients.ecr, { region, fetch: options.fetch }),
    audit: new SdkServiceAudit({ ecs: clients.ecs, scaling: clients.scaling, logsIn, iam: clients.iam }, { account, region, clock: options.clock }),
    restore: new SdkEcrRestoreOps(ecrIn, { fetch: options.fetch, ...(options.replication ? { replication: options.replication } : {}) }),
    destroy: () => {
      Object.values(clients).forEach((c) => c.destroy());
      ecrElsewhere.forEach((c) => c.destroy());
      logsRegions.forEach((c) => c.destroy());
    },
  };
}
