import { parse as parseYaml } from 'yaml';
import type { CommandRegistry } from '../commands/registry.js';
import type { Problem, SourceFile } from '../core/problems.js';
import { runbookDefinitionSchema, type RunbookDefinition } from './definition.js';

const REFERENCE = /\$\{([^}]*)\}/g;

/**
 * Parses every runbook and checks its cross-references: each step's command must parse against
 * the command registry (with references standing in for values), every `${inputs.x}` must be a
 * declared input and every `${steps.y…}` an earlier step. All problems are reported at once.
 */
export function loadRunbooks(files: readonly SourceFile[], registry: CommandRegistry): { runbooks: RunbookDefinition[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const runbooks: RunbookDefinition[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = parseYaml(file.text);
    } catch (err) {
      problems.push({ file: file.path, field: '', message: `is not valid YAML: ${(err as Error).message}`, critical: true });
      continue;
    }
    const parsed = runbookDefinitionSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ file: file.path, field: issue.path.join('.'), message: issue.message, critical: true });
      continue;
    }
    const runbook = parsed.data;
    const before = problems.length;
    checkReferences(file.path, runbook, registry, problems);
    if (runbooks.some((r) => r.id === runbook.id)) problems.push({ file: file.path, field: 'id', message: `runbook "${runbook.id}" is defined twice`, critical: true });
    if (!problems.slice(before).some((p) => p.critical)) runbooks.push(runbook);
  }
  return { runbooks, problems };
}

function checkReferences(file: string, runbook: RunbookDefinition, registry: CommandRegistry, problems: Problem[]): void {
  const earlier = new Set<string>();
  runbook.steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    if (earlier.has(step.id)) problems.push({ file, field: `${field}.id`, message: `step id "${step.id}" is used twice`, critical: true });
    for (const [key, text] of [['command', step.command], ['when', step.when], ['verify', step.verify]] as const) {
      if (text === undefined) continue;
      for (const m of text.matchAll(REFERENCE)) {
        const ref = m[1] ?? '';
        const [scope, name] = ref.split('.');
        if (scope === 'inputs' && name && runbook.inputs[name]) continue;
        if (scope === 'steps' && name && earlier.has(name)) continue;
        if (scope === 'incident' && name) continue;
        problems.push({ file, field: `${field}.${key}`, message: `\${${ref}} names no declared input, earlier step or incident field`, critical: true });
      }
    }
    // Stand a plausible value in for each reference so the command can be parsed now.
    const sample = step.command.replace(REFERENCE, 'ref-value');
    const match = registry.match(sample);
    if (match.kind === 'unknown' || match.kind === 'empty') problems.push({ file, field: `${field}.command`, message: `"${step.command}" is not a Lifeboat command`, critical: true });
    earlier.add(step.id);
  });
}
