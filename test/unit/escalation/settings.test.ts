import { describe, expect, it } from 'vitest';
import { choosePolicy, judge } from '../../../src/escalation/policy.js';
import { escalationSettingsSchema, resolveEscalationSecrets } from '../../../src/escalation/settings.js';

function problems(input: unknown): string[] {
  const r = escalationSettingsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('escalation settings', () => {
  it('defaults to on, with no policy', () => {
    const s = escalationSettingsSchema.parse({});
    expect(s).toMatchObject({ enabled: true, policies: [], rotations: [], heartbeats: [], synthetics: [], sweepSeconds: 60 });
    expect(s.stuck).toEqual({ ackedIdleMinutes: 30, approvalWaitMinutes: 15, backlog: { afterMinutes: 10, growthPercent: 20 }, adoptWithinMinutes: 60 });
  });

  it('reports every problem with its path, for lifeboat check', () => {
    expect(problems({
      rotations: [{ id: 'primary', handover: 'weekly', start: '2026-01-05T09:00', timezone: 'Mars/Olympus', people: ['U01ANA'] }],
      policies: [
        { id: 'all', steps: [{ waitMinutes: 0, notify: [{ oncall: 'secondary' }] }] },
        { id: 'never', steps: [{ waitMinutes: 0, notify: [{ pagerduty: 'main' }, { channel: 'everyone' }, { users: ['bob'] }, { oncall: 'primary', pagerduty: 'main' }, {}] }], repeat: 2, repeatAfterMinutes: 0 },
        { id: 'all', match: { severities: ['critical'] }, steps: [{ waitMinutes: 1, notify: [{ channel: 'quiet' }] }] },
      ],
      defaultPolicy: 'nope',
      heartbeats: [{ id: 'wd', name: 'Watchdog', match: { source: ['alertmanager'] }, intervalMinutes: 5 }],
    })).toEqual([
      'policies.1.steps.0.notify.1.channel: Invalid option: expected one of "quiet"|"here"|"channel"',
      'policies.1.steps.0.notify.2.users.0: must be a Slack user id such as U01ABCDEF (profile → ⋯ → Copy member ID)',
      'policies.1.steps.0.notify.3: names oncall and pagerduty; one target per entry',
      'policies.1.steps.0.notify.4: names no target; use one of channel, userGroup, users, oncall, pagerduty, opsgenie, webhook',
      'heartbeats.0.match: needs at least one of name, fingerprint or labels',
    ]);
    expect(problems({
      rotations: [{ id: 'primary', handover: 'weekly', start: '2026-01-05T09:00', timezone: 'Mars/Olympus', people: ['U01ANA'] }],
      policies: [
        { id: 'all', steps: [{ waitMinutes: 0, notify: [{ oncall: 'secondary' }] }] },
        { id: 'never', steps: [{ waitMinutes: 0, notify: [{ pagerduty: 'main' }] }], repeat: 2, repeatAfterMinutes: 0 },
        { id: 'all', match: { severities: ['critical'] }, steps: [{ waitMinutes: 1, notify: [{ channel: 'quiet' }] }] },
      ],
      defaultPolicy: 'nope',
    })).toEqual([
      'policies.2.id: duplicate id "all"',
      'policies.0.steps.0.notify.0: no rotation named "secondary" (known: primary)',
      'policies.1.steps.0.notify.0: no pagerduty named "main" (none is configured under escalation.pagerduty)',
      'policies.1.repeatAfterMinutes: must be more than 0 when every step waits 0 minutes, or all rounds would page at once',
      'defaultPolicy: no policy named "nope"',
      'policies.1.id: is never used: policy "all" before it matches every incident',
      'rotations.0.timezone: "Mars/Olympus" is not an IANA time zone such as Europe/Berlin or UTC',
    ]);
  });

  it('reads paging secrets from the environment: unset and used is critical, unset and unused a warning', () => {
    const s = escalationSettingsSchema.parse({
      pagerduty: { main: { routingKeyEnv: 'PD_KEY' }, spare: { routingKeyEnv: 'PD_SPARE' } },
      webhooks: { bridge: { url: 'https://bridge.example/hook', secretEnv: 'BRIDGE_SECRET' } },
      policies: [{ id: 'p', steps: [{ waitMinutes: 0, notify: [{ pagerduty: 'main' }, { webhook: 'bridge' }] }] }],
    });
    const { secrets, problems: found } = resolveEscalationSecrets(s, { PD_KEY: 'r0ut1ngkey0123456789abcdef012345', BRIDGE_SECRET: 'with space ' });
    expect(secrets.pagerduty).toEqual({ main: 'r0ut1ngkey0123456789abcdef012345' });
    expect(found).toEqual([
      { where: 'PD_SPARE', message: 'is not set, so pagerduty "spare" (lifeboat.yaml: escalation.pagerduty.spare) cannot page (no policy uses it yet)', critical: false },
      { where: 'BRIDGE_SECRET', message: 'contains whitespace; check for a trailing newline', critical: true },
    ]);
  });
});

describe('policy matching', () => {
  const settings = escalationSettingsSchema.parse({
    policies: [
      { id: 'critical', match: { services: ['prod/*'], severities: ['critical'] }, steps: [{ waitMinutes: 0, notify: [{ channel: 'here' }] }] },
      { id: 'api', match: { services: ['api'] }, steps: [{ waitMinutes: 5, notify: [{ channel: 'quiet' }] }] },
      { id: 'queues', match: { queues: ['hooks-*'], classes: ['queue-backlog'] }, steps: [{ waitMinutes: 5, notify: [{ channel: 'quiet' }] }] },
      { id: 'fallback', steps: [{ waitMinutes: 15, notify: [{ channel: 'quiet' }] }] },
    ],
  });

  it('takes the first policy whose every criterion holds', () => {
    const pick = (subject: Parameters<typeof choosePolicy>[1]) => `${choosePolicy(settings, subject).policy?.id}: ${choosePolicy(settings, subject).reason}`;
    expect(pick({ service: 'prod/api', severity: 'critical', class: 'other' })).toBe('critical: matches service prod/*, severity critical');
    expect(pick({ service: 'prod/api', severity: 'high', class: 'other' })).toBe('api: matches service api');
    expect(pick({ service: 'staging/api', severity: 'critical', class: 'other' })).toBe('api: matches service api');
    expect(pick({ queue: 'hooks-queue', severity: 'high', class: 'queue-backlog' })).toBe('queues: matches queue hooks-*, class queue-backlog');
    expect(pick({ queue: 'hooks-queue', severity: 'high', class: 'other' })).toBe('fallback: matches every incident');
  });

  it('says which criteria depend on what the subject does not tell', () => {
    expect(judge(settings.policies[0]!.match, { service: 'prod/web' })).toEqual([
      { criterion: 'where', verdict: 'yes', text: 'service prod/*' },
      { criterion: 'severity', verdict: 'depends', text: 'severity critical' },
    ]);
  });
});
