import type { Incident } from '../incidents/model.js';
import type { IncidentClass, Severity } from '../intake/alert.js';
import type { EscalationPolicy, EscalationSettings, PolicyMatch } from './settings.js';

/** What a policy is matched on. */
export interface PolicySubject {
  /** `cluster/service`, or the bare service when the cluster is unknown. */
  service?: string;
  queue?: string;
  class?: IncidentClass;
  severity?: Severity;
}

export function subjectOf(incident: Pick<Incident, 'target' | 'class' | 'severity'>): PolicySubject {
  const t = incident.target;
  const subject: PolicySubject = { class: incident.class, severity: incident.severity };
  if (t.service) subject.service = t.cluster ? `${t.cluster}/${t.service}` : t.service;
  if (t.queue) subject.queue = t.queue;
  return subject;
}

/** `prod/*` → a RegExp; `*` matches anything, including `/`. Case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

function serviceMatches(pattern: string, service: string): boolean {
  const re = globToRegExp(pattern);
  if (re.test(service)) return true;
  // A bare name (`api`) matches the service in any cluster.
  const slash = service.indexOf('/');
  return !pattern.includes('/') && slash >= 0 && re.test(service.slice(slash + 1));
}

/** One criterion of a policy, judged for a subject: for `policy <service>` explanations. */
export interface CriterionVerdict {
  criterion: 'where' | 'class' | 'severity';
  /** `yes`: holds; `no`: does not; `depends`: the subject does not say (e.g. no severity given). */
  verdict: 'yes' | 'no' | 'depends';
  text: string;
}

export function judge(match: PolicyMatch, subject: PolicySubject): CriterionVerdict[] {
  const out: CriterionVerdict[] = [];
  if (match.services || match.queues) {
    const where: string[] = [...(match.services ?? []).map((s) => `service ${s}`), ...(match.queues ?? []).map((q) => `queue ${q}`)];
    const hit = (subject.service !== undefined && (match.services ?? []).some((p) => serviceMatches(p, subject.service ?? ''))) ||
      (subject.queue !== undefined && (match.queues ?? []).some((p) => globToRegExp(p).test(subject.queue ?? '')));
    const known = subject.service !== undefined || subject.queue !== undefined;
    out.push({ criterion: 'where', verdict: hit ? 'yes' : known ? 'no' : 'depends', text: where.join(' or ') });
  }
  if (match.classes) {
    out.push({ criterion: 'class', verdict: subject.class === undefined ? 'depends' : (match.classes as readonly string[]).includes(subject.class) ? 'yes' : 'no', text: `class ${match.classes.join(' or ')}` });
  }
  if (match.severities) {
    out.push({ criterion: 'severity', verdict: subject.severity === undefined ? 'depends' : match.severities.includes(subject.severity) ? 'yes' : 'no', text: `severity ${match.severities.join(' or ')}` });
  }
  return out;
}

/** Which policy escalates an incident like this, and why: the first whose every criterion holds, else the default. */
export interface PolicyChoice {
  policy?: EscalationPolicy;
  /** `matched`: its criteria hold; `default`: none matched, `defaultPolicy` applies; `none`: nothing applies. */
  how: 'matched' | 'default' | 'none';
  reason: string;
}

export function choosePolicy(settings: Pick<EscalationSettings, 'policies' | 'defaultPolicy'>, subject: PolicySubject): PolicyChoice {
  for (const policy of settings.policies) {
    const verdicts = judge(policy.match, subject);
    if (verdicts.every((v) => v.verdict === 'yes')) {
      return { policy, how: 'matched', reason: verdicts.length ? `matches ${verdicts.map((v) => v.text).join(', ')}` : 'matches every incident' };
    }
  }
  const fallback = settings.defaultPolicy ? settings.policies.find((p) => p.id === settings.defaultPolicy) : undefined;
  if (fallback) return { policy: fallback, how: 'default', reason: `no policy matches, so the default policy ${fallback.id} applies` };
  return { how: 'none', reason: 'no policy matches and there is no defaultPolicy' };
}

/** Policy by id. */
export function policyById(settings: Pick<EscalationSettings, 'policies'>, id: string | undefined): EscalationPolicy | undefined {
  return id === undefined ? undefined : settings.policies.find((p) => p.id === id);
}

/** Where absolute step `n` of a policy is: its round and index. */
export function stepAt(policy: EscalationPolicy, n: number): { round: number; index: number } | undefined {
  const total = policy.steps.length * policy.repeat;
  if (n < 0 || n >= total) return undefined;
  return { round: Math.floor(n / policy.steps.length), index: n % policy.steps.length };
}

/** How long to wait before absolute step `n` (after the previous step, or the start for step 0). */
export function waitBefore(policy: EscalationPolicy, n: number): number {
  const at = stepAt(policy, n);
  if (!at) return 0;
  if (at.index === 0 && at.round > 0) return policy.repeatAfterMinutes * 60_000;
  return (policy.steps[at.index]?.waitMinutes ?? 0) * 60_000;
}

/** `step 2 of 3` or `step 2 of 3, round 2 of 2`. */
export function stepLabel(policy: EscalationPolicy, n: number): string {
  const at = stepAt(policy, n);
  if (!at) return `step ${n + 1}`;
  const base = `step ${at.index + 1} of ${policy.steps.length}`;
  return policy.repeat > 1 ? `${base}, round ${at.round + 1} of ${policy.repeat}` : base;
}
