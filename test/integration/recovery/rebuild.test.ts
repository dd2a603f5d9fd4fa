import { CodeBuildServiceException, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, describe, expect, it } from 'vitest';
import { RECOVERY_IAM_ACTIONS } from '../../../src/adapters/aws/recovery-iam.js';
import { LifeboatError } from '../../../src/core/errors.js';
import { createRecoveryJobs } from '../../../src/recovery/index.js';
import { idempotencyToken } from '../../../src/recovery/rebuild.js';
import { mocks, mutations, REGISTRY, REVISION, sentActions, TestJob, text, totalMutations, World, WorkerKilled } from './world.js';

const IAM = new Set(RECOVERY_IAM_ACTIONS.map((a) => a.action));

afterEach(() => {
  expect(sentActions().filter((a) => !IAM.has(a))).toEqual([]);
});

/**
 * prod/api runs a multi-arch api:v42 whose linux/amd64 child is gone (a GHCR-style cleanup, or a
 * lifecycle rule): the index and its arm64 child, with the revision label, are still there.
 */
function apiWithMissingChild(w: World) {
  const index = w.push('api', { tag: 'v42', platforms: ['linux/amd64', 'linux/arm64'], revision: REVISION, attestation: true });
  w.addService({ cluster: 'prod', name: 'api', desired: 2, containers: [{ name: 'app', image: `${REGISTRY}/api:v42`, digest: index.digest }] });
  w.delete('api', index.children['linux/amd64'] ?? '');
  w.addProject('api-image', [{ key: 'lifeboat:repository', value: 'api' }]);
  w.addProject('billing-image', [{ key: 'lifeboat:repository', value: 'billing' }]);
  return index;
}

