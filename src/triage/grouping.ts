import type { Alert } from '../intake/alert.js';
import type { TriageSettings } from './settings.js';

/**
 * The group key: alerts with the same key belong to the same incident. With the default rules
 * a service's CloudWatch alarm, its stopped tasks and its `SERVICE_TASK_START_IMPAIRED` event
 * all give `service:123456789012/eu-west-1/prod/api`, so they join one incident, whatever
 * their names; an alert about no service or queue falls back to its name.
 *
 * Keys are readable on purpose (they show up in `redis-cli` and the API); the rule's last field
 * prefixes the key so two rules can never produce the same key.
 */
export function groupKeyOf(alert: Pick<Alert, 'target' | 'name' | 'fingerprint' | 'senderGroupKey' | 'source'>, grouping: TriageSettings['grouping']): string {
  const target = alert.target;
  for (const rule of grouping.rules) {
    const anchor = rule[rule.length - 1];
    if (anchor === undefined || !target[anchor]) continue;
    return `${anchor}:${rule.map((field) => target[field] ?? '-').join('/')}`;
  }
  for (const fallback of grouping.fallback) {
    switch (fallback) {
      case 'senderGroupKey':
        if (alert.senderGroupKey) return `sender:${alert.source}:${alert.senderGroupKey}`;
        break;
      case 'name': {
        // The same alarm name in two accounts or regions is two alarms.
        const where = [target.account, target.region, target.cluster].filter((part): part is string => Boolean(part));
        return `name:${[...where, alert.name].join('/')}`;
      }
      case 'fingerprint':
        return `fingerprint:${alert.fingerprint}`;
    }
  }
  return `fingerprint:${alert.fingerprint}`;
}
