import type { Builtin } from '../../chat/builtin.js';
import type { Message } from '../../core/message.js';

/** What `status` reports; gathered by the composition root from Redis, the queues and surfaces. */
export interface StatusReport {
  version: string;
  redis: { ok: boolean; latencyMs?: number; where: string; maxmemoryPolicy?: string; error?: string };
  jobs: Record<string, number> | { error: string };
  surfaces: { name: string; connected: boolean; detail?: string }[];
  role: string;
  uptimeSeconds: number;
}

/** The port `status` reads. */
export interface StatusSource {
  status(): Promise<StatusReport>;
}

export function statusBuiltin(source: StatusSource): Builtin {
  return async () => renderStatus(await source.status());
}

export function renderStatus(report: StatusReport): Message {
  const redis = report.redis.ok
    ? `ok (${report.redis.where}, ${report.redis.latencyMs ?? '?'} ms${report.redis.maxmemoryPolicy && report.redis.maxmemoryPolicy !== 'noeviction' ? `, WARNING maxmemory-policy ${report.redis.maxmemoryPolicy} can evict jobs` : ''})`
    : `unreachable (${report.redis.where}): ${report.redis.error ?? 'no answer'}`;
  const jobs = 'error' in report.jobs ? `unknown: ${String(report.jobs.error)}` : Object.entries(report.jobs).map(([state, n]) => `${state} ${n}`).join(', ');
  const surfaces = report.surfaces.map((s) => `${s.name} ${s.connected ? 'connected' : 'not connected'}${s.detail ? ` (${s.detail})` : ''}`).join(', ');
  const healthy = report.redis.ok && report.surfaces.every((s) => s.connected);
  return {
    summary: `Lifeboat ${report.version}: ${healthy ? 'all good' : 'degraded'}`,
    tone: healthy ? 'success' : 'warning',
    blocks: [
      { type: 'header', text: `Lifeboat ${report.version}` },
      { type: 'fields', fields: [
        { label: 'Redis', value: redis },
        { label: 'Jobs', value: jobs || 'none' },
        { label: 'Surfaces', value: surfaces || 'none' },
        { label: 'Role', value: `${report.role}, up ${formatUptime(report.uptimeSeconds)}` },
      ] },
    ],
  };
}

function formatUptime(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
