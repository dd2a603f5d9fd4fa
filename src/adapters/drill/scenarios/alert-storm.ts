/**
 * `alert-storm`: the same root cause as `ecr-lifecycle-expiry`, at fleet scale — and loud. The
 * platform team rolls out a registry-wide "keep the newest 10 images" lifecycle policy; its first
 * run expires hundreds of images, among them the digests four busy services pin (one CloudTrail
 * alert per image). An hour later Fargate retires a platform revision and replaces every task in
 * the cluster over twenty minutes: the four services' replacements all fail, again and again, ECS
 * sometimes emits a stopped-task event twice, and the load balancer alarms fire. Thousands of
 * alerts; the point of the drill is that Lifeboat shows them as a handful of incidents.
 */
import type { DrillAccount } from '../account.js';
import { AMD64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';
import { HOUR, MINUTE, ecrImage, pinnedImagesPullable, runningService, serviceSteady } from './common.js';

export const KEEP_10_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Platform default: keep the newest 10 images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
      action: { type: 'expire' },
    },
  ],
});

/** Services, their task counts, and whether the image they pin falls outside the newest 10. */
export const STORM_SERVICES = [
  { name: 'api', desired: 30, loses: true },
  { name: 'web', desired: 20, loses: true },
  { name: 'checkout', desired: 12, loses: true },
  { name: 'search', desired: 10, loses: true },
  { name: 'notifications', desired: 4, loses: false },
  { name: 'hooks-worker', desired: 2, loses: false },
] as const;

export const alertStorm: DrillScenario = {
  id: 'alert-storm',
  title: 'Alert storm: a fleet-wide lifecycle policy and a Fargate retirement sweep',
  story:
    'A registry-wide "keep the newest 10" policy expires hundreds of images, including the digests api, web, checkout and search pin. ' +
    'A Fargate retirement sweep then replaces every task; the four services cannot start any, and thousands of alerts arrive within the hour.',
  walkthrough: [
    'Watch the alert channel: thousands of alerts, but only a handful of incident cards (one per service, one for the expired images).',
    'check images prod — four services pin expired digests; notifications and hooks-worker are fine.',
    'For each of api, web, checkout, search: rebuild <repo>:v1 --ref v1, then redeploy prod/<service>.',
    'Prevention: a fleet-wide count rule must exclude deployed tags; roll lifecycle policies out with a preview (GetLifecyclePolicyPreview) first.',
  ],
  runbook: 'image-unavailable',
  duplicateTaskEventsEvery: 3,
  setup(account, start) {
    account.ecs.createCluster('prod');
    const lifecycleAt = start + 2 * HOUR;
    const runAt = new Date(lifecycleAt);
    const hhmm = `${String(runAt.getUTCHours()).padStart(2, '0')}:${String(runAt.getUTCMinutes()).padStart(2, '0')}`;
    for (const s of STORM_SERVICES) {
      const repo = account.ecr.createRepository(s.name, { lifecycleRunAt: hhmm });
      // 60 CI images over the last month; the deployed `v1` is old for the services that lose it.
      const deployedRank = s.loses ? 40 : 3;
      let deployedCommit = '';
      for (let i = 59; i >= 0; i--) {
        const revision = account.ids.hex(40);
        if (i === deployedRank) deployedCommit = revision;
        const tag = i === deployedRank ? 'v1' : `ci-${revision.slice(0, 7)}`;
        account.ecr.push(repo.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: `${s.name}|${revision}`, revision }, { tag, pushedAt: start - (i + 1) * 12 * HOUR });
      }
      runningService(account, {
        cluster: 'prod',
        name: s.name,
        image: ecrImage(s.name, 'v1'),
        desiredCount: s.desired,
        runningSince: start - (deployedRank + 1) * 12 * HOUR + 30 * MINUTE,
      });
      account.codebuild.createProject({
        name: `${s.name}-image`,
        target: { registry: 'ecr', repository: s.name, platforms: [AMD64], attestations: false },
        tags: [{ key: 'lifeboat:repository', value: s.name }],
        environment: [
          { name: 'IMAGE_REPO_NAME', value: s.name },
          { name: 'IMAGE_TAG', value: 'v1' },
        ],
        refs: { v1: deployedCommit },
      });
      loadBalancerAlarm(account, s.name, s.desired);
    }
    const rollout = start + 30 * MINUTE;
    account.scheduler.at(rollout, 'fault: platform-wide lifecycle policy applied', () => {
      for (const s of STORM_SERVICES) account.ecr.putLifecyclePolicy(s.name, KEEP_10_POLICY);
    });
    const sweep = start + 3 * HOUR;
    for (let minute = 0; minute < 20; minute++) {
      account.scheduler.at(sweep + minute * MINUTE, 'fault: Fargate retirement sweep', () => {
        for (const s of STORM_SERVICES) account.ecs.retireTasks('prod', s.name, Math.ceil(s.desired / 20));
      });
    }
    return {
      faults: [
        { at: rollout, kind: 'cause', description: 'a registry-wide "keep the newest 10 images" lifecycle policy is applied to every repository' },
        { at: lifecycleAt, kind: 'cause', description: 'its first run expires 50 images per repository, including the digests api, web, checkout and search pin' },
        { at: sweep, kind: 'impact', description: 'Fargate retires every task of the cluster over 20 minutes; four services cannot start replacements' },
      ],
    };
  },
  detects: (alert) =>
    alert.target.cluster === 'prod' &&
    STORM_SERVICES.some((s) => s.loses && s.name === alert.target.service) &&
    (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy(account) {
    const checks = STORM_SERVICES.flatMap((s) => [serviceSteady(account, 'prod', s.name, s.desired), pinnedImagesPullable(account, 'prod', s.name)]);
    return { healthy: checks.every((c) => c.ok), checks };
  },
};

/** ALB 5xx alarm of a service: the load balancer answers 503 for the share of capacity missing. */
function loadBalancerAlarm(account: DrillAccount, service: string, desired: number): void {
  const metric = { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_ELB_5XX_Count', dimensions: [{ name: 'LoadBalancer', value: `app/prod-${service}/${account.ids.hex(16)}` }] };
  let wobble = 0;
  account.cloudwatch.registerMetric(metric, () => {
    const missing = Math.max(0, desired - account.ecs.runningCount('prod', service)) / desired;
    // Traffic is not flat: the share of failed requests wobbles around the capacity missing.
    wobble = (wobble + 7) % 11;
    return Math.round(1200 * missing * (0.6 + wobble / 20));
  });
  account.cloudwatch.putMetricAlarm({
    name: `prod-${service}-alb-5xx`,
    description: `Load balancer 5xx for prod/${service}`,
    metric,
    statistic: 'Sum',
    evaluationPeriods: 1,
    threshold: 150,
    comparison: 'GreaterThanThreshold',
  });
}

