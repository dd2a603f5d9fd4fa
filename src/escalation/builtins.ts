/**
 * The escalation commands: `escalate <id>` (page the next level now), `oncall [rotation]` (who is
 * on call now and next), `policy <service|incident>` (which policy applies and why), and the
 * `heartbeats` job (for the command and the monitoring-blind runbook, which reads its outputs).
 */
import type { Builtin } from '../chat/builtin.js';
import type { CommandRequest } from '../chat/ports.js';
import type { JobHandler } from '../core/jobs.js';
import { textMessage, type Block, type Message } from '../core/message.js';
import { formatTime } from '../incidents/format.js';
import { normalizeIncidentId } from '../incidents/ids.js';
import type { Actor } from '../incidents/model.js';
import type { IncidentStore } from '../incidents/ports.js';
import type { EscalationEngine } from './engine.js';
import type { HeartbeatMonitor } from './heartbeats.js';
import { formatDuration } from './messages.js';
import { choosePolicy, judge, stepLabel, subjectOf, type PolicySubject } from './policy.js';
import type { EscalationStateStore } from './ports.js';
import { personLabel } from './rotation.js';
import { targetKey, type EscalationPolicy, type EscalationTarget } from './settings.js';

/** The builtin names these commands use in `runs.builtin`. */
export const ESCALATION_BUILTIN_NAMES = ['escalate', 'oncall', 'policy'] as const;
export type EscalationBuiltinName = (typeof ESCALATION_BUILTIN_NAMES)[number];

export interface EscalationBuiltinDeps {
  engine: EscalationEngine;
  incidents: Pick<IncidentStore, 'get'>;
  state: Pick<EscalationStateStore, 'get'>;
  clock: { now(): number };
}

export function createEscalationBuiltins(deps: EscalationBuiltinDeps): Record<EscalationBuiltinName, Builtin> {
  return {
    escalate: escalateBuiltin(deps),
    oncall: oncallBuiltin(deps),
    policy: policyBuiltin(deps),
  };
}

/** `escalate <id> [reason…]`. */
export function escalateBuiltin(deps: EscalationBuiltinDeps): Builtin {
  return async ({ args, request }) => {
    const id = typeof args.id === 'string' ? normalizeIncidentId(args.id) : undefined;
    if (!id) return textMessage(`"${String(args.id)}" is not an incident id; they look like inc-7f3a2c.`, 'warning');
    const reason = typeof args.reason === 'string' && args.reason.trim() ? args.reason.trim().slice(0, 200) : undefined;
    const result = await deps.engine.escalateNow(id, actorOf(request), reason);
    return result.message;
  };
}

/** `oncall [rotation]`. */
export function oncallBuiltin(deps: EscalationBuiltinDeps): Builtin {
  return ({ args }) => {
    const settings = deps.engine.settings;
    const wanted = typeof args.rotation === 'string' ? args.rotation.toLowerCase() : undefined;
    const rotations = settings.rotations.filter((r) => wanted === undefined || r.id === wanted);
    if (settings.rotations.length === 0) return Promise.resolve(textMessage('No on-call rotation is configured (escalation.rotations in lifeboat.yaml).', 'info'));
    if (rotations.length === 0) return Promise.resolve(textMessage(`There is no rotation "${String(args.rotation)}"; rotations: ${settings.rotations.map((r) => r.id).join(', ')}.`, 'warning'));
    const now = deps.clock.now();
    const blocks: Block[] = [{ type: 'header', text: 'On call' }];
    for (const r of rotations) {
      const rotation = deps.engine.rotation(r.id);
      if (!rotation) continue;
      const { now: current, next } = rotation.nowAndNext(now);
      const override = current.override ? ` — override${current.override.reason ? `: ${current.override.reason}` : ''}` : '';
      blocks.push({
        type: 'fields',
        fields: [
          { label: `${rotation.label} (${rotation.describe()})`, value: `now: ${personLabel(current.person)} since ${formatTime(current.from)}${override}` },
          { label: 'next', value: `${personLabel(next.person)} from ${formatTime(next.from)} (in ${formatDuration(next.from - now)})${next.override ? ' — override' : ''}` },
        ],
      });
    }
    const summary = rotations.map((r) => {
      const rotation = deps.engine.rotation(r.id);
      return rotation ? `${rotation.label}: ${personLabel(rotation.at(now).person)}` : r.id;
    }).join(', ');
    return Promise.resolve({ summary: `On call now — ${summary}`, tone: 'info', blocks } satisfies Message);
  };
}

