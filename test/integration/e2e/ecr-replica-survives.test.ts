/**
 * End to end: `ecr-replica-survives` on real Redis. The 14-day rule expires the multi-arch image
 * prod/payments-api pins in us-east-1; the us-west-2 replica keeps it. `check images` finds the
 * copy, so the image-unavailable runbook restores the exact digest (children first, then the
 * index, its tag back) instead of rebuilding. Lifeboat is restarted while the redeploy watches
 * its rollout; nothing is done twice.
 */
import { describe, expect, it } from 'vitest';
import { describeDetection, incidentIds, lifeboatLab, messageText, runIdOf, stepLines, timelineOf, until, walk } from './harness.js';

const lab = lifeboatLab('replica');
const SERVICE_KEY = 'prod/payments-api';

describe('e2e: ecr-replica-survives (the replica Region kept what the lifecycle rule expired)', () => {
  it('restores the exact digest from the replica instead of rebuilding, across a restart, and the service runs the same image again', async () => {
    const { runtime, launch, startBuild, updateService, copyImage } = await lab.setUp();
    const first = await launch();

    const { detection } = await runtime.start('ecr-replica-survives');
    console.log(describeDetection('ecr-replica-survives', runtime.status().detection));
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(60_000);

    const open = await first.say('incidents');
    const [incident] = incidentIds(open);
    if (!incident) throw new Error(`no incident: ${messageText(open)}`);
    expect(messageText(open)).toContain('prod/payments-api');

    const drill = runtime.current();
    const pinnedOf = () => [...(drill?.account.ecs.services.get(SERVICE_KEY)?.deployments.find((d) => d.status === 'PRIMARY')?.pinned.values() ?? [])][0];
    const pinned = pinnedOf();
    expect(pinned).toMatch(/^sha256:/);

    const started = await first.say(`runbook start image-unavailable for ${incident}`);
    const runId = runIdOf(started);

    // Run until the redeploy watches its rollout, then stop Lifeboat.
    const hold = runtime.holdJobs(() => updateService.mock.calls.length > 0);
    const before = await walk(first, runId, { stopWhen: hold.isHeld });
    await hold.held;
    expect(stepLines(before)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✓ 3\. Restore the exact digest · restore payments-api@sha256:[a-f0-9]{64} — done: Restored payments-api@sha256:[a-f0-9]{12}… from the us-west-2 replica: it can be pulled again/),
        expect.stringMatching(/^↷ 4\. Rebuild and push · rebuild ‹check\.rebuild› — skipped: not needed/),
      ]),
    );
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${runId}`)).some((l) => l.startsWith('✓ 5. Redeploy the service')), 'the redeploy to finish after the restart', 20_000);
    const done = await walk(second, runId);
    expect(done.summary).toMatch(/^Runbook Image unavailable completed: /);
    expect(stepLines(done)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✓ 1\. Check images · check images prod\/payments-api — done: .*1 missing/),
        '✓ 5. Redeploy the service · redeploy prod/payments-api — done: Redeployed prod/payments-api: steady state with 3/3 tasks',
        expect.stringMatching(/^✓ 6\. Confirm every image is pullable, children included · check images prod\/payments-api — done: /),
      ]),
    );

    // No rebuild; every manifest copied once (4 children, then the index), exact digest back.
    expect(startBuild).not.toHaveBeenCalled();
    const fromReplica = copyImage.mock.calls.filter((c) => c[0].region === 'us-west-2').map((c) => c[2]);
    expect(fromReplica).toHaveLength(5);
    expect(new Set(fromReplica).size).toBe(5);
    expect(fromReplica.at(-1)).toBe(pinned);
    expect(updateService).toHaveBeenCalledTimes(1);

    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    // The service runs the very digest it pinned before the expiry.
    expect(pinnedOf()).toBe(pinned);

    const all = (await timelineOf(second, incident)).map((e) => e.text);
    // The restore job itself is on the incident's timeline, with its outcome.
    expect(all.some((t) => /^restore payments-api@sha256:[a-f0-9]{64} \(job .*\): Restored payments-api@sha256:[a-f0-9]{12}… from the us-west-2 replica/.test(t))).toBe(true);
    const timeline = all.filter((t) => t.includes(runId));
    expect(timeline.filter((t) => /step 3 "Restore the exact digest" started: restore payments-api@sha256:/.test(t))).toHaveLength(1);
    expect(timeline.at(-1)).toMatch(/: completed$/);
  });
});
