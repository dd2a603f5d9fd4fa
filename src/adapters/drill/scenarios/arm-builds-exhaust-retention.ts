/**
 * `arm-builds-exhaust-retention`: a "keep the last 30 images" rule was sized for one image per
 * build. Then the team started building ARM: every CI run now pushes a multi-arch index, two
 * platform images and two attestation manifests — five images. A busy day of ARM builds pushes
 * the digest prod/hooks-worker pinned nine days ago past number 30, and the nightly lifecycle run
 * expires it. At 01:10 the worker's only task is retired; the replacement cannot pull, nothing
 * consumes `hooks-queue`, and the backlog grows by 18 messages a minute (left alone until 08:20,
 * to about 7,770 — the number the team found in the morning).
 */
import { AMD64, ARM64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';
import { DAY, HOUR, MINUTE, aboutService, atTime, ecrImage, pinnedImagesPullable, runningService, serviceSteady } from './common.js';

export const KEEP_30_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Keep the last 30 images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
      action: { type: 'expire' },
    },
  ],
});

const REPO = 'team/hooks-worker';
const QUEUE = 'hooks-queue';
/** Messages a minute the webhook producers send. */
export const HOOKS_PER_MINUTE = 18;
/** Messages a minute one hooks-worker task works off. */
export const HOOKS_PER_TASK_PER_MINUTE = 40;

