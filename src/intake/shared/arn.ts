/** The parts of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN; `undefined` for anything that is not one. The resource part may contain `:`. */
export function parseArn(value: string | undefined): Arn | undefined {
  if (!value?.startsWith('arn:')) return undefined;
  const parts = value.split(':');
  if (parts.length < 6) return undefined;
  const [, partition, service, region, account] = parts;
  if (!partition || !service) return undefined;
  return { partition, service, region: region ?? '', account: account ?? '', resource: parts.slice(5).join(':') };
}

/** `arn:aws:ecs:...:cluster/prod` → `prod`. */
export function ecsClusterName(clusterArn: string | undefined): string | undefined {
  const arn = parseArn(clusterArn);
  if (!arn?.resource.startsWith('cluster/')) return undefined;
  return arn.resource.slice('cluster/'.length) || undefined;
}

/**
 * Service and (for the current ARN format) cluster names from a service ARN. The old format
 * `service/<name>` has no cluster; callers then take it from `detail.clusterArn`.
 */
export function ecsServiceFromArn(serviceArn: string | undefined): { cluster?: string; service: string } | undefined {
  const arn = parseArn(serviceArn);
  if (!arn?.resource.startsWith('service/')) return undefined;
  const path = arn.resource.slice('service/'.length).split('/');
  if (path.length === 1 && path[0]) return { service: path[0] };
  if (path.length === 2 && path[0] && path[1]) return { cluster: path[0], service: path[1] };
  return undefined;
}

/** The partition a region belongs to, for ARNs we have to build ourselves. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Is this a region code such as `eu-west-1` or `us-gov-east-1`? */
export function isRegionCode(value: string | undefined): value is string {
  return value !== undefined && /^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(value);
}
