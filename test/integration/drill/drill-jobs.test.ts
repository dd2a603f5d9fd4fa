/**
 * A drill end to end on real Redis: the shipped command definitions parse the text, BullMQ carries
 * the jobs, the worker runs the drill handlers and the real recovery and check-images handlers over
 * the drill ports, and the account recovers. (The incident pipeline joins when triage's AlertSink
 * lands; here a recording sink stands in for it.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDrillJobHandlers } from '../../../src/adapters/drill/builtins.js';
import { DrillRuntime } from '../../../src/adapters/drill/runtime.js';
import type { Message } from '../../../src/core/message.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createCheckImagesJob } from '../../../src/images/check-images-job.js';
import { DEFAULT_RECOVERY_SETTINGS, MemoryScaleRecordStore, createRecoveryJobs } from '../../../src/recovery/index.js';
import { messageText } from '../../support/fakes.js';
import { loadShippedRegistry } from '../../support/router.js';
import { RecordingSink } from '../../unit/drill/support.js';
import { jobSystem, type JobSystem } from '../jobs/fixtures/harness.js';

let system: JobSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

describe('a drill run through the job system on real Redis', () => {
  it('walks ecr-lifecycle-expiry from alert to recovery with the shipped commands', async () => {
    const sink = new RecordingSink();
    const runtime = new DrillRuntime({ clock: new ManualClock(Date.UTC(2026, 0, 1)), sink });
    const recovery = createRecoveryJobs({
      account: runtime.ports.account,
      region: runtime.ports.region,
      ecs: runtime.ports.ecs,
      codebuild: runtime.ports.codebuild,
      queues: runtime.ports.queues,
      scaling: runtime.ports.scaling,
      imageConfig: runtime.ports.imageConfig,
      restore: runtime.ports.restore,
      images: runtime.scanDeps,
      scaleRecords: new MemoryScaleRecordStore(),
      settings: DEFAULT_RECOVERY_SETTINGS,
      clock: runtime.clock,
      sleep: runtime.sleep,
    });
    const handlers = { ...createDrillJobHandlers(runtime), ...recovery, 'check-images': createCheckImagesJob(runtime.scanDeps) };
    const registry = await loadShippedRegistry(Object.keys(handlers));
    system = await jobSystem();
    await system.startWorker(handlers);
    const sys = system;

    let thread = 0;
    const run = async (text: string): Promise<Message> => {
      const match = registry.match(text);
      if (match.kind !== 'matched') throw new Error(`"${text}" does not match a command (${match.kind})`);
      const { definition } = match.command;
      if (!('job' in definition.runs)) throw new Error(`${definition.id} is not a job`);
      const threadTs = `t${++thread}`;
      const { jobId } = await sys.dispatcher.enqueue({
        kind: definition.runs.job,
        dedupKey: `${definition.runs.job}:${text}`,
        data: match.args,
        replyTo: { surface: 'console', channel: 'drill', threadTs },
        requester: { userId: 'console', userName: 'newcomer' },
        commandText: text,
      });
      expect(await sys.dispatcher.waitUntilFinished(jobId, { timeoutMs: 15_000 })).toBe('completed');
      // The worker posts the result as the last message of the thread (progress is updated in place above it).
      const last = sys.surface.posts.filter((p) => p.to.threadTs === threadTs).at(-1);
      if (!last) throw new Error(`no answer to "${text}"`);
      return last.message;
    };

    const start = await run('drill start ecr-lifecycle-expiry');
    expect(start).toMatchObject({ drill: true, summary: 'Drill ecr-lifecycle-expiry: the incident has been detected' });
    expect(sink.alerts.some((a) => a.class === 'image-pull-failed' && a.target.service === 'api')).toBe(true);

    expect(messageText(await run('check images prod/api'))).toContain('Next: rebuild api:v42');
    expect((await run('rebuild api:v42 --ref v42')).summary).toMatch(/^Rebuilt api:v42: now sha256:/);
    expect((await run('redeploy prod/api')).summary).toBe('Redeployed prod/api: steady state with 3/3 tasks');

    const status = await run('drill status');
    expect(status).toMatchObject({ drill: true, tone: 'success' });
    expect(messageText(status)).toContain('✓ prod/api steady: 3 of 3 running');
    expect(runtime.current()?.healthy().healthy).toBe(true);
  });
});
