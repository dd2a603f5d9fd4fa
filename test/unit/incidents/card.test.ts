import { describe, expect, it } from 'vitest';
import type { Action, Message } from '../../../src/core/message.js';
import { incidentActionCommand } from '../../../src/incidents/actions.js';
import { renderIncidentCard, renderIncidentDetails, renderIncidentList } from '../../../src/incidents/card.js';
import { newIncidentId, normalizeIncidentId, INCIDENT_ID_PATTERN } from '../../../src/incidents/ids.js';
import type { IncidentClass } from '../../../src/intake/alert.js';
import { alarm, stoppedTask } from './alerts.js';
import { harness, HOUR, MINUTE } from './harness.js';

function actions(message: Message): Action[] {
  return message.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : []));
}

async function openIncident(cls: IncidentClass = 'image-pull-failed') {
  const { ingest, store, clock } = harness();
  const out = await ingest(stoppedTask('api', { class: cls }));
  return { incident: out.incident!, store, clock, ingest };
}

describe('incident card', () => {
  it('shows severity, title, state, counts and where, with Acknowledge / Resolve / Snooze and the class runbook', async () => {
    const { incident, store } = await openIncident();
    const details = await store.get(incident.id);
    const card = renderIncidentCard(incident, details!.timeline);
    expect(card.summary).toBe(`HIGH ${incident.id}: prod/api: image pull failed (image not found) (open)`);
    expect(card.tone).toBe('danger');
    expect(card.blocks[0]).toEqual({ type: 'header', text: 'HIGH · prod/api: image pull failed (image not found)' });
    expect(card.blocks).toContainEqual({
      type: 'fields',
      fields: [
        { label: 'Incident', value: `${incident.id} · image pull failed (image not found)` },
        { label: 'State', value: 'Open since 2026-03-02 09:00 UTC' },
        { label: 'Alerts', value: '1 firing of 1 alert · 1 received' },
        { label: 'Where', value: 'account 111122223333 · us-west-2 · prod/api · image api:latest' },
      ],
    });
    expect(actions(card)).toEqual([
      { id: 'incident-ack', label: 'Acknowledge', value: incident.id, style: 'primary' },
      { id: 'incident-resolve', label: 'Resolve', value: incident.id },
      { id: 'incident-snooze', label: 'Snooze', value: incident.id },
      { id: 'runbook-start', label: 'Start runbook: restore the missing image', value: `image-unavailable:${incident.id}` },
    ]);
  });

  it('offers a runbook only for classes that have one', async () => {
    const runbookIds = async (cls: IncidentClass) => actions(renderIncidentCard((await openIncident(cls)).incident, [])).find((a) => a.id === 'runbook-start')?.value.split(':')[0];
    expect(await runbookIds('image-unavailable')).toBe('image-unavailable');
    expect(await runbookIds('queue-backlog')).toBe('queue-backlog');
    expect(await runbookIds('task-fails-to-start')).toBe('task-fails-to-start');
    expect(await runbookIds('monitoring-blind')).toBe('monitoring-blind');
    expect(await runbookIds('image-pull-failed')).toBe('image-unavailable');
    expect(await runbookIds('deployment-failed')).toBe('task-fails-to-start');
    expect(await runbookIds('other')).toBeUndefined();
  });

  it('drops Acknowledge once acknowledged and every button once resolved', async () => {
    const { incident, store } = await openIncident();
    const acked = await store.transition(incident.id, { type: 'ack' }, { id: 'U1', name: 'ana' });
    expect(acked.ok && actions(renderIncidentCard(acked.incident, [])).map((a) => a.id)).toEqual(['incident-resolve', 'incident-snooze', 'runbook-start']);
    const resolved = await store.transition(incident.id, { type: 'resolve' }, { id: 'U1', name: 'ana' });
    expect(resolved.ok && renderIncidentCard(resolved.incident, [])).toMatchObject({ tone: 'success' });
    expect(resolved.ok && actions(renderIncidentCard(resolved.incident, []))).toEqual([]);
  });

  it('keeps alert text plain — renderers escape it — and never puts it in a button', async () => {
    const { ingest } = harness();
    const hostile = '<!channel> click <https://evil.example|here> & `rm -rf` \u202Egnp.exe';
    const out = await ingest(alarm(hostile, 'ALARM', { overrides: { summary: hostile } }));
    const card = renderIncidentCard(out.incident!, []);
    expect(card.blocks[0]).toEqual({ type: 'header', text: `HIGH · ${hostile}` });
    for (const a of actions(card)) expect(a.value).toMatch(/^(image-pull-failed:)?inc-[a-z0-9]{6}$/);
  });

  it('says when it is flapping, snoozed, linked to a stale incident, or missing truncated alerts', async () => {
    const { incident } = await openIncident();
    const card = renderIncidentCard({ ...incident, flapping: true, flappingUntil: incident.createdAt + HOUR, snoozedUntil: incident.createdAt + 30 * MINUTE, linkedIncidentId: 'inc-old222', truncatedAlerts: 4 }, []);
    const notes = card.blocks.filter((b) => b.type === 'context').map((b) => (b.type === 'context' ? b.text : ''));
    expect(notes).toEqual([
      'Flapping: its alerts keep changing between firing and resolved (0 changes). Notifications are held until 2026-03-02 10:00 UTC; counts keep updating.',
      'Snoozed until 2026-03-02 09:30 UTC.',
      'Continues inc-old222, which had gone stale: a new alert is never just counted on a stale incident.',
      'The sender left out 4 alerts of this group (Alertmanager truncatedAlerts): not everything is shown here.',
    ]);
  });

  it('shows the newest five timeline entries', async () => {
    const { incident } = await openIncident();
    const timeline = Array.from({ length: 8 }, (_, i) => ({ at: incident.createdAt + i * MINUTE, kind: 'note' as const, text: `entry ${i}`, by: 'ana' }));
    const list = renderIncidentCard(incident, timeline).blocks.find((b) => b.type === 'list');
    expect(list).toEqual({ type: 'list', items: [3, 4, 5, 6, 7].map((i) => `2026-03-02 09:${String(i).padStart(2, '0')} UTC  entry ${i} — ana`) });
  });

  it('renders details with every alert and the timeline, and a list of incidents', async () => {
    const { incident, store, ingest } = await openIncident();
    await ingest(alarm('api-latency', 'ALARM', { service: 'api' }));
    const details = renderIncidentDetails((await store.get(incident.id))!);
    const text = JSON.stringify(details.blocks);
    expect(text).toContain('Alerts (2)');
    expect(text).toContain('FIRING    api-latency');
    expect(text).toContain('New alert: api-latency');
    expect(actions(details).map((a) => a.id)).toContain('incident-ack');
    const list = renderIncidentList(await store.listOpen(), 'open');
    expect(list.summary).toBe('Open incidents: 1');
    expect(renderIncidentList([], 'open').summary).toBe('No open incidents.');
  });
});

