/**
 * Builds `image-event` Alerts: facts for the image graph, not incidents. One Alert per image
 * (repository + digest), so the graph can apply each independently.
 *
 * Fingerprint: `ecr-image/<account>/<region>/<repository>@<digest>/<action>` — the action is part of
 * it so a push and a later delete of the same digest are never merged by a dedup window.
 * Status is always `firing` (an event is a fact, there is nothing to resolve); severity `info` for
 * success, `warning` for a failed action (a failed replication means the image is missing where it
 * was meant to be).
 */
import type { Alert, AlertSource, ImageEvent } from '../alert.js';
import { ecrRepositoryConsoleUrl, linkList, safeLink } from '../shared/links.js';
import { clip, cleanLabels, MAX_SUMMARY_CHARS } from '../shared/text.js';

export interface ImageEventInput {
  source: AlertSource;
  deliveryId: string;
  account: string;
  region: string;
  occurredAt: number;
  /** Human name of the sender's event, e.g. `ECR Image Action`. */
  name: string;
  event: ImageEvent;
  labels?: Record<string, string>;
}

const VERBS: Record<ImageEvent['action'], string> = {
  push: 'pushed',
  delete: 'deleted',
  expire: 'expired by lifecycle policy',
  archive: 'archived',
  restore: 'restored from archive',
  replicate: 'replicated',
  'pull-through-cache': 'cached from upstream',
};

export function imageEventFingerprint(account: string, region: string, event: Pick<ImageEvent, 'repository' | 'digest' | 'action'>): string {
  return `ecr-image/${account}/${region}/${event.repository}@${event.digest}/${event.action}`;
}

export function imageEventAlert(input: ImageEventInput): Alert {
  const { event } = input;
  const tag = event.tags[0];
  const ref = `${event.repository}${tag ? `:${tag}` : ''}@${shortDigest(event.digest)}`;
  const verb = event.result === 'success' ? VERBS[event.action] : `${VERBS[event.action]} — FAILED`;
  const alert: Alert = {
    source: input.source,
    deliveryId: input.deliveryId,
    fingerprint: imageEventFingerprint(input.account, input.region, event),
    name: input.name,
    status: 'firing',
    severity: event.result === 'success' ? 'info' : 'warning',
    class: 'image-event',
    summary: clip(`Image ${ref} ${verb}`, MAX_SUMMARY_CHARS),
    target: {
      account: input.account,
      region: input.region,
      repository: event.repository,
      imageDigest: event.digest,
      ...(tag ? { imageTag: tag } : {}),
    },
    occurredAt: input.occurredAt,
    labels: cleanLabels([['action', event.action], ['result', event.result], ...Object.entries(input.labels ?? {})]),
    imageEvent: event,
  };
  const links = linkList(safeLink('ECR repository', ecrRepositoryConsoleUrl(input.region, input.account, event.repository)));
  if (links) alert.links = links;
  return alert;
}

function shortDigest(digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return `sha256:${hex.slice(0, 12)}`;
}
