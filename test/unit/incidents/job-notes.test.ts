import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import type { JobContext } from '../../../src/core/jobs.js';
import { jobTarget, withIncidentNotes } from '../../../src/incidents/job-notes.js';
import type { AlertTarget } from '../../../src/intake/alert.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function store(incidents: { id: string; target: AlertTarget }[]) {
  const notes: { id: string; text: string }[] = [];
  return {
    notes,
    listOpen: () => Promise.resolve(incidents as never),
    appendTimeline: (id: string, entry: { text: string }) => {
      notes.push({ id, text: entry.text });
      return Promise.resolve(undefined as never);
    },
  };
}

const ctx = { jobId: 'restore#1' } as JobContext;

describe('recovery jobs on the incident timeline', () => {
  it('reads what a job acts on from its data: a service, a repository:tag, or [registry/]repository@digest', () => {
    expect(jobTarget({ service: 'prod/api' })).toEqual({ label: 'prod/api', service: 'prod/api' });
    expect(jobTarget({ target: 'team/web:v7' })).toEqual({ label: 'team/web:v7', repository: 'team/web' });
    expect(jobTarget({ image: `team/web@${DIGEST}` })).toEqual({ label: `team/web@${DIGEST}`, repository: 'team/web', digest: DIGEST });
    expect(jobTarget({ image: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/web@${DIGEST}` })).toMatchObject({ repository: 'team/web', digest: DIGEST });
  });

  it('notes a restore on the incidents about its digest or repository, and on no other', async () => {
    const s = store([
      { id: 'inc-pull', target: { cluster: 'prod', service: 'api', imageDigest: DIGEST } },
      { id: 'inc-repo', target: { repository: 'api' } },
      { id: 'inc-other', target: { cluster: 'prod', service: 'web', repository: 'web' } },
    ]);
    const handlers = withIncidentNotes({ restore: () => Promise.resolve({ summary: 'Restored api@sha256:abab… from the us-west-2 replica', tone: 'success', blocks: [] }) }, ['restore'], { store: s, logger: silentLogger });
    await handlers.restore!({ image: `api@${DIGEST}` }, ctx);
    expect(s.notes.map((n) => n.id)).toEqual(['inc-pull', 'inc-repo']);
    expect(s.notes[0]?.text).toBe(`restore api@${DIGEST} (job restore#1): Restored api@sha256:abab… from the us-west-2 replica`);
  });
});
