/**
 * End to end: `ecs-footguns` on real Redis. A team's first ECS service never starts: the secret's
 * permission on the task role, no log group, a 0 s grace period for a 95 s start-up, no auto
 * scaling. ECS reports the secrets failure as a ResourceInitializationError, which intake files as
 * a pull failure; the task-fails-to-start runbook applies to it. The fixes are made outside
 * Lifeboat (`drill fix …`, as in the team's infrastructure code), then the runbook's redeploy —
 * through a Lifeboat restart — brings orders-api to 2/2.
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

const lab = lifeboatLab('footguns');

const FIXES = ['secret-on-execution-role', 'log-group', 'grace-period', 'auto-scaling'];

describe("e2e: ecs-footguns (a team's first ECS service)", () => {
  it('detects the incident; task-fails-to-start audits, waits for the fixes, and its redeploy survives a restart; orders-api reaches 2/2', async () => {
    const { runtime, launch, updateService } = await lab.setUp();
    const first = await launch();

    const { detection } = await runtime.start('ecs-footguns');
    console.log(describeDetection('ecs-footguns', runtime.status().detection));
    expect(detection?.alert).toMatchObject({ target: { cluster: 'prod', service: 'orders-api' } });
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(5 * 60_000);

    const open = await first.say('incidents');
    const [incident] = incidentIds(open);
    if (!incident) throw new Error('no incident');
    expect(messageText(open)).toContain('prod/orders-api: image pull failed (other cause)');
    const runId = runIdOf(await first.say(`runbook start task-fails-to-start for ${incident}`));

    const hold = runtime.holdJobs(() => updateService.mock.calls.length > 0);
    const mid = await walk(first, runId, {
      stopWhen: hold.isHeld,
      before: async (step) => {
        if (step !== 'fix') return;
        // "Apply the fixes, then press Done": the team fixes its infrastructure code.
        for (const fix of FIXES) await runJob(first, `drill fix ${fix}`);
      },
    });
    await hold.held;
    expect(stepLines(mid)).toEqual([
      // The audit over the drill account finds the four first-ECS-service misconfigurations.
      '✓ 1. Audit the task definition and the service · diagnose prod/orders-api — done: prod/orders-api: 4 misconfigurations found.',
      '✓ 2. Health-check grace period against start-up time · note — done: noted in the thread',
      '✓ 3. Log driver and log group · note — done: noted in the thread',
      '✓ 4. Task role versus execution role · note — done: noted in the thread',
      '✓ 5. Desired count and auto scaling · note — done: noted in the thread',
      expect.stringMatching(/^✓ 6\. Image availability · check images prod\/orders-api — done: Image check: every image of 1 service \(1 image\) is available/),
      '✓ 7. Apply the fixes · note — done: marked done by newcomer',
      expect.stringMatching(/^▶ 8\. Redeploy with the fixes · redeploy prod\/orders-api — running \(job /),
    ]);
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => / completed: /.test((await second.say(`runbook status ${runId}`)).summary), 'the redeploy to finish after the restart', 20_000);
    const done = await walk(second, runId);
    expect(done.summary).toBe('Runbook Tasks fail to start completed: 8 done, 0 skipped.');
    expect(stepLines(done).at(-1)).toBe('✓ 8. Redeploy with the fixes · redeploy prod/orders-api — done: Redeployed prod/orders-api: steady state with 2/2 tasks');

    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health?.healthy).toBe(true);
    expect(updateService).toHaveBeenCalledTimes(1);

    const ofRun = (await timelineOf(second, incident)).map((e) => e.text).filter((t) => t.includes(runId));
    expect(ofRun[0]).toMatch(/: started$/);
    expect(ofRun.at(-1)).toMatch(/: completed$/);
    for (let n = 1; n <= 8; n++) expect(ofRun.some((t) => t.includes(`: step ${n} "`)), `step ${n}`).toBe(true);
    expect(ofRun).toContain(`runbook task-fails-to-start (${runId}): step 7 "Apply the fixes" done`);
    expect(ofRun.filter((t) => /step 8 "Redeploy with the fixes" started:/.test(t))).toHaveLength(1);
  });
});
