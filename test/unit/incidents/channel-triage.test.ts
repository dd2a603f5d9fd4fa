/**
 * Alert-channel messages as integrations post them. The shapes are CONSTRUCTED from each sender's
 * documented/observed Slack format (legacy attachments: title, title_link, text, fields, footer;
 * bot messages with `bot_id` / `subtype: bot_message`), not captured from a workspace.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createChannelTriage, plain, stableTitle, textFingerprint, triageChannelMessage, type ChannelMessage } from '../../../src/incidents/channel-triage.js';
import { notificationsSettingsSchema } from '../../../src/incidents/notifier-settings.js';
import { alarmFingerprint } from '../../../src/intake/index.js';
import type { Alert } from '../../../src/intake/alert.js';

const NOW = Date.UTC(2026, 2, 2, 10, 5);

function message(fields: Partial<ChannelMessage>): ChannelMessage {
  return { channel: 'C0ALERTS', ts: '1772445660.001200', text: '', attachments: [], blockTexts: [], ...fields };
}

function alertOf(m: ChannelMessage): Alert {
  const result = triageChannelMessage(m, { receivedAt: NOW, selfBotId: 'B0LIFEBOAT', selfUserId: 'U0LIFEBOAT' });
  if (result.kind !== 'alert') throw new Error(`ignored: ${result.reason}`);
  return result.alert;
}

const chatbotAlarm = (state: 'ALARM' | 'OK', ts = '1772445660.001200'): ChannelMessage =>
  message({
    ts,
    botId: 'B0AWSCHATBOT',
    userId: 'U0AWSCHATBOT',
    botName: 'AWS Chatbot',
    attachments: [
      {
        color: state === 'ALARM' ? '#d13212' : '#2eb886',
        fallback: `CloudWatch Alarm | api-5xx | us-east-1 | Account: 123456789012`,
        title: `${state === 'ALARM' ? ':rotating_light:' : ':white_check_mark:'} CloudWatch Alarm | api-5xx | us-east-1 | Account: 123456789012`,
        titleLink: 'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/api-5xx',
        text: state === 'ALARM'
          ? 'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (02/03/26 10:01:00)] was greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).'
          : 'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (02/03/26 10:09:00)] was not greater than the threshold (10.0) (minimum 1 datapoint for ALARM -> OK transition).',
        fields: [
          { title: 'Alarm state', value: `State changed from ${state === 'ALARM' ? 'OK to ALARM' : 'ALARM to OK'}` },
          { title: 'Threshold', value: 'HTTPCode_Target_5XX_Count > 10 for 1 datapoints within 1 minute' },
        ],
      },
    ],
  });

const grafana = (status: 'FIRING' | 'RESOLVED', count = 1, value = '2.31'): ChannelMessage =>
  message({
    botId: 'B0GRAFANA',
    botName: 'grafana',
    attachments: [
      {
        color: status === 'FIRING' ? '#D63232' : '#36a64f',
        title: `[${status}${status === 'FIRING' ? `:${count}` : ''}] HighLatency api (prod)`,
        titleLink: 'https://grafana.example.com/alerting/list',
        text: `**${status === 'FIRING' ? 'Firing' : 'Resolved'}**\n\nValue: B=${value}\nLabels:\n - alertname = HighLatency\n - service = api\n - cluster = prod\n - severity = critical\nAnnotations:\n - summary = p99 latency above 2s\nSource: https://grafana.example.com/alerting/grafana/abc/view`,
        footer: 'Grafana v10.4.1',
      },
    ],
  });

const datadog = (prefix: string, host: string, ts = '1772445700.000100'): ChannelMessage =>
  message({
    ts,
    botId: 'B0DATADOG',
    botName: 'Datadog',
    attachments: [
      {
        fallback: `${prefix}: [P2] High CPU on ${host}`,
        title: `${prefix}: [P2] High CPU on ${host}`,
        titleLink: 'https://app.datadoghq.com/monitors/12345678?from_ts=1772445000000',
        text: `CPU usage is above 90% (93.4%) on {host:${host},service:checkout,region:eu-west-1}\n@slack-alerts`,
        color: prefix === 'Recovered' ? '#2eb886' : '#e74c3c',
      },
    ],
  });

describe('alert-channel triage', () => {
  it('reads an AWS Chatbot alarm with the same fingerprint SNS intake gives that alarm, and its OK resolves it', () => {
    const firing = alertOf(chatbotAlarm('ALARM'));
    expect(firing).toMatchObject({
      source: 'slack-channel',
      deliveryId: 'slack:C0ALERTS:1772445660.001200',
      name: 'api-5xx',
      status: 'firing',
      severity: 'high',
      target: { account: '123456789012', region: 'us-east-1' },
      occurredAt: 1772445660001,
      links: [{ label: 'Open in AWS', url: 'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/api-5xx' }],
    });
    expect(firing.fingerprint).toBe(alarmFingerprint({ arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx', account: '123456789012', region: 'us-east-1', name: 'api-5xx' }));
    expect(firing.summary).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints/);
    const ok = alertOf(chatbotAlarm('OK', '1772446200.000300'));
    expect(ok).toMatchObject({ status: 'resolved', fingerprint: firing.fingerprint, severity: 'info' });
  });

  it('reads Grafana: status from [FIRING:n] / [RESOLVED], labels into the target, severity label, one fingerprint for both', () => {
    const firing = alertOf(grafana('FIRING', 1));
    expect(firing).toMatchObject({ name: 'HighLatency api (prod)', status: 'firing', severity: 'critical', target: { service: 'api', cluster: 'prod' }, labels: { sender: 'grafana' } });
    expect(alertOf(grafana('FIRING', 3, '4.02')).fingerprint).toBe(firing.fingerprint);
    expect(alertOf(grafana('RESOLVED'))).toMatchObject({ status: 'resolved', fingerprint: firing.fingerprint });
  });

  it('tells Alertmanager’s own Slack receiver from Grafana', () => {
    const am = message({ botId: 'B0AM', botName: 'alertmanager', attachments: [{ title: '[FIRING:2] KubePodCrashLooping (payments)', text: '*Alert:* KubePodCrashLooping - `warning`\n*Description:* Pod payments/api-7d9f is restarting 3.1 times / 10 minutes.', footer: '' }] });
    const result = triageChannelMessage(am, { receivedAt: NOW });
    expect(result.kind === 'alert' && result.sender).toBe('alertmanager');
    expect(result.kind === 'alert' && result.alert.severity).toBe('warning');
  });

  it('reads Datadog: Triggered / Recovered, [P1]–[P5] priority, and hosts that differ only by ids are one condition', () => {
    const a = alertOf(datadog('Triggered', 'i-0abc1234def567890'));
    const b = alertOf(datadog('Re-Triggered', 'i-0fed9876cba543210', '1772445800.000100'));
    expect(a).toMatchObject({ status: 'firing', severity: 'high', name: 'High CPU on i-…', target: { service: 'checkout', region: 'eu-west-1' }, labels: { sender: 'datadog' } });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(alertOf(datadog('Recovered', 'i-0abc1234def567890'))).toMatchObject({ status: 'resolved', fingerprint: a.fingerprint });
  });

  it('reads a plain webhook message: numbers, dates and ids stripped for the fingerprint, a resolve word up front', () => {
    const firing = alertOf(message({ subtype: 'bot_message', botId: 'B0HOOK', botName: 'cron-checker', text: ':red_circle: *Nightly export failed* on 2026-03-02 (job 48213) — error rate 12%' }));
    expect(firing).toMatchObject({ name: 'Nightly export failed on # (job #) — error rate #%', status: 'firing', severity: 'high', labels: { sender: 'webhook' } });
    const again = alertOf(message({ ts: '1772532060.000100', subtype: 'bot_message', botId: 'B0HOOK', text: ':red_circle: *Nightly export failed* on 2026-03-03 (job 48977) — error rate 3%' }));
    expect(again.fingerprint).toBe(firing.fingerprint);
    expect(alertOf(message({ subtype: 'bot_message', botId: 'B0HOOK', text: 'Resolved: Nightly export failed on 2026-03-02 (job 48213) — error rate 0%' }))).toMatchObject({ status: 'resolved', fingerprint: firing.fingerprint });
  });

  it.each([
    ['a person talking', message({ userId: 'U0ANA', text: 'anyone looking at the 5xx?' }), 'posted by a person'],
    ['Lifeboat itself', message({ botId: 'B0LIFEBOAT', userId: 'U0LIFEBOAT', text: 'HIGH · prod/api: image pull failed' }), 'Lifeboat itself'],
    ['a thread reply', message({ botId: 'B0HOOK', threadTs: '1772445000.000100', text: 'still failing' }), 'a thread reply'],
    ['an edit', message({ subtype: 'message_changed', botId: 'B0HOOK', text: 'x' }), 'subtype message_changed'],
    ['a join', message({ subtype: 'channel_join', userId: 'U0BOB', text: '<@U0BOB> has joined the channel' }), 'subtype channel_join'],
    ['an empty bot message', message({ botId: 'B0HOOK' }), 'no text'],
  ])('ignores %s', (_, m, reason) => {
    const result = triageChannelMessage(m, { receivedAt: NOW, selfBotId: 'B0LIFEBOAT', selfUserId: 'U0LIFEBOAT' });
    expect(result).toEqual({ kind: 'ignore', reason: expect.stringContaining(reason) as string });
  });

  it('skips bots listed in ignoreBots and senders not enabled for the channel', () => {
    expect(triageChannelMessage(grafana('FIRING'), { receivedAt: NOW, ignoreBots: ['B0GRAFANA'] }).kind).toBe('ignore');
    expect(triageChannelMessage(grafana('FIRING'), { receivedAt: NOW, senders: ['aws-chatbot'] })).toEqual({ kind: 'ignore', reason: 'sender grafana is not read in this channel' });
  });

  it('never carries Slack markup from the message into an alert name: broadcasts and mentions are dropped, links keep their label', () => {
    const m = message({ botId: 'B0HOOK', text: '<!channel> <!subteam^S0ONCALL|@oncall> Disk full on <https://evil.example/x|db-1> <@U0ANA> &lt;urgent&gt;' });
    const alert = alertOf(m);
    expect(alert.name).toBe('@oncall Disk full on db-# @user <urgent>');
    expect(alert.name).not.toMatch(/<!|<@|<https?:/);
    expect(plain('<https://x|y> & <mailto:a@b.c>')).toBe('y & mailto:a@b.c');
  });

  it('normalises titles as documented', () => {
    expect(stableTitle('[FIRING:2] CPU 93.5% on i-0abc12345def at 2026-03-02T10:02Z')).toBe('CPU #% on i-… at #');
    expect(stableTitle('Triggered: Task 3f9a2c1b7e4d failed at 10:02:11 UTC (run 7f3a2c1b-1111-2222-3333-444455556666)')).toBe('Task … failed at # (run …)');
    expect(textFingerprint('A')).toBe(textFingerprint('a'));
    expect(textFingerprint('a', '111122223333')).not.toBe(textFingerprint('a', '444455556666'));
  });
});

describe('createChannelTriage', () => {
  it('stores alerts from configured channels through the sink, with the channel’s own sender list', async () => {
    const accepted: Alert[] = [];
    const triage = createChannelTriage({
      sink: { accept: (alerts) => Promise.resolve(void accepted.push(...alerts)) },
      settings: notificationsSettingsSchema.parse({ alertChannels: [{ channel: 'C0ALERTS', ignoreBots: ['B0DEPLOY'] }, { channel: 'C0GRAFANA', senders: ['grafana'] }] }),
      clock: new ManualClock(NOW),
      logger: silentLogger,
    });
    expect(triage.channels).toEqual(['C0ALERTS', 'C0GRAFANA']);
    await triage.handle(chatbotAlarm('ALARM'));
    await triage.handle({ ...datadog('Triggered', 'web-1'), channel: 'C0GRAFANA' });
    await triage.handle({ ...grafana('FIRING'), channel: 'C0GRAFANA' });
    await triage.handle({ ...grafana('FIRING'), channel: 'C0OTHER' });
    await triage.handle(message({ botId: 'B0DEPLOY', text: 'Deployed api v1.2.3' }));
    await triage.handle(message({ botId: 'B0LIFEBOAT', text: 'card' }), { botId: 'B0LIFEBOAT' });
    expect(accepted.map((a) => a.labels?.sender)).toEqual(['aws-chatbot', 'grafana']);
  });
});
