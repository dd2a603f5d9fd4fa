import type { Builtin } from '../../chat/builtin.js';
import type { Message } from '../../core/message.js';
import type { CommandRegistry } from '../registry.js';
import { closest } from '../suggest.js';
import { tokenize } from '../tokenize.js';

/** `help` lists every command from its definition; `help <command>` shows usage, options and examples. */
export function helpBuiltin(registry: CommandRegistry, availableJobs: ReadonlySet<string>): Builtin {
  return ({ args }) => {
    const topic = typeof args.topic === 'string' ? args.topic : undefined;
    return Promise.resolve(topic ? helpFor(registry, topic, availableJobs) : overview(registry, availableJobs));
  };
}

function isAvailable(runs: { job: string } | { builtin: string }, jobs: ReadonlySet<string>): boolean {
  return !('job' in runs) || jobs.has(runs.job);
}

function overview(registry: CommandRegistry, jobs: ReadonlySet<string>): Message {
  const items = registry.commands.map((c) => {
    const soon = isAvailable(c.definition.runs, jobs) ? '' : ' (not available yet)';
    return `${c.usage.join('  |  ')} — ${c.definition.summary}${soon}`;
  });
  return {
    summary: `Lifeboat commands (${registry.commands.length})`,
    blocks: [{ type: 'header', text: 'Lifeboat commands' }, { type: 'list', items }, { type: 'context', text: 'help <command> shows its options and examples.' }],
  };
}

function helpFor(registry: CommandRegistry, topic: string, jobs: ReadonlySet<string>): Message {
  const words = topic.toLowerCase();
  const command =
    registry.get(words.replace(/\s+/g, '-')) ??
    registry.commands.find((c) => c.usage.some((u) => u.startsWith(words))) ??
    closest(tokenize(topic), registry.commands, 1)[0];
  if (!command) return { summary: `No command "${topic}".`, tone: 'warning', blocks: [{ type: 'text', text: `No command "${topic}". Type help for the list.` }] };
  const d = command.definition;
  const flags = Object.entries(d.flags).map(([name, f]) => `--${name}${f.type === 'string' ? ` <${f.arg}>` : ''} — ${f.description}`);
  const args = Object.entries(d.args).map(([name, a]) => `${name} — ${a.description}`);
  return {
    summary: `${d.id}: ${d.summary}`,
    blocks: [
      { type: 'header', text: d.id },
      { type: 'text', text: d.summary + (isAvailable(d.runs, jobs) ? '' : ` Not available yet${d.plannedIn ? ` (planned in ${d.plannedIn})` : ''}.`) },
      { type: 'fields', fields: [
        { label: 'Usage', value: command.usage.join('\n') },
        { label: 'Permission', value: `${d.permission}${d.sideEffects ? ', changes things' : ', read-only'}${d.confirm ? ', asks for confirmation' : ''}` },
      ] },
      ...(args.length ? [{ type: 'list' as const, items: args }] : []),
      ...(flags.length ? [{ type: 'list' as const, items: flags }] : []),
      { type: 'text', text: 'Examples:' },
      { type: 'code', text: d.examples.map((e) => e.text).join('\n') },
    ],
  };
}
