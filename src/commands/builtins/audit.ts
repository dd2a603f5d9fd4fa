import type { Builtin } from '../../chat/builtin.js';
import type { AuditLog } from '../../chat/ports.js';

/** `audit [n]`: the newest audit entries, newest first. */
export function auditBuiltin(audit: AuditLog): Builtin {
  return async ({ args }) => {
    const count = typeof args.count === 'number' ? args.count : 20;
    const entries = await audit.recent(count);
    const items = entries.map((e) => {
      const who = e.userName ? `${e.userName} (${e.userId})` : e.userId;
      return `${new Date(e.at).toISOString()}  ${e.outcome.padEnd(21)}  ${who} in ${e.surface}:${e.channel}  "${e.text}"${e.detail ? ` — ${e.detail}` : ''}`;
    });
    return {
      summary: `Audit log: ${entries.length} newest entries`,
      blocks: [{ type: 'header', text: 'Audit log (newest first)' }, items.length ? { type: 'code', text: items.join('\n') } : { type: 'text', text: 'No entries yet.' }],
    };
  };
}
