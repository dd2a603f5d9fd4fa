import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, 'a');

describe('loadConfig', () => {
  it('gives a working terminal-only config with no environment at all', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.slack.mode).toBe('off');
    expect(result.config.http).toEqual({ port: 3000, host: '0.0.0.0', maxBodyBytes: 262144 });
    expect(result.config.confirmations.ttlMs).toBe(300_000);
    expect(result.config.redis.url).toBeUndefined();
    expect(Object.isFrozen(result.config.access.operate.users)).toBe(true);
  });

  it('chooses Socket Mode with an app token and HTTP mode without one', () => {
    const socket = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-2-abc' });
    const http = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: SECRET });
    expect(socket.ok && socket.config.slack.mode).toBe('socket');
    expect(http.ok && http.config.slack.mode).toBe('http');
  });

  it('reports every problem at once, naming each variable, without echoing secrets', () => {
    const result = loadConfig({
      SLACK_BOT_TOKEN: 'xoxp-user-token-secret',
      SLACK_APP_TOKEN: 'not-an-app-token',
      LIFEBOAT_PORT: '99999',
      REDIS_URL: 'http://localhost',
      LIFEBOAT_LOG_LEVEL: 'loud',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.where).sort()).toEqual(['LIFEBOAT_LOG_LEVEL', 'LIFEBOAT_PORT', 'REDIS_URL', 'SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    expect(result.problems.find((p) => p.where === 'SLACK_BOT_TOKEN')?.message).toContain('xoxb-');
    expect(JSON.stringify(result.problems)).not.toContain('xoxp-user-token-secret');
  });

  it('refuses HTTP mode without a signing secret', () => {
    const result = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.objectContaining({ where: 'SLACK_SIGNING_SECRET', critical: true })]);
  });

  it('reads access grants from lifeboat.yaml and reports its problems with their path', () => {
    const good = loadConfig({}, 'access:\n  operate:\n    userGroups: [S0ONCALL]\n  commands:\n    redeploy: { users: [U0ALICE], channels: [C0OPS] }\n');
    expect(good.ok && good.config.access.commands.redeploy).toEqual({ users: ['U0ALICE'], userGroups: [], channels: ['C0OPS'] });
    const bad = loadConfig({ LIFEBOAT_CONFIG: 'conf/lb.yaml' }, 'access:\n  operate:\n    users: [alice]\n  nope: 1\n');
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.where).sort()).toEqual(['conf/lb.yaml: access', 'conf/lb.yaml: access.operate.users.0']);
    const broken = loadConfig({}, 'access: [unclosed');
    expect(!broken.ok && broken.problems[0]?.message).toContain('is not valid YAML');
  });

  it('treats blank variables as unset', () => {
    const result = loadConfig({ SLACK_BOT_TOKEN: '', REDIS_URL: '' });
    expect(result.ok && result.config.slack.mode).toBe('off');
  });
});
