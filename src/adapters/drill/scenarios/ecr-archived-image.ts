/**
 * `ecr-archived-image`: an ECR lifecycle rule *archives* images nobody pulled for 30 days
 * (`sinceImagePulled` + `transition` to the archive storage class — the only thing ECR lets a
 * pull-time rule do). prod/invoice-export runs once a month and sits at 0 tasks in between; in a
 * 31-day month its image goes 31 days without a pull, and the nightly lifecycle run archives it a
 * few hours before the month-end run. The image is still listed (ARCHIVED), but a pull answers
 * not found: the scheduled scale-out's tasks fail with `CannotPullContainerError` until the image
 * is restored to the standard storage class — the same digest, so ECS's next start attempt works
 * without a rebuild or a redeploy.
 */
import { AMD64 } from '../manifests.js';
import type { DrillScenario } from '../scenario.js';
import { DAY, MINUTE, aboutService, atTime, ecrImage, pinnedImagesPullable, runningService, serviceSteady } from './common.js';

/** The rule that did it: archive anything not pulled for 30 days; delete from the archive after a year. */
export const ARCHIVE_UNPULLED_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Archive images not pulled for 30 days',
      selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    {
      rulePriority: 2,
      description: 'Delete archived images after a year',
      selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 },
      action: { type: 'expire' },
    },
  ],
});

export const INVOICE_REPO = 'billing/invoice-export';
export const INVOICE_SERVICE = 'invoice-export';
/** Tasks the month-end run scales prod/invoice-export to. */
export const INVOICE_RUN_TASKS = 2;
/** The commit the deployed image was built from (git tag v3.2.0). */
const RELEASE = '7c3e9a1f5b2d4e6a8c0b1d3f5e7a9c2b4d6f8e0a';

export const ecrArchivedImage: DrillScenario = {
  id: 'ecr-archived-image',
  title: 'ECR lifecycle rule archives the image of a monthly worker nobody pulled for 30 days',
  story:
    'A lifecycle rule archives images not pulled for 30 days. prod/invoice-export runs once a month and has no tasks in between; in a 31-day month its image goes 31 days without a pull, ' +
    'and the nightly run archives it at 02:40 on the day of the run. At 06:00 the scheduled scale-out starts two tasks; an archived image cannot be pulled, so they fail with CannotPullContainerError.',
  walkthrough: [
    'Wait for the incident card: prod/invoice-export cannot pull its image at the 06:00 month-end scale-out (CannotPullContainerError, image not found).',
    'check images prod/invoice-export — the pinned digest is still listed, but ARCHIVED: rule 1 ("Archive images not pulled for 30 days") moved it to the archive storage class at 02:40. An archived image answers a pull with not found.',
    'restore billing/invoice-export@<pinned digest> — Lifeboat calls UpdateImageStorageClass to STANDARD: the image is ACTIVATING for about 20 minutes, then ACTIVE. The digest stays the same: no rebuild, no redeploy.',
    'drill advance 30m — ECS keeps retrying the start with back-off (at most 15 minutes apart); the first attempt after the restore pulls the digest and prod/invoice-export reaches 2 of 2.',
    'Prevention: a monthly job goes 31 days without a pull in a long month; set the rule above the longest gap between runs (45 days), or keep the tags you deploy out of the archive rule.',
  ],
  runbook: 'image-unavailable',
  setup(account, start) {
    account.ecs.createCluster('prod');
    const repo = account.ecr.createRepository(INVOICE_REPO, { policy: ARCHIVE_UNPULLED_POLICY, lifecycleRunAt: '02:40' });
    let lifecycleRun = atTime(start, '02:40');
    if (lifecycleRun <= start) lifecycleRun += DAY;
    const monthEndRun = atTime(lifecycleRun, '06:00');
    // The previous run was 31 days earlier: the image turned 30 days unpulled the morning before,
    // after that day's lifecycle run, so tonight's run is the first to archive it.
    const previousRun = monthEndRun - 31 * DAY;
    const releasedAt = previousRun - 9 * DAY;
    const release = account.ecr.push(repo.name, { platforms: [AMD64], index: false, dockerMediaTypes: true, seed: `${INVOICE_REPO}|v3.2.0|release`, revision: RELEASE }, { tag: 'v3.2.0', pushedAt: releasedAt });
    account.ecr.recordPull(repo.name, release.digest, previousRun + MINUTE);
    runningService(account, { cluster: 'prod', name: INVOICE_SERVICE, image: ecrImage(INVOICE_REPO, 'v3.2.0'), desiredCount: 0, runningSince: releasedAt + 25 * MINUTE, startupSeconds: 15 });
    account.autoscaling.register(`service/prod/${INVOICE_SERVICE}`, 0, 4);

    account.codebuild.createProject({
      name: 'invoice-export-image',
      target: { registry: 'ecr', repository: INVOICE_REPO, platforms: [AMD64], attestations: false },
      tags: [{ key: 'lifeboat:repository', value: INVOICE_REPO }],
      refs: { 'v3.2.0': RELEASE },
      buildSeconds: 180,
    });

    account.autoscaling.scheduleAction('month-end-invoice-run', `service/prod/${INVOICE_SERVICE}`, monthEndRun, { min: INVOICE_RUN_TASKS });
    return {
      faults: [
        { at: lifecycleRun, kind: 'cause', description: `the nightly lifecycle run archives ${INVOICE_REPO}:v3.2.0 (not pulled for 30 days), the digest prod/${INVOICE_SERVICE} pins` },
        { at: monthEndRun, kind: 'impact', description: `the month-end scheduled action scales prod/${INVOICE_SERVICE} to ${INVOICE_RUN_TASKS}; its tasks cannot pull the archived image` },
      ],
    };
  },
  detects: (alert) => aboutService(alert, 'prod', INVOICE_SERVICE) && (alert.class === 'image-pull-failed' || alert.class === 'task-fails-to-start'),
  healthy: (account) => {
    const checks = [serviceSteady(account, 'prod', INVOICE_SERVICE, INVOICE_RUN_TASKS), pinnedImagesPullable(account, 'prod', INVOICE_SERVICE)];
    return { healthy: checks.every((c) => c.ok), checks };
  },
};