describe('incident ids and buttons', () => {
  it('draws short typeable ids and normalises what people type', () => {
    for (let i = 0; i < 200; i++) expect(newIncidentId()).toMatch(INCIDENT_ID_PATTERN);
    expect(normalizeIncidentId(' INC-7F3A2C ')).toBe('inc-7f3a2c');
    expect(normalizeIncidentId('inc-0o1il2')).toBeUndefined();
    expect(normalizeIncidentId('inc-7f3a2c; drop')).toBeUndefined();
  });

  it('turns card buttons into the commands they stand for', () => {
    expect(incidentActionCommand('incident-ack', 'inc-7f3a2c')).toBe('ack inc-7f3a2c');
    expect(incidentActionCommand('incident-resolve', 'inc-7f3a2c')).toBe('resolve inc-7f3a2c');
    expect(incidentActionCommand('incident-snooze', 'inc-7f3a2c')).toBe('snooze inc-7f3a2c 1h');
    expect(incidentActionCommand('incident-snooze', 'inc-7f3a2c:30M')).toBe('snooze inc-7f3a2c 30m');
    expect(incidentActionCommand('incident-snooze', 'inc-7f3a2c:forever')).toBe('snooze inc-7f3a2c 1h');
    expect(incidentActionCommand('incident-ack', 'inc-7f3a2c && redeploy')).toBeUndefined();
    expect(incidentActionCommand('runbook-start', 'image-pull-failed:inc-7f3a2c')).toBeUndefined();
  });
});

describe('incident card runbooks', () => {
  it('offers the runbooks a catalog names for the class, at most three', async () => {
    const { incident } = await openIncident();
    const runbooksFor = () => ['a', 'b', 'c', 'd'].map((id) => ({ id: `rb-${id}`, label: `Runbook ${id}` }));
    const card = renderIncidentCard(incident, [], { runbooksFor });
    expect(actions(card).filter((a) => a.id === 'runbook-start').map((a) => [a.label, a.value])).toEqual([
      ['Start runbook: Runbook a', `rb-a:${incident.id}`],
      ['Start runbook: Runbook b', `rb-b:${incident.id}`],
      ['Start runbook: Runbook c', `rb-c:${incident.id}`],
    ]);
    expect(actions(renderIncidentCard(incident, [], { runbooksFor: () => [] })).map((a) => a.id)).not.toContain('runbook-start');
  });
});
