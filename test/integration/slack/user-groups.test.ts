import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { SlackApiError, UserGroupResolver } from '../../../src/adapters/slack/index.js';
import type { SlackApiResult } from '../../../src/adapters/slack/index.js';
import { recordingLogger } from './harness.js';

/** A scripted `outbox.call`: answers by method, records each call. */
function scriptedOutbox(answers: Record<string, (args: Record<string, unknown>) => SlackApiResult | Error>) {
  const calls: { method: string; args: Record<string, unknown> }[] = [];
  return {
    calls,
    call(method: string, args: Record<string, unknown> = {}): Promise<SlackApiResult> {
      calls.push({ method, args });
      const answer = answers[method]?.(args) ?? new Error(`unexpected ${method}`);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

const groupsList = () => ({
  ok: true,
  usergroups: [
    { id: 'S0ONCALL', users: ['U1', 'U2'] },
    { id: 'S0LEADS', users: ['U2'] },
    { id: 'S0BIG' },
  ],
});

describe('UserGroupResolver', () => {
  it('maps users to their groups, asking usergroups.users.list only for a group sent without members', async () => {
    const outbox = scriptedOutbox({ 'usergroups.list': groupsList, 'usergroups.users.list': () => ({ ok: true, users: ['U3', 'U2'] }) });
    const resolver = new UserGroupResolver({ outbox, logger: recordingLogger(), clock: new ManualClock() });
    expect(await resolver.groupsOf('U2')).toEqual(['S0ONCALL', 'S0LEADS', 'S0BIG']);
    expect(await resolver.groupsOf('U1')).toEqual(['S0ONCALL']);
    expect(await resolver.groupsOf('U9')).toEqual([]);
    expect(outbox.calls).toEqual([
      { method: 'usergroups.list', args: { include_users: true, include_disabled: false } },
      { method: 'usergroups.users.list', args: { usergroup: 'S0BIG' } },
    ]);
  });

  it('serves from cache until the TTL passes, and shares one refresh between concurrent lookups', async () => {
    const clock = new ManualClock();
    const outbox = scriptedOutbox({ 'usergroups.list': () => ({ ok: true, usergroups: [{ id: 'S0ONCALL', users: ['U1'] }] }) });
    const resolver = new UserGroupResolver({ outbox, logger: recordingLogger(), clock, ttlMs: 60_000 });
    await Promise.all([resolver.groupsOf('U1'), resolver.groupsOf('U1'), resolver.groupsOf('U2')]);
    expect(outbox.calls).toHaveLength(1);

    clock.advance(59_999);
    await resolver.groupsOf('U1');
    expect(outbox.calls).toHaveLength(1);

    clock.advance(1);
    await resolver.groupsOf('U1');
    expect(outbox.calls).toHaveLength(2);
  });

  it('keeps the last known membership when Slack refuses, and grants nothing when it never answered', async () => {
    const clock = new ManualClock();
    let fail = true;
    const logger = recordingLogger();
    const outbox = scriptedOutbox({
      'usergroups.list': () => (fail ? new SlackApiError('usergroups.list', 'missing_scope', { retryable: false }) : groupsList()),
      'usergroups.users.list': () => ({ ok: true, users: [] }),
    });
    const resolver = new UserGroupResolver({ outbox, logger, clock, ttlMs: 60_000, retryAfterFailureMs: 10_000 });

    expect(await resolver.groupsOf('U1')).toEqual([]);
    expect(logger.warnings.join('\n')).toContain('usergroups:read');

    fail = false;
    clock.advance(10_000);
    expect(await resolver.groupsOf('U1')).toEqual(['S0ONCALL']);

    fail = true;
    clock.advance(60_000);
    expect(await resolver.groupsOf('U1')).toEqual(['S0ONCALL']);
  });
});
