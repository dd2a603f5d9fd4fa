/**
 * The `intake:` section: defaults, validation, and secrets resolved from env var names (never
 * from the YAML), with problems that name the variable and never its value.
 */
import { describe, expect, it } from 'vitest';
import { describeQueueUrl, intakeSettingsSchema, resolveIntakeSettings } from '../../../src/intake/settings.js';

const LONG = 'a-long-random-token-0123456789';

describe('intakeSettingsSchema', () => {
  it('has defaults for everything: no topics, default env var names, no queue', () => {
    const s = intakeSettingsSchema.parse({});
    expect(s).toEqual({
      sns: { topicArns: [] },
      eventbridge: { header: 'x-lifeboat-token', tokenEnv: ['LIFEBOAT_EVENTBRIDGE_TOKEN'] },
      alertmanager: { tokenEnv: ['LIFEBOAT_ALERTMANAGER_TOKEN'] },
      generic: { secretEnv: ['LIFEBOAT_GENERIC_SECRET'], toleranceSeconds: 300 },
      sqs: { waitTimeSeconds: 20, maxMessages: 10, visibilityTimeoutSeconds: 60, onRefused: 'delete' },
    });
  });

  it('takes one env var name or a list (rotation), and lowercases the header name', () => {
    const s = intakeSettingsSchema.parse({
      eventbridge: { header: 'X-Lifeboat-Token', tokenEnv: 'EB_TOKEN' },
      alertmanager: { tokenEnv: ['AM_TOKEN', 'AM_TOKEN_NEXT'] },
    });
    expect(s.eventbridge).toEqual({ header: 'x-lifeboat-token', tokenEnv: ['EB_TOKEN'] });
    expect(s.alertmanager.tokenEnv).toEqual(['AM_TOKEN', 'AM_TOKEN_NEXT']);
  });

  it.each([
    [{ sns: { topicArns: ['not-an-arn'] } }, 'sns.topicArns.0'],
    [{ eventbridge: { header: 'Authorization' } }, 'eventbridge.header'],
    [{ eventbridge: { header: 'has space' } }, 'eventbridge.header'],
    [{ alertmanager: { tokenEnv: 'has-dash' } }, 'alertmanager.tokenEnv'],
    [{ alertmanager: { token: 'inline-secret' } }, 'alertmanager'],
    [{ sqs: { queueUrl: 'https://example.com/queue' } }, 'sqs.queueUrl'],
    [{ sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', waitTimeSeconds: 30 } }, 'sqs.waitTimeSeconds'],
    [{ surprise: true }, ''],
  ])('refuses %j (at %s)', (input, path) => {
    const result = intakeSettingsSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('resolveIntakeSettings', () => {
  it('reads secrets from the named variables, skipping unset ones', () => {
    const settings = intakeSettingsSchema.parse({ alertmanager: { tokenEnv: ['AM_OLD', 'AM_NEW'] }, sns: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:alarms'] } });
    const { settings: resolved, problems } = resolveIntakeSettings(settings, { AM_NEW: LONG, LIFEBOAT_GENERIC_SECRET: `${LONG}-g` });
    expect(problems).toEqual([]);
    expect(resolved.alertmanager.tokens).toEqual([LONG]);
    expect(resolved.eventbridge.tokens).toEqual([]);
    expect(resolved.generic).toEqual({ secrets: [`${LONG}-g`], secretEnv: ['LIFEBOAT_GENERIC_SECRET'], toleranceMs: 300_000 });
    expect(resolved.sns.topicArns).toEqual(['arn:aws:sns:eu-west-1:123456789012:alarms']);
    expect(resolved.sqs).toBeUndefined();
  });

  it('refuses short secrets and secrets with whitespace, naming the variable and not the value', () => {
    const { settings, problems } = resolveIntakeSettings(intakeSettingsSchema.parse({}), {
      LIFEBOAT_ALERTMANAGER_TOKEN: 'short',
      LIFEBOAT_EVENTBRIDGE_TOKEN: `${LONG}\n`,
    });
    expect(problems).toEqual([
      { where: 'LIFEBOAT_EVENTBRIDGE_TOKEN', message: expect.stringContaining('whitespace'), critical: true },
      { where: 'LIFEBOAT_ALERTMANAGER_TOKEN', message: expect.stringContaining('shorter than 16'), critical: true },
    ]);
    expect(JSON.stringify(problems)).not.toContain('short"');
    expect(settings.alertmanager.tokens).toEqual([]);
  });

  it('derives the SQS region and queue ARN from the queue URL', () => {
    const parsed = intakeSettingsSchema.parse({ sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/lifeboat-events', onRefused: 'leave' } });
    const { settings, problems } = resolveIntakeSettings(parsed, {});
    expect(problems).toEqual([]);
    expect(settings.sqs).toEqual({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/lifeboat-events',
      region: 'eu-west-1',
      queueArn: 'arn:aws:sqs:eu-west-1:123456789012:lifeboat-events',
      waitTimeSeconds: 20,
      maxMessages: 10,
      visibilityTimeoutSeconds: 60,
      onRefused: 'leave',
    });
  });

  it('reports a region that contradicts the queue URL', () => {
    const parsed = intakeSettingsSchema.parse({ sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', region: 'us-east-1' } });
    expect(resolveIntakeSettings(parsed, {}, 'ops/lifeboat.yaml').problems).toEqual([
      { where: 'ops/lifeboat.yaml: intake.sqs.region', message: 'is us-east-1 but the queue URL is in eu-west-1', critical: true },
    ]);
  });
});

describe('describeQueueUrl', () => {
  it.each([
    ['https://sqs.eu-west-1.amazonaws.com/123456789012/q', { account: '123456789012', name: 'q', region: 'eu-west-1', partition: 'aws' }],
    ['https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo', { account: '123456789012', name: 'q.fifo', region: 'cn-north-1', partition: 'aws-cn' }],
    ['https://eu-west-1.queue.amazonaws.com/123456789012/q', { account: '123456789012', name: 'q', region: 'eu-west-1', partition: 'aws' }],
    ['https://vpce-0abc-1234.sqs.us-gov-west-1.vpce.amazonaws.com/123456789012/q', { account: '123456789012', name: 'q', region: 'us-gov-west-1', partition: 'aws-us-gov' }],
    ['http://localhost:4566/000000000000/q', { account: '000000000000', name: 'q', partition: 'aws' }],
  ])('%s', (url, expected) => {
    expect(describeQueueUrl(url)).toEqual(expected);
  });
});
