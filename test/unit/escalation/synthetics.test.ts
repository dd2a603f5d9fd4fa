import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { MemorySyntheticStore } from '../../../src/escalation/memory-stores.js';
import { escalationSettingsSchema } from '../../../src/escalation/settings.js';
import { SyntheticChecks, type FetchLike } from '../../../src/escalation/synthetics.js';
import type { Alert } from '../../../src/intake/alert.js';
import { escalationHarness, MINUTE } from './support.js';

const settings = escalationSettingsSchema.parse({
  policies: [{ id: 'p', steps: [{ waitMinutes: 0, notify: [{ channel: 'here' }] }] }],
  synthetics: [
    { id: 'api-health', name: 'api health', url: 'https://api.example.test/healthz', bodyContains: '"status":"ok"', failuresBeforeIncident: 3, target: { cluster: 'prod', service: 'api' } },
    { id: 'web', url: 'https://web.example.test/', expectStatus: [200, 301], timeoutMs: 200 },
  ],
});

function respond(status: number, body = ''): ReturnType<FetchLike> {
  return Promise.resolve({ status, body: new Response(body).body });
}

function setup(script: (url: string, signal: AbortSignal) => ReturnType<FetchLike>) {
  const h = escalationHarness({ settings });
  const ingested: Alert[] = [];
  const store = new MemorySyntheticStore();
  const checks = new SyntheticChecks({
    checks: settings.synthetics,
    store,
    sink: { async accept(alerts) { for (const a of alerts) { ingested.push(a); await h.alert(a); } } },
    fetch: (url, init) => script(url, init.signal),
    clock: h.clock,
    logger: silentLogger,
    metrics: h.metrics,
  });
  return { h, checks, store, ingested };
}

describe('synthetic checks', () => {
  it('opens an incident after consecutive failures and resolves it on recovery', async () => {
    const answers = [respond(503, 'down'), respond(200, '{"status":"degraded"}'), respond(503), respond(503), respond(200, '{"status":"ok"}')];
    const { h, checks, ingested } = setup(() => answers.shift() ?? respond(200, '{"status":"ok"}'));
    await checks.start(h.timers);
    expect([...h.timers.repeating.entries()].map(([id, r]) => `${id} every ${r.everyMs} ms`)).toEqual(['synthetic:api-health every 60000 ms', 'synthetic:web every 60000 ms']);

    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      results.push((await checks.run('api-health')).detail);
      await h.timers.runDue(h.clock, h.handle);
      h.clock.advance(MINUTE);
    }
    expect(results).toEqual(['HTTP 503, expected 2xx', 'HTTP 200 but the body lacks ""status":"ok""', 'HTTP 503, expected 2xx', 'HTTP 503, expected 2xx', 'HTTP 200']);
    expect(ingested.map((a) => `${a.status}: ${a.summary}`)).toEqual([
      'firing: https://api.example.test/healthz: HTTP 503, expected 2xx — 3 failures in a row since 09:00 UTC',
      'resolved: https://api.example.test/healthz answers again (HTTP 200) after 4 min of failures',
    ]);
    const [incident] = await h.store.list({ state: 'all' });
    expect(incident).toMatchObject({ title: 'prod/api: Synthetic check api health failing', state: 'resolved', severity: 'critical', target: { cluster: 'prod', service: 'api' } });
    // It escalated like any incident: step 1 pinged @here, then the one-step policy ran out.
    expect(h.chat.thread.map((t) => [t.mentions, t.message.summary.slice(0, 30)])).toEqual([[[{ type: 'here' }], 'Escalation step 1 of 1 (policy'], [[], 'Escalation: policy p ran its o']]);
    expect(h.metrics.value('lifeboat_synthetic_up', { check: 'api-health' })).toBe(1);
  });

  it('fails on a timeout and on an unexpected status, and removes timers of checks no longer configured', async () => {
    const { h, checks } = setup((url, signal) => url.startsWith('https://web')
      ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))
      : respond(500));
    await h.timers.scheduleRepeating('synthetic:old', 60_000, { kind: 'synthetic-check', id: 'old' });
    await checks.start(h.timers);
    expect([...h.timers.repeating.keys()]).toEqual(['synthetic:api-health', 'synthetic:web']);
    expect((await checks.run('web')).detail).toBe('no answer within 200 ms');
    expect((await checks.run('api-health')).detail).toBe('HTTP 500, expected 2xx');
  });
});