/** `policy <service|queue|incident>`: which policy applies and why, step by step. */
export function policyBuiltin(deps: EscalationBuiltinDeps): Builtin {
  return async ({ args }) => {
    const raw = typeof args.target === 'string' ? args.target.trim() : '';
    const settings = deps.engine.settings;
    const incidentId = normalizeIncidentId(raw);
    if (incidentId) {
      const details = await deps.incidents.get(incidentId, { timelineLimit: 1 });
      if (!details) return textMessage(`There is no incident ${incidentId}.`, 'warning');
      const incident = details.incident;
      const choice = choosePolicy(settings, subjectOf(incident));
      const state = await deps.state.get(incidentId);
      const blocks: Block[] = [{ type: 'header', text: `Escalation of ${incidentId}` }, { type: 'text', text: `${incident.title} — ${incident.class}, ${incident.severity}, ${incident.state}.` }];
      blocks.push({ type: 'text', text: choice.policy ? `Policy ${choice.policy.id}: ${choice.reason}.` : `No policy: ${choice.reason}. Only the card notifies.` });
      if (choice.policy) blocks.push({ type: 'list', items: describeSteps(choice.policy) });
      if (state && state.mode !== 'none') {
        const policy = settings.policies.find((p) => p.id === state.policyId);
        const next = policy && state.mode === 'running' && state.nextDueAt !== undefined ? `; next: ${stepLabel(policy, state.nextStep)} at ${formatTime(state.nextDueAt)}` : '';
        blocks.push({ type: 'context', text: `Now: ${state.mode}${state.lastStep !== undefined && policy ? `, last paged ${stepLabel(policy, state.lastStep)}${state.lastFiredAt ? ` at ${formatTime(state.lastFiredAt)}` : ''}` : ''}${next}.` });
      }
      return { summary: choice.policy ? `${incidentId} escalates by policy ${choice.policy.id}` : `${incidentId} has no escalation policy`, tone: 'info', blocks };
    }
    if (!raw) return textMessage('Name a service (prod/api), a queue (queue:jobs) or an incident id.', 'warning');
    const subject: PolicySubject = raw.toLowerCase().startsWith('queue:') ? { queue: raw.slice(6) } : { service: raw };
    const where = subject.queue !== undefined ? `queue ${subject.queue}` : subject.service ?? raw;
    if (settings.policies.length === 0) return textMessage(`No escalation policy is configured, so incidents on ${where} only get their card (escalation.policies in lifeboat.yaml).`, 'info');
    const lines: string[] = [];
    const applicable: EscalationPolicy[] = [];
    let decided = false;
    for (const policy of settings.policies) {
      const verdicts = judge(policy.match, subject);
      if (verdicts.some((v) => v.verdict === 'no')) {
        lines.push(`${policy.id}: does not apply — needs ${verdicts.filter((v) => v.verdict === 'no').map((v) => v.text).join(', ')}.`);
        continue;
      }
      const conditions = verdicts.filter((v) => v.verdict === 'depends').map((v) => v.text);
      const because = verdicts.filter((v) => v.verdict === 'yes').map((v) => v.text);
      applicable.push(policy);
      if (conditions.length === 0) {
        lines.push(`${policy.id}: applies to every other incident here (${because.length ? `matches ${because.join(', ')}` : 'matches everything'}).`);
        decided = true;
        break;
      }
      lines.push(`${policy.id}: applies to incidents with ${conditions.join(' and ')}${because.length ? ` (matches ${because.join(', ')})` : ''}.`);
    }
    if (!decided) {
      const fallback = settings.defaultPolicy ? settings.policies.find((p) => p.id === settings.defaultPolicy) : undefined;
      lines.push(fallback ? `otherwise the default policy ${fallback.id}.` : 'otherwise no policy: only the card notifies.');
      if (fallback && !applicable.includes(fallback)) applicable.push(fallback);
    }
    const blocks: Block[] = [{ type: 'header', text: `Escalation for ${where}` }, { type: 'list', items: lines }];
    for (const policy of applicable) blocks.push({ type: 'text', text: `${policy.id}${policy.description ? ` — ${policy.description}` : ''}:` }, { type: 'list', items: describeSteps(policy) });
    blocks.push({ type: 'context', text: 'Policies are tried in order (escalation.policies); the first whose every criterion holds wins.' });
    return { summary: `Escalation for ${where}: ${lines[0] ?? ''}`, tone: 'info', blocks };
  };
}

