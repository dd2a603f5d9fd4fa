/**
 * End to end: `ecr-archived-image` on real Redis. A pull-time rule archives the image of a service
 * that runs once a month; the month-end scale-out fails. The image-unavailable runbook restores
 * the digest from the archive storage class. Lifeboat is restarted while ECR is still restoring
 * (ACTIVATING): the new process goes on waiting and never asks ECR to restore it twice.
 */
import { describe, expect, it } from 'vitest';
import { describeDetection, incidentIds, lifeboatLab, messageText, runIdOf, stepLines, timelineOf, until, walk } from './harness.js';

const lab = lifeboatLab('archived');

describe('e2e: ecr-archived-image (a pull-time rule archived a monthly job’s image)', () => {
  it('restores the archived digest across a restart while ECR is activating it, without a rebuild, and asks ECR once', async () => {
    const { runtime, launch, startBuild, restoreFromArchive, copyImage } = await lab.setUp();
    const first = await launch();

    const { detection } = await runtime.start('ecr-archived-image');
    console.log(describeDetection('ecr-archived-image', runtime.status().detection));
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(60_000);

    const open = await first.say('incidents');
    const [incident] = incidentIds(open);
    if (!incident) throw new Error(`no incident: ${messageText(open)}`);
    expect(messageText(open)).toContain('prod/invoice-export');

    const pinnedOf = () => [...(runtime.current()?.account.ecs.services.get('prod/invoice-export')?.deployments.find((d) => d.status === 'PRIMARY')?.pinned.values() ?? [])][0];
    const pinned = pinnedOf();
    expect(pinned).toMatch(/^sha256:/);

    const started = await first.say(`runbook start image-unavailable for ${incident}`);
    const runId = runIdOf(started);

    // Run the restore; stop Lifeboat while it waits for ECR (the image is ACTIVATING).
    const hold = runtime.holdJobs(() => restoreFromArchive.mock.calls.length > 0);
    const before = await walk(first, runId, { stopWhen: hold.isHeld });
    await hold.held;
    expect(stepLines(before)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^▶ 3\. Restore the exact digest · restore billing\/invoice-export@sha256:[a-f0-9]{64} — running \(job /)]),
    );
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${runId}`)).some((l) => l.startsWith('✓ 3. Restore the exact digest')), 'the restore to finish after the restart', 20_000);
    const done = await walk(second, runId);
    expect(done.summary).toMatch(/^Runbook Image unavailable completed: /);
    expect(stepLines(done)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✓ 1\. Check images · check images prod\/invoice-export — done: .*1 missing/),
        expect.stringMatching(/^✓ 3\. Restore the exact digest · restore billing\/invoice-export@sha256:[a-f0-9]{64} — done: Restored billing\/invoice-export@sha256:[a-f0-9]{12}… from the archive: it can be pulled again/),
        expect.stringMatching(/^↷ 4\. Rebuild and push · rebuild ‹check\.rebuild› — skipped: not needed/),
        expect.stringMatching(/^✓ 5\. Redeploy the service · redeploy prod\/invoice-export — done: Redeployed prod\/invoice-export: steady state with 2\/2 tasks/),
        expect.stringMatching(/^✓ 6\. Confirm every image is pullable, children included · check images prod\/invoice-export — done: /),
      ]),
    );

    // ECR was asked once, although the job ran in two processes; nothing was rebuilt or copied.
    expect(restoreFromArchive).toHaveBeenCalledTimes(1);
    expect(startBuild).not.toHaveBeenCalled();
    expect(copyImage).not.toHaveBeenCalled();
    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health?.healthy).toBe(true);
    // The very digest it pinned before the archive rule: restored, not replaced.
    expect(pinnedOf()).toBe(pinned);

    const timeline = (await timelineOf(second, incident)).map((e) => e.text).filter((t) => t.includes(runId));
    expect(timeline.filter((t) => /step 3 "Restore the exact digest" started: restore billing\/invoice-export@sha256:/.test(t))).toHaveLength(1);
    expect(timeline.at(-1)).toMatch(/: completed$/);
    // The prevention note names the archive rule that did it.
    expect(second.out.text + first.out.text).toMatch(/rule 1/);
  });
});
