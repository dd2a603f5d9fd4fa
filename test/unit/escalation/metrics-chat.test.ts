import { describe, expect, it } from 'vitest';
import type { Conversation, MessageRef } from '../../../src/chat/ports.js';
import type { Message } from '../../../src/core/message.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import { createEscalationChat } from '../../../src/escalation/chat.js';
import { ESCALATION_METRIC_DECLARATIONS, escalationMetricsCollector } from '../../../src/escalation/metrics.js';
import { alarm, stoppedTask } from '../incidents/alerts.js';
import { RecordingSurface } from '../../support/fakes.js';
import { escalationHarness, MINUTE } from './support.js';

describe('escalation metrics', () => {
  it('reports the oldest unacknowledged incident, incidents by state and queue lag at scrape time', async () => {
    const h = escalationHarness();
    const registry = new MetricsRegistry();
    for (const m of ESCALATION_METRIC_DECLARATIONS) registry.declare(m.name, m.type, m.help);
    registry.onCollect(escalationMetricsCollector({ metrics: registry, incidents: h.store, clock: h.clock, queueLag: () => Promise.resolve({ 'lifeboat-timers': 0.25, 'lifeboat-jobs': 0 }) }));
    const first = (await h.alert(stoppedTask('api'))).incident!.id;
    h.clock.advance(10 * MINUTE);
    await h.alert(alarm('web-5xx', 'ALARM', { service: 'web' }));
    h.clock.advance(5 * MINUTE);
    await h.store.transition(first, { type: 'ack' }, { id: 'U1' });
    const text = await registry.render();
    expect(text).toContain('lifeboat_oldest_unacknowledged_incident_age_seconds 300');
    expect(text).toContain('lifeboat_incidents_open{state="open"} 1');
    expect(text).toContain('lifeboat_incidents_open{state="acknowledged"} 1');
    expect(text).toContain('lifeboat_queue_lag_seconds{queue="lifeboat-timers"} 0.25');
    expect(text).toContain('# TYPE lifeboat_escalation_failures_total counter');
  });
});

class AttentionSurface extends RecordingSurface {
  readonly loud: { to: Conversation; message: Message; mentions: unknown[]; broadcast?: boolean }[] = [];
  postWithAttention(to: Conversation, message: Message, attention: { mentions: readonly unknown[]; broadcast?: boolean }): Promise<MessageRef> {
    this.loud.push({ to, message, mentions: [...attention.mentions], ...(attention.broadcast ? { broadcast: true } : {}) });
    return Promise.resolve({ surface: 'slack', channel: to.channel, ts: '9' });
  }
}

describe('escalation chat over the surfaces', () => {
  it('posts in the card thread with pings where the surface can, DMs through Slack, and names the pings on the terminal', async () => {
    const h = escalationHarness();
    const incident = (await h.alert(stoppedTask('api'))).incident!;
    const slack = new AttentionSurface('slack');
    const terminal = new RecordingSurface('console');
    const message: Message = { summary: 'Escalation step 1', blocks: [{ type: 'text', text: 'Escalation step 1' }] };
    const chat = createEscalationChat({ cardOf: (id) => Promise.resolve(id === incident.id ? { surface: 'slack' as const, channel: 'C0INC', ts: '1700.1' } : undefined), surfaces: { slack, console: terminal }, fallback: { surface: 'console', channel: 'terminal' } });
    await chat.toIncident(incident, message, { mentions: [{ type: 'here' }, { type: 'user', id: 'U01ANA', name: 'ana' }], broadcast: true });
    expect(slack.loud).toEqual([{ to: { surface: 'slack', channel: 'C0INC', threadTs: '1700.1' }, message, mentions: [{ type: 'here' }, { type: 'user', id: 'U01ANA', name: 'ana' }], broadcast: true }]);
    await chat.toUser('U01ANA', message);
    expect(slack.posts.map((p) => p.to)).toEqual([{ surface: 'slack', channel: 'U01ANA' }]);
    await chat.toIncident({ ...incident, id: 'inc-nocard' }, message, { mentions: [{ type: 'usergroup', id: 'S0ONCALL', name: 'oncall' }] });
    expect(terminal.posts[0]?.message.blocks[0]).toEqual({ type: 'context', text: '@oncall' });
  });
});
