import { describe, expect, it } from 'vitest';
import { channelFor, defaultNotificationsSettings, mentionsFor, notificationsSettingsSchema, resolveNotificationsSettings } from '../../../src/incidents/notifier-settings.js';

const incident = (over: Partial<{ severity: 'critical' | 'high' | 'warning' | 'info'; class: 'image-pull-failed' | 'other'; service: string }> = {}) => ({
  severity: over.severity ?? 'high',
  class: over.class ?? 'image-pull-failed',
  target: { account: '111122223333', region: 'us-west-2', cluster: 'prod', service: over.service ?? 'api' },
});

describe('notifications settings', () => {
  it('has defaults for everything but the channel', () => {
    expect(defaultNotificationsSettings).toEqual({
      routes: [],
      mentions: [],
      coalesce: { cardSeconds: 5, threadSeconds: 30, threadLines: 10 },
      storm: { summary: true, updateSeconds: 15, quietSeconds: 120, topIncidents: 10 },
      alertChannels: [],
      api: { tokenEnv: ['LIFEBOAT_API_TOKEN'] },
    });
  });

  it('parses mentions from ids and keywords, and refuses handles and markup', () => {
    const parsed = notificationsSettingsSchema.parse({
      channel: 'C0ALERTS',
      mentions: [
        { mention: 'here', when: { severity: ['critical'] } },
        { mention: ['S0ONCALL', 'U0ANA', '@channel'], when: { class: ['image-pull-failed'] }, on: ['renotify'] },
      ],
    });
    expect(parsed.mentions[0]).toEqual({ mention: [{ type: 'here' }], when: { severity: ['critical'] }, on: ['new', 'renotify', 'storm'] });
    expect(parsed.mentions[1]?.mention).toEqual([{ type: 'usergroup', id: 'S0ONCALL' }, { type: 'user', id: 'U0ANA' }, { type: 'channel' }]);
    for (const bad of ['@oncall', '<!channel>', 'everyone', 's0lower']) {
      expect(notificationsSettingsSchema.safeParse({ mentions: [{ mention: bad }] }).success, bad).toBe(false);
    }
    expect(notificationsSettingsSchema.safeParse({ channel: '#alerts <!here>' }).success).toBe(false);
    expect(notificationsSettingsSchema.safeParse({ coalesce: { cardSeconds: 0 } }).success).toBe(false);
    expect(notificationsSettingsSchema.safeParse({ surprise: true }).success).toBe(false);
  });

  it('routes to the first matching channel and pings by the first matching rule for the occasion', () => {
    const settings = notificationsSettingsSchema.parse({
      channel: 'C0ALERTS',
      routes: [{ channel: 'C0PAY', when: { service: ['payments'] } }],
      mentions: [
        { mention: 'S0ONCALL', when: { severity: ['critical'] }, on: ['new'] },
        { mention: 'here', when: { class: ['image-pull-failed'] } },
      ],
    });
    expect(channelFor(settings, incident({ service: 'payments' }))).toBe('C0PAY');
    expect(channelFor(settings, incident())).toBe('C0ALERTS');
    expect(mentionsFor(settings, incident({ severity: 'critical' }), 'new')).toEqual([{ type: 'usergroup', id: 'S0ONCALL' }]);
    expect(mentionsFor(settings, incident({ severity: 'critical' }), 'renotify')).toEqual([{ type: 'here' }]);
    expect(mentionsFor(settings, incident({ class: 'other', severity: 'warning' }), 'new')).toEqual([]);
  });

  it('resolves the API token from the environment; problems name the variable, never the value', () => {
    const settings = notificationsSettingsSchema.parse({ api: { tokenEnv: ['API_A', 'API_B', 'API_C'] } });
    const resolved = resolveNotificationsSettings(settings, { API_A: 'a'.repeat(32), API_B: 'tiny-val', API_C: 'has space 0123456789abcdef' });
    expect(resolved.apiTokens).toEqual(['a'.repeat(32)]);
    expect(resolved.problems.map((p) => p.where)).toEqual(['API_B', 'API_C']);
    expect(JSON.stringify(resolved.problems)).not.toContain('tiny-val');
    expect(resolved.warnings).toEqual(['notifications.channel is not set: incident cards are not posted anywhere (incidents are still stored; see `incidents`).']);
    expect(resolveNotificationsSettings(defaultNotificationsSettings, {}).warnings[1]).toContain('GET /api/incidents is not mounted');
  });
});
