/**
 * Paging through local stand-ins shaped like PagerDuty's Events API v2 and Opsgenie's alerts API
 * (real HTTP on loopback): 500s then 202 are retried; a service that keeps failing is said in the
 * incident thread and the next step starts at once.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPagers, verifyWebhookSignature } from '../../../src/adapters/paging/index.js';
import { escalationSettingsSchema } from '../../../src/escalation/settings.js';
import { stoppedTask } from '../../unit/incidents/alerts.js';
import { escalationHarness, MINUTE } from '../../unit/escalation/support.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
}

/** A stand-in that records every request and answers from a script (the last answer repeats). */
async function standIn(answers: { status: number; body: unknown; headers?: Record<string, string> }[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
      const answer = answers[Math.min(n++, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const PD_ACCEPTED = { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'x' } };
const PD_ERROR = { status: 500, body: { status: 'error', message: 'Internal error' } };
const OG_ACCEPTED = { status: 202, body: { result: 'Request will be processed', took: 0.302, requestId: '43a29c5c-3dbf-4fa4-9c26-f4f71023e120' } };

function setup(pdUrl: string, ogUrl: string, webhookUrl = 'http://127.0.0.1:9/unused') {
  const settings = escalationSettingsSchema.parse({
    pagerduty: { main: { routingKeyEnv: 'PD', url: `${pdUrl}/v2/enqueue` } },
    opsgenie: { ops: { apiKeyEnv: 'OG', url: `${ogUrl}/v2/alerts`, responders: [{ type: 'team', name: 'platform' }] } },
    webhooks: { bridge: { url: `${webhookUrl}/hooks/lifeboat`, secretEnv: 'WH' } },
    paging: { attempts: 4, backoffMs: 20, timeoutMs: 2000 },
    policies: [{ id: 'p', steps: [
      { waitMinutes: 0, notify: [{ pagerduty: 'main' }] },
      { waitMinutes: 30, notify: [{ opsgenie: 'ops' }] },
      { waitMinutes: 30, notify: [{ webhook: 'bridge' }] },
    ] }],
  });
  const sleeps: number[] = [];
  const pagers = createPagers(settings, { pagerduty: { main: 'R0UTINGKEY0123456789ABCDEFGHIJKL' }, opsgenie: { ops: 'og-api-key-0123456789' }, webhooks: { bridge: 'webhook-secret-0123456789' } }, {
    fetch: (url, init) => fetch(url, init),
    sleep: (ms) => { sleeps.push(ms); return new Promise((r) => setTimeout(r, ms)); },
  });
  const h = escalationHarness({ settings, engine: { pagers } });
  return { h, sleeps };
}

describe('paging through PagerDuty- and Opsgenie-shaped stand-ins', () => {
  it('retries PagerDuty 500s until it answers 202, then pages Opsgenie after its wait (500, then 202)', async () => {
    const pd = await standIn([PD_ERROR, PD_ERROR, PD_ACCEPTED]);
    const og = await standIn([{ status: 500, body: { message: 'oops' } }, OG_ACCEPTED]);
    const { h, sleeps } = setup(pd.url, og.url);
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);

    expect(pd.received).toHaveLength(3);
    const [event] = pd.received;
    expect(event).toMatchObject({ method: 'POST', path: '/v2/enqueue', headers: { 'content-type': 'application/json' } });
    expect(event!.body).toEqual({
      routing_key: 'R0UTINGKEY0123456789ABCDEFGHIJKL',
      event_action: 'trigger',
      dedup_key: `lifeboat-${id}-1`,
      client: 'Lifeboat',
      payload: {
        summary: '[lifeboat] prod/api: image pull failed (image not found)',
        source: 'lifeboat',
        severity: 'error',
        component: 'prod/api',
        group: 'prod',
        class: 'image-pull-failed',
        custom_details: expect.objectContaining({ incident: id, state: 'open', reason: 'step 1 of 3 of policy p: new and unacknowledged' }),
      },
    });
    expect(sleeps.length).toBe(2);
    expect(h.chat.thread[0]!.message.summary).toBe(`Escalation step 1 of 3 (policy p), new and unacknowledged: paged PagerDuty main.`);
    expect(h.metrics.value('lifeboat_escalation_failures_total', { target: 'pagerduty:main' })).toBe(0);

    await h.advance(30 * MINUTE);
    expect(og.received).toHaveLength(2);
    expect(og.received[1]).toMatchObject({ path: '/v2/alerts', headers: { authorization: 'GenieKey og-api-key-0123456789' } });
    expect(og.received[1]!.body).toMatchObject({
      message: '[lifeboat] prod/api: image pull failed (image not found)',
      alias: `lifeboat-${id}-1`,
      priority: 'P2',
      source: 'lifeboat',
      entity: 'prod/api',
      tags: ['lifeboat', 'image-pull-failed'],
      responders: [{ type: 'team', name: 'platform' }],
    });
    expect(h.chat.thread[1]!.message.summary).toContain('paged Opsgenie ops.');

    // Resolving in Lifeboat resolves both at the services.
    await h.act(id, { type: 'resolve' });
    expect(pd.received.at(-1)!.body).toEqual({ routing_key: 'R0UTINGKEY0123456789ABCDEFGHIJKL', event_action: 'resolve', dedup_key: `lifeboat-${id}-1` });
    expect(og.received.at(-1)).toMatchObject({ path: `/v2/alerts/lifeboat-${id}-1/close?identifierType=alias`, body: { source: 'lifeboat' } });
  });

  it('says so in the thread when PagerDuty keeps failing and pages the next step at once', async () => {
    const pd = await standIn([{ status: 503, body: { status: 'error', message: 'Service Unavailable' }, headers: { 'retry-after': '0' } }]);
    const og = await standIn([OG_ACCEPTED]);
    const { h } = setup(pd.url, og.url);
    const id = (await h.alert(stoppedTask('api'))).incident!.id;
    await h.advance(MINUTE);

    expect(pd.received).toHaveLength(4); // every try of the policy (paging.attempts)
    expect(og.received).toHaveLength(1);
    const note = h.chat.thread[0]!.message;
    expect(note.tone).toBe('danger');
    expect(note.summary).toBe('Escalation step 1 of 3 (policy p), new and unacknowledged: paged nobody; failed: PagerDuty main. The next step starts now (step 2 of 3).');
    expect(note.blocks).toContainEqual({ type: 'list', items: ['PagerDuty main keeps failing: HTTP 503: {"status":"error","message":"Service Unavailable"} after 4 tries'] });
    // Step 2 did not wait its 30 minutes: it went out at the same (fake) moment.
    expect(h.chat.thread[1]!.at).toBe(h.chat.thread[0]!.at);
    expect(h.chat.thread[1]!.message.summary).toContain('step 2 of 3 (policy p)');
    expect(h.metrics.value('lifeboat_escalation_failures_total', { target: 'pagerduty:main' })).toBe(1);
    const timeline = (await h.store.get(id, { timelineLimit: 50 }))!.timeline.map((e) => e.text);
    expect(timeline).toContainEqual(expect.stringContaining('PagerDuty main keeps failing: HTTP 503'));
  });

  it('does not retry a 4xx (a bad key), and signs webhook pages so the receiver can check them', async () => {
    const pd = await standIn([{ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of \'routing_key\' is incorrect (should be 32 characters)'] } }]);
    const og = await standIn([{ status: 422, body: { message: 'Key format is not valid!' } }]);
    const hook = await standIn([{ status: 204, body: {} }]);
    const { h } = setup(pd.url, og.url, hook.url);
    await h.alert(stoppedTask('api'));
    await h.advance(MINUTE);
    expect(pd.received).toHaveLength(1);
    expect(og.received).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
    const [delivery] = hook.received;
    expect(delivery!.path).toBe('/hooks/lifeboat');
    expect(delivery!.body).toMatchObject({ type: 'lifeboat.page', summary: '[lifeboat] prod/api: image pull failed (image not found)' });
    const ts = String(delivery!.headers['x-lifeboat-timestamp']);
    expect(verifyWebhookSignature('webhook-secret-0123456789', ts, delivery!.raw, String(delivery!.headers['x-lifeboat-signature']))).toBe(true);
    expect(verifyWebhookSignature('wrong-secret', ts, delivery!.raw, String(delivery!.headers['x-lifeboat-signature']))).toBe(false);
    expect(delivery!.headers['idempotency-key']).toMatch(/^lifeboat-inc-\w+-1:page$/);
    expect(h.chat.thread.map((t) => t.message.summary.replace(/\(policy p\).*?: /, '(policy p): '))).toEqual([
      'Escalation step 1 of 3 (policy p): paged nobody; failed: PagerDuty main. The next step starts now (step 2 of 3).',
      'Escalation step 2 of 3 (policy p): paged nobody; failed: Opsgenie ops. The next step starts now (step 3 of 3).',
      'Escalation step 3 of 3 (policy p): paged webhook bridge.',
      expect.stringContaining('ran all 3 steps'),
    ]);
  });
});
