import { sign } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { checkSigningCertUrl, isSnsSubscribeUrl } from '../../../src/intake/auth/sns-cert-url.js';
import { SnsVerifier, shouldConfirmSubscription, snsStringToSign } from '../../../src/intake/auth/sns-signature.js';
import type { SnsEnvelope } from '../../../src/intake/sns/envelope.js';
import { fixture, fixtureText } from './fixtures.js';
import { makeTestCertificate, type TestCertificate } from './test-certificate.js';

const ALARM = 'sns-cloudwatch/sns-http-notification.cloudwatch-alarm.alerta-test-capture.json'; // eu-west-1, v1
const SQS = 'sns-cloudwatch/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json'; // us-east-1, v2
const CONFIRM = 'sns-cloudwatch/sns-http-subscription-confirmation.alerta-test-capture.json';
const UNSUBSCRIBE = 'sns-cloudwatch/sns-http-unsubscribe-confirmation.aws-docs.json';
const NO_SUBJECT = 'sns-cloudwatch/sns-http-notification.eventbridge-ecs-task-start-impaired.lifeboat-CONSTRUCTED.json';

const TOPICS = [
  'arn:aws:sns:eu-west-1:1234567890:alerta-test',
  'arn:aws:sns:us-east-1:123456789012:chatops-alarms',
  'arn:aws:sns:us-west-2:123456789012:MyTopic',
  'arn:aws:sns:us-west-2:111122223333:ecs-events',
];

let cert: TestCertificate;
beforeAll(() => {
  cert = makeTestCertificate();
});

/** A corpus envelope re-signed with the test key (SNS signs with the hash its version names). */
function signed(file: string, version: '1' | '2' = '1', edit: (e: SnsEnvelope) => void = () => {}): SnsEnvelope {
  const envelope = fixture<SnsEnvelope>(file);
  envelope.SignatureVersion = version;
  edit(envelope);
  envelope.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(envelope)), cert.privateKey).toString('base64');
  return envelope;
}

function verifier(options: { fetchCert?: (url: string) => Promise<string>; clock?: ManualClock } = {}) {
  const fetchCert = vi.fn(options.fetchCert ?? ((_url: string) => Promise.resolve(cert.pem)));
  const v = new SnsVerifier({ allowedTopicArns: TOPICS, fetchCert, clock: options.clock ?? new ManualClock(Date.UTC(2026, 0, 1)) });
  return { v, fetchCert };
}

describe('snsStringToSign', () => {
  it('builds the Notification string from the AWS docs example (Subject included when present)', () => {
    const text = fixtureText('sns-cloudwatch/sns-string-to-sign.aws-docs.txt');
    const notification = text.split('# --- Notification')[1]!.split('\n').slice(1).join('\n').split('# ---')[0]!;
    const envelope = {
      Type: 'Notification',
      MessageId: '4d4dc071-ddbf-465d-bba8-08f81c89da64',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Subject: 'My subject',
      Message: 'My Test Message',
      Timestamp: '2019-01-31T04:37:04.321Z',
    } as SnsEnvelope;
    expect(snsStringToSign(envelope)).toBe(notification);
  });

  it('builds the confirmation string (SubscribeURL and Token, no Subject)', () => {
    const text = fixtureText('sns-cloudwatch/sns-string-to-sign.aws-docs.txt');
    const confirmation = text.split('# --- SubscriptionConfirmation / UnsubscribeConfirmation ---\n')[1]!;
    const envelope = {
      Type: 'SubscriptionConfirmation',
      MessageId: '3d891288-136d-417f-bc05-901c108273ee',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Message: 'My Test Message',
      SubscribeURL:
        'https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...',
      Timestamp: '2019-01-31T19:25:13.719Z',
      Token: '233...',
      Subject: 'ignored for confirmations',
    } as SnsEnvelope;
    expect(snsStringToSign(envelope)).toBe(confirmation);
  });
});

