/**
 * End to end: `arm-builds-exhaust-retention` on real Redis. A day of multi-arch ARM builds pushes
 * the hooks worker's digest out of a keep-30 rule; the worker cannot start and hooks-queue backs
 * up. Two incidents, two runbooks: image-unavailable brings the worker back (rebuild at `main`,
 * redeploy), then queue-backlog scales it for the backlog, watches the drain and scales it back —
 * with Lifeboat restarted while the drain is being watched.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../../src/core/message.js';
import {
  describeDetection,
  lifeboatLab,
  type LifeboatProcess,
  messageText,
  runIdOf,
  runJob,
  stepLines,
  timelineOf,
  until,
  walk,
} from './harness.js';

const lab = lifeboatLab('arm');

/** The open incidents' list lines, by id. */
async function openIncidents(lb: LifeboatProcess): Promise<Map<string, string>> {
  const list = await lb.say('incidents');
  const items = list.blocks.flatMap((b) => (b.type === 'list' ? b.items : []));
  return new Map(items.flatMap((line) => {
    const id = /^inc-[a-z0-9]{6}/.exec(line)?.[0];
    return id ? [[id, line] as const] : [];
  }));
}

function codeOf(message: Message): string | undefined {
  return message.blocks.flatMap((b) => (b.type === 'code' ? [b.text] : []))[0];
}

