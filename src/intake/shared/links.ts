/** A link for the incident card. Only http(s): anything else from a sender is dropped. */
export interface Link {
  label: string;
  url: string;
}

/** Keeps a sender-supplied URL only if it is absolute http(s); `javascript:` and friends never reach a card. */
export function safeLink(label: string, url: string | undefined | null): Link | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    return { label, url: parsed.toString() };
  } catch {
    return undefined;
  }
}

/** Drops the `undefined`s `safeLink` returns; `undefined` when nothing is left (keeps Alerts small). */
export function linkList(...links: (Link | undefined)[]): Link[] | undefined {
  const kept = links.filter((l): l is Link => l !== undefined);
  return kept.length > 0 ? kept : undefined;
}

function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `${region}.console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

/** The CloudWatch console page of an alarm. */
export function cloudWatchAlarmConsoleUrl(region: string, alarmName: string): string {
  return `https://${consoleHost(region)}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/** The ECS console page of a service. */
export function ecsServiceConsoleUrl(region: string, cluster: string, service: string): string {
  return `https://${consoleHost(region)}/ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(service)}/health?region=${region}`;
}

/** The ECR console page of a repository's images. */
export function ecrRepositoryConsoleUrl(region: string, account: string, repository: string): string {
  return `https://${consoleHost(region)}/ecr/repositories/private/${account}/${repository}?region=${region}`;
}