describe('SnsVerifier.verify', () => {
  type Row = { name: string; envelope: () => unknown; ok: boolean; code?: string; status?: number; fetched: boolean };
  const rows: Row[] = [
    { name: 'valid SignatureVersion 1 (SHA1withRSA)', envelope: () => signed(ALARM, '1'), ok: true, fetched: true },
    { name: 'valid SignatureVersion 2 (SHA256withRSA)', envelope: () => signed(SQS, '2'), ok: true, fetched: true },
    { name: 'valid without Subject (Subject left out of the string)', envelope: () => signed(NO_SUBJECT, '2'), ok: true, fetched: true },
    {
      name: 'http certificate URL',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = e.SigningCertURL!.replace('https://', 'http://'))),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'foreign host',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = 'https://certs.example.com/SimpleNotificationService-1.pem')),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'lookalike host sns.us-east-1.amazonaws.com.evil.com',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem')),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'userinfo before the host',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.eu-west-1.amazonaws.com@evil.com/SimpleNotificationService-1.pem')),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'explicit port',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.eu-west-1.amazonaws.com:443/SimpleNotificationService-1.pem')),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'non-.pem path',
      envelope: () => signed(ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem.txt')),
      ok: false,
      code: 'CERT_URL_REJECTED',
      status: 401,
      fetched: false,
    },
    {
      name: 'wrong topic',
      envelope: () => signed(ALARM, '1', (e) => (e.TopicArn = 'arn:aws:sns:eu-west-1:1234567890:someone-elses-topic')),
      ok: false,
      code: 'TOPIC_NOT_ALLOWED',
      status: 403,
      fetched: false,
    },
    {
      name: 'tampered Message',
      envelope: () => {
        const e = signed(ALARM, '1');
        e.Message = e.Message.replace('"NewStateValue":"ALARM"', '"NewStateValue":"OK"');
        return e;
      },
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: true,
    },
    {
      name: 'tampered Subject',
      envelope: () => ({ ...signed(ALARM, '2'), Subject: 'OK: "bucketbytesAlarm" in EU (Ireland)' }),
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: true,
    },
    {
      name: 'Subject removed',
      envelope: () => {
        const e: Partial<SnsEnvelope> = signed(ALARM, '2');
        delete e.Subject;
        return e;
      },
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: true,
    },
    {
      name: 'wrong SignatureVersion (signed as 1, claims 2)',
      envelope: () => ({ ...signed(ALARM, '1'), SignatureVersion: '2' }),
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: true,
    },
    {
      name: 'unsupported SignatureVersion 3',
      envelope: () => ({ ...signed(ALARM, '1'), SignatureVersion: '3' }),
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: false,
    },
    {
      name: 'missing Signature',
      envelope: () => {
        const e: Partial<SnsEnvelope> = signed(ALARM, '1');
        delete e.Signature;
        return e;
      },
      ok: false,
      code: 'BAD_SIGNATURE',
      status: 401,
      fetched: false,
    },
    { name: 'the real capture (signed by AWS, not our key)', envelope: () => fixture(ALARM), ok: false, code: 'BAD_SIGNATURE', status: 401, fetched: true },
    { name: 'not an SNS envelope', envelope: () => ({ hello: 'world' }), ok: false, code: 'INVALID_PAYLOAD', status: 400, fetched: false },
  ];

  it.each(rows)('$name → ok=$ok $code, fetched=$fetched', async (row) => {
    const { v, fetchCert } = verifier();
    const result = await v.verify(row.envelope());
    expect(result.ok).toBe(row.ok);
    if (!result.ok) expect({ code: result.error.code, status: result.error.status }).toEqual({ code: row.code, status: row.status });
    expect(fetchCert).toHaveBeenCalledTimes(row.fetched ? 1 : 0);
    if (row.fetched) expect(fetchCert.mock.calls[0]![0]).toMatch(/^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com\/SimpleNotificationService-[A-Za-z0-9]+\.pem$/);
  });

  it('verifies the raw text body SNS posts', async () => {
    const { v } = verifier();
    const result = await v.verify(JSON.stringify(signed(SQS, '2')));
    expect(result.ok).toBe(true);
  });

  it('fetches each certificate once and serves later messages from the cache', async () => {
    const { v, fetchCert } = verifier();
    await Promise.all([v.verify(signed(ALARM)), v.verify(signed(ALARM)), v.verify(signed(ALARM, '2'))]);
    await v.verify(signed(ALARM));
    expect(fetchCert).toHaveBeenCalledTimes(1);
  });

  it('keeps the cache bounded', async () => {
    const fetchCert = vi.fn((_url: string) => Promise.resolve(cert.pem));
    const v = new SnsVerifier({ allowedTopicArns: TOPICS, fetchCert, clock: new ManualClock(), certCacheSize: 2 });
    const at = (n: number) => signed(ALARM, '1', (e) => (e.SigningCertURL = `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-${n}.pem`));
    for (const n of [1, 2, 3, 1]) expect((await v.verify(at(n))).ok).toBe(true);
    // 1 was evicted by 3, so it is fetched again.
    expect(fetchCert.mock.calls.map((c) => c[0])).toEqual([1, 2, 3, 1].map((n) => `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-${n}.pem`));
  });

  it('answers 503 when the certificate cannot be fetched, and retries the fetch next time', async () => {
    let fail = true;
    const { v, fetchCert } = verifier({
      fetchCert: () => (fail ? Promise.reject(new Error('ECONNRESET')) : Promise.resolve(cert.pem)),
    });
    const first = await v.verify(signed(ALARM));
    expect(first.ok || first.error).toMatchObject({ code: 'CERT_UNAVAILABLE', status: 503 });
    fail = false;
    expect((await v.verify(signed(ALARM))).ok).toBe(true);
    expect(fetchCert).toHaveBeenCalledTimes(2);
  });

  it('answers 503 when the certificate is not a certificate', async () => {
    const { v } = verifier({ fetchCert: () => Promise.resolve('<html>captive portal</html>') });
    const result = await v.verify(signed(ALARM));
    expect(result.ok || result.error.code).toBe('CERT_UNAVAILABLE');
  });

  it('refuses a certificate outside its validity period', async () => {
    const { v } = verifier({ clock: new ManualClock(Date.UTC(2101, 0, 1)) });
    const result = await v.verify(signed(ALARM));
    expect(result.ok || result.error).toMatchObject({ code: 'BAD_SIGNATURE', reason: expect.stringContaining('not valid at this time') });
  });

  it('allows nothing when no topic is configured', async () => {
    const fetchCert = vi.fn((_url: string) => Promise.resolve(cert.pem));
    const v = new SnsVerifier({ allowedTopicArns: [], fetchCert, clock: new ManualClock() });
    const result = await v.verify(signed(ALARM));
    expect(result.ok || result.error.status).toBe(403);
    expect(fetchCert).not.toHaveBeenCalled();
  });
});

