/**
 * Neutral messages for the `drill` commands. Every one carries `drill: true`, so every surface
 * marks it DRILL.
 */
import type { Block, Message } from '../../core/message.js';
import type { Detection, Drill, DrillStatus } from './drill.js';
import type { DrillScenario, Remedy } from './scenario.js';

/** `drill list`. */
export function renderScenarioList(scenarios: readonly DrillScenario[]): Message {
  return {
    summary: `${scenarios.length} drill scenarios`,
    tone: 'info',
    drill: true,
    blocks: [
      { type: 'header', text: 'Drill scenarios (a simulated AWS account; nothing real is touched)' },
      { type: 'list', items: scenarios.map((s) => `${s.id} — ${s.title}`) },
      { type: 'context', text: 'Start one with `drill start <scenario>`; `lifeboat drill <scenario>` starts Lifeboat with one.' },
    ],
  };
}

/** What `drill start` answers once the drill has reached detection (or not). */
export function renderDrillStart(drill: Drill, detection: Detection | undefined): Message {
  const s = drill.scenario;
  const blocks: Block[] = [
    { type: 'header', text: `Drill: ${s.title}` },
    { type: 'text', text: s.story },
    {
      type: 'fields',
      fields: [
        { label: 'Scenario', value: s.id },
        { label: 'Simulated time', value: `${when(drill.clock.now())} (started ${when(drill.startedAt)})` },
        { label: 'Detected', value: detection ? detectionText(detection) : 'not yet: `drill advance 1h` moves time on' },
        { label: 'Runbook', value: s.runbook },
      ],
    },
    { type: 'text', text: 'What to do:' },
    { type: 'list', items: s.walkthrough },
    { type: 'context', text: 'Account 000000000000 is simulated; every port Lifeboat uses reads it. `drill status` shows where it stands.' },
  ];
  return { summary: `Drill ${s.id}: ${detection ? 'the incident has been detected' : 'running'}`, tone: detection ? 'warning' : 'info', drill: true, blocks };
}

/** `drill status`. */
export function renderDrillStatus(status: DrillStatus): Message {
  const blocks: Block[] = [
    { type: 'header', text: `Drill ${status.scenario.id}: ${status.health.healthy ? 'recovered' : 'not recovered yet'}` },
    {
      type: 'fields',
      fields: [
        { label: 'Simulated time', value: `${when(status.now)} (+${duration(status.now - status.startedAt)} since the start)` },
        { label: 'Detected', value: status.detection ? detectionText(status.detection) : 'not yet' },
        { label: 'Alerts delivered', value: `${status.alerts.delivered}${classes(status.alerts.byClass)}` },
        { label: 'Runbook', value: status.scenario.runbook },
      ],
    },
    { type: 'text', text: 'Timeline:' },
    { type: 'list', items: status.faults.map((f) => `${f.happened ? '✓' : '…'} ${when(f.at)} ${f.kind}: ${f.description}`) },
  ];
  if (status.services.length > 0) {
    blocks.push({
      type: 'list',
      items: status.services.map((s) => `${s.service}: ${s.running}/${s.desired} running${s.pending ? `, ${s.pending} pending` : ''}, ${s.deployments} deployment${s.deployments === 1 ? '' : 's'} (${s.rollout})${s.impaired ? ', tasks fail to start' : ''}`),
    });
  }
  if (status.queues.length > 0) blocks.push({ type: 'list', items: status.queues.map((q) => `${q.queue}: ${q.visible} messages waiting, oldest ${duration(q.oldestAgeSeconds * 1000)}`) });
  if (status.builds.length > 0) blocks.push({ type: 'list', items: status.builds.map((b) => `build ${b.id}: ${b.status} (${b.phase})`) });
  blocks.push({ type: 'text', text: 'Recovery checks:' }, { type: 'list', items: status.health.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`) });
  return {
    summary: `Drill ${status.scenario.id}: ${status.health.healthy ? 'recovered' : 'not recovered yet'} at ${when(status.now)}`,
    tone: status.health.healthy ? 'success' : 'warning',
    drill: true,
    blocks,
  };
}

/** `drill advance <duration>`. */
export function renderAdvanced(status: DrillStatus, ms: number): Message {
  const message = renderDrillStatus(status);
  return { ...message, summary: `Drill: moved ${duration(ms)} on, to ${when(status.now)}`, blocks: [{ type: 'text', text: `Simulated time moved ${duration(ms)} on.` }, ...message.blocks] };
}

/** `drill fix <remedy>`. */
export function renderFixed(remedy: Remedy, others: readonly Remedy[]): Message {
  return {
    summary: `Drill: applied ${remedy.id}`,
    tone: 'success',
    drill: true,
    blocks: [
      { type: 'text', text: `Applied in the simulated account: ${remedy.description}.` },
      { type: 'context', text: others.length > 0 ? `Other fixes in this drill: ${others.map((r) => r.id).join(', ')}. Redeploy the service once its configuration is fixed.` : 'Redeploy the service once its configuration is fixed.' },
    ],
  };
}

function detectionText(d: Detection): string {
  const parts = [`${when(d.at)}: ${d.alert.summary}`];
  if (d.afterImpactMs !== undefined) parts.push(`${duration(d.afterImpactMs)} after the first failure`);
  if (d.afterCauseMs !== undefined) parts.push(`${duration(d.afterCauseMs)} after the cause`);
  return parts.join(' — ');
}

function classes(byClass: Record<string, number>): string {
  const entries = Object.entries(byClass).sort(([, a], [, b]) => b - a);
  return entries.length > 0 ? ` (${entries.map(([c, n]) => `${n} ${c}`).join(', ')})` : '';
}

/** `2026-01-02 09:14 UTC`. */
export function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `45 s`, `12 min`, `5 h 57 min`, `1 d 6 h`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}