describe('e2e: arm-builds-exhaust-retention (a keep-30 count rule and the hooks worker)', () => {
  it('detects the pull failure and the backlog; image-unavailable restores the worker, queue-backlog drains the queue across a restart and scales back', async () => {
    const { runtime, launch, startBuild, updateService } = await lab.setUp();
    const registerTarget = vi.spyOn(runtime.ports.scaling, 'registerScalableTarget');
    const first = await launch();

    const { detection } = await runtime.start('arm-builds-exhaust-retention');
    console.log(describeDetection('arm-builds-exhaust-retention', runtime.status().detection));
    expect(detection?.alert).toMatchObject({ class: 'image-pull-failed', target: { cluster: 'prod', service: 'hooks-worker' } });
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(5 * 60_000);

    // Nobody acts for an hour: the queue backs up and its alarm opens a second incident.
    await runJob(first, 'drill advance 1h');
    const open = await openIncidents(first);
    const pull = [...open].find(([, line]) => line.includes(' prod/hooks-worker: '))?.[0];
    const backlog = [...open].find(([, line]) => /hooks-queue/.test(line))?.[0];
    if (!pull || !backlog) throw new Error(`expected a pull and a backlog incident:\n${[...open.values()].join('\n')}`);
    const queued = runtime.current()?.account.sqs.visible('hooks-queue') ?? 0;
    expect(queued).toBeGreaterThan(900);

    // 1. The worker's image: rebuild `main` (the tag's branch), redeploy.
    const image = runIdOf(await first.say(`runbook start image-unavailable for ${pull} with ref=main`));
    const restored = await walk(first, image);
    expect(stepLines(restored)).toEqual([
      expect.stringMatching(/^✓ 1\. Check images · check images prod\/hooks-worker — done: .*1 missing/),
      '✓ 2. Find the cause · note — done: noted in the thread',
      '↷ 3. Restore the exact digest · restore ‹check.restore› — skipped: not needed: step check reported no restore',
      expect.stringMatching(/^✓ 4\. Rebuild and push · rebuild team\/hooks-worker:main --ref main — done: Rebuilt team\/hooks-worker:main/),
      '✓ 5. Redeploy the service · redeploy prod/hooks-worker — done: Redeployed prod/hooks-worker: steady state with 1/1 tasks',
      expect.stringMatching(/^✓ 6\. Confirm every image is pullable, children included · check images prod\/hooks-worker — done: /),
      '↷ 7. Scale workers for the backlog · scale prod/hooks-worker for ‹queue› — skipped: not needed: no queue was given',
      '↷ 8. Scale back · scale prod/hooks-worker back — skipped: not needed: step backlog reported no scaledUp',
      '✓ 9. Prevent it next time · note — done: noted in the thread',
    ]);
    expect(restored.summary).toBe('Runbook Image unavailable completed: 6 done, 3 skipped.');

    // 2. The backlog: the alarm's incident names the queue, not the worker — Lifeboat says what it needs.
    const asked = await first.say(`runbook start queue-backlog for ${backlog}`);
    const suggested = codeOf(asked);
    expect(asked.summary).toBe('Runbook queue-backlog needs more inputs.');
    expect(suggested).toBe(`runbook start queue-backlog for ${backlog} with cluster=prod service=hooks-worker`);
    const drain = runIdOf(await first.say(suggested ?? ''));

    // Run the scale step; stop Lifeboat while it watches the drain (the workers are scaled out).
    const scaledOut = () => updateService.mock.calls.some(([input]) => (input.desiredCount ?? 0) > 1);
    const hold = runtime.holdJobs(scaledOut);
    const mid = await walk(first, drain, { stopWhen: hold.isHeld });
    await hold.held;
    expect(stepLines(mid)[1]).toMatch(/^▶ 2\. Scale workers for the backlog and watch it drain · scale prod\/hooks-worker for hooks-queue — running \(job /);
    const service = runtime.current()?.account.ecs.services.get('prod/hooks-worker');
    const scaledTo = service?.desiredCount ?? 0;
    expect(scaledTo).toBeGreaterThan(1);
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${drain}`)).some((l) => l.startsWith('✓ 2. Scale workers')), 'the drain to finish after the restart', 20_000);
    const drained = await walk(second, drain);
    expect(stepLines(drained)).toEqual([
      expect.stringMatching(/^✓ 1\. Check the workers' image · check images prod\/hooks-worker — done: /),
      expect.stringMatching(/^✓ 2\. Scale workers for the backlog and watch it drain · scale prod\/hooks-worker for hooks-queue — done: hooks-queue drained; prod\/hooks-worker back to 1 task/),
      '↷ 3. Scale back · scale prod/hooks-worker back — skipped: not needed: step scale reported scaledUp false',
      '✓ 4. Why did it back up? · note — done: noted in the thread',
    ]);

    // Healthy once ECS has stopped the extra tasks (a scale-in takes a simulated minute or so):
    // 1/1 on a pullable digest, the queue worked off, auto scaling back to 1–2.
    await runJob(second, 'drill advance 5m');
    await runJob(second, 'drill status');
    await until(() => second.out.text.includes('Drill arm-builds-exhaust-retention: recovered'), 'drill status to say recovered');
    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health?.healthy).toBe(true);
    expect(runtime.current()?.account.sqs.visible('hooks-queue')).toBeLessThan(100);
    expect(runtime.current()?.account.autoscaling.targets.get('service/prod/hooks-worker')).toMatchObject({ minCapacity: 1, maxCapacity: 2 });

    // Nothing repeated by the restart: one build, one redeploy, one scale-out and one scale-back.
    expect(startBuild).toHaveBeenCalledTimes(1);
    expect(updateService.mock.calls.map(([input]) => input.desiredCount ?? 'redeploy')).toEqual(['redeploy', scaledTo, 1]);
    expect(registerTarget.mock.calls.map(([input]) => `${input.MinCapacity}-${input.MaxCapacity}`)).toEqual([`${scaledTo}-${Math.max(2, scaledTo)}`, '1-2']);

    // Both timelines hold every step of their run.
    for (const [incident, runId, steps] of [
      [pull, image, 9],
      [backlog, drain, 4],
    ] as const) {
      const ofRun = (await timelineOf(second, incident)).map((e) => e.text).filter((t) => t.includes(runId));
      expect(ofRun[0]).toMatch(/: started$/);
      expect(ofRun.at(-1)).toMatch(/: completed$/);
      for (let n = 1; n <= steps; n++) expect(ofRun.some((t) => t.includes(`: step ${n} "`)), `${runId} step ${n}`).toBe(true);
    }
    expect(messageText(await second.say(`incident ${backlog}`))).toContain(`runbook queue-backlog (${drain}): completed`);
  });
});
