/**
 * End to end: `alert-storm` on real Redis. A fleet-wide keep-10 policy expires the digests four
 * busy services pin, then a Fargate retirement sweep replaces every task: thousands of alerts. The
 * storm shows as a handful of incidents; the image-unavailable runbook, once per broken service
 * (one target per run), rebuilds `v1` and redeploys — the first one across a Lifeboat restart in
 * the middle of its rebuild, the other three at the same time.
 */
import { describe, expect, it } from 'vitest';
import { STORM_SERVICES } from '../../../src/adapters/drill/scenarios/alert-storm.js';
import {
  describeDetection,
  lifeboatLab,
  type LifeboatProcess,
  messageText,
  runIdOf,
  stepLines,
  timelineOf,
  until,
  walk,
} from './harness.js';

const lab = lifeboatLab('storm');

const BROKEN = STORM_SERVICES.filter((s) => s.loses).map((s) => s.name);

describe('e2e: alert-storm (thousands of alerts, a handful of incidents)', () => {
  it('detects the incident among the storm; image-unavailable per broken service, the first across a restart, brings every service back', async () => {
    const { runtime, launch, startBuild, updateService } = await lab.setUp();
    const first = await launch();

    const { detection } = await runtime.start('alert-storm');
    console.log(describeDetection('alert-storm', runtime.status().detection));
    expect(detection?.alert.class).toBe('image-pull-failed');
    expect(BROKEN).toContain(detection?.alert.target.service);
    expect(detection?.afterImpactMs).toBeLessThanOrEqual(5 * 60_000);

    // One incident per broken service, whatever else the storm has opened.
    const list = (await first.say('incidents')).blocks.flatMap((b) => (b.type === 'list' ? b.items : []));
    const incidentOf = new Map<string, string>(
      BROKEN.map((name) => {
        const line = list.find((l) => l.includes(` prod/${name}: image `));
        const id = line ? /^inc-[a-z0-9]{6}/.exec(line)?.[0] : undefined;
        if (!id) throw new Error(`no incident for prod/${name}:\n${list.join('\n')}`);
        return [name, id] as const;
      }),
    );

    // The first service's runbook: stop Lifeboat while its rebuild watches the build.
    const [firstService, ...others] = BROKEN;
    if (!firstService) throw new Error('no broken service');
    const runs = new Map<string, string>();
    const start = async (lb: LifeboatProcess, name: string): Promise<string> => {
      const runId = runIdOf(await lb.say(`runbook start image-unavailable for ${incidentOf.get(name) ?? ''} with ref=v1`));
      runs.set(name, runId);
      return runId;
    };
    const firstRun = await start(first, firstService);
    const hold = runtime.holdJobs(() => startBuild.mock.calls.length > 0);
    await walk(first, firstRun, { stopWhen: hold.isHeld });
    await hold.held;
    await first.stop();
    hold.release();

    const second = await launch();
    await until(async () => stepLines(await second.say(`runbook status ${firstRun}`)).some((l) => l.startsWith('✓ 4. Rebuild and push')), 'the rebuild to finish after the restart', 20_000);
    const results = [await walk(second, firstRun)];
    // The other three at once, as three people would, each on their own service.
    results.push(...(await Promise.all(others.map(async (name) => walk(second, await start(second, name))))));

    for (const [i, name] of BROKEN.entries()) {
      const done = results[i];
      expect(done?.summary, name).toBe('Runbook Image unavailable completed: 6 done, 3 skipped.');
      expect(stepLines(done ?? { summary: '', blocks: [] }).slice(3, 5)).toEqual([
        expect.stringMatching(new RegExp(`^✓ 4\\. Rebuild and push · rebuild ${name}:v1 --ref v1 — done: Rebuilt ${name}:v1`)),
        expect.stringMatching(new RegExp(`^✓ 5\\. Redeploy the service · redeploy prod/${name} — done: Redeployed prod/${name}: steady state with \\d+/\\d+ tasks`)),
      ]);
    }

    // Every service steady at its count on a pullable digest; one build and one redeploy each.
    const health = runtime.current()?.healthy();
    expect(health?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(startBuild.mock.calls.map(([input]) => input.projectName).sort()).toEqual(BROKEN.map((n) => `${n}-image`).sort());
    expect(updateService.mock.calls.map(([input]) => input.service).sort()).toEqual([...BROKEN].sort());

    // Thousands of alerts, a handful of incidents.
    const status = runtime.status();
    const all = (await second.say('incidents all')).blocks.flatMap((b) => (b.type === 'list' ? b.items : []));
    console.log(`alert-storm: ${status.alerts.delivered} alerts delivered (${status.alerts.payloads} payloads) → ${all.length} incidents`);
    expect(all.length).toBeLessThanOrEqual(20);
    expect(status.alerts.delivered).toBeGreaterThan(10 * all.length);

    for (const name of BROKEN) {
      const incident = incidentOf.get(name) ?? '';
      const runId = runs.get(name) ?? '';
      const ofRun = (await timelineOf(second, incident)).map((e) => e.text).filter((t) => t.includes(runId));
      expect(ofRun[0], name).toMatch(/: started$/);
      expect(ofRun.at(-1), name).toMatch(/: completed$/);
      for (let n = 1; n <= 9; n++) expect(ofRun.some((t) => t.includes(`: step ${n} "`)), `${name} step ${n}`).toBe(true);
      expect(ofRun.filter((t) => /step 4 "Rebuild and push" started:/.test(t)), name).toHaveLength(1);
    }
    expect(messageText(await second.say(`incident ${incidentOf.get(firstService) ?? ''}`))).toContain(`(${firstRun}): completed`);
  });
});