describe('shouldConfirmSubscription', () => {
  it('returns the SubscribeURL of a signed confirmation for an allowed topic', async () => {
    const { v } = verifier();
    const envelope = signed(CONFIRM);
    expect(await shouldConfirmSubscription(envelope, v)).toEqual({ confirm: true, subscribeUrl: envelope.SubscribeURL });
  });

  it('refuses an unsigned (tampered) confirmation', async () => {
    const { v } = verifier();
    const envelope = { ...signed(CONFIRM), Token: 'other' };
    expect(await shouldConfirmSubscription(envelope, v)).toMatchObject({ confirm: false, error: { code: 'BAD_SIGNATURE' } });
  });

  it('refuses a confirmation for a topic that is not allowed, without fetching anything', async () => {
    const { v, fetchCert } = verifier();
    const envelope = signed(CONFIRM, '1', (e) => {
      e.TopicArn = 'arn:aws:sns:eu-west-1:1234567890:not-ours';
    });
    expect(await shouldConfirmSubscription(envelope, v)).toMatchObject({ confirm: false, error: { status: 403 } });
    expect(fetchCert).not.toHaveBeenCalled();
  });

  it('never confirms from an UnsubscribeConfirmation (its SubscribeURL would re-subscribe)', async () => {
    const { v } = verifier();
    const envelope = signed(UNSUBSCRIBE);
    expect(await shouldConfirmSubscription(envelope, v)).toEqual({ confirm: false, reason: 'UnsubscribeConfirmation is not a subscription confirmation' });
  });

  it('never returns anything for a Notification (and never its UnsubscribeURL)', async () => {
    const { v } = verifier();
    const decision = await shouldConfirmSubscription(signed(ALARM), v);
    expect(decision).toEqual({ confirm: false, reason: 'Notification is not a subscription confirmation' });
  });

  it('refuses a signed confirmation whose SubscribeURL is not an SNS ConfirmSubscription URL', async () => {
    const { v } = verifier();
    const envelope = signed(CONFIRM, '1', (e) => (e.SubscribeURL = 'https://evil.example.com/?Action=ConfirmSubscription'));
    expect(await shouldConfirmSubscription(envelope, v)).toMatchObject({ confirm: false, reason: expect.stringContaining('not an SNS ConfirmSubscription URL') });
  });
});

describe('checkSigningCertUrl / isSnsSubscribeUrl', () => {
  it.each([
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-3242f7c8f8a4e6c1b9c5c5d7b1d6a2e5.pem',
    'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-1.pem',
  ])('accepts %s', (url) => {
    expect(checkSigningCertUrl(url)).toEqual({ ok: true });
  });

  it.each([
    undefined,
    'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
    'https://sns.eu-west-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem',
    'https://evil.com/sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
    'https://user:pw@sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
    'https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-1.pem',
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem?x=1',
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem#x',
    'https://sns.eu-west-1.amazonaws.com/a/../SimpleNotificationService-1.pem',
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.txt',
    'https://SNS.EU-WEST-1.AMAZONAWS.COM/SimpleNotificationService-1.pem',
    'https://sqs.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
    'https://sns.amazonaws.com/SimpleNotificationService-1.pem',
    'https://sns.eu-west-1.amazonaws.com\\@evil.com/x.pem',
  ])('rejects %s', (url) => {
    expect(checkSigningCertUrl(url).ok).toBe(false);
  });

  it('accepts only SNS ConfirmSubscription URLs as subscribe URLs', () => {
    expect(isSnsSubscribeUrl(fixture(CONFIRM).SubscribeURL)).toBe(true);
    expect(isSnsSubscribeUrl(fixture(ALARM).UnsubscribeURL)).toBe(false);
    expect(isSnsSubscribeUrl('https://sns.eu-west-1.amazonaws.com.evil.com/?Action=ConfirmSubscription')).toBe(false);
  });
});
