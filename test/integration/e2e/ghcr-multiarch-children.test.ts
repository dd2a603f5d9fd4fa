/**
 * End to end: `ghcr-multiarch-children` on real Redis. A GHCR cleanup deletes the platform
 * children of the index prod/web runs; the morning scale-out cannot start tasks. The
 * image-unavailable runbook finds the missing child and offers no rebuild (GHCR images are rebuilt
 * by their own release pipeline): the person re-runs the release with `drill fix rerun-release`,
 * as they would outside Lifeboat, then runs the redeploy — through a Lifeboat restart — and
 * pauses the cleanup.
 */
import { describe, expect, it } from 'vitest';
import {
  describeDetection,
  incidentIds,
  lifeboatLab,
  messageText,
  runIdOf,
  runJob,
  stepLines,
  timelineOf,
  until,
  walk,
} from './harness.js';

const lab = lifeboatLab('ghcr');

describe('e2e: ghcr-multiarch-children (index kept, children deleted)', () => {
  it('detects the incident; the release is re-run outside Lifeboat, the redeploy survives a restart, web is back at 4/4', async () => {
    const { runtime, launch, startBuild, updateService } = await lab.setUp();
    const first = await launch();

    const { detection } = await runtime.start('ghcr-multiarch-children');
    console.log(describeDetection('ghcr-multiarch-children', runtime.status().detection));
    expect(detection?.alert).toMatchObject({ class: 'image-pull-failed', target: { cluster: 'prod', service: 'web' } });
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(5 * 60_000);

    const [incident] = incidentIds(await first.say('incidents'));
    if (!incident) throw new Error('no incident');
    const runId = runIdOf(await first.say(`runbook start image-unavailable for ${incident}`));

    const builds = () => [...(runtime.current()?.account.codebuild.builds.values() ?? [])].filter((b) => b.projectName === 'web-image');
    const hold = runtime.holdJobs(() => updateService.mock.calls.length > 0);
    const mid = await walk(first, runId, {
      stopWhen: hold.isHeld,
      before: async (step) => {
        if (step !== 'redeploy') return;
        // Before redeploying: bring 1.8.0 and its children back the way this team does — its release workflow.
        await runJob(first, 'drill fix rerun-release');
        await runJob(first, 'drill advance 10m');
        expect(builds().map((b) => b.buildStatus)).toEqual(['SUCCEEDED']);
      },
    });
    await hold.held;
    expect(stepLines(mid)).toEqual([
      expect.stringMatching(/^✓ 1\. Check images · check images prod\/web — done: .*1 missing/),
      '✓ 2. Find the cause · note — done: noted in the thread',
      '↷ 3. Restore the exact digest · restore ‹check.restore› — skipped: not needed: step check reported no restore',
      '↷ 4. Rebuild and push · rebuild ‹check.rebuild› — skipped: not needed: step check reported no rebuild',
      expect.stringMatching(/^▶ 5\. Redeploy the service · redeploy prod\/web — running \(job /),
      '○ 6. Confirm every image is pullable, children included · check images prod/web',
      '○ 7. Scale workers for the backlog · scale prod/web for ‹queue›',
      '○ 8. Scale back · scale prod/web back',
      '○ 9. Prevent it next time · note',
    ]);
    // The cause note told the person why there is no rebuild and what to do instead.
    expect(first.out.text).toContain('An image in another registry (GHCR, Docker Hub …) is rebuilt by its own release pipeline');
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${runId}`)).some((l) => l.startsWith('✓ 5. Redeploy')), 'the redeploy to finish after the restart', 20_000);
    const done = await walk(second, runId);
    expect(done.summary).toBe('Runbook Image unavailable completed: 5 done, 4 skipped.');
    expect(stepLines(done).slice(4, 6)).toEqual([
      '✓ 5. Redeploy the service · redeploy prod/web — done: Redeployed prod/web: steady state with 4/4 tasks',
      expect.stringMatching(/^✓ 6\. Confirm every image is pullable, children included · check images prod\/web — done: /),
    ]);

    // Prevention, outside Lifeboat: stop the cleanup from deleting children an index still uses.
    await runJob(second, 'drill fix pause-cleanup');
    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health?.healthy).toBe(true);
    // One release build (GitHub Actions, not Lifeboat), one redeploy across the restart.
    expect(builds()).toHaveLength(1);
    expect(startBuild).not.toHaveBeenCalled();
    expect(updateService).toHaveBeenCalledTimes(1);

    const ofRun = (await timelineOf(second, incident)).map((e) => e.text).filter((t) => t.includes(runId));
    expect(ofRun[0]).toMatch(/: started$/);
    expect(ofRun.at(-1)).toMatch(/: completed$/);
    for (let n = 1; n <= 9; n++) expect(ofRun.some((t) => t.includes(`: step ${n} "`)), `step ${n}`).toBe(true);
    expect(ofRun.filter((t) => /step 5 "Redeploy the service" started:/.test(t))).toHaveLength(1);
    expect(messageText(await second.say(`incident ${incident}`))).toContain(`runbook image-unavailable (${runId}): completed`);
  });
});
