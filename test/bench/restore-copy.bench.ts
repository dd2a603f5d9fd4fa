/**
 * `npm run bench`: `SdkEcrRestoreOps.copyImage` of a 144 MiB image (layers of 128, 12 and 4 MiB and
 * a config) in 8 MiB parts, blobs from an HTTP server on 127.0.0.1, the target ECR mocked with
 * aws-sdk-client-mock and then unmocked (SDK serializer and signer, in-process request handler).
 * Fails when the uploaded bytes differ from the blobs or when what the copy keeps alive grows by
 * more than 4 × part + 64 MiB = 96 MiB. The largest layer is above that, so a copy that buffered
 * a layer fails (a 64 MiB image could not); memory is sampled after a GC each time, because the
 * sampled peak also counts garbage V8 has not collected yet and would make the bench flaky
 * (it reaches 80–90 % of the target). `npx tsx test/bench/restore-copy.ts` copies 328 MiB in 8 and
 * 20 MiB parts and prints sampled peaks and throughput.
 */
import { beforeAll, bench, describe } from 'vitest';
import { formatRestoreCopy, memoryTargetMet, MiB, runRestoreCopy, type RestoreCopyOptions } from './restore-copy.js';

const LAYERS = [128 * MiB, 12 * MiB, 4 * MiB];
// An `async` function: tinybench calls any other once more, untimed, to see whether it returns a promise.
const ONCE = { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 };

async function copyWithinTarget(target: RestoreCopyOptions['target']): Promise<void> {
  const r = await runRestoreCopy({ layers: LAYERS, partBytes: 8 * MiB, target, gcBeforeSample: true });
  console.log(`restore-copy (${target}): Node ${process.version}\n${formatRestoreCopy(r).join('\n')}`);
  if (r.dataErrors.length > 0) throw new Error(`the uploaded bytes are not the blobs: ${r.dataErrors.join('; ')}`);
  if (!memoryTargetMet(r)) throw new Error(`memory grew by ${Math.round(Math.max(r.growth.rss, r.growth.js) / MiB)} MiB, over the ${r.targetBytes / MiB} MiB target`);
}

describe('image copy between Regions (SdkEcrRestoreOps.copyImage)', () => {
  // Warm-up (JIT, undici's first fetch, the SDK's serializer), so first-use allocations do not count as copy memory.
  beforeAll(async () => {
    await runRestoreCopy({ layers: [4 * MiB], partBytes: MiB });
    await runRestoreCopy({ layers: [4 * MiB], partBytes: MiB, target: 'wire' });
  });

  bench('144 MiB in 8 MiB parts, ECR mocked: streamed, live memory growth ≤ 4 × part + 64 MiB', async () => {
    await copyWithinTarget('mock');
  }, ONCE);
  bench('144 MiB in 8 MiB parts, through the SDK serializer: streamed, live memory growth ≤ 4 × part + 64 MiB', async () => {
    await copyWithinTarget('wire');
  }, ONCE);
});
