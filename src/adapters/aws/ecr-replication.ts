/**
 * `DescribeRegistry` → the registry's replication destinations. ECR describes only the caller's
 * own registry, so the client must carry the credentials of the account that owns it: the image
 * scan asks with each target's role, `restore` with the recovery role.
 */
import { DescribeRegistryCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ReplicationDestination } from '../../recovery/ports.js';
import { awsCall } from './sdk-call.js';

/** Every operation this sends, as IAM actions. */
export const ECR_REPLICATION_ACTIONS = ['ecr:DescribeRegistry'] as const;

/** Where `registryId`'s registry in `region` replicates to; [] when `client` belongs to another account. */
export async function describeReplicationDestinations(client: ECRClient, registryId: string, region: string): Promise<ReplicationDestination[]> {
  // A read of the image check: a denial names the read-only policy, which grants it.
  const out = await awsCall({ action: 'ecr:DescribeRegistry', resource: '*' }, () => client.send(new DescribeRegistryCommand({})));
  // Another account's registry: its replication rules are not ours to see.
  if (out.registryId !== registryId) return [];
  const destinations: ReplicationDestination[] = [];
  for (const rule of out.replicationConfiguration?.rules ?? []) {
    const filters = rule.repositoryFilters ?? [];
    const prefixes = filters.filter((f) => f.filterType === 'PREFIX_MATCH' && f.filter).map((f) => f.filter as string);
    // Filters of a type Lifeboat does not know: an empty prefix list would claim every repository.
    if (filters.length > 0 && prefixes.length === 0) continue;
    for (const d of rule.destinations ?? []) {
      if (!d.region || !d.registryId) continue;
      if (d.region === region && d.registryId === registryId) continue;
      destinations.push({ region: d.region, registryId: d.registryId, repositoryPrefixes: prefixes });
    }
  }
  return destinations;
}
