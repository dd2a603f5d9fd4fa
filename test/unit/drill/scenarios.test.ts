import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { SCENARIOS } from '../../../src/adapters/drill/scenarios/index.js';
import { HOOKS_PER_MINUTE } from '../../../src/adapters/drill/scenarios/arm-builds-exhaust-retention.js';
import { ARCHIVE_RESTORE_MS } from '../../../src/adapters/drill/ecr.js';
import { INVOICE_REPO, INVOICE_RUN_TASKS, INVOICE_SERVICE } from '../../../src/adapters/drill/scenarios/ecr-archived-image.js';
import { PAYMENTS_REPO, REPLICA_REGION } from '../../../src/adapters/drill/scenarios/ecr-replica-survives.js';
import type { Logger } from '../../../src/core/logger.js';
import { RecordingSink, clockAt } from './support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A logger that keeps error calls: a drill payload the real intake refuses is logged as an error. */
function errorLogger(errors: unknown[]): Logger {
  const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (o) => void errors.push(o), child: () => logger };
  return logger;
}

describe('drill scenarios', () => {
  it('are all offered by `drill start` (commands/drill.yaml) and have a story, a walkthrough and a runbook', () => {
    const definition = parseYaml(readFileSync(new URL('../../../commands/drill.yaml', import.meta.url), 'utf8')) as { args: { scenario: { values: string[] } } };
    expect(definition.args.scenario.values).toEqual(SCENARIOS.map((s) => s.id));
    for (const s of SCENARIOS) {
      expect(s.story.length).toBeGreaterThan(50);
      expect(s.walkthrough.length).toBeGreaterThan(2);
      expect(['image-unavailable', 'task-fails-to-start', 'queue-backlog']).toContain(s.runbook);
    }
  });

  for (const s of SCENARIOS) {
    it(`${s.id}: is detected within two minutes of the first failure, by alerts intake accepts, and is not healthy`, async () => {
      const errors: unknown[] = [];
      const sink = new RecordingSink();
      const drill = createDrill(s.id, { clock: clockAt(), sink, logger: errorLogger(errors) });
      const detection = await drill.runUntilDetected();
      expect(detection).toBeDefined();
      expect(detection!.afterImpactMs).toBeLessThanOrEqual(2 * MINUTE);
      expect(errors).toEqual([]);
      expect(sink.alerts.length).toBeGreaterThan(0);
      expect(sink.alerts.every((a) => a.labels?.drill === 'true' && a.labels.drillScenario === s.id && a.target.account === '000000000000')).toBe(true);
      expect(drill.healthy().healthy).toBe(false);
    });
  }

  it('replays identically: the same scenario gives the same digests, ids and detection time', async () => {
    const run = async () => {
      const drill = createDrill('ecr-lifecycle-expiry', { clock: clockAt(), sink: new RecordingSink() });
      const d = await drill.runUntilDetected();
      return { at: d?.at, deliveryId: d?.alert.deliveryId, digest: d?.alert.target.imageDigest };
    };
    expect(await run()).toEqual(await run());
  });

  it('ecr-lifecycle-expiry: the image expires hours before anything fails, and Lifeboat hears of both', async () => {
    const sink = new RecordingSink();
    const drill = createDrill('ecr-lifecycle-expiry', { clock: clockAt(), sink });
    const detection = await drill.runUntilDetected();
    const [cause, impact] = drill.faults;
    expect(cause!.at).toBeLessThan(impact!.at - 5 * HOUR);
    expect(detection!.afterCauseMs).toBe(detection!.at - cause!.at);
    const expired = sink.alerts.find((a) => a.imageEvent?.action === 'expire');
    expect(expired).toMatchObject({ occurredAt: cause!.at, imageEvent: { repository: 'api', tags: ['v42'], digest: detection!.alert.target.imageDigest } });
  });

  it('arm-builds-exhaust-retention: left alone, hooks-queue holds about 7,770 messages by 08:20', async () => {
    const drill = createDrill('arm-builds-exhaust-retention', { clock: clockAt(), sink: new RecordingSink() });
    const impact = drill.faults.find((f) => f.kind === 'impact')!;
    await drill.advanceTo(impact.at + Math.round((7_770 / HOOKS_PER_MINUTE) * MINUTE));
    expect(new Date(drill.clock.now()).toISOString().slice(11, 16)).toBe('08:21');
    expect(drill.account.sqs.visible('hooks-queue')).toBeGreaterThan(7_700);
    expect(drill.account.sqs.visible('hooks-queue')).toBeLessThan(7_800);
    expect(drill.alerts.filter((a) => a.class === 'queue-backlog' && a.status === 'firing').map((a) => a.name)).toEqual(['hooks-queue-oldest-message-age', 'hooks-queue-backlog']);
  });

  it('ghcr-multiarch-children: the cleanup deletes the children, the index keeps answering, the scale-out fails', async () => {
    const drill = createDrill('ghcr-multiarch-children', { clock: clockAt(), sink: new RecordingSink() });
    const detection = await drill.runUntilDetected();
    const [run] = drill.account.ghcr.cleanupRuns;
    expect(run?.deleted).toHaveLength(8);
    expect(drill.account.ghcr.lookup('lifeboat-drill/web', '1.8.0').kind).toBe('found');
    expect(detection?.alert).toMatchObject({ class: 'image-pull-failed', pullFailure: 'image-not-found', description: expect.stringContaining('failed to copy') });
    expect(drill.account.ecs.service('prod', 'web').desiredCount).toBe(4);
  });

  it('ecs-footguns: reveals one mistake per fix, and is healthy once all four are fixed and the service redeployed', async () => {
    const sink = new RecordingSink();
    const drill = createDrill('ecs-footguns', { clock: clockAt(), sink });
    await drill.runUntilDetected();
    await drill.advance(10 * MINUTE);
    const service = () => drill.account.ecs.service('prod', 'orders-api');
    // The newest task that failed on its own (not one the scheduler stopped for the circuit breaker);
    // the container keeps the full reason (the task-level one is truncated to 255 characters).
    const lastReason = () => {
      const task = [...drill.account.ecs.tasks.values()]
        .filter((t) => t.stopCode === 'TaskFailedToStart' || t.stoppedReason?.startsWith('Task failed ELB') === true)
        .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0))[0];
      return task?.containers[0]?.reason ?? task?.stoppedReason;
    };
    expect(service().deployments[0]?.rolloutState).toBe('FAILED');
    expect(lastReason()).toMatch(/^ResourceInitializationError: unable to pull secrets or registry auth: .*secretsmanager:GetSecretValue/);
    expect(sink.alerts.map((a) => a.class)).toEqual(expect.arrayContaining(['task-fails-to-start', 'deployment-failed']));

    const redeploy = async () => {
      drill.account.ecs.updateService({ cluster: 'prod', service: 'orders-api', forceNewDeployment: true });
      await drill.advance(10 * MINUTE);
    };
    drill.account.ecs.service('prod', 'orders-api');
    const runtimeFix = (id: string) => drill.scenario.remedies!.find((r) => r.id === id)!.apply(drill.account);

    runtimeFix('secret-on-execution-role');
    await redeploy();
    expect(lastReason()).toMatch(/^ResourceInitializationError: failed to validate logger args: .*The specified log group does not exist/);

    runtimeFix('log-group');
    await redeploy();
    expect(lastReason()).toMatch(/^Task failed ELB health checks in \(target-group arn:aws:elasticloadbalancing:/);
    expect(drill.account.logs.events('/ecs/orders-api', 'SIGTERM')[0]?.message).toBe('received SIGTERM after 30.0 s, still starting up');

    runtimeFix('grace-period');
    runtimeFix('auto-scaling');
    await redeploy();
    expect(drill.healthy()).toMatchObject({ healthy: true });
    expect(drill.account.logs.events('/ecs/orders-api', 'started in')[0]?.message).toBe('listening on :8080, started in 95.0 s');
  });

  it('alert-storm: thousands of alerts about a handful of things, with duplicates', async () => {
    const sink = new RecordingSink();
    const drill = createDrill('alert-storm', { clock: clockAt(), sink });
    await drill.runUntilDetected();
    await drill.advance(6 * HOUR);
    expect(sink.alerts.length).toBeGreaterThan(2_000);
    // Six services, six repositories and four load-balancer alarms: every alert is about one of them.
    const subjects = new Set(sink.alerts.map((a) => a.target.service ?? a.target.repository ?? a.name));
    expect(subjects.size).toBeLessThanOrEqual(16);
    const deliveries = sink.alerts.map((a) => a.deliveryId);
    expect(new Set(deliveries).size).toBeLessThan(deliveries.length);
    expect(drill.status().services.filter((s) => s.running < s.desired).map((s) => s.service)).toEqual(['prod/api', 'prod/web', 'prod/checkout', 'prod/search']);
  });

  it('ecr-archived-image: the rule archives the pinned image at 02:40, the 06:00 scale-out cannot pull it, and a restore from the archive heals it without a redeploy', async () => {
    const sink = new RecordingSink();
    const drill = createDrill('ecr-archived-image', { clock: clockAt(), sink });
    const [cause, impact] = drill.faults;
    expect(new Date(cause!.at).toISOString().slice(11, 16)).toBe('02:40');
    expect(new Date(impact!.at).toISOString().slice(11, 16)).toBe('06:00');
    expect(impact!.at - cause!.at).toBeLessThan(4 * HOUR);
    const service = () => drill.account.ecs.service('prod', INVOICE_SERVICE);
    const deployment = service().deployments[0]!;
    const pinned = deployment.pinned.get('app')!;
    const image = () => drill.account.ecr.repositories.get(INVOICE_REPO)!.images.get(pinned)!;
    // Nobody has pulled it since the last month-end run, 31 days before this one.
    expect(image()).toMatchObject({ status: 'ACTIVE', lastPulledAt: impact!.at - 31 * DAY + MINUTE });
    expect(service().desiredCount).toBe(0);

    await drill.advanceTo(cause!.at - MINUTE);
    expect(image().status).toBe('ACTIVE');
    await drill.advanceTo(cause!.at);
    expect(drill.account.ecr.lifecycleRuns).toEqual([{ repository: INVOICE_REPO, at: cause!.at, expired: [], archived: [pinned], refused: [] }]);
    expect(sink.alerts.find((a) => a.imageEvent?.action === 'archive')).toMatchObject({ occurredAt: cause!.at, imageEvent: { repository: INVOICE_REPO, digest: pinned } });

    const detection = await drill.runUntilDetected();
    expect(detection?.alert).toMatchObject({ class: 'image-pull-failed', pullFailure: 'image-not-found', target: { service: INVOICE_SERVICE, imageDigest: pinned } });
    expect(detection!.afterImpactMs).toBeLessThanOrEqual(MINUTE);
    // Archived, not deleted: still listed, but a pull answers not found.
    const listed = await drill.ports.ecrReader.describeImages('000000000000', INVOICE_REPO, [{ digest: pinned }]);
    expect(listed.images).toEqual([expect.objectContaining({ digest: pinned, status: 'ARCHIVED', tags: ['v3.2.0'] })]);
    const failed = [...drill.account.ecs.tasks.values()].filter((t) => t.stopCode === 'TaskFailedToStart');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.containers[0]!.reason).toMatch(new RegExp(`^CannotPullContainerError: .*${INVOICE_REPO}@${pinned}: not found$`));

    // Left alone the service never starts: ECS retries the same archived digest.
    await drill.advance(2 * HOUR);
    expect(drill.account.ecs.runningCount('prod', INVOICE_SERVICE)).toBe(0);
    expect(service().impaired).toBe(true);
    expect(drill.healthy().healthy).toBe(false);

    expect(await drill.ports.restore.restoreFromArchive({ registryId: '000000000000', region: 'us-east-1', repository: INVOICE_REPO }, pinned)).toEqual({ status: 'ACTIVATING' });
    await drill.advance(ARCHIVE_RESTORE_MS - MINUTE);
    expect(drill.account.ecs.runningCount('prod', INVOICE_SERVICE)).toBe(0);
    // ACTIVE after 20 minutes; the scheduler's next attempt (back-off at most 15 minutes) starts the tasks.
    await drill.advance(MINUTE + 16 * MINUTE);
    expect(drill.healthy()).toMatchObject({ healthy: true });
    expect(drill.account.ecs.runningCount('prod', INVOICE_SERVICE)).toBe(INVOICE_RUN_TASKS);
    expect(service().deployments.map((d) => d.id)).toEqual([deployment.id]);
    expect(sink.alerts.some((a) => a.imageEvent?.action === 'restore' && a.imageEvent.digest === pinned)).toBe(true);
  });

  it('ecr-replica-survives: the 14-day rule expires the pinned index in us-east-1, the us-west-2 replica keeps it, and copying it back heals the service', async () => {
    const drill = createDrill('ecr-replica-survives', { clock: clockAt(), sink: new RecordingSink() });
    const replica = drill.account.ecrIn(REPLICA_REGION)!;
    const service = () => drill.account.ecs.service('prod', PAYMENTS_REPO);
    const deployment = service().deployments[0]!;
    const pinned = deployment.pinned.get('app')!;
    const children = drill.account.ecr.repositories.get(PAYMENTS_REPO)!.images.get(pinned)!.childDigests!;
    expect(children).toHaveLength(4);
    // Replicated when it was pushed; the replica Region has no lifecycle policy.
    expect(replica.repositories.get(PAYMENTS_REPO)?.policy).toBeUndefined();
    expect(replica.repositories.get(PAYMENTS_REPO)?.images.size).toBe(5);

    const detection = await drill.runUntilDetected();
    const [cause, impact] = drill.faults;
    expect(drill.account.ecr.lifecycleRuns.map((r) => ({ at: r.at, expired: [...r.expired].sort() }))).toEqual([{ at: cause!.at, expired: [pinned, ...children].sort() }]);
    expect(detection?.alert).toMatchObject({ class: 'image-pull-failed', target: { service: PAYMENTS_REPO, imageDigest: pinned } });
    expect(detection!.at - impact!.at).toBeLessThanOrEqual(MINUTE);
    for (const digest of [pinned, ...children]) {
      expect(drill.account.ecr.lookup(PAYMENTS_REPO, digest)).toEqual({ kind: 'not-found' });
      expect(replica.lookup(PAYMENTS_REPO, digest).kind).toBe('found');
    }
    expect(replica.lifecycleRuns).toEqual([]);
    // Lifeboat can see the copy: the registry says where it replicates, the replica's reader has the digest.
    expect(await drill.ports.restore.replicationDestinations('000000000000', 'us-east-1')).toEqual([{ region: REPLICA_REGION, registryId: '000000000000', repositoryPrefixes: ['payments'] }]);
    const there = await drill.ports.ecrReaderIn(REPLICA_REGION).describeImages('000000000000', PAYMENTS_REPO, [{ digest: pinned }]);
    expect(there.images).toEqual([expect.objectContaining({ digest: pinned, status: 'ACTIVE', tags: ['v3.14.0'] })]);

    await drill.advance(30 * MINUTE);
    expect(drill.account.ecs.runningCount('prod', PAYMENTS_REPO)).toBe(2);
    expect(drill.healthy().healthy).toBe(false);

    const from = { registryId: '000000000000', region: REPLICA_REGION, repository: PAYMENTS_REPO };
    const to = { ...from, region: 'us-east-1' };
    await expect(drill.ports.restore.copyImage(from, to, pinned, { tag: 'v3.14.0' })).rejects.toMatchObject({ userMessage: expect.stringContaining('ReferencedImagesNotFoundException') });
    for (const child of children) await drill.ports.restore.copyImage(from, to, child);
    expect(await drill.ports.restore.copyImage(from, to, pinned, { tag: 'v3.14.0' })).toMatchObject({ manifestPut: true });
    expect(drill.account.ecr.resolveTag(PAYMENTS_REPO, 'v3.14.0')).toBe(pinned);

    await drill.advance(16 * MINUTE);
    expect(drill.healthy()).toMatchObject({ healthy: true });
    // Healed on the same deployment and the same digest: no rebuild, no redeploy.
    expect(service().deployments.map((d) => [d.id, d.pinned.get('app')])).toEqual([[deployment.id, pinned]]);
    expect(drill.account.codebuild.builds.size).toBe(0);
  });
});
