/**
 * The intake routes on a real HTTP server: every corpus payload posted to its route reaches the
 * sink exactly as the parser reads it; answers wait for the store; refusals are 4xx with a reason,
 * store nothing and are counted; closed sources are not mounted.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INTAKE_PATHS } from '../../../src/adapters/http/intake-routes.js';
import { parseAlertmanagerWebhook, parseEventBridgeEvent, parseSnsMessage, signGenericBody } from '../../../src/intake/index.js';
import { INTAKE_METRICS } from '../../../src/intake/metrics.js';
import {
  alertmanagerCorpus,
  eventBridgeCorpus,
  fixtureText,
  signedSns,
  snsNotificationCorpus,
  startIntake,
  testSettings,
  TOKENS,
  type IntakeHarness,
} from './support.js';

const EB = { 'x-lifeboat-token': TOKENS.eventbridge[0]!, 'content-type': 'application/json' };
const AM = { authorization: `Bearer ${TOKENS.alertmanager[0]!}`, 'content-type': 'application/json' };
const M = INTAKE_METRICS;

let h: IntakeHarness;
beforeAll(async () => {
  h = await startIntake({ maxBodyBytes: 64 * 1024, serverMaxBodyBytes: 128 * 1024 });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.sink.reset();
  h.network.reset();
});

function genericHeaders(body: string, secret = TOKENS.generic[0]!, at = h.clock.now()): Record<string, string> {
  const ts = Math.floor(at / 1000);
  return { 'content-type': 'application/json', 'x-lifeboat-timestamp': String(ts), 'x-lifeboat-signature': signGenericBody(secret, ts, body) };
}

describe('startup report', () => {
  it('mounts every source whose secret is configured and says how each authenticates', () => {
    expect(h.report.mounted.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /intake/sns',
      'POST /intake/eventbridge',
      'POST /intake/alertmanager',
      'POST /intake/generic',
    ]);
    expect(h.report.warnings).toEqual([]);
    // Counts, never the secrets themselves.
    expect(JSON.stringify(h.report)).not.toContain(TOKENS.alertmanager[0]);
  });
});

describe('every corpus payload on its route', () => {
  it.each(eventBridgeCorpus())('POST /intake/eventbridge $file', async ({ body }) => {
    const expected = parseEventBridgeEvent(body, { receivedAt: h.clock.now() });
    if (!expected.ok) throw new Error(`corpus payload refused by the parser: ${expected.error.reason}`);
    const res = await h.post(INTAKE_PATHS.eventbridge, body, EB);
    expect(res.status).toBe(200);
    if (expected.alerts.length > 0) {
      expect(res.json).toEqual({ accepted: expected.alerts.length });
      expect(h.sink.batches).toEqual([expected.alerts]);
    } else {
      expect(res.json).toEqual({ accepted: 0, ignored: expected.ignored });
      expect(h.sink.batches).toEqual([]);
    }
  });

  it.each(snsNotificationCorpus())('POST /intake/sns %s (re-signed)', async (file) => {
    const envelope = signedSns(h.cert, file, '2');
    const expected = parseSnsMessage(envelope, { receivedAt: h.clock.now() });
    const res = await h.post(INTAKE_PATHS.sns, JSON.stringify(envelope), { 'content-type': 'text/plain; charset=UTF-8' });
    if (!expected.ok) {
      // sns-http-notification.aws-docs.json: a plain-text Message is not an alarm.
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: expected.error.reason, code: expected.error.code });
      expect(h.sink.batches).toEqual([]);
      return;
    }
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accepted: expected.alerts.length });
    expect(h.sink.batches).toEqual([expected.alerts]);
    // Only the signing certificate was fetched; never an UnsubscribeURL.
    expect(h.network.otherFetches).toEqual([]);
  });

  it.each(alertmanagerCorpus())('POST /intake/alertmanager %s', async (file) => {
    const body = fixtureText(file);
    const expected = parseAlertmanagerWebhook(body, { receivedAt: h.clock.now() });
    if (!expected.ok) throw new Error(expected.error.reason);
    const res = await h.post(INTAKE_PATHS.alertmanager, body, AM);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accepted: expected.alerts.length });
    expect(h.sink.batches).toEqual([expected.alerts]);
    expect(h.sink.alerts.some((a) => a.truncatedAlerts !== undefined) || !body.includes('truncatedAlerts')).toBe(true);
  });

  it('POST /intake/generic with a valid HMAC signature', async () => {
    const body = JSON.stringify({ key: 'nightly-export', status: 'firing', severity: 'high', summary: 'Nightly export did not finish', service: 'exporter', id: 'run-42' });
    const res = await h.post(INTAKE_PATHS.generic, body, genericHeaders(body));
    expect(res).toEqual({ status: 200, json: { accepted: 1 } });
    expect(h.sink.alerts).toMatchObject([{ source: 'generic', deliveryId: 'generic/run-42', fingerprint: 'generic/nightly-export', status: 'firing', occurredAt: h.clock.now() }]);
  });
});

describe('at-least-once delivery', () => {
  const cases: [string, () => [string, string, Record<string, string>]][] = [
    ['sns', () => [INTAKE_PATHS.sns, JSON.stringify(signedSns(h.cert, 'sns-cloudwatch/sns-http-notification.cloudwatch-alarm.alerta-test-capture.json', '1')), {}]],
    ['eventbridge', () => [INTAKE_PATHS.eventbridge, fixtureText('ecs/ecs-task-state-change-stopped-cannotpull.CONSTRUCTED.json'), EB]],
    ['alertmanager', () => [INTAKE_PATHS.alertmanager, fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json'), AM]],
    [
      'generic (no id: the payload hash names the delivery)',
      () => {
        const body = JSON.stringify({ key: 'backup', status: 'firing', summary: 'Backup failed' });
        return [INTAKE_PATHS.generic, body, genericHeaders(body)];
      },
    ],
  ];

  it.each(cases)('%s: the same payload delivered 3× reaches the sink 3× with identical deliveryIds', async (_name, make) => {
    const [path, body, headers] = make();
    for (let i = 0; i < 3; i++) expect((await h.post(path, body, headers)).status).toBe(200);
    expect(h.sink.batches).toHaveLength(3);
    const ids = h.sink.batches.map((batch) => batch.map((a) => a.deliveryId));
    expect(ids[0]!.length).toBeGreaterThan(0);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    // Dedup is the store's job; the transport must hand over identical alerts.
    expect(h.sink.batches[1]).toEqual(h.sink.batches[0]);
  });
});

describe('refusals', () => {
  const rejected = (source: string, reason: string): number => h.metrics.value(M.rejected.name, { source, reason });

  it('alertmanager: a missing bearer token is 401 MISSING_TOKEN, a wrong one 401 BAD_TOKEN; nothing stored', async () => {
    const body = fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json');
    const before = { missing: rejected('alertmanager', 'MISSING_TOKEN'), bad: rejected('alertmanager', 'BAD_TOKEN') };
    expect(await h.post(INTAKE_PATHS.alertmanager, body, { 'content-type': 'application/json' })).toEqual({
      status: 401,
      json: { error: 'Authorization header is missing', code: 'MISSING_TOKEN' },
    });
    expect(await h.post(INTAKE_PATHS.alertmanager, body, { authorization: 'Bearer not-the-token-at-all' })).toEqual({
      status: 401,
      json: { error: 'bearer token does not match', code: 'BAD_TOKEN' },
    });
    expect(await h.post(INTAKE_PATHS.alertmanager, body, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).toMatchObject({ status: 401 });
    expect(h.sink.batches).toEqual([]);
    expect(rejected('alertmanager', 'MISSING_TOKEN')).toBe(before.missing + 2);
    expect(rejected('alertmanager', 'BAD_TOKEN')).toBe(before.bad + 1);
  });

  it('alertmanager: either token of a rotation pair is accepted', async () => {
    const body = fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json');
    expect((await h.post(INTAKE_PATHS.alertmanager, body, { authorization: `Bearer ${TOKENS.alertmanager[1]!}` })).status).toBe(200);
  });

  it('eventbridge: the shared-secret header is required and compared', async () => {
    const body = fixtureText('ecs/ecs-service-action-task-start-impaired.json');
    expect(await h.post(INTAKE_PATHS.eventbridge, body, {})).toEqual({ status: 401, json: { error: 'x-lifeboat-token header is missing', code: 'MISSING_TOKEN' } });
    expect(await h.post(INTAKE_PATHS.eventbridge, body, { 'X-Lifeboat-Token': 'wrong-wrong-wrong-wrong' })).toEqual({
      status: 401,
      json: { error: 'x-lifeboat-token does not match', code: 'BAD_TOKEN' },
    });
    // Header names are case-insensitive; the rotated token works.
    expect((await h.post(INTAKE_PATHS.eventbridge, body, { 'X-Lifeboat-Token': TOKENS.eventbridge[1]! })).status).toBe(200);
    expect(h.sink.batches).toHaveLength(1);
  });

  it('generic: a wrong signature is 401 BAD_SIGNATURE, an old timestamp 401 STALE_SIGNATURE', async () => {
    const body = JSON.stringify({ key: 'k', status: 'firing', summary: 's' });
    expect(await h.post(INTAKE_PATHS.generic, body, genericHeaders(body, 'another-secret-0123456789'))).toEqual({
      status: 401,
      json: { error: 'the signature does not match the body', code: 'BAD_SIGNATURE' },
    });
    expect((await h.post(INTAKE_PATHS.generic, body, genericHeaders(body, TOKENS.generic[0], h.clock.now() - 6 * 60_000))).json).toMatchObject({
      code: 'STALE_SIGNATURE',
    });
    expect((await h.post(INTAKE_PATHS.generic, body, { 'content-type': 'application/json' })).json).toMatchObject({ code: 'BAD_SIGNATURE' });
    // The signature covers the exact bytes: re-serialised JSON does not verify.
    const headers = genericHeaders(body);
    expect((await h.post(INTAKE_PATHS.generic, JSON.stringify(JSON.parse(body), null, 1), headers)).status).toBe(401);
    expect(h.sink.batches).toEqual([]);
  });

  it('invalid JSON is 400 INVALID_JSON, unknown shapes 400 UNKNOWN_SHAPE, wrong fields 400 INVALID_PAYLOAD', async () => {
    const before = rejected('eventbridge', 'INVALID_JSON');
    expect(await h.post(INTAKE_PATHS.eventbridge, '{"source": "aws.ecs",', EB)).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(await h.post(INTAKE_PATHS.eventbridge, '', EB)).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(await h.post(INTAKE_PATHS.alertmanager, 'not json', AM)).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(await h.post(INTAKE_PATHS.eventbridge, '{"hello": "world"}', EB)).toMatchObject({ status: 400, json: { code: 'UNKNOWN_SHAPE' } });
    expect(await h.post(INTAKE_PATHS.alertmanager, fixtureText('ecs/ecs-service-action-task-start-impaired.json'), AM)).toMatchObject({ status: 400 });
    const generic = JSON.stringify({ key: 'k', status: 'firing', summary: 's', sevrity: 'high' });
    expect(await h.post(INTAKE_PATHS.generic, generic, genericHeaders(generic))).toMatchObject({ status: 400, json: { code: 'INVALID_PAYLOAD' } });
    const bad = fixtureText('ecs/ecs-service-action-task-start-impaired.json').replace('"time"', '"tiem"');
    expect(await h.post(INTAKE_PATHS.eventbridge, bad, EB)).toMatchObject({ status: 400, json: { code: 'INVALID_PAYLOAD' } });
    expect(h.sink.batches).toEqual([]);
    expect(rejected('eventbridge', 'INVALID_JSON')).toBe(before + 2);
  });

  it('oversized bodies are 413: by Content-Length at the server, while reading at the route (chunked too)', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(200 * 1024) });
    expect((await h.post(INTAKE_PATHS.eventbridge, big, EB)).status).toBe(413);

    const before = rejected('eventbridge', 'TOO_LARGE');
    const medium = JSON.stringify({ pad: 'x'.repeat(100 * 1024) }); // over the route's 64 KiB, under the server's 128 KiB
    expect(await h.post(INTAKE_PATHS.eventbridge, medium, EB)).toMatchObject({ status: 413, json: { code: 'TOO_LARGE' } });

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.base}${INTAKE_PATHS.alertmanager}`, { method: 'POST', headers: { ...AM, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(rejected('eventbridge', 'TOO_LARGE')).toBe(before + 1);
    expect(rejected('alertmanager', 'TOO_LARGE')).toBeGreaterThanOrEqual(1);
    expect(h.sink.batches).toEqual([]);
  });

  it('refusals are logged with the code and reason, never the token or the body', async () => {
    const secretish = 'Bearer wrong-token-that-must-not-be-logged';
    await h.post(INTAKE_PATHS.alertmanager, '{"secret": "payload-that-must-not-be-logged"}', { authorization: secretish });
    const text = JSON.stringify(h.logger.lines);
    expect(text).not.toContain('wrong-token-that-must-not-be-logged');
    expect(text).not.toContain('payload-that-must-not-be-logged');
    expect(h.logger.lines.some((l) => l.msg === 'intake refused' && l.fields.code === 'BAD_TOKEN')).toBe(true);
  });
});

describe('answers wait for the store', () => {
  it('a store failure is 503 STORE_UNAVAILABLE (so the sender retries) and counted', async () => {
    h.sink.failWith = new Error('redis down');
    const before = h.metrics.value(M.storeFailures.name, { source: 'alertmanager' });
    const res = await h.post(INTAKE_PATHS.alertmanager, fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json'), AM);
    expect(res).toEqual({ status: 503, json: { error: 'the alerts could not be stored right now; retry later', code: 'STORE_UNAVAILABLE' } });
    expect(h.metrics.value(M.storeFailures.name, { source: 'alertmanager' })).toBe(before + 1);
  });

  it('a store slower than the timeout is 503 as well', async () => {
    const slow = await startIntake({ storeTimeoutMs: 100 });
    try {
      slow.sink.delayMs = 1000;
      const started = Date.now();
      const res = await slow.post(INTAKE_PATHS.eventbridge, fixtureText('ecs/ecs-deployment-failed-circuit-breaker.json'), EB);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await slow.close();
    }
  });

  it('the 200 comes only after accept resolved', async () => {
    h.sink.delayMs = 150;
    const started = Date.now();
    const res = await h.post(INTAKE_PATHS.eventbridge, fixtureText('ecs/ecs-deployment-failed-circuit-breaker.json'), EB);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(h.sink.batches).toHaveLength(1);
  });
});

describe('eventbridge bodies', () => {
  it('accepts an array of events (all or nothing)', async () => {
    const a = JSON.parse(fixtureText('ecs/ecs-deployment-failed-circuit-breaker.json'));
    const b = JSON.parse(fixtureText('ecs/ecs-service-action-task-start-impaired.json'));
    const running = JSON.parse(fixtureText('ecs/ecs-task-state-change-running.json'));
    expect(await h.post(INTAKE_PATHS.eventbridge, JSON.stringify([a, running, b]), EB)).toEqual({ status: 200, json: { accepted: 2 } });
    expect(h.sink.batches).toHaveLength(1);
    expect(h.sink.alerts.map((x) => x.class)).toEqual(['deployment-failed', 'task-fails-to-start']);

    h.sink.reset();
    const res = await h.post(INTAKE_PATHS.eventbridge, JSON.stringify([a, { nope: true }]), EB);
    expect(res).toMatchObject({ status: 400, json: { code: 'UNKNOWN_SHAPE' } });
    expect(String(res.json.error)).toMatch(/^event 1: /);
    expect(h.sink.batches).toEqual([]);
  });

  it('a well-formed event that is not an alert is 200 and counted as ignored', async () => {
    const before = h.metrics.value(M.ignored.name, { source: 'eventbridge' });
    const res = await h.post(INTAKE_PATHS.eventbridge, fixtureText('ecs/ecs-task-state-change-running.json'), EB);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 0, ignored: expect.stringMatching(/RUNNING/) });
    expect(h.metrics.value(M.ignored.name, { source: 'eventbridge' })).toBe(before + 1);
    expect(h.sink.batches).toEqual([]);
  });
});

describe('metrics', () => {
  it('counts stored alerts per transport and shows them on /metrics', async () => {
    const before = h.metrics.value(M.alerts.name, { source: 'alertmanager' });
    await h.post(INTAKE_PATHS.alertmanager, fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json'), AM);
    expect(h.metrics.value(M.alerts.name, { source: 'alertmanager' })).toBe(before + 2);
    const scrape = await (await fetch(`${h.base}/metrics`)).text();
    expect(scrape).toMatch(/lifeboat_intake_alerts_total\{source="alertmanager"\} \d+/);
    expect(scrape).toMatch(/lifeboat_intake_rejected_total\{source="[a-z]+",reason="[A-Z_]+"\} \d+/);
  });
});

describe('closed sources', () => {
  it('are not mounted (404), and the report says how to open them', async () => {
    const closed = await startIntake({
      settings: testSettings({
        sns: { topicArns: [] },
        alertmanager: { tokens: [], tokenEnv: ['LIFEBOAT_ALERTMANAGER_TOKEN', 'AM_NEXT'] },
        generic: { secrets: [], secretEnv: ['LIFEBOAT_GENERIC_SECRET'], toleranceMs: 300_000 },
      }),
    });
    try {
      expect(closed.report.mounted.map((r) => r.path)).toEqual(['/intake/eventbridge']);
      expect(closed.report.warnings).toEqual([
        'POST /intake/sns is not mounted: no SNS topic is allowed (set intake.sns.topicArns)',
        'POST /intake/alertmanager is not mounted: no bearer token is set (set LIFEBOAT_ALERTMANAGER_TOKEN or AM_NEXT, or intake.alertmanager.tokenEnv)',
        'POST /intake/generic is not mounted: no HMAC secret is set (set LIFEBOAT_GENERIC_SECRET, or intake.generic.secretEnv)',
      ]);
      const body = fixtureText('alertmanager/webhook-v4.am0.25.04-firing-two-alerts.json');
      expect((await closed.post(INTAKE_PATHS.alertmanager, body, AM)).status).toBe(404);
      expect((await closed.post(INTAKE_PATHS.sns, body)).status).toBe(404);
      expect((await closed.post(INTAKE_PATHS.generic, body)).status).toBe(404);
      expect(closed.sink.batches).toEqual([]);
    } finally {
      await closed.close();
    }
  });

  it('GET on an intake route is 405', async () => {
    expect((await fetch(`${h.base}${INTAKE_PATHS.alertmanager}`)).status).toBe(405);
  });
});
