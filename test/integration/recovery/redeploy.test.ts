import { ECSServiceException, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { RECOVERY_IAM_ACTIONS } from '../../../src/adapters/aws/recovery-iam.js';
import { createRecoveryJobs } from '../../../src/recovery/index.js';
import { ACCOUNT, fixture, mocks, mutations, REGISTRY, REVISION, sentActions, TestJob, text, totalMutations, World, WorkerKilled } from './world.js';

const IAM = new Set(RECOVERY_IAM_ACTIONS.map((a) => a.action));
const reasons = fixture<{ reasons: { category: string; text: string }[] }>('ecs/cannotpull-stopped-reasons.json').reasons;
const NOT_FOUND = reasons.find((r) => r.category === 'image_or_tag_not_found')?.text ?? '';
const PLATFORM = reasons.find((r) => r.category === 'platform_mismatch')?.text ?? '';

afterEach(() => {
  // Every operation the adapters sent is in the IAM list the policy test checks.
  expect(sentActions().filter((a) => !IAM.has(a))).toEqual([]);
});

/** prod/api pinned to a digest a lifecycle rule deleted; the tag v42 was re-pushed since. */
function brokenPinnedService(w: World) {
  const old = w.push('api', { tag: 'v42', platforms: ['linux/amd64'], revision: REVISION });
  w.addService({ cluster: 'prod', name: 'api', desired: 2, containers: [{ name: 'app', image: `${REGISTRY}/api:v42`, digest: old.digest }] });
  w.delete('api', old.digest);
  const fresh = w.push('api', { tag: 'v42', platforms: ['linux/amd64'], revision: REVISION });
  return { old: old.digest, fresh: fresh.digest };
}

describe('redeploy', () => {
  it('forces a new deployment that re-resolves the tag, watches it to steady state and reports the new digest', async () => {
    const w = new World();
    const { old, fresh } = brokenPinnedService(w);
    w.steps = [World.running(1), World.complete({ app: fresh })];
    const job = new TestJob('redeploy.service=prod/api#1');

    const result = await createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, job.context());

    expect(mutations()).toMatchObject({ UpdateService: 1, RegisterTaskDefinition: 0 });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'api', forceNewDeployment: true });
    expect(result.tone).toBe('success');
    expect(result.outputs).toEqual({ steady: true, deployment: expect.stringMatching(/^ecs-svc\/9\d{18}$/), digests: [fresh] });
    expect(text(result)).toContain('2/2 running');
    expect(text(result)).toContain(`app: ${fresh.slice(0, 19)}… (as planned)`);
    const plan = text(job.progress[0]!);
    expect(plan).toContain(`pinned ${old.slice(0, 19)}…`);
    expect(plan).toContain('missing: pinned digest');
    expect(plan).toContain(`→ ${fresh.slice(0, 19)}… — available for linux/amd64`);
    expect(plan).toContain('ecs:UpdateService {"cluster":"prod","service":"api","forceNewDeployment":true}');
    // Tasks coming up were shown while watching.
    expect(job.progress.map((m) => m.summary)).toContain('Redeploying prod/api: 1/2 tasks running');
  });

  it('shows the plan and the calls on --dry-run, and sends no mutating command', async () => {
    const w = new World();
    brokenPinnedService(w);
    const result = await createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api', dryRun: true }, new TestJob('d#1').context());
    expect(totalMutations()).toBe(0);
    expect(result.summary).toBe('Dry run: redeploy prod/api');
    expect(text(result)).toContain('✎ ecs:UpdateService {"cluster":"prod","service":"api","forceNewDeployment":true}');
    expect(text(result)).toContain('Dry run: nothing was changed.');
  });

  it('refuses and points at rebuild when the tag resolves to nothing either', async () => {
    const w = new World();
    const old = w.push('api', { tag: 'v42', platforms: ['linux/amd64'] });
    w.addService({ cluster: 'prod', name: 'api', desired: 2, containers: [{ name: 'app', image: `${REGISTRY}/api:v42`, digest: old.digest }] });
    w.delete('api', old.digest);

    const job = new TestJob('r#1');
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, job.context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringContaining('rebuild and push the image first (`rebuild api:v42`)'),
    });
    expect(totalMutations()).toBe(0);
    expect(job.progress[0]?.tone).toBe('danger');
  });

  it('refuses when the tag resolves to an index whose child for the task platform is gone', async () => {
    const w = new World();
    const index = w.push('api', { tag: 'v42', platforms: ['linux/amd64', 'linux/arm64'], attestation: true });
    w.addService({ cluster: 'prod', name: 'api', desired: 2, containers: [{ name: 'app', image: `${REGISTRY}/api:v42`, digest: index.digest }] });
    w.delete('api', index.children['linux/amd64'] ?? '');
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('r#2').context())).rejects.toMatchObject({
      userMessage: expect.stringMatching(/multi-arch index whose linux\/amd64 image .* is gone.*`rebuild api:v42`/),
    });
    expect(totalMutations()).toBe(0);
  });

  it('fails fast with the reason when new tasks hit CannotPullContainerError', async () => {
    const w = new World();
    brokenPinnedService(w);
    w.steps = [World.stopped(NOT_FOUND)];
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('p#1').context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringContaining(`cannot pull their image (app): ${NOT_FOUND} The image the tag resolves to is gone: rebuild and push it (\`rebuild api:v42\`)`),
    });
  });

  it('names a platform mismatch as such', async () => {
    const w = new World();
    brokenPinnedService(w);
    w.steps = [World.running(0), World.stopped(PLATFORM)];
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('p#2').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining("has no child for the task's platform"),
    });
  });

  it('fails fast when the circuit breaker rolls the deployment back, even though the service looks stable again', async () => {
    const w = new World();
    brokenPinnedService(w);
    w.steps = [World.stopped('Essential container in task exited'), World.rollback()];
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('cb#1').context())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      userMessage: expect.stringMatching(/circuit breaker stopped the rollout of prod\/api .*task failed to start\..*Essential container in task exited/),
    });
  });

  it('recognises a rollback by its "rolling back" reason alone (DOMAIN fact 5)', async () => {
    const w = new World();
    brokenPinnedService(w);
    w.steps = [
      (world, svc) => {
        World.rollback()(world, svc);
        // Only the rollback deployment is left in the answer.
        svc.deployments = svc.deployments?.filter((d) => d.rolloutState === 'IN_PROGRESS');
      },
    ];
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('cb#2').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining('rolling back to deploymentId ecs-svc/1111111111111111111'),
    });
  });

  it('gives up watching after the timeout and says ECS keeps going', async () => {
    const w = new World();
    brokenPinnedService(w);
    await expect(
      createRecoveryJobs(w.deps({ redeploy: { pollSeconds: 15, timeoutMinutes: 2 } })).redeploy({ service: 'prod/api' }, new TestJob('t#1').context()),
    ).rejects.toMatchObject({ code: 'JOB_FAILED', userMessage: expect.stringMatching(/did not finish within 2 min 00 s: deployment ecs-svc\/\d+ is IN_PROGRESS with 0 of 2 tasks running\. ECS keeps going/) });
    expect(mutations().UpdateService).toBe(1);
  });

  it('resumes watching after a worker is killed right after recording the deployment: UpdateService is sent once', async () => {
    const w = new World();
    const { fresh } = brokenPinnedService(w);
    w.steps = [World.running(1), World.complete({ app: fresh })];
    const job = new TestJob('crash#1');
    job.crashAfter = 'redeploy.deployment';
    const handler = createRecoveryJobs(w.deps()).redeploy;

    await expect(handler({ service: 'prod/api' }, job.context())).rejects.toBeInstanceOf(WorkerKilled);
    expect(mutations().UpdateService).toBe(1);
    const result = await handler({ service: 'prod/api' }, job.context());
    expect(result.tone).toBe('success');
    expect(mutations().UpdateService).toBe(1);
  });

  it('does not deploy twice when the UpdateService answer was lost: the retry adopts the deployment it started', async () => {
    const w = new World();
    const { fresh } = brokenPinnedService(w);
    w.loseAnswer('UpdateService');
    w.steps = [World.complete({ app: fresh })];
    const job = new TestJob('lost#1');
    const handler = createRecoveryJobs(w.deps()).redeploy;

    // The 500 is retryable for the job (BullMQ retries it), but never repeated blindly inside it.
    await expect(handler({ service: 'prod/api' }, job.context())).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
    expect(mutations().UpdateService).toBe(1);
    const result = await handler({ service: 'prod/api' }, job.context());
    expect(result.tone).toBe('success');
    expect(mutations().UpdateService).toBe(1);
  });

  it('--digest registers a revision naming the image by digest, once, even across a crash', async () => {
    const w = new World();
    const { fresh } = brokenPinnedService(w);
    w.steps = [World.complete({ app: fresh })];
    const job = new TestJob('digest#1');
    job.crashAfter = 'redeploy.taskDefinition';
    const handler = createRecoveryJobs(w.deps()).redeploy;

    await expect(handler({ service: 'prod/api', digest: fresh }, job.context())).rejects.toBeInstanceOf(WorkerKilled);
    const result = await handler({ service: 'prod/api', digest: fresh }, job.context());

    expect(mutations()).toMatchObject({ RegisterTaskDefinition: 1, UpdateService: 1 });
    const registered = mocks.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.family).toBe('api');
    expect(registered?.containerDefinitions?.[0]?.image).toBe(`${REGISTRY}/api@${fresh}`);
    expect(registered?.executionRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`);
    expect(registered?.tags).toEqual([{ key: 'team', value: 'payments' }]);
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'api', taskDefinition: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/api:8` });
    expect(text(result)).toContain('later deployments keep');
  });

  it('--digest refuses a digest that is not in the repository', async () => {
    const w = new World();
    brokenPinnedService(w);
    const missing = `sha256:${'e'.repeat(64)}`;
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api', digest: missing }, new TestJob('digest#2').context())).rejects.toMatchObject({
      userMessage: expect.stringContaining('cannot be pulled'),
    });
    expect(totalMutations()).toBe(0);
  });

  it('names the IAM action when UpdateService is denied', async () => {
    const w = new World();
    brokenPinnedService(w);
    w.fail('UpdateService', new ECSServiceException({ name: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/lifeboat/x is not authorized to perform: ecs:UpdateService', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('iam#1').context())).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: `Lifeboat is not allowed ecs:UpdateService on arn:aws:ecs:us-east-1:${ACCOUNT}:service/prod/api; add it to Lifeboat's recovery IAM policy (deploy/iam; every action is listed in RECOVERY_IAM_ACTIONS).`,
    });
  });

  it('retries throttled reads and still finishes', async () => {
    const w = new World();
    const { fresh } = brokenPinnedService(w);
    w.steps = [World.complete({ app: fresh })];
    w.fail('DescribeServices', new ECSServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }), 2);
    const result = await createRecoveryJobs(w.deps()).redeploy({ service: 'prod/api' }, new TestJob('thr#1').context());
    expect(result.tone).toBe('success');
  });

  it('names the missing service and cluster', async () => {
    const w = new World();
    brokenPinnedService(w);
    await expect(createRecoveryJobs(w.deps()).redeploy({ service: 'prod/nope' }, new TestJob('nf#1').context())).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: `Service nope was not found in cluster prod (account ${ACCOUNT} us-east-1).`,
    });
  });
});
