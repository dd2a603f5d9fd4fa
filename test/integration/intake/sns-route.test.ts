/**
 * `POST /intake/sns` end to end: the signature table over real HTTP, with every outbound request
 * (certificate, SubscribeURL) going through a counting `fetch`. A rejected message makes no
 * outbound request, except that checking a signature needs the certificate: a tampered message
 * fetches the certificate if it is not cached yet, and nothing else.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_PATHS } from '../../../src/adapters/http/intake-routes.js';
import { INTAKE_METRICS } from '../../../src/intake/metrics.js';
import type { SnsEnvelope } from '../../../src/intake/sns/envelope.js';
import { makeTestCertificate, type TestCertificate } from '../../unit/intake/test-certificate.js';
import { fixture, signedSns, SNS_TOPICS, startIntake, testSettings, type IntakeHarness } from './support.js';

const ALARM = 'sns-cloudwatch/sns-http-notification.cloudwatch-alarm.alerta-test-capture.json'; // eu-west-1
const SQS = 'sns-cloudwatch/sns-http-notification.cloudwatch-sqs-oldest-message-age.CONSTRUCTED.json'; // us-east-1
const CONFIRM = 'sns-cloudwatch/sns-http-subscription-confirmation.alerta-test-capture.json';
const CONFIRM_DOCS = 'sns-cloudwatch/sns-http-subscription-confirmation.aws-docs.json';
const UNSUBSCRIBE = 'sns-cloudwatch/sns-http-unsubscribe-confirmation.aws-docs.json';
const TEXT = { 'content-type': 'text/plain; charset=UTF-8' };

let h: IntakeHarness | undefined;
let cert: TestCertificate;
beforeAll(() => {
  cert = makeTestCertificate();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(settings = testSettings()): Promise<IntakeHarness> {
  h = await startIntake({ settings, cert });
  return h;
}

const post = (hh: IntakeHarness, envelope: unknown) => hh.post(INTAKE_PATHS.sns, typeof envelope === 'string' ? envelope : JSON.stringify(envelope), TEXT);

describe('SNS signature table (real HTTP, counting fetch)', () => {
  type Row = {
    name: string;
    envelope: (hh: IntakeHarness) => unknown;
    status: number;
    code?: string;
    /** Certificate fetches expected with a cold cache. */
    certFetches: number;
  };
  const rows: Row[] = [
    { name: 'valid SignatureVersion 1 (SHA1withRSA)', envelope: (hh) => signedSns(hh.cert, ALARM, '1'), status: 200, certFetches: 1 },
    { name: 'valid SignatureVersion 2 (SHA256withRSA)', envelope: (hh) => signedSns(hh.cert, SQS, '2'), status: 200, certFetches: 1 },
    {
      name: 'http certificate URL',
      envelope: (hh) => signedSns(hh.cert, ALARM, '1', (e) => (e.SigningCertURL = e.SigningCertURL!.replace('https://', 'http://'))),
      status: 401,
      code: 'CERT_URL_REJECTED',
      certFetches: 0,
    },
    {
      name: 'foreign host',
      envelope: (hh) => signedSns(hh.cert, ALARM, '1', (e) => (e.SigningCertURL = 'https://certs.example.com/SimpleNotificationService-1.pem')),
      status: 401,
      code: 'CERT_URL_REJECTED',
      certFetches: 0,
    },
    {
      name: 'lookalike host',
      envelope: (hh) => signedSns(hh.cert, ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.eu-west-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem')),
      status: 401,
      code: 'CERT_URL_REJECTED',
      certFetches: 0,
    },
    {
      name: 'non-.pem certificate URL',
      envelope: (hh) => signedSns(hh.cert, ALARM, '1', (e) => (e.SigningCertURL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.crt')),
      status: 401,
      code: 'CERT_URL_REJECTED',
      certFetches: 0,
    },
    {
      name: 'wrong topic',
      envelope: (hh) => signedSns(hh.cert, ALARM, '1', (e) => (e.TopicArn = 'arn:aws:sns:eu-west-1:999999999999:someone-else')),
      status: 403,
      code: 'TOPIC_NOT_ALLOWED',
      certFetches: 0,
    },
    {
      name: 'unsupported SignatureVersion',
      envelope: (hh) => ({ ...signedSns(hh.cert, ALARM, '2'), SignatureVersion: '3' }),
      status: 401,
      code: 'BAD_SIGNATURE',
      certFetches: 0,
    },
    {
      name: 'unsigned',
      envelope: () => {
        const e = fixture<SnsEnvelope>(ALARM);
        delete e.Signature;
        return e;
      },
      status: 401,
      code: 'BAD_SIGNATURE',
      certFetches: 0,
    },
    {
      name: 'tampered message (edited after signing)',
      envelope: (hh) => {
        const e = signedSns(hh.cert, ALARM, '1');
        e.Message = e.Message.replace('"ALARM"', '"OK"');
        return e;
      },
      status: 401,
      code: 'BAD_SIGNATURE',
      certFetches: 1,
    },
    {
      name: 'tampered Subject',
      envelope: (hh) => ({ ...signedSns(hh.cert, ALARM, '1'), Subject: 'OK: all good' }),
      status: 401,
      code: 'BAD_SIGNATURE',
      certFetches: 1,
    },
  ];

  it.each(rows)('$name → $status', async (row) => {
    const hh = await harness();
    const res = await post(hh, row.envelope(hh));
    expect(res.status).toBe(row.status);
    if (row.code) expect(res.json.code).toBe(row.code);
    expect(hh.network.certFetches).toHaveLength(row.certFetches);
    // Never anything but the certificate, and only from the URL in the message.
    expect(hh.network.otherFetches).toEqual([]);
    for (const r of hh.network.requests) expect(r.init).toMatchObject({ method: 'GET', redirect: 'error' });
    if (row.status === 200) {
      expect(hh.sink.alerts).toHaveLength(1);
      expect(hh.metrics.value(INTAKE_METRICS.alerts.name, { source: 'sns' })).toBe(1);
    } else {
      expect(hh.sink.batches).toEqual([]);
      expect(hh.metrics.value(INTAKE_METRICS.rejected.name, { source: 'sns', reason: row.code! })).toBe(1);
    }
  });

  it('a tampered message whose certificate is cached makes no outbound request at all', async () => {
    const hh = await harness();
    expect((await post(hh, signedSns(hh.cert, ALARM, '1'))).status).toBe(200);
    hh.network.reset();
    const tampered = signedSns(hh.cert, ALARM, '1');
    tampered.Message = tampered.Message.replace('"ALARM"', '"OK"');
    expect((await post(hh, tampered)).status).toBe(401);
    expect(hh.network.requests).toEqual([]);
  });

  it('a message signed by another key is refused', async () => {
    const hh = await harness();
    const stranger = makeTestCertificate();
    expect(await post(hh, signedSns(stranger, ALARM, '2'))).toMatchObject({ status: 401, json: { code: 'BAD_SIGNATURE' } });
  });

  it('caches the certificate across messages (one fetch per certificate URL)', async () => {
    const hh = await harness();
    for (let i = 0; i < 3; i++) expect((await post(hh, signedSns(hh.cert, ALARM, '1'))).status).toBe(200);
    expect(hh.network.certFetches).toHaveLength(1);
  });

  it('a certificate that cannot be fetched is 503 CERT_UNAVAILABLE (SNS retries), and the next delivery fetches again', async () => {
    const hh = await harness();
    hh.network.certAnswer = () => new Response('nope', { status: 500 });
    expect(await post(hh, signedSns(hh.cert, ALARM, '1'))).toMatchObject({ status: 503, json: { code: 'CERT_UNAVAILABLE' } });
    hh.network.certAnswer = () => new Response(hh.cert.pem, { status: 200 });
    expect((await post(hh, signedSns(hh.cert, ALARM, '1'))).status).toBe(200);
    expect(hh.network.certFetches).toHaveLength(2);
  });

  it('a body that is not an SNS envelope is refused before anything is fetched', async () => {
    const hh = await harness();
    expect((await post(hh, 'not json')).status).toBe(400);
    expect((await post(hh, { hello: 'world' })).status).toBe(400);
    expect(hh.network.requests).toEqual([]);
  });
});

describe('SNS subscriptions', () => {
  it('confirms a valid SubscriptionConfirmation for an allowed topic by GETting its SubscribeURL once', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, CONFIRM, '1');
    const res = await post(hh, envelope);
    expect(res).toEqual({ status: 200, json: { confirmed: true, topicArn: envelope.TopicArn } });
    expect(hh.network.otherFetches).toEqual([envelope.SubscribeURL]);
    expect(hh.network.requests.find((r) => r.url === envelope.SubscribeURL)?.init).toMatchObject({ method: 'GET', redirect: 'error' });
    expect(hh.metrics.value(INTAKE_METRICS.subscriptions.name, { outcome: 'confirmed' })).toBe(1);
    expect(hh.sink.batches).toEqual([]);
    // The SubscribeURL carries the confirmation token: it is never logged.
    expect(JSON.stringify(hh.logger.lines)).not.toContain(envelope.Token);
  });

  it('works for SignatureVersion 2 and the AWS docs example too', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, CONFIRM_DOCS, '2');
    expect((await post(hh, envelope)).status).toBe(200);
    expect(hh.network.otherFetches).toEqual([envelope.SubscribeURL]);
  });

  it('does not confirm a topic that is not allowed, and fetches nothing', async () => {
    const hh = await harness(testSettings({ sns: { topicArns: SNS_TOPICS.filter((t) => !t.endsWith(':alerta-test')) } }));
    const res = await post(hh, signedSns(hh.cert, CONFIRM, '1'));
    expect(res).toMatchObject({ status: 403, json: { code: 'TOPIC_NOT_ALLOWED' } });
    expect(hh.network.requests).toEqual([]);
  });

  it('does not confirm when the signature does not check (SubscribeURL swapped after signing)', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, CONFIRM, '1');
    envelope.SubscribeURL = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1234567890:other&Token=x';
    expect(await post(hh, envelope)).toMatchObject({ status: 401, json: { code: 'BAD_SIGNATURE' } });
    expect(hh.network.otherFetches).toEqual([]);
  });

  it('does not follow a signed SubscribeURL that is not an SNS ConfirmSubscription URL', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, CONFIRM, '1', (e) => (e.SubscribeURL = 'https://evil.example.com/?Action=ConfirmSubscription&Token=x'));
    expect(await post(hh, envelope)).toMatchObject({ status: 400, json: { code: 'INVALID_PAYLOAD' } });
    expect(hh.network.otherFetches).toEqual([]);
    expect(hh.metrics.value(INTAKE_METRICS.subscriptions.name, { outcome: 'refused' })).toBe(1);
  });

  it('answers 503 when SNS does not accept the confirmation, so it is re-sent', async () => {
    const hh = await harness();
    hh.network.confirmAnswer = () => new Response('<Error/>', { status: 403 });
    const res = await post(hh, signedSns(hh.cert, CONFIRM, '1'));
    expect(res).toMatchObject({ status: 503, json: { code: 'SUBSCRIPTION_NOT_CONFIRMED' } });
    expect(hh.metrics.value(INTAKE_METRICS.subscriptions.name, { outcome: 'failed' })).toBe(1);
  });

  it('answers an UnsubscribeConfirmation 200 and follows neither of its URLs', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, UNSUBSCRIBE, '1');
    const res = await post(hh, envelope);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 0 });
    expect(hh.network.otherFetches).toEqual([]);
    expect(hh.metrics.value(INTAKE_METRICS.ignored.name, { source: 'sns' })).toBe(1);
    expect(hh.logger.lines.some((l) => l.level === 'warn' && /unsubscribed/.test(l.msg))).toBe(true);
  });

  it('never follows the UnsubscribeURL of a notification', async () => {
    const hh = await harness();
    const envelope = signedSns(hh.cert, ALARM, '1');
    expect(envelope.UnsubscribeURL).toBeTruthy();
    expect((await post(hh, envelope)).status).toBe(200);
    expect(hh.network.requests.map((r) => r.url)).toEqual([envelope.SigningCertURL]);
  });
});
