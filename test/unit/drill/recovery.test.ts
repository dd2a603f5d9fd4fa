/**
 * The real recovery jobs (`createRecoveryJobs`) and the real `check-images` job, run over the drill
 * ports with simulated time: the drill account must answer exactly what the AWS adapters would, or
 * these recoveries would not work.
 */
import { describe, expect, it } from 'vitest';
import { createDrill } from '../../../src/adapters/drill/drill.js';
import { STORM_SERVICES } from '../../../src/adapters/drill/scenarios/alert-storm.js';
import { messageText } from '../../support/fakes.js';
import { jobContext, recoveryOver } from './recovery-support.js';
import { RecordingSink, clockAt } from './support.js';

const MINUTE = 60_000;

function started(id: string) {
  const sink = new RecordingSink();
  const drill = createDrill(id, { clock: clockAt(), sink });
  return { drill, sink, jobs: recoveryOver(drill) };
}

describe('recovering a drill with the recovery commands', () => {
  it('ecr-lifecycle-expiry: check images → rebuild api:v42 --ref v42 → redeploy prod/api → healthy', async () => {
    const { drill, sink, jobs } = started('ecr-lifecycle-expiry');
    await drill.runUntilDetected();
    const pinnedBefore = drill.account.ecs.service('prod', 'api').deployments[0]!.pinned.get('app');

    expect(messageText(await jobs.checkImages({ target: 'prod/api' }, jobContext()))).toContain('Next: rebuild api:v42');
    await expect(jobs.rebuild({ target: 'api:v42' }, jobContext('rb0'))).rejects.toMatchObject({ code: 'JOB_FAILED', userMessage: expect.stringContaining('--ref') });

    const rebuilt = await jobs.rebuild({ target: 'api:v42', ref: 'v42' }, jobContext('rb1'));
    const newDigest = drill.account.ecr.resolveTag('api', 'v42')!;
    expect(rebuilt.summary).toBe(`Rebuilt api:v42: now ${newDigest.slice(0, 19)}…; redeploy pinned services`);
    expect(newDigest).not.toBe(pinnedBefore);
    // Re-pushing the tag does not heal the pinned service (DOMAIN fact 1).
    await drill.advance(5 * MINUTE);
    expect(drill.healthy().healthy).toBe(false);

    const redeployed = await jobs.redeploy({ service: 'prod/api' }, jobContext('rd'));
    expect(redeployed.summary).toBe('Redeployed prod/api: steady state with 3/3 tasks');
    expect(drill.account.ecs.service('prod', 'api').deployments[0]!.pinned.get('app')).toBe(newDigest);
    expect(drill.healthy()).toMatchObject({ healthy: true });
    expect(sink.alerts.some((a) => a.name === 'SERVICE_STEADY_STATE' && a.target.service === 'api')).toBe(true);
  });

  it('arm-builds-exhaust-retention: scaling refuses while the image is gone; rebuild, redeploy, then scale for the backlog and back', async () => {
    const { drill, jobs } = started('arm-builds-exhaust-retention');
    await drill.runUntilDetected();
    await drill.advance(3 * 60 * MINUTE);
    await expect(jobs.scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, jobContext('sc0'))).rejects.toMatchObject({ code: 'JOB_FAILED' });

    await jobs.rebuild({ target: 'team/hooks-worker:main', ref: 'main' }, jobContext('rb'));
    await jobs.redeploy({ service: 'prod/hooks-worker' }, jobContext('rd'));
    const backlog = drill.account.sqs.visible('hooks-queue');
    expect(backlog).toBeGreaterThan(3_000);

    const scaled = await jobs.scale({ service: 'prod/hooks-worker', queue: 'hooks-queue' }, jobContext('sc'));
    expect(scaled.summary).toBe('hooks-queue drained; prod/hooks-worker back to 1 task');
    expect(drill.account.autoscaling.activities.map((x) => `${x.from}→${x.to}`)).toContain('1→3');
    await drill.advance(MINUTE);
    expect(drill.healthy()).toMatchObject({ healthy: true });
  });

  it('ghcr-multiarch-children: re-run the release outside Lifeboat, then redeploy', async () => {
    const { drill, jobs } = started('ghcr-multiarch-children');
    await drill.runUntilDetected();
    drill.scenario.remedies!.find((r) => r.id === 'rerun-release')!.apply(drill.account);
    await drill.advance(15 * MINUTE);
    expect(messageText(await jobs.checkImages({ target: 'prod/web' }, jobContext()))).toContain('missing');
    await jobs.redeploy({ service: 'prod/web' }, jobContext('rd'));
    expect(drill.healthy()).toMatchObject({ healthy: true });
  });

  it('ecs-footguns: after the four fixes, redeploy brings orders-api to 2 of 2', async () => {
    const { drill, jobs } = started('ecs-footguns');
    await drill.runUntilDetected();
    for (const remedy of drill.scenario.remedies ?? []) remedy.apply(drill.account);
    const redeployed = await jobs.redeploy({ service: 'prod/orders-api' }, jobContext('rd'));
    expect(redeployed.summary).toBe('Redeployed prod/orders-api: steady state with 2/2 tasks');
    expect(drill.healthy()).toMatchObject({ healthy: true });
  });

  it('alert-storm: every broken service comes back after rebuild and redeploy', async () => {
    const { drill, jobs } = started('alert-storm');
    await drill.runUntilDetected();
    await drill.advance(30 * MINUTE);
    for (const s of STORM_SERVICES.filter((x) => x.loses)) {
      await jobs.rebuild({ target: `${s.name}:v1`, ref: 'v1' }, jobContext(`rb-${s.name}`));
      await jobs.redeploy({ service: `prod/${s.name}` }, jobContext(`rd-${s.name}`));
    }
    await drill.advance(5 * MINUTE);
    expect(drill.healthy().checks.filter((c) => !c.ok)).toEqual([]);
  });
});
