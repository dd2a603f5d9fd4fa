/**
 * End to end: `ecr-lifecycle-expiry` on real Redis. The drill account expires api:v42, Fargate
 * retires a task, Lifeboat opens the incident; the newcomer starts the image-unavailable runbook
 * for it and presses its buttons. Lifeboat is restarted while the rebuild watches its CodeBuild
 * build; the new process picks the run up where it was, and nothing is done twice.
 */
import { describe, expect, it } from 'vitest';
import {
  describeDetection,
  incidentIds,
  lifeboatLab,
  messageText,
  runIdOf,
  stepLines,
  timelineOf,
  until,
  walk,
} from './harness.js';

const lab = lifeboatLab('ecr');

describe('e2e: ecr-lifecycle-expiry (the 7-day rule during a release pause)', () => {
  it('detects the incident; image-unavailable rebuilds and redeploys across a restart mid-rebuild; the timeline holds every step', async () => {
    const { runtime, launch, startBuild, updateService } = await lab.setUp();
    const first = await launch();

    // As `lifeboat drill ecr-lifecycle-expiry` does: run the account until Lifeboat is alerted.
    const { detection } = await runtime.start('ecr-lifecycle-expiry');
    console.log(describeDetection('ecr-lifecycle-expiry', runtime.status().detection));
    expect(detection).toMatchObject({ afterImpactMs: 45_000, afterCauseMs: (5 * 60 + 57) * 60_000 + 45_000 });

    const open = await first.say('incidents');
    const [incident] = incidentIds(open);
    if (!incident) throw new Error(`no incident: ${messageText(open)}`);
    expect(messageText(open)).toContain('prod/api: image pull failed (image not found)');

    // The image is gone and its revision label with it: the release's git tag is the ref.
    const started = await first.say(`runbook start image-unavailable for ${incident} with ref=v42`);
    const runId = runIdOf(started);

    // Run the rebuild (Run, Confirm); stop Lifeboat while its job watches the build.
    const hold = runtime.holdJobs(() => startBuild.mock.calls.length > 0);
    const before = await walk(first, runId, { stopWhen: hold.isHeld });
    await hold.held;
    expect(stepLines(before)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^▶ 4\. Rebuild and push · rebuild api:v42 --ref v42 — running \(job /)]),
    );
    await first.stop();
    hold.release();

    // A new process on the same Redis and the same account: it resumes the run by itself.
    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${runId}`)).some((l) => l.startsWith('✓ 4. Rebuild and push')), 'the rebuild to finish after the restart', 20_000);
    const done = await walk(second, runId);

    expect(done.summary).toBe('Runbook Image unavailable completed: 6 done, 3 skipped.');
    expect(stepLines(done)).toEqual([
      expect.stringMatching(/^✓ 1\. Check images · check images prod\/api — done: .*1 missing/),
      '✓ 2. Find the cause · note — done: noted in the thread',
      '↷ 3. Restore the exact digest · restore ‹check.restore› — skipped: not needed: step check reported no restore',
      expect.stringMatching(/^✓ 4\. Rebuild and push · rebuild api:v42 --ref v42 — done: Rebuilt api:v42: now sha256:/),
      '✓ 5. Redeploy the service · redeploy prod/api — done: Redeployed prod/api: steady state with 3/3 tasks',
      // Pullable again — and at risk again: the 7-day rule will take the new image too (step 9 says so).
      '✓ 6. Confirm every image is pullable, children included · check images prod/api — done: Image check of 1 service (1 image): 1 at risk.',
      '↷ 7. Scale workers for the backlog · scale prod/api for ‹queue› — skipped: not needed: no queue was given',
      '↷ 8. Scale back · scale prod/api back — skipped: not needed: step backlog reported no scaledUp',
      '✓ 9. Prevent it next time · note — done: noted in the thread',
    ]);

    // The account is healthy, and the restart repeated nothing: one build, one deployment.
    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health?.healthy).toBe(true);
    expect(startBuild).toHaveBeenCalledTimes(1);
    expect(updateService).toHaveBeenCalledTimes(1);
    expect([...(runtime.current()?.account.codebuild.builds.values() ?? [])].map((b) => `${b.projectName} ${b.buildStatus}`)).toEqual(['api-image SUCCEEDED']);

    // Every step is on the incident's timeline, each job started once.
    const timeline = (await timelineOf(second, incident)).map((e) => e.text);
    const ofRun = timeline.filter((t) => t.includes(runId));
    expect(ofRun[0]).toMatch(/: started$/);
    expect(ofRun.at(-1)).toMatch(/: completed$/);
    for (const [n, title] of ['Check images', 'Find the cause', 'Restore the exact digest', 'Rebuild and push', 'Redeploy the service', 'Confirm every image is pullable, children included', 'Scale workers for the backlog', 'Scale back', 'Prevent it next time'].entries()) {
      expect(ofRun.some((t) => t.includes(`step ${n + 1} "${title}" `)), `step ${n + 1} on the timeline`).toBe(true);
    }
    expect(ofRun.filter((t) => /step 4 "Rebuild and push" started: rebuild api:v42 --ref v42 \(job /.test(t))).toHaveLength(1);
    expect(ofRun.filter((t) => /step 5 "Redeploy the service" started:/.test(t))).toHaveLength(1);
    expect(ofRun.some((t) => /step 4 "Rebuild and push" waiting for newcomer to confirm/.test(t))).toBe(true);
    // The prevention note names the rule that will take the new image too, and the fix.
    expect(second.out.text).toContain('The rule as it stands for the image running now (an expired image is gone from the rules\' view, its replacement is not): api: rule 1 takes the only image prod/api can run');
    // `incident <id>` shows the newest of it to a person.
    expect(messageText(await second.say(`incident ${incident}`))).toContain(`runbook image-unavailable (${runId}): completed`);
  });
});