/** `1. at once: @here in the incident channel, on-call primary` … */
export function describeSteps(policy: EscalationPolicy): string[] {
  const lines = policy.steps.map((s, i) => `${i + 1}. ${s.waitMinutes === 0 ? (i === 0 ? 'at once' : 'right after') : `after ${s.waitMinutes} min`}: ${s.notify.map(targetText).join(', ')}`);
  if (policy.repeat > 1) lines.push(`then again, ${policy.repeatAfterMinutes} min after the last step — ${policy.repeat} rounds in all, until someone acknowledges.`);
  else lines.push('until someone acknowledges; then it stops.');
  return lines;
}

function targetText(t: EscalationTarget): string {
  if ('channel' in t) return t.channel === 'quiet' ? 'the incident channel' : `@${t.channel} in the incident channel`;
  if ('userGroup' in t) return `@${t.name ?? t.userGroup}`;
  if ('users' in t) return t.users.join(', ');
  if ('oncall' in t) return `on-call ${t.oncall}`;
  const [kind = '', name = ''] = targetKey(t).split(':');
  return `${kind === 'pagerduty' ? 'PagerDuty' : kind === 'opsgenie' ? 'Opsgenie' : 'webhook'} ${name}`;
}

function actorOf(request: CommandRequest): Actor {
  const { userId, userName } = request.requester;
  return userName ? { id: userId, name: userName } : { id: userId };
}

/**
 * The `heartbeats` job: every registered source, when it last reported, and which are silent.
 * Outputs (for the monitoring-blind runbook): `healthy`, `silent`, `owners`.
 */
export function createHeartbeatsJobHandler(monitor: HeartbeatMonitor, clock: { now(): number }): JobHandler {
  return async () => {
    const statuses = await monitor.status();
    if (statuses.length === 0) {
      return { ...textMessage('No heartbeat is registered (escalation.heartbeats in lifeboat.yaml), so Lifeboat cannot tell a silent source from a quiet one.', 'warning'), outputs: { healthy: false, silent: 'no heartbeats registered', owners: '' } };
    }
    const now = clock.now();
    const silent = statuses.filter((s) => s.silent);
    const items = statuses.map((s) => `${s.silent ? '✗' : '✓'} ${s.name} (${s.id}): ${s.lastSeenAt !== undefined ? `last ${formatDuration(now - s.lastSeenAt)} ago` : 'never heard from'}, expected every ${formatDuration(s.intervalMs)}${s.owner ? ` — owner ${s.owner}` : ''}`);
    const silentText = silent.map((s) => `${s.name} (silent ${formatDuration(s.silentForMs)})`).join(', ');
    const owners = [...new Set(silent.map((s) => `${s.name}: ${s.owner ?? 'no owner registered'}`))].join('; ');
    const summary = silent.length ? `${silent.length} of ${statuses.length} alert sources are silent: ${silentText}` : `All ${statuses.length} alert sources report on time.`;
    return {
      summary,
      tone: silent.length ? 'danger' : 'success',
      blocks: [{ type: 'header', text: 'Heartbeats' }, { type: 'text', text: summary }, { type: 'list', items }],
      outputs: { healthy: silent.length === 0, silent: silentText || 'none', owners: owners || 'none' },
    };
  };
}
