import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../../src/core/jobs.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Message } from '../../../src/core/message.js';
import { createCheckImagesJob } from '../../../src/images/check-images-job.js';
import type { ScanReport } from '../../../src/images/report.js';
import { FakeEcr, FakeEcs } from './support/fakes.js';
import { ACCOUNT, addService, dig, ecrImage, ecrRef, scanDeps } from './support/fleet.js';

function context(progress: Message[]): JobContext {
  const store = new Map<string, unknown>();
  return {
    jobId: 'check-images:prod/api',
    signal: new AbortController().signal,
    progress: (m) => {
      progress.push(m);
      return Promise.resolve();
    },
    checkpoint: {
      get: <T>(k: string) => Promise.resolve(store.get(k) as T | undefined),
      set: (k, v) => {
        store.set(k, v);
        return Promise.resolve();
      },
    },
    log: silentLogger,
  };
}

describe('check-images job', () => {
  it('scans the named service, reports progress, hands over the report and answers with the card', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [{ desired: 4, containers: [{ name: 'app', image: ecrRef('api', 'v42'), digest: dig(1) }] }]);
    addService(ecs, 'prod', 'web', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('web', 'v1'), digest: dig(3) }] }]);
    ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(2), ['v42'])] });
    const reports: ScanReport[] = [];
    const progress: Message[] = [];
    const handler = createCheckImagesJob(scanDeps(ecs, ecr), { onReport: (r) => Promise.resolve(void reports.push(r)) });

    const message = await handler({ target: 'prod/api' }, context(progress));
    expect(message.summary).toBe('Image check of 1 service (1 image): 1 missing.');
    expect(reports[0]?.scope).toEqual({ cluster: 'prod', service: 'api' });
    expect(progress[0]?.summary).toBe('Checking images: found 1 service using 1 repository…');
    expect(ecs.count('listServices')).toBe(0);
  });

  it('answers with the JSON report for --json', async () => {
    const ecs = new FakeEcs();
    const ecr = new FakeEcr();
    addService(ecs, 'prod', 'api', [{ desired: 1, containers: [{ name: 'app', image: ecrRef('api', 'v1'), digest: dig(1) }] }]);
    ecr.add(ACCOUNT, 'api', { images: [ecrImage('api', dig(1), ['v1'])] });
    const message = await createCheckImagesJob(scanDeps(ecs, ecr))({ target: 'prod', json: true }, context([]));
    const block = message.blocks[0];
    expect(block?.type).toBe('code');
    const report = JSON.parse(block?.type === 'code' ? block.text : '{}') as ScanReport;
    expect(report.totals).toMatchObject({ services: 1, available: 1 });
  });

  it('refuses malformed arguments with a sentence saying what is expected', async () => {
    const handler = createCheckImagesJob(scanDeps(new FakeEcs(), new FakeEcr()));
    await expect(handler({ account: '12' }, context([]))).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID', userMessage: 'check images: expected a 12-digit account id.' });
    await expect(handler({ service: 'api' }, context([]))).rejects.toMatchObject({ code: 'COMMAND_ARGS_INVALID' });
  });
});
