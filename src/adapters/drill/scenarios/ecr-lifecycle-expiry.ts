/**
 * `ecr-lifecycle-expiry`: a "7 days since pushed" ECR lifecycle rule meets a release pause. The
 * image prod/api runs was pushed a week ago; nothing newer was pushed; the nightly lifecycle run
 * expires it — digest and tag. Nothing breaks: the three running tasks do not pull again. The next
 * morning Fargate retires one task; its replacement must pull the pinned digest, which is gone,
 * and fails with `CannotPullContainerError` again and again until the service is redeployed onto an
 * image that exists. Re-pushing `v42` alone does not heal it (DOMAIN fact 1).
 */
import { DAY, HOUR, MINUTE, aboutService, atTime, ecrImage, pinnedImagesPullable, runningService, serviceSteady } from './common.js';
import { AMD64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';

/** The rule that did it: every image older than 7 days expires, tagged or not. */
export const SEVEN_DAY_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Expire images older than 7 days to keep storage costs down',
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    },
  ],
});

const UNTAGGED_14_DAYS = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Expire untagged images older than 14 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

/** The commits the deployed images were built from (their git tags are v42 and v7). */
const RELEASES = { api: '4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39', web: '9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c' } as const;

export const ecrLifecycleExpiry: DrillScenario = {
  id: 'ecr-lifecycle-expiry',
  title: 'ECR lifecycle rule expires the image a running service pins',
  story:
    'During a release pause a "expire images older than 7 days" lifecycle rule deletes api:v42 — the digest prod/api pinned at its last deployment. ' +
    'The service keeps running until Fargate retires a task the next morning; every replacement then fails with CannotPullContainerError.',
  walkthrough: [
    'Wait for the incident card: prod/api cannot pull its image (CannotPullContainerError, image not found).',
    'check images prod/api — the pinned digest is gone, and so is the tag v42: a redeploy cannot help, a rebuild is needed.',
    'rebuild api:v42 --ref v42 — the image is gone, so Lifeboat cannot read which commit built it; the release has a git tag v42. CodeBuild pushes v42 again, with a new digest (rebuilds are never bit-identical).',
    'redeploy prod/api — the new deployment resolves v42 to the new digest and the service returns to 3 of 3.',
    'Prevention: the rule "sinceImagePushed 7 days, tagStatus any" never looks at what runs; exclude the tags you deploy or switch to a count rule.',
  ],
  runbook: 'image-unavailable',
  setup(account, start) {
    account.ecs.createCluster('prod');
    const api = account.ecr.createRepository('api', { policy: SEVEN_DAY_POLICY, lifecycleRunAt: '03:17' });
    let lifecycleRun = atTime(start, '03:17');
    if (lifecycleRun <= start) lifecycleRun += DAY;
    // The last release, pushed so that it turns 7 days old two hours before the next lifecycle run.
    const releasedAt = lifecycleRun - 7 * DAY - 2 * HOUR;
    account.ecr.push(api.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: 'api|v42|release', revision: RELEASES.api }, { tag: 'v42', pushedAt: releasedAt });
    runningService(account, { cluster: 'prod', name: 'api', image: ecrImage('api', 'v42'), desiredCount: 3, runningSince: releasedAt + 25 * MINUTE });

    const web = account.ecr.createRepository('web', { policy: UNTAGGED_14_DAYS, lifecycleRunAt: '03:40' });
    const webAt = start - 3 * DAY;
    account.ecr.push(web.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: 'web|v7|release', revision: RELEASES.web }, { tag: 'v7', pushedAt: webAt });
    runningService(account, { cluster: 'prod', name: 'web', image: ecrImage('web', 'v7'), desiredCount: 2, runningSince: webAt + 20 * MINUTE });

    for (const [repo, tag] of [['api', 'v42'], ['web', 'v7']] as const) {
      account.codebuild.createProject({
        name: `${repo}-image`,
        target: { registry: 'ecr', repository: repo, platforms: [AMD64], attestations: false },
        tags: [{ key: 'lifeboat:repository', value: repo }],
        // The release commit carries a git tag of the same name as the image tag.
        refs: { [tag]: RELEASES[repo] },
        buildSeconds: 210,
      });
    }

    let retirement = atTime(lifecycleRun, '09:14');
    if (retirement <= lifecycleRun) retirement += DAY;
    account.scheduler.at(retirement, 'fault: Fargate retires a prod/api task', () => account.ecs.retireTasks('prod', 'api', 1));
    return {
      faults: [
        { at: lifecycleRun, kind: 'cause', description: 'the nightly lifecycle run expires api:v42, the digest prod/api pins' },
        { at: retirement, kind: 'impact', description: 'Fargate retires one prod/api task; its replacement cannot pull the pinned digest' },
      ],
    };
  },
  detects: (alert) => aboutService(alert, 'prod', 'api') && (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy: (account) => {
    const checks = [serviceSteady(account, 'prod', 'api', 3), pinnedImagesPullable(account, 'prod', 'api'), serviceSteady(account, 'prod', 'web', 2)];
    return { healthy: checks.every((c) => c.ok), checks };
  },
};
