/**
 * Every AWS operation the recovery commands can cause, machine-readable, so the IAM policy in
 * `deploy/iam` can be checked for coverage and docs/recovery.md can list it. The adapters'
 * own lists (`SDK_*_ACTIONS`) are the source; this adds what recovery reads through the image
 * readers (`SdkEcsReader`, `SdkEcrReader`) and what AWS authorises on the side (`iam:PassRole`).
 */
import { SDK_CODEBUILD_OPS_ACTIONS } from './sdk-codebuild-ops.js';
import { SDK_ECR_IMAGE_CONFIG_ACTIONS } from './sdk-ecr-image-config.js';
import { SDK_ECR_RESTORE_ACTIONS } from './sdk-ecr-restore-ops.js';
import { SDK_ECS_OPS_ACTIONS } from './sdk-ecs-ops.js';
import { SDK_QUEUE_OPS_ACTIONS } from './sdk-queue-ops.js';
import { SDK_SCALING_OPS_ACTIONS } from './sdk-scaling-ops.js';

/** One IAM action recovery needs. */
export interface RecoveryIamAction {
  /** `service:Operation`. */
  action: string;
  /** Changes something in the account (never sent by a dry run). */
  mutating: boolean;
  /** Which commands send it. */
  usedBy: readonly ('rebuild' | 'redeploy' | 'scale' | 'restore')[];
  /** Why, for the policy's reader. */
  why: string;
}

/** Every IAM action `rebuild`, `redeploy`, `scale` and `restore` need, mutating ones marked. */
export const RECOVERY_IAM_ACTIONS: readonly RecoveryIamAction[] = [
  // ECS
  { action: 'ecs:DescribeServices', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale'], why: 'deployments, counts, rollout state and events' },
  { action: 'ecs:DescribeServiceRevisions', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale'], why: 'the digests each deployment pinned (image check)' },
  { action: 'ecs:DescribeTaskDefinition', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale'], why: 'container images and platform; the revision to copy for --digest' },
  { action: 'ecs:ListTasks', mutating: false, usedBy: ['redeploy'], why: 'stopped and running tasks of the new deployment' },
  { action: 'ecs:DescribeTasks', mutating: false, usedBy: ['redeploy'], why: 'why tasks stopped (CannotPullContainerError) and the digests running' },
  { action: 'ecs:UpdateService', mutating: true, usedBy: ['redeploy', 'scale'], why: 'forceNewDeployment / a new task definition; desiredCount' },
  { action: 'ecs:RegisterTaskDefinition', mutating: true, usedBy: ['redeploy'], why: 'redeploy --digest: a revision that names the image by digest' },
  { action: 'ecs:TagResource', mutating: true, usedBy: ['redeploy'], why: 'redeploy --digest copies the task definition tags onto the new revision' },
  { action: 'iam:PassRole', mutating: true, usedBy: ['redeploy'], why: "redeploy --digest: the new revision keeps the task and execution roles (restrict to those roles' ARNs)" },
  // ECR
  { action: 'ecr:DescribeImages', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale', 'restore'], why: 'what a tag resolves to; whether a digest exists, archived or ACTIVATING (here and in a replica)' },
  { action: 'ecr:BatchGetImage', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale', 'restore'], why: 'index manifests (platform children) and image manifests (config digest); restore: the exact manifest bytes to copy' },
  { action: 'ecr:GetLifecyclePolicy', mutating: false, usedBy: ['rebuild', 'redeploy', 'scale'], why: 'the image check reads it to decide how to list a repository' },
  { action: 'ecr:GetDownloadUrlForLayer', mutating: false, usedBy: ['rebuild', 'restore'], why: 'the image config: revision label and platform; restore: the blobs to copy from the source' },
  { action: 'ecr:DescribeRegistry', mutating: false, usedBy: ['restore'], why: 'replication destinations: where a copy of an expired digest may still be' },
  { action: 'ecr:BatchCheckLayerAvailability', mutating: false, usedBy: ['restore'], why: 'which blobs the target repository already has' },
  { action: 'ecr:UpdateImageStorageClass', mutating: true, usedBy: ['restore'], why: 'restore an archived image to STANDARD' },
  { action: 'ecr:InitiateLayerUpload', mutating: true, usedBy: ['restore'], why: 'upload a blob the target lacks' },
  { action: 'ecr:UploadLayerPart', mutating: true, usedBy: ['restore'], why: 'upload a blob the target lacks' },
  { action: 'ecr:CompleteLayerUpload', mutating: true, usedBy: ['restore'], why: 'upload a blob the target lacks (sha256 checked by ECR)' },
  { action: 'ecr:PutImage', mutating: true, usedBy: ['restore'], why: 'put the exact manifest back (same bytes, same digest), optionally with --tag' },
  // CodeBuild
  { action: 'codebuild:BatchGetProjects', mutating: false, usedBy: ['rebuild'], why: 'the configured project exists; project tags' },
  { action: 'codebuild:ListProjects', mutating: false, usedBy: ['rebuild'], why: 'finding the project tagged lifeboat:repository' },
  { action: 'codebuild:StartBuild', mutating: true, usedBy: ['rebuild'], why: 'the rebuild' },
  { action: 'codebuild:BatchGetBuilds', mutating: false, usedBy: ['rebuild'], why: 'build phases and status' },
  { action: 'codebuild:ListBuildsForProject', mutating: false, usedBy: ['rebuild'], why: 'a resumed job finds the build it started' },
  { action: 'codebuild:StopBuild', mutating: true, usedBy: ['rebuild'], why: 'Cancel stops the build' },
  // SQS + CloudWatch
  { action: 'sqs:GetQueueUrl', mutating: false, usedBy: ['scale'], why: 'the queue by name' },
  { action: 'sqs:GetQueueAttributes', mutating: false, usedBy: ['scale'], why: 'the backlog' },
  { action: 'cloudwatch:GetMetricData', mutating: false, usedBy: ['scale'], why: 'age of the oldest message (optional)' },
  // Application Auto Scaling
  { action: 'application-autoscaling:DescribeScalableTargets', mutating: false, usedBy: ['scale'], why: "the service's auto scaling target" },
  { action: 'application-autoscaling:RegisterScalableTarget', mutating: true, usedBy: ['scale'], why: 'raise (and later restore) its min/max capacity' },
];

/** What the adapters themselves send (checked against `RECOVERY_IAM_ACTIONS` by the tests). */
export const RECOVERY_ADAPTER_ACTIONS: readonly string[] = [
  ...SDK_ECS_OPS_ACTIONS,
  ...SDK_CODEBUILD_OPS_ACTIONS,
  ...SDK_QUEUE_OPS_ACTIONS,
  ...SDK_SCALING_OPS_ACTIONS,
  ...SDK_ECR_IMAGE_CONFIG_ACTIONS,
  ...SDK_ECR_RESTORE_ACTIONS,
];
