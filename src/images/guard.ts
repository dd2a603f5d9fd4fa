import type { Alert } from '../intake/alert.js';
import type { ScanReport, ServiceReport } from './report.js';

/**
 * The deletion tripwire and the scheduled guard, as pure functions. A scan report becomes
 * alerts of source `lifeboat` that go through intake like any other, so a newly missing image
 * opens an `image-unavailable` incident (grouped with the service's CannotPull alerts, if any)
 * before a task fails, an at-risk image posts a warning naming the rule, and an image that is
 * back resolves both. Fingerprints are per service so the same finding is one alert however
 * often the guard runs.
 */
export function guardAlerts(report: ScanReport, now: number): Alert[] {
  const alerts: Alert[] = [];
  for (const service of report.services) {
    const missing = service.findings.filter((f) => f.severity === 'missing');
    const atRisk = service.findings.filter((f) => f.severity === 'at-risk');
    // An unknown answer (access denied, throttled) decides nothing: leave whatever is open.
    if (service.status === 'unknown' && missing.length === 0 && atRisk.length === 0) continue;
    alerts.push(guardAlert(service, 'missing', missing.map((f) => f.sentence), report.finishedAt, now));
    alerts.push(guardAlert(service, 'at-risk', atRisk.map((f) => f.sentence), report.finishedAt, now));
  }
  return alerts;
}

function guardAlert(service: ServiceReport, kind: 'missing' | 'at-risk', sentences: string[], scanAt: string, now: number): Alert {
  const where = `${service.account}/${service.region}/${service.cluster}/${service.service}`;
  const fingerprint = `image-guard/${where}/${kind}`;
  const firing = sentences.length > 0;
  const status = firing ? 'firing' : 'resolved';
  const label = `${service.cluster}/${service.service}`;
  return {
    source: 'lifeboat',
    deliveryId: `${fingerprint}@${scanAt}/${status}`,
    fingerprint,
    name: kind === 'missing' ? 'image missing' : 'image at risk',
    status,
    severity: kind === 'missing' ? 'critical' : 'warning',
    // At-risk is a warning about the future, not image loss: it must not offer the restore runbook.
    class: kind === 'missing' ? 'image-unavailable' : 'other',
    // The finding's own sentence says what is gone and what fails next; it is what the card shows.
    summary: firing ? `${sentences[0] ?? label}${sentences.length > 1 ? ` (and ${sentences.length - 1} more)` : ''}` : `${label}: every image it pins is available`,
    description: sentences.join('\n'),
    target: { account: service.account, region: service.region, cluster: service.cluster, service: service.service },
    occurredAt: now,
  };
}

/** Where a digest is in use, for the tripwire: a DELETE of it re-checks these services at once. */
export interface DigestUse {
  account: string;
  region: string;
  cluster: string;
  service: string;
}

/** digest → the services that run it (pinned digests and index children alike). */
export function digestIndex(report: ScanReport): Map<string, DigestUse[]> {
  const byLabel = new Map(report.services.map((s) => [`${s.cluster}/${s.service}`, s]));
  const index = new Map<string, DigestUse[]>();
  for (const image of report.images) {
    if (!image.digest) continue;
    const uses = image.services.flatMap((label) => {
      const s = byLabel.get(label);
      return s ? [{ account: s.account, region: s.region, cluster: s.cluster, service: s.service }] : [];
    });
    if (uses.length > 0) index.set(image.digest, uses);
  }
  return index;
}

/**
 * The services to re-check for an incoming alert: the users of a deleted, expired or archived
 * digest (from the index), or the service whose task could not pull its image.
 */
export async function servicesToRecheck(alert: Alert, lookup: (digest: string) => Promise<DigestUse[]>): Promise<DigestUse[]> {
  const event = alert.imageEvent;
  if (alert.class === 'image-event' && event && ['delete', 'expire', 'archive'].includes(event.action) && event.result === 'success') {
    return lookup(event.digest);
  }
  const lost = alert.pullFailure === 'image-not-found' || alert.pullFailure === 'platform-mismatch';
  const t = alert.target;
  if (alert.class === 'image-pull-failed' && alert.status === 'firing' && lost && t.cluster && t.service && t.account && t.region) {
    return [{ account: t.account, region: t.region, cluster: t.cluster, service: t.service }];
  }
  return [];
}
