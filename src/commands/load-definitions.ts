import { isDeepStrictEqual } from 'node:util';
import { parseDefinitionFile } from '../core/definition-file.js';
import type { Problem, SourceFile } from '../core/problems.js';
import { commandDefinitionSchema, type CommandDefinition } from './definition.js';
import { compileFormat } from './format.js';
import { CommandRegistry } from './registry.js';

export interface CommandLoadResult {
  registry: CommandRegistry;
  problems: Problem[];
}

export interface CommandLoadOptions {
  /** Builtins the app provides; a command naming another builtin is a critical problem. */
  builtins: readonly string[];
  /** Job kinds with a handler; a command naming another job is "not available yet" (a warning). */
  jobs: readonly string[];
}

/**
 * Parses and cross-checks every command file, reporting all problems at once: schema errors,
 * duplicate ids, bad formats, placeholders without an arg spec, unknown builtins, and every
 * example that does not parse to exactly its args or that another command also matches.
 */
export function loadCommandDefinitions(files: readonly SourceFile[], options: CommandLoadOptions): CommandLoadResult {
  const problems: Problem[] = [];
  const definitions: { file: string; definition: CommandDefinition }[] = [];

  for (const file of files) {
    const definition = parseDefinitionFile(file, commandDefinitionSchema, problems);
    if (!definition) continue;
    const before = problems.length;
    checkShape(file.path, definition, options, problems);
    if (problems.slice(before).some((p) => p.critical)) continue;
    if (definitions.some((d) => d.definition.id === definition.id)) {
      problems.push({ file: file.path, field: 'id', message: `"${definition.id}" is already defined in ${definitions.find((d) => d.definition.id === definition.id)?.file}`, critical: true });
      continue;
    }
    definitions.push({ file: file.path, definition });
  }

  const registry = new CommandRegistry(definitions.map((d) => d.definition));
  for (const { file, definition } of definitions) checkExamples(file, definition, registry, problems);
  return { registry, problems };
}

function checkShape(file: string, definition: CommandDefinition, options: CommandLoadOptions, problems: Problem[]): void {
  definition.formats.forEach((source, i) => {
    try {
      const format = compileFormat(source);
      for (const token of format.tokens) {
        if (token.kind === 'arg' && !definition.args[token.name]) {
          problems.push({ file, field: `formats[${i}]`, message: `placeholder {${token.name}} has no entry under args`, critical: true });
        }
      }
    } catch (err) {
      problems.push({ file, field: `formats[${i}]`, message: (err as Error).message, critical: true });
    }
  });
  for (const [name, spec] of Object.entries(definition.args)) {
    if (spec.type === 'string' && spec.pattern) checkPattern(file, `args.${name}.pattern`, spec.pattern, problems);
  }
  for (const [name, spec] of Object.entries(definition.flags)) {
    if (spec.type === 'string' && spec.pattern) checkPattern(file, `flags.${name}.pattern`, spec.pattern, problems);
  }
  if ('builtin' in definition.runs && !options.builtins.includes(definition.runs.builtin)) {
    problems.push({ file, field: 'runs.builtin', message: `no builtin named "${definition.runs.builtin}" (builtins: ${options.builtins.join(', ')})`, critical: true });
  }
  if ('job' in definition.runs && !options.jobs.includes(definition.runs.job)) {
    problems.push({ file, field: 'runs.job', message: `job "${definition.runs.job}" has no handler yet: the command answers "not available yet"${definition.plannedIn ? ` (planned in ${definition.plannedIn})` : ''}`, critical: false });
  }
  if (definition.sideEffects && definition.permission === 'read') {
    problems.push({ file, field: 'permission', message: 'a command with side effects cannot be open to everyone: use operate or admin', critical: true });
  }
  if (definition.sideEffects && definition.confirm === undefined) {
    problems.push({ file, field: 'confirm', message: 'a command with side effects must say whether it asks for confirmation (confirm: true or false)', critical: true });
  }
}

function checkPattern(file: string, field: string, pattern: string, problems: Problem[]): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    problems.push({ file, field, message: `is not a valid regular expression: ${(err as Error).message}`, critical: true });
  }
}

function checkExamples(file: string, definition: CommandDefinition, registry: CommandRegistry, problems: Problem[]): void {
  definition.examples.forEach((example, i) => {
    const field = `examples[${i}]`;
    const results = registry.matchAll(example.text);
    const own = results.find((r) => r.kind !== 'unknown' && r.kind !== 'empty' && r.command.definition.id === definition.id);
    const others = results.filter((r) => r.kind !== 'unknown' && r.kind !== 'empty' && r.command.definition.id !== definition.id);
    if (!own || own.kind !== 'matched') {
      const why = own?.kind === 'invalid' ? own.errors.join('; ') : 'no format matches it';
      problems.push({ file, field, message: `"${example.text}" does not parse: ${why}`, critical: true });
    } else if (!isDeepStrictEqual(own.args, example.args)) {
      problems.push({ file, field: `${field}.args`, message: `"${example.text}" parses to ${JSON.stringify(own.args)}, not ${JSON.stringify(example.args)}`, critical: true });
    }
    for (const other of others) {
      if (other.kind === 'matched' || other.kind === 'invalid') {
        problems.push({ file, field, message: `"${example.text}" also matches command "${other.command.definition.id}"`, critical: true });
      }
    }
  });
}
