/**
 * The outputs each command's job reports for runbooks (`JobResult.outputs`, see
 * `src/core/jobs.ts`), by command id: output name → what it means. This table is the contract
 * between the jobs and the runbooks: the loader refuses a `${steps.x.field}` that the command of
 * step x does not list here, and a job that adds an output adds it here (and to docs/runbooks.md).
 *
 * Rules for the jobs: outputs are small JSON values; a job that reports outputs reports every
 * name it knows the answer to and leaves out (or sets `null`/`false`) what does not apply — a
 * missing name reads as false. A job that reports no outputs at all leaves every question about
 * it to a person: a `when` on it waits for Run or Skip, a `verify` on it fails.
 */
export const STEP_OUTPUTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'check-images': {
    healthy: 'true when every image in scope can be pulled: nothing missing and nothing unknown',
    missing: 'how many images cannot be pulled (0 when none)',
    atRisk: 'how many available images a lifecycle rule takes within the horizon',
    unknown: 'how many images Lifeboat could not decide',
    services: 'cluster/service of every service that runs a missing image',
    image: 'the first missing image, as its task definition names it',
    digest: 'the digest its tasks pull',
    reason: 'why it is missing: pinned-digest-gone, image-not-found, tag-not-found, repository-not-found, archived, restoring, platform-child-missing or no-such-platform',
    cause: 'one sentence: what is missing, since when and what removed it (lifecycle rule, delete, retention, platform)',
    restore: '`repository@digest` when that exact digest can be brought back (archived, or a replica or another repository still holds it); absent otherwise',
    rebuild: 'the `rebuild` target (`repository:tag`, or cluster/service) when only a rebuild brings the image back; absent otherwise',
    redeploy: 'true when the tag still points at a usable image, so a redeploy alone heals the service',
    lifecycleRule: 'the lifecycle rule that took, or will take, an in-use image, as a sentence',
    next: 'the suggested next commands, in order',
  },
  restore: {
    restored: 'true once the digest is pullable again, every platform child included',
    image: 'the `repository@digest` restored',
    from: 'where it came back from: the archive, a replica ("the us-west-2 replica"), another registry or repository',
    copied: 'how many manifests were copied (an index counts with each child)',
    fromArchive: 'how many manifests were restored from the archive storage class',
    tags: 'the tags put back on it (its tags in the source that no other image holds, and --tag)',
  },
  rebuild: {
    verified: 'true when the tag resolves to the new digest and every platform the services need has its child',
    image: 'the `repository:tag` pushed',
    digest: 'the new digest',
    identical: 'true when the new image is bit-identical to the lost one (so pinned services heal without a redeploy)',
  },
  redeploy: {
    steady: 'true when the new deployment reached steady state with the new digests running',
    deployment: 'the id of the deployment Lifeboat started',
    digests: 'the digests the new tasks run',
  },
  scale: {
    drained: 'true when the backlog fell below the threshold',
    backlog: 'messages left in the queue when the job ended',
    scaledUp: 'true while the service still runs more tasks than before Lifeboat scaled it (it still needs `scale … back`)',
    count: 'the desired task count when the job ended',
    originalCount: 'the desired count recorded before the first change',
  },
  diagnose: {
    healthy: 'true when no misconfiguration was found and every check could be done (an unreadable log or an unanswerable role question counts against it; image availability is `check images`\' job)',
    findings: 'one sentence per finding, each with its fix',
    gracePeriod: 'the health-check grace period against the observed start-up time, with the fix when it is too short',
    logging: 'the log driver and whether its log group exists, with the fix',
    roles: 'task role versus execution role: which one lacks the permission the app or the ECS agent needs, with the fix',
    scaling: 'desired count against auto scaling (a fixed count with no scaling policy, a minimum of 0 …), with the fix',
  },
  heartbeats: {
    healthy: 'true when no registered source is silent',
    silent: 'each source silent longer than its interval, with how long',
    owners: 'who owns each silent source, as registered',
  },
};

/** The outputs a command's job reports, or undefined when it reports none. */
export function outputsOf(commandId: string): Readonly<Record<string, string>> | undefined {
  return Object.hasOwn(STEP_OUTPUTS, commandId) ? STEP_OUTPUTS[commandId] : undefined;
}