describe('rebuild', () => {
  it('finds the project by tag and the commit by the revision label, builds every platform, and verifies a new digest', async () => {
    const w = new World();
    const before = apiWithMissingChild(w);
    const job = new TestJob('rebuild.target=prod/api#1');

    const result = await createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, job.context());

    expect(mutations()).toMatchObject({ StartBuild: 1, StopBuild: 0 });
    expect(mocks.codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input).toEqual({
      projectName: 'api-image',
      sourceVersion: REVISION,
      idempotencyToken: idempotencyToken(job.jobId),
      environmentVariablesOverride: [
        { name: 'IMAGE_TAG', value: 'v42', type: 'PLAINTEXT' },
        { name: 'IMAGE_REPO_NAME', value: 'api', type: 'PLAINTEXT' },
        { name: 'PLATFORMS', value: 'linux/amd64,linux/arm64', type: 'PLAINTEXT' },
        { name: 'LIFEBOAT_JOB_ID', value: job.jobId, type: 'PLAINTEXT' },
      ],
    });
    const plan = text(job.progress[0]!);
    expect(plan).toContain('Project: api-image (from its tag lifeboat:repository=api)');
    expect(plan).toContain(`Source version: ${REVISION} (from the org.opencontainers.image.revision label of`);
    expect(plan).toContain(`Tag to push: ${REGISTRY}/api:v42`);
    expect(plan).toContain('Platforms expected: linux/amd64, linux/arm64 (from the services running it and the previous image)');
    // Progress showed phases and elapsed time.
    const building = job.progress.filter((m) => m.summary.startsWith('Rebuilding api:v42'));
    expect(building.length).toBeGreaterThan(3);
    expect(text(building[building.length - 1]!)).toMatch(/✓ PROVISIONING 15 s[\s\S]*▶ FINALIZING 0 s/);
    expect(text(building[building.length - 1]!)).toContain('Elapsed: 1 min 45 s');

    const now = w.repo('api').images.find((i) => i.imageTags?.includes('v42'))?.imageDigest ?? '';
    expect(now).not.toBe(before.digest);
    expect(result.tone).toBe('success');
    expect(result.outputs).toEqual({ verified: true, image: 'api:v42', digest: now, identical: false });
    expect(text(result)).toContain(`New digest: ${now}`);
    expect(text(result)).toContain(`Before: ${before.digest}`);
    expect(text(result)).toMatch(/✓ linux\/amd64 sha256:[0-9a-f]{12}…\n✓ linux\/arm64/);
    expect(text(result)).toContain('not bit-identical');
    expect(text(result)).toContain('`redeploy prod/api`');
  });

  it('builds repository:tag with --ref through the configured project and checks a single-platform image by its config', async () => {
    const w = new World();
    w.repo('team/hooks-worker');
    w.addProject('hooks-image');
    const job = new TestJob('rebuild.target=team/hooks-worker:main#1');
    const result = await createRecoveryJobs(w.deps({ rebuild: { projects: { 'team/hooks-worker': { project: 'hooks-image' } } } })).rebuild(
      { target: 'team/hooks-worker:main', ref: '3f9c2ab' },
      job.context(),
    );
    expect(mocks.codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input).toMatchObject({ projectName: 'hooks-image', sourceVersion: '3f9c2ab' });
    expect(text(job.progress[0]!)).toContain('Tag now: missing');
    expect(text(result)).toContain('Before: the tag did not exist');
    expect(text(result)).toContain('✓ linux/amd64');
    expect(text(result)).toContain('every service that runs team/hooks-worker:main');
  });

  it('uses a tag that is a commit as the source version', async () => {
    const w = new World();
    w.repo('web');
    w.addProject('web-image', [{ key: 'lifeboat:repository', value: 'web' }]);
    const result = await createRecoveryJobs(w.deps()).rebuild({ target: 'web:3f9c2ab', dryRun: true }, new TestJob('c#1').context());
    expect(text(result)).toContain('Source version: 3f9c2ab (from the tag, which is a commit)');
  });

  it('refuses to guess the commit when the image is gone and the tag is not a commit', async () => {
    const w = new World();
    w.repo('web');
    w.addProject('web-image', [{ key: 'lifeboat:repository', value: 'web' }]);
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'web:v1.4.2' }, new TestJob('g#1').context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: 'Lifeboat cannot tell which commit built web:v1.4.2: the image is gone and the tag is not a commit. Say which one: `rebuild web:v1.4.2 --ref <commit or branch>`.',
    });
    expect(totalMutations()).toBe(0);
  });

  it('shows the plan and the StartBuild it would send on --dry-run, and starts nothing', async () => {
    const w = new World();
    apiWithMissingChild(w);
    const result = await createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api', dryRun: true }, new TestJob('dry#1').context());
    expect(totalMutations()).toBe(0);
    expect(result.summary).toBe('Dry run: rebuild api:v42 with api-image');
    expect(text(result)).toMatch(/✎ codebuild:StartBuild \{"projectName":"api-image","sourceVersion":"3f9c2ab6d1e0c4b8a7f5e2d9c1b0a3f4e5d6c7b8","idempotencyToken":"lifeboat-[0-9a-f]{40}"/);
    expect(text(result)).toContain('Dry run: nothing was started.');
  });

  it('reports the failed phase, its reason and the log link when the build fails', async () => {
    const w = new World();
    apiWithMissingChild(w);
    w.buildScript = { failAt: { phase: 'BUILD', message: 'Error while executing command: docker buildx build --push . Reason: exit status 1' } };
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, new TestJob('f#1').context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringMatching(
        /^Build api-image:\S+ of api-image ended FAILED in phase BUILD \(COMMAND_EXECUTION_ERROR: Error while executing command: docker buildx build --push \. Reason: exit status 1\); api:v42 was not rebuilt\. Logs: https:\/\/console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#logEvent:group=\/aws\/codebuild\/api-image;stream=/,
      ),
    });
  });

  it('does not trust a green build that pushed nothing new', async () => {
    const w = new World();
    apiWithMissingChild(w);
    w.buildScript = { push: () => undefined };
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, new TestJob('v#1').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining('still points to the digest it had before'),
    });
  });

  it('fails verification when a platform the services need is missing from the new image', async () => {
    const w = new World();
    apiWithMissingChild(w);
    // The build ignored PLATFORMS and pushed one arm64 image (built on a laptop, say).
    w.buildScript = { push: (world) => world.push('api', { tag: 'v42', platforms: ['linux/arm64'], revision: REVISION }) };
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, new TestJob('v#2').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining('lacks linux/amd64 (it is a single-platform linux/arm64 image), which the services need'),
    });
  });

  it('names the repository and how to map it when no project builds it', async () => {
    const w = new World();
    w.repo('web');
    w.addProject('unrelated');
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'web:3f9c2ab' }, new TestJob('np#1').context())).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'No CodeBuild project builds repository web in account 123456789012 us-east-1: map it under recovery.rebuild.projects in lifeboat.yaml, or tag its project lifeboat:repository=web.',
    });
  });

  it('names a configured project that does not exist', async () => {
    const w = new World();
    w.repo('web');
    await expect(createRecoveryJobs(w.deps({ rebuild: { projects: { web: { project: 'web-imagee' } } } })).rebuild({ target: 'web:3f9c2ab' }, new TestJob('np#2').context())).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: expect.stringContaining('CodeBuild project web-imagee (configured for repository web under recovery.rebuild.projects) does not exist'),
    });
  });

  it('names a repository that does not exist', async () => {
    const w = new World();
    w.addProject('web-image', [{ key: 'lifeboat:repository', value: 'web' }]);
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'web:3f9c2ab' }, new TestJob('nr#1').context())).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'Repository web in registry 123456789012 (us-east-1) does not exist.',
    });
  });

  it('resumes following the build after a worker is killed right after recording it: StartBuild is sent once', async () => {
    const w = new World();
    apiWithMissingChild(w);
    const job = new TestJob('crash#1');
    job.crashAfter = 'rebuild.build';
    const handler = createRecoveryJobs(w.deps()).rebuild;
    await expect(handler({ target: 'prod/api' }, job.context())).rejects.toBeInstanceOf(WorkerKilled);
    const result = await handler({ target: 'prod/api' }, job.context());
    expect(result.tone).toBe('success');
    expect(mutations().StartBuild).toBe(1);
    expect(w.builds).toHaveLength(1);
  });

  it('gets the same build back when StartBuild is repeated within the idempotency window', async () => {
    const w = new World();
    apiWithMissingChild(w);
    w.loseAnswer('StartBuild');
    const job = new TestJob('lost#1');
    const handler = createRecoveryJobs(w.deps()).rebuild;
    await expect(handler({ target: 'prod/api' }, job.context())).rejects.toMatchObject({ retryable: true });
    await handler({ target: 'prod/api' }, job.context());
    // Sent twice with the same token and parameters; CodeBuild started one build.
    expect(mutations().StartBuild).toBe(2);
    expect(w.builds).toHaveLength(1);
  });

  it('finds its own build by LIFEBOAT_JOB_ID after the idempotency window instead of starting another', async () => {
    const w = new World();
    apiWithMissingChild(w);
    w.loseAnswer('StartBuild');
    const job = new TestJob('lost#2');
    const handler = createRecoveryJobs(w.deps()).rebuild;
    await expect(handler({ target: 'prod/api' }, job.context())).rejects.toMatchObject({ retryable: true });
    w.clock.advance(10 * 60_000);
    const result = await handler({ target: 'prod/api' }, job.context());
    expect(result.tone).toBe('success');
    expect(mutations().StartBuild).toBe(1);
    expect(w.builds).toHaveLength(1);
  });

  it('stops the build when the job is cancelled', async () => {
    const w = new World();
    apiWithMissingChild(w);
    const job = new TestJob('cancel#1');
    job.onProgress = (m, j) => {
      if (m.summary.startsWith('Rebuilding api:v42: PROVISIONING')) j.controller.abort(new LifeboatError('JOB_CANCELLED', 'The job was cancelled.'));
    };
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, job.context())).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    expect(mutations()).toMatchObject({ StartBuild: 1, StopBuild: 1 });
  });

  it('leaves the build running when the worker shuts down (the job resumes elsewhere)', async () => {
    const w = new World();
    apiWithMissingChild(w);
    const job = new TestJob('shutdown#1');
    job.onProgress = (m, j) => {
      if (m.summary.startsWith('Rebuilding api:v42: PROVISIONING')) j.controller.abort(new LifeboatError('JOB_CANCELLED', 'Lifeboat is restarting.', { retryable: true }));
    };
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, job.context())).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    expect(mutations()).toMatchObject({ StartBuild: 1, StopBuild: 0 });
  });

  it('names codebuild:StartBuild when it is denied', async () => {
    const w = new World();
    apiWithMissingChild(w);
    w.fail('StartBuild', new CodeBuildServiceException({ name: 'AccessDeniedException', message: 'not authorized to perform: codebuild:StartBuild', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    await expect(createRecoveryJobs(w.deps()).rebuild({ target: 'prod/api' }, new TestJob('iam#1').context())).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: expect.stringContaining('Lifeboat is not allowed codebuild:StartBuild on arn:aws:codebuild:us-east-1:123456789012:project/api-image'),
    });
  });
});
