/**
 * `ecr-replica-survives`: the same expiry as `ecr-lifecycle-expiry`, in a registry that replicates
 * to a second Region. `payments-api` replicates to us-west-2 for disaster recovery; the lifecycle
 * policy was only ever put on the us-east-1 repository, and ECR lifecycle policies act only in the
 * Region where they exist — replication copies pushes, never deletions. So when the 14-day rule
 * expires the multi-arch release prod/payments-api pins, us-west-2 still holds every manifest of
 * it, byte for byte. The morning's task replacement fails on the pinned digest; copying that
 * exact digest back from the replica (children first, then the index) heals the service on ECS's
 * next start attempt — no rebuild (which would give a new digest), no redeploy.
 */
import { AMD64, ARM64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';
import { DAY, HOUR, MINUTE, aboutService, atTime, ecrImage, pinnedImagesPullable, runningService, serviceSteady } from './common.js';

/** The rule that did it, in us-east-1 only: every image pushed more than 14 days ago expires. */
export const FOURTEEN_DAY_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Expire images older than 14 days (CI pushes several a day)',
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

export const PAYMENTS_REPO = 'payments-api';
/** The disaster-recovery Region `payments*` repositories replicate to (no lifecycle policy there). */
export const REPLICA_REGION = 'us-west-2';
/** The commit the deployed image was built from (git tag v3.14.0). */
const RELEASE = '2b9d4f6a8c0e1a3c5e7b9d1f3a5c7e9b0d2f4a68';

export const ecrReplicaSurvives: DrillScenario = {
  id: 'ecr-replica-survives',
  title: 'ECR lifecycle rule expires a pinned image in us-east-1 — the us-west-2 replica still has it',
  story:
    'payments-api replicates to us-west-2, where nobody put a lifecycle policy. In us-east-1 a "expire images older than 14 days" rule deletes payments-api:v3.14.0 — the multi-arch image prod/payments-api pins. ' +
    'When Fargate replaces a task the next morning the replacement cannot pull; the exact digest is still in the us-west-2 replica and can be copied back.',
  walkthrough: [
    'Wait for the incident card: prod/payments-api cannot pull its image (CannotPullContainerError, image not found).',
    'check images prod/payments-api — the pinned digest is gone from payments-api in us-east-1 (rule 1, 14 days since push), but the us-west-2 replica still has it: lifecycle policies act only in their own Region, and replication never copies deletions.',
    `restore ${PAYMENTS_REPO}@<pinned digest> — what check images offers: Lifeboat found the copy through the registry's replication configuration (name it yourself with --from ${REPLICA_REGION}). It copies the exact manifests back: the platform images and attestations first, then the index, and the tag v3.14.0 with it. Same bytes, same digest.`,
    'drill advance 20m — ECS retries the start with back-off (at most 15 minutes apart); the first attempt after the copy pulls the pinned digest and prod/payments-api is back to 3 of 3, without a rebuild or a redeploy.',
    'Prevention: "sinceImagePushed, tagStatus any" never looks at what runs; protect the tags you deploy with a higher-priority tagged rule. The replica kept everything because it has no policy — a copy worth knowing about, not a retention plan.',
  ],
  runbook: 'image-unavailable',
  setup(account, start) {
    account.ecs.createCluster('prod');
    // Registry-wide replication for disaster recovery, set up long before the release.
    account.replicateEcr(REPLICA_REGION, ['payments']);
    const repo = account.ecr.createRepository(PAYMENTS_REPO, { policy: FOURTEEN_DAY_POLICY, lifecycleRunAt: '03:17' });
    let lifecycleRun = atTime(start, '03:17');
    if (lifecycleRun <= start) lifecycleRun += DAY;
    // The last release turns 14 days old three hours before the next lifecycle run.
    const releasedAt = lifecycleRun - 14 * DAY - 3 * HOUR;
    account.ecr.push(repo.name, { platforms: [AMD64, ARM64], attestations: true, seed: `${PAYMENTS_REPO}|v3.14.0|release`, revision: RELEASE }, { tag: 'v3.14.0', pushedAt: releasedAt });
    runningService(account, { cluster: 'prod', name: PAYMENTS_REPO, image: ecrImage(PAYMENTS_REPO, 'v3.14.0'), desiredCount: 3, runningSince: releasedAt + 30 * MINUTE });

    account.codebuild.createProject({
      name: 'payments-api-image',
      target: { registry: 'ecr', repository: PAYMENTS_REPO, platforms: [AMD64, ARM64], attestations: true },
      tags: [{ key: 'lifeboat:repository', value: PAYMENTS_REPO }],
      refs: { 'v3.14.0': RELEASE },
      buildSeconds: 300,
    });

    let retirement = atTime(lifecycleRun, '09:14');
    if (retirement <= lifecycleRun) retirement += DAY;
    account.scheduler.at(retirement, 'fault: Fargate retires a prod/payments-api task', () => account.ecs.retireTasks('prod', PAYMENTS_REPO, 1));
    return {
      faults: [
        { at: lifecycleRun, kind: 'cause', description: `the nightly lifecycle run in us-east-1 expires ${PAYMENTS_REPO}:v3.14.0 (index and children); the ${REPLICA_REGION} replica, which has no policy, keeps it` },
        { at: retirement, kind: 'impact', description: 'Fargate retires one prod/payments-api task; its replacement cannot pull the pinned digest' },
      ],
    };
  },
  detects: (alert) => aboutService(alert, 'prod', PAYMENTS_REPO) && (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy: (account) => {
    const checks = [serviceSteady(account, 'prod', PAYMENTS_REPO, 3), pinnedImagesPullable(account, 'prod', PAYMENTS_REPO)];
    return { healthy: checks.every((c) => c.ok), checks };
  },
};