export const armBuildsExhaustRetention: DrillScenario = {
  id: 'arm-builds-exhaust-retention',
  title: 'Extra ARM builds exhaust a keep-30 count rule; the hooks worker cannot start and its queue backs up',
  story:
    'Multi-arch ARM builds push five images per CI run into team/hooks-worker, whose lifecycle rule keeps 30. A day of ARM builds pushes the digest prod/hooks-worker pins out of the 30; ' +
    'the nightly run expires it. When the worker task is replaced at 01:10 the replacement cannot pull, and hooks-queue backs up — to about 7,770 messages by 08:20 if nobody acts.',
  walkthrough: [
    'Incident: prod/hooks-worker cannot pull its image; soon after, the hooks-queue backlog alarm joins it.',
    'check images prod/hooks-worker — the pinned digest was expired by rule 1 ("Keep the last 30 images"); the tag main went with it.',
    'rebuild team/hooks-worker:main --ref main — CodeBuild pushes a new multi-arch main (new digests; linux/amd64 and linux/arm64 children verified).',
    'redeploy prod/hooks-worker — the service runs again on the new digest.',
    'scale prod/hooks-worker for hooks-queue — Lifeboat raises the auto scaling minimum, watches the backlog drain, then scales back to 1.',
    'Prevention: a count rule counts every manifest of a multi-arch push; protect deployed tags with a tagged rule of higher priority, or raise the count.',
  ],
  runbook: 'image-unavailable',
  setup(account, start) {
    account.ecs.createCluster('prod');
    const repo = account.ecr.createRepository(REPO, { policy: KEEP_30_POLICY, lifecycleRunAt: '00:30' });
    const commit = () => account.ids.hex(40);
    // Fifteen single-platform builds before the ARM work; the last is `main`, which production runs.
    let deployedAt = 0;
    let deployedCommit = '';
    for (let i = 15; i >= 1; i--) {
      const at = start - 9 * DAY - (i - 1) * 1.5 * DAY;
      const revision = commit();
      const tag = i === 1 ? 'main' : revision.slice(0, 7);
      account.ecr.push(repo.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: `${REPO}|${revision}`, revision }, { tag, pushedAt: at });
      deployedAt = at;
      deployedCommit = revision;
    }
    // Three multi-arch ARM builds since (index + two images + two attestations each).
    for (let i = 3; i >= 1; i--) {
      const revision = commit();
      account.ecr.push(repo.name, { platforms: [AMD64, ARM64], attestations: true, seed: `${REPO}|${revision}|arm`, revision }, { tag: `arm-${revision.slice(0, 7)}`, pushedAt: start - i * 2 * DAY });
    }

    runningService(account, { cluster: 'prod', name: 'hooks-worker', image: ecrImage(REPO, 'main'), desiredCount: 1, runningSince: deployedAt + 30 * MINUTE });
    account.autoscaling.register('service/prod/hooks-worker', 1, 2);
    account.sqs.createQueue(QUEUE, { producerPerMinute: HOOKS_PER_MINUTE, consumer: { cluster: 'prod', service: 'hooks-worker', perTaskPerMinute: HOOKS_PER_TASK_PER_MINUTE } });
    const metrics = account.publishQueueMetrics(QUEUE);
    account.cloudwatch.putMetricAlarm({
      name: 'hooks-queue-oldest-message-age',
      description: 'Oldest message in hooks-queue older than 15 minutes',
      metric: metrics.age,
      statistic: 'Maximum',
      evaluationPeriods: 3,
      threshold: 900,
      comparison: 'GreaterThanThreshold',
    });
    account.cloudwatch.putMetricAlarm({
      name: 'hooks-queue-backlog',
      description: 'More than 1000 messages waiting in hooks-queue',
      metric: metrics.visible,
      statistic: 'Maximum',
      evaluationPeriods: 3,
      threshold: 1000,
      comparison: 'GreaterThanThreshold',
    });

    // The production build (what `rebuild` uses) and the ARM CI pipeline (not tagged for Lifeboat).
    account.codebuild.createProject({
      name: 'hooks-worker-image',
      target: { registry: 'ecr', repository: REPO, platforms: [AMD64, ARM64], attestations: true },
      tags: [{ key: 'lifeboat:repository', value: REPO }],
      environment: [
        { name: 'IMAGE_REPO_NAME', value: REPO },
        { name: 'IMAGE_TAG', value: 'main' },
      ],
      branchHead: deployedCommit,
      buildSeconds: 300,
    });
    account.codebuild.createProject({
      name: 'hooks-worker-arm-ci',
      target: { registry: 'ecr', repository: REPO, platforms: [AMD64, ARM64], attestations: true },
      buildSeconds: 300,
    });
    const ciStart = atTime(start, '09:00') > start ? atTime(start, '09:00') : start + HOUR;
    for (let i = 0; i < 11; i++) {
      account.scheduler.at(ciStart + i * 45 * MINUTE, 'ARM CI build', () => {
        const revision = account.codebuild.commit('hooks-worker-arm-ci');
        account.codebuild.startBuild({ projectName: 'hooks-worker-arm-ci', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: `arm-${revision.slice(0, 7)}` }], initiator: 'github-actions' });
      });
    }
    let lifecycleRun = atTime(ciStart, '00:30');
    while (lifecycleRun <= ciStart + 11 * 45 * MINUTE) lifecycleRun += DAY;
    const retirement = atTime(lifecycleRun, '01:10');
    account.scheduler.at(retirement, 'fault: the hooks-worker task is retired', () => account.ecs.retireTasks('prod', 'hooks-worker', 1));
    return {
      faults: [
        { at: ciStart, kind: 'cause', description: 'a day of multi-arch ARM CI builds starts: five images per build into a keep-30 repository' },
        { at: lifecycleRun, kind: 'cause', description: 'the nightly lifecycle run expires the digest prod/hooks-worker pins (rule 1, keep the last 30)' },
        { at: retirement, kind: 'impact', description: 'Fargate retires the only hooks-worker task; the replacement cannot pull and hooks-queue stops draining' },
      ],
    };
  },
  detects: (alert) => aboutService(alert, 'prod', 'hooks-worker') && (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy(account) {
    const visible = account.sqs.visible(QUEUE);
    const target = account.autoscaling.targets.get('service/prod/hooks-worker');
    const checks = [
      serviceSteady(account, 'prod', 'hooks-worker', 1),
      pinnedImagesPullable(account, 'prod', 'hooks-worker'),
      { name: 'hooks-queue drained', ok: visible < 100, detail: `${visible} messages waiting` },
      {
        name: 'hooks-worker auto scaling back to 1–2',
        ok: target?.minCapacity === 1 && target.maxCapacity === 2,
        detail: target ? `min ${target.minCapacity}, max ${target.maxCapacity}` : 'no scalable target',
      },
    ];
    return { healthy: checks.every((c) => c.ok), checks };
  },
  recovery: {
    scale: {
      queues: {
        [QUEUE]: { perTaskRatePerMinute: HOOKS_PER_TASK_PER_MINUTE, drainMinutes: 30, maxTasks: 8, scaleBackBelow: 100, timeoutMinutes: 240, pollSeconds: 60 },
      },
    },
  },
};
