/**
 * Where else an exact digest may still be when its repository lost it: the registry's own
 * replication destinations (`DescribeRegistry`: lifecycle policies act only in their own Region, so
 * a replica Region without the rule keeps what the primary expired) and the sources configured
 * under `recovery.restore.sources` (a disaster-recovery account, a promotion repository).
 *
 * Used twice, with one answer: `check images` asks whether a missing digest has a copy (then the
 * next command is `restore`, not `rebuild`), and `restore` picks the copy to bring back.
 */
import type { Clock } from '../core/clock.js';
import { userFacingMessage } from '../core/errors.js';
import type { BudgetedRead, DigestCopyFinder, EcrReader } from '../images/ports.js';
import type { EcrLocation, EcrRestoreOps, ReplicationDestination } from './ports.js';
import type { RestoreSettings } from './settings.js';

/** Runs one AWS read: a caller passes its rate limiter with retries (a throttled lookup is not "no copy"). */
export type ReadCall = BudgetedRead;

const direct: ReadCall = (_action, fn) => fn();

/** What the lookups need. */
export interface CopySourceDeps {
  restore: Pick<EcrRestoreOps, 'replicationDestinations'>;
  ecrFor(registryId: string, region: string): EcrReader;
  sources: RestoreSettings['sources'];
  clock: Clock;
}

/** What one candidate location holds of the digest. */
export interface CopyLookup {
  at: EcrLocation;
  /** `active`: a copy can be made from here. An archived copy cannot be read until restored there. */
  state: 'active' | 'archived' | 'absent' | 'unknown';
  detail?: string;
}

/** "the us-west-2 replica", "registry 111122223333 (eu-west-1)", "repo api-releases". */
export function describeLocation(at: EcrLocation, relativeTo: EcrLocation): string {
  if (at.registryId !== relativeTo.registryId) return `registry ${at.registryId} (${at.region}) repo ${at.repository}`;
  if (at.region !== relativeTo.region) return at.repository === relativeTo.repository ? `the ${at.region} replica` : `repo ${at.repository} in ${at.region}`;
  return `repo ${at.repository}`;
}

export function sameLocation(a: EcrLocation, b: EcrLocation): boolean {
  return a.registryId === b.registryId && a.region === b.region && a.repository === b.repository;
}

/**
 * Candidate locations for a digest `missing` lost, configured sources first (someone chose them),
 * then the replication destinations whose filters take the repository. A configuration that cannot
 * be read is a problem to report, not a reason to stop looking elsewhere.
 */
export async function copyCandidates(
  deps: CopySourceDeps,
  missing: EcrLocation,
  destinations: (registryId: string, region: string) => Promise<ReplicationDestination[]> = (id, region) => deps.restore.replicationDestinations(id, region),
): Promise<{ candidates: EcrLocation[]; problems: string[] }> {
  const problems: string[] = [];
  const found: EcrLocation[] = deps.sources.map((s) => ({ registryId: s.registryId ?? missing.registryId, region: s.region, repository: s.repository ?? missing.repository }));
  try {
    for (const d of await destinations(missing.registryId, missing.region)) {
      if (d.repositoryPrefixes.length > 0 && !d.repositoryPrefixes.some((p) => missing.repository.startsWith(p))) continue;
      found.push({ registryId: d.registryId, region: d.region, repository: missing.repository });
    }
  } catch (err) {
    problems.push(`could not read the replication configuration of registry ${missing.registryId} in ${missing.region}: ${userFacingMessage(err)}`);
  }
  const candidates: EcrLocation[] = [];
  for (const c of found) if (!sameLocation(c, missing) && !candidates.some((k) => sameLocation(k, c))) candidates.push(c);
  return { candidates, problems };
}

/** Does `at` hold `digest`, and can it be read? One `DescribeImages` (through `read`, when given). */
export async function lookAt(deps: Pick<CopySourceDeps, 'ecrFor'>, at: EcrLocation, digest: string, read: ReadCall = direct): Promise<CopyLookup> {
  try {
    const got = await read('ecr:DescribeImages', () => deps.ecrFor(at.registryId, at.region).describeImages(at.registryId, at.repository, [{ digest }]));
    const image = got.images.find((i) => i.digest === digest);
    if (image) return image.status === 'ACTIVE' ? { at, state: 'active' } : { at, state: 'archived', detail: `it is ${image.status.toLowerCase()} there` };
    const failure = got.failures[0];
    if (failure && failure.code !== 'ImageNotFound') return { at, state: 'unknown', detail: `${failure.code}${failure.reason ? `: ${failure.reason}` : ''}` };
    return { at, state: 'absent' };
  } catch (err) {
    return { at, state: 'unknown', detail: userFacingMessage(err) };
  }
}

/** Replication configuration changes rarely; a scan every 15 minutes need not re-read it each time. */
const CANDIDATES_TTL_MS = 10 * 60_000;

/**
 * The finder `check images` uses: the first candidate holding the digest ACTIVE, or undefined.
 * One `DescribeRegistry` per registry and Region (cached), whatever the number of repositories.
 */
export function createDigestCopyFinder(deps: CopySourceDeps): DigestCopyFinder {
  const cache = new Map<string, { at: number; destinations: Promise<ReplicationDestination[]> }>();
  const destinations = (registryId: string, region: string): Promise<ReplicationDestination[]> => {
    const key = `${registryId}|${region}`;
    let entry = cache.get(key);
    if (!entry || deps.clock.now() - entry.at > CANDIDATES_TTL_MS) {
      entry = { at: deps.clock.now(), destinations: deps.restore.replicationDestinations(registryId, region) };
      // A failed read is not cached: the next lookup asks again.
      entry.destinations.catch(() => cache.delete(key));
      cache.set(key, entry);
    }
    return entry.destinations;
  };
  return async (missing, digest, signal, read = direct) => {
    const { candidates } = await copyCandidates(deps, missing, (id, region) => read('ecr:DescribeRegistry', () => destinations(id, region)));
    for (const at of candidates) {
      signal?.throwIfAborted();
      if ((await lookAt(deps, at, digest, read)).state === 'active') return at;
    }
    return undefined;
  };
}
