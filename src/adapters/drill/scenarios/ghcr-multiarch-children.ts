/**
 * `ghcr-multiarch-children`: a new GitHub Actions cleanup workflow ("delete untagged versions,
 * keep the newest 12") runs for the first time at 02:00. On GHCR the per-platform children of a
 * multi-arch image are *untagged versions*, so it deletes the children of web:1.8.0 — the image
 * prod/web runs — while the tagged index stays and still answers. Nothing notices until the
 * scheduled morning scale-out: the new tasks resolve the index, then fail fetching the linux/amd64
 * child (`manifest unknown`). Unlike ECR, GHCR does not protect children an index references.
 */
import { DRILL_GHCR_ORG } from '../ids.js';
import { AMD64, ARM64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';
import { DAY, HOUR, aboutService, atTime, pinnedImagesPullable, runningService, serviceSteady } from './common.js';

const PACKAGE = `${DRILL_GHCR_ORG}/web`;

export const ghcrMultiarchChildren: DrillScenario = {
  id: 'ghcr-multiarch-children',
  title: 'A GHCR cleanup workflow deletes the untagged platform children of the image a service runs',
  story:
    'A cleanup workflow that deletes untagged GHCR versions removes the linux/amd64 and linux/arm64 children of web:1.8.0. The tag and its index remain, so the image looks fine; ' +
    'the morning scale-out of prod/web starts tasks that cannot fetch the linux/amd64 child.',
  walkthrough: [
    'Incident: prod/web tasks fail to start after the scheduled scale-out (CannotPullContainerError ... not found).',
    'check images prod/web — the index (web:1.8.0) is there, but its linux/amd64 child is missing: a redeploy would pin the same broken index.',
    "drill fix rerun-release — re-run web's release workflow so 1.8.0 and all its children exist again (new digests). Lifeboat's `rebuild` drives CodeBuild for ECR images; GHCR images are rebuilt by their own pipeline.",
    'redeploy prod/web — the new deployment pins the rebuilt index; the scale-out completes (4 of 4).',
    'drill fix pause-cleanup — prevention: never delete untagged GHCR versions that a tagged index references; filter by age *and* exclude referenced children.',
  ],
  runbook: 'image-unavailable',
  setup(account, start) {
    account.ecs.createCluster('prod');
    const commits: Record<string, string> = {};
    const release = (tag: string, at: number) => {
      const revision = account.ids.hex(40);
      commits[`v${tag}`] = revision;
      return account.ghcr.push(PACKAGE, { platforms: [AMD64, ARM64], attestations: true, seed: `${PACKAGE}|${revision}`, revision }, { tag, pushedAt: at });
    };
    release('1.7.0', start - 30 * DAY);
    const current = release('1.8.0', start - 10 * DAY);
    for (let i = 3; i >= 1; i--) release(`sha-${account.ids.hex(7)}`, start - i * DAY);

    runningService(account, { cluster: 'prod', name: 'web', image: `ghcr.io/${PACKAGE}:1.8.0`, desiredCount: 2, runningSince: start - 10 * DAY + HOUR });
    account.autoscaling.register('service/prod/web', 2, 6);

    account.codebuild.createProject({
      name: 'web-image',
      target: { registry: 'ghcr', repository: PACKAGE, platforms: [AMD64, ARM64], attestations: true },
      tags: [{ key: 'lifeboat:repository', value: PACKAGE }],
      environment: [
        { name: 'IMAGE_REPO_NAME', value: PACKAGE },
        { name: 'IMAGE_TAG', value: '1.8.0' },
      ],
      refs: commits,
      buildSeconds: 270,
    });

    account.ghcr.scheduleCleanup(PACKAGE, { at: '02:00', minVersionsToKeep: 12 });
    let cleanup = atTime(start, '02:00');
    if (cleanup <= start) cleanup += DAY;
    const scaleOut = atTime(cleanup, '08:30');
    account.autoscaling.scheduleAction('morning-scale-out', 'service/prod/web', scaleOut, { min: 4 });
    return {
      faults: [
        { at: cleanup, kind: 'cause', description: `the cleanup workflow deletes untagged versions of ${PACKAGE}, including the children of 1.8.0 (index digest ${current.digest.slice(0, 19)}…)` },
        { at: scaleOut, kind: 'impact', description: 'the scheduled morning scale-out asks prod/web for 4 tasks; the new ones cannot fetch the linux/amd64 child' },
      ],
    };
  },
  detects: (alert) => aboutService(alert, 'prod', 'web') && (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy(account) {
    const checks = [serviceSteady(account, 'prod', 'web', 4), pinnedImagesPullable(account, 'prod', 'web')];
    return { healthy: checks.every((c) => c.ok), checks };
  },
  remedies: [
    {
      id: 'rerun-release',
      description: 're-run the release workflow of web 1.8.0 (it builds and pushes web:1.8.0 with every platform child)',
      apply: (account) => {
        account.codebuild.startBuild({ projectName: 'web-image', sourceVersion: 'v1.8.0', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: '1.8.0' }], initiator: 'github-actions' });
      },
    },
    {
      id: 'pause-cleanup',
      description: `disable the cleanup workflow of ${PACKAGE} until it excludes children that tagged indexes reference`,
      apply: (account) => account.ghcr.disableCleanup(PACKAGE),
    },
  ],
};
