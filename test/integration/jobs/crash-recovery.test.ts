import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { messageText } from '../../support/fakes.js';
import { testRedis, testRedisUrl } from '../../support/redis.js';
import { jobRequest, jobSystem, waitFor, type JobSystem } from './fixtures/harness.js';
import { mutateHandler } from './fixtures/mutate-handler.js';

const crashWorker = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

let system: JobSystem | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await system?.close();
  system = undefined;
});

/** Starts the worker process and resolves when it prints `line`. */
function startChildWorker(env: Record<string, string>): { process: ChildProcess; printed(line: string): Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', crashWorker], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return {
    process: proc,
    printed: (line) =>
      waitFor(() => {
        if (proc.exitCode !== null) throw new Error(`worker process exited (${proc.exitCode}): ${err}`);
        return out.includes(`${line}\n`);
      }, 15_000, `the worker process to print ${line}`).then(() => undefined),
  };
}

describe('a worker killed mid-job', () => {
  it('has its job picked up after restart and completed exactly once, without repeating the mutation', async () => {
    system = await jobSystem();
    const counterKey = `${system.prefix}:counter`;
    const { jobId } = await system.dispatcher.enqueue(jobRequest('scale', 'prod/worker'));

    const worker = startChildWorker({ LB_REDIS_URL: testRedisUrl(), LB_PREFIX: system.prefix, LB_COUNTER_KEY: counterKey });
    child = worker.process;
    await worker.printed('BLOCKED');
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));

    const redis = testRedis();
    try {
      expect(await redis.get(`${counterKey}:mutations`)).toBe('1');
      expect(await system.dispatcher.jobCounts()).toMatchObject({ active: 1, completed: 0 });

      // The replacement worker: same handler, no longer blocking; fast stalled-job detection.
      await system.startWorker({ scale: mutateHandler(redis, counterKey) }, { lockDurationMs: 1000, stalledIntervalMs: 300 });
      await waitFor(async () => (await system!.dispatcher.jobCounts()).completed === 1, 10_000, 'the job to complete');
      await new Promise((r) => setTimeout(r, 700)); // room for a duplicate run to show up, if there were one

      expect(await redis.get(`${counterKey}:mutations`)).toBe('1');
      expect(await redis.get(`${counterKey}:completions`)).toBe('1');
      expect(await system.dispatcher.jobCounts()).toMatchObject({ active: 0, waiting: 0, completed: 1, failed: 0 });
      // One result, in the thread; the progress message the dead worker posted was carried on.
      const { posts, updates } = system.surface;
      expect(posts.map((p) => p.message.summary)).toEqual(['Scaled and healthy.']);
      expect(updates.length).toBeGreaterThan(0);
      expect(updates.every((u) => u.ref.ts === 'posted-by-killed-worker')).toBe(true);
      expect(messageText(updates.at(-1)?.message)).toContain(`Job ${jobId} · finished`);
    } finally {
      redis.disconnect();
    }
  });
});
