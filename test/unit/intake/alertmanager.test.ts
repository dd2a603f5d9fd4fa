import { describe, expect, it } from 'vitest';
import { labelSetFingerprint } from '../../../src/intake/alertmanager/fingerprint.js';
import { parseAlertmanagerWebhook } from '../../../src/intake/alertmanager/webhook.js';
import { alertsOf, fixture, fixtureText, ignoredReason, refusal } from './fixtures.js';

const DIR = 'alertmanager';
const GROUP_KEY = '{}:{alertname="ECSServiceRunningBelowDesired", service="checkout"}';

describe('Alertmanager webhook v4', () => {
  it('parses the firing, truncated 0.25 capture: one alert per entry, truncation kept', () => {
    const list = alertsOf(parseAlertmanagerWebhook(fixtureText(`${DIR}/webhook-v4.am0.25.01-firing-truncated.json`)));
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      source: 'alertmanager',
      deliveryId: 'alertmanager/2476351af2777e2d@2026-11-21T23:24:43.736928529Z/firing',
      fingerprint: 'alertmanager/2476351af2777e2d',
      name: 'ECSServiceRunningBelowDesired',
      status: 'firing',
      severity: 'critical',
      class: 'other',
      summary: 'checkout running tasks below desired',
      target: { cluster: 'prod-apps', service: 'checkout' },
      occurredAt: Date.parse('2026-11-21T23:24:43.736Z'),
      truncatedAlerts: 1,
      senderGroupKey: GROUP_KEY,
      labels: { alertname: 'ECSServiceRunningBelowDesired', task_group: 'a', severity: 'critical' },
      links: [
        { label: 'Source', url: 'http://prometheus.example.internal:9090/graph?g0.expr=ecs_service_running_tasks%20%3C%20ecs_service_desired_tasks' },
        { label: 'Runbook', url: 'https://runbooks.example.internal/ecs/running-below-desired' },
      ],
    });
    expect(list[1]).toMatchObject({ fingerprint: 'alertmanager/2480351af27fd2b2', truncatedAlerts: 1 });
  });

  it('resolves the same alerts with the resolved capture: same fingerprints, occurredAt = endsAt, distinct deliveryIds', () => {
    const firing = alertsOf(parseAlertmanagerWebhook(fixture(`${DIR}/webhook-v4.am0.25.01-firing-truncated.json`)));
    const resolved = alertsOf(parseAlertmanagerWebhook(fixture(`${DIR}/webhook-v4.am0.25.03-resolved-truncated.json`)));
    expect(resolved.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(resolved.map((a) => a.fingerprint)).toEqual(firing.map((a) => a.fingerprint));
    expect(resolved[0]).toMatchObject({
      deliveryId: 'alertmanager/2476351af2777e2d@2026-11-21T23:24:43.736928529Z/resolved',
      occurredAt: Date.parse('2026-11-21T23:25:03Z'),
      truncatedAlerts: 1,
    });
  });

  it('parses the untruncated two-alert capture', () => {
    const list = alertsOf(parseAlertmanagerWebhook(fixture(`${DIR}/webhook-v4.am0.25.04-firing-two-alerts.json`)));
    expect(list.map((a) => a.fingerprint)).toEqual(['alertmanager/85715f24c2d54de0', 'alertmanager/f96bb8095dd39871']);
    expect(list[0]).toMatchObject({ truncatedAlerts: 0, target: { cluster: 'prod-apps', service: 'payments' }, summary: 'payments task stopped: CannotPullContainerError' });
  });

  it('parses the 2018 payload without fingerprint or per-alert status, computing the fingerprint Alertmanager would', () => {
    const body = fixture(`${DIR}/webhook-v4.prometheus-msteams-readme.2018-debug-capture.json`);
    const [alert] = alertsOf(parseAlertmanagerWebhook(body));
    const expected = labelSetFingerprint(body.alerts[0].labels);
    expect(alert).toMatchObject({
      fingerprint: `alertmanager/${expected}`,
      deliveryId: `alertmanager/${expected}@2018-03-07T06:33:21.873077559-05:00/firing`,
      status: 'firing',
      severity: 'warning',
      name: 'high_memory_load',
      summary: 'Server High Memory usage',
      description: '10.80.40.11 reported high memory usage with 23.28%.',
      occurredAt: Date.parse('2018-03-07T11:33:21.873Z'),
    });
    expect(alert!.truncatedAlerts).toBeUndefined();
    // Same input twice → same fingerprint (stable, sorted labels).
    const again = alertsOf(parseAlertmanagerWebhook({ ...body, alerts: [{ ...body.alerts[0], labels: Object.fromEntries(Object.entries(body.alerts[0].labels).reverse()) }] }));
    expect(again[0]!.fingerprint).toBe(alert!.fingerprint);
  });

  it('computes exactly the fingerprints Alertmanager 0.25 sent', () => {
    for (const file of ['webhook-v4.am0.25.01-firing-truncated.json', 'webhook-v4.am0.25.04-firing-two-alerts.json']) {
      for (const entry of fixture(`${DIR}/${file}`).alerts) expect(labelSetFingerprint(entry.labels)).toBe(entry.fingerprint);
    }
  });

  it('handles a mixed group: per-alert status, lifeboat_class, severity "page", and drops a javascript: link', () => {
    const [firing, resolved] = alertsOf(parseAlertmanagerWebhook(fixture(`${DIR}/webhook-v4.mixed-firing-resolved.lifeboat-CONSTRUCTED.json`)));
    expect(firing).toMatchObject({
      status: 'firing',
      severity: 'critical',
      class: 'queue-backlog',
      target: { account: '123456789012', region: 'us-east-1', queue: 'orders-events' },
      description: 'Visible messages: 12873',
      links: [
        { label: 'Source', url: 'http://prometheus.example.internal:9090/graph?g0.expr=x' },
        { label: 'Dashboard', url: 'https://grafana.example.internal/d/sqs' },
      ],
    });
    expect(resolved).toMatchObject({ status: 'resolved', class: 'other', occurredAt: Date.parse('2026-11-21T23:39:00Z') });
  });

  describe('malformed input', () => {
    it('refuses a payload without alerts[] as UNKNOWN_SHAPE', () => {
      expect(refusal(parseAlertmanagerWebhook({ receiver: 'x' }))).toMatchObject({ status: 400, code: 'UNKNOWN_SHAPE' });
    });

    it('refuses another webhook version, naming it', () => {
      const body = fixture(`${DIR}/webhook-v4.am0.25.04-firing-two-alerts.json`);
      body.version = '5';
      expect(refusal(parseAlertmanagerWebhook(body))).toMatchObject({ status: 400, reason: expect.stringContaining('version: unsupported webhook version') });
    });

    it('names an alert without labels', () => {
      const body = fixture(`${DIR}/webhook-v4.am0.25.04-firing-two-alerts.json`);
      delete body.alerts[1].labels;
      expect(refusal(parseAlertmanagerWebhook(body))).toMatchObject({ status: 400, reason: expect.stringContaining('alerts.1.labels') });
    });

    it('names an unreadable startsAt', () => {
      const body = fixture(`${DIR}/webhook-v4.am0.25.04-firing-two-alerts.json`);
      body.alerts[0].startsAt = 'soon';
      expect(refusal(parseAlertmanagerWebhook(body))).toMatchObject({ status: 400, reason: expect.stringContaining('alerts.0.startsAt') });
    });

    it('ignores an empty group', () => {
      const body = fixture(`${DIR}/webhook-v4.am0.25.04-firing-two-alerts.json`);
      body.alerts = [];
      expect(ignoredReason(parseAlertmanagerWebhook(body))).toMatch(/no alerts/);
    });

    it('refuses invalid JSON', () => {
      expect(refusal(parseAlertmanagerWebhook('{"alerts": ['))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    });
  });
});
