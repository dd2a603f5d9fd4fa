import { coerceArg } from './args.js';
import type { CommandDefinition, FlagSpec } from './definition.js';
import { compileFormat, leadingWords, matchPositional, usageOf, type CompiledFormat } from './format.js';
import { closest } from './suggest.js';
import { tokenize } from './tokenize.js';

/** A loaded command: its definition plus compiled formats. */
export interface Command {
  definition: CommandDefinition;
  formats: CompiledFormat[];
  /** One usage line per format, e.g. `scale <service> to <count>`. */
  usage: string[];
}

export type MatchResult =
  | { kind: 'matched'; command: Command; args: Record<string, unknown> }
  | { kind: 'invalid'; command: Command; errors: string[] }
  | { kind: 'unknown'; suggestions: Command[] }
  | { kind: 'empty' };

/** All commands, and the one way text becomes a command with typed args. */
export class CommandRegistry {
  readonly commands: readonly Command[];

  constructor(definitions: readonly CommandDefinition[]) {
    this.commands = definitions.map((definition) => {
      const formats = definition.formats.map(compileFormat);
      return { definition, formats, usage: formats.map(usageOf) };
    });
  }

  get(id: string): Command | undefined {
    return this.commands.find((c) => c.definition.id === id);
  }

  /** Every command whose format matches the words — used to prove examples are unambiguous. */
  matchAll(text: string): MatchResult[] {
    const tokens = tokenize(text);
    const results: MatchResult[] = [];
    for (const command of this.commands) {
      const result = matchCommand(command, tokens);
      if (result) results.push(result);
    }
    return results;
  }

  match(text: string): MatchResult {
    const tokens = tokenize(text);
    if (tokens.length === 0) return { kind: 'empty' };
    const results = this.matchAll(text);
    // Prefer a clean match; among invalid ones the command the words named is still the best guide.
    const matched = results.find((r) => r.kind === 'matched');
    if (matched) return matched;
    const invalid = results.find((r) => r.kind === 'invalid');
    if (invalid) return invalid;
    const named = this.commands.filter((c) => c.formats.some((f) => startsWithWords(tokens, leadingWords(f))));
    if (named[0]) return { kind: 'invalid', command: named[0], errors: [`usage: ${named[0].usage.join('  |  ')}`] };
    return { kind: 'unknown', suggestions: closest(tokens, this.commands) };
  }
}

function startsWithWords(tokens: string[], words: string[]): boolean {
  return words.length > 0 && words.every((w, i) => tokens[i]?.toLowerCase() === w);
}

function matchCommand(command: Command, tokens: string[]): MatchResult | undefined {
  const { positional, flags, flagErrors } = splitFlags(tokens, command.definition.flags);
  for (const format of command.formats) {
    const raw = matchPositional(format, positional);
    if (!raw) continue;
    const args: Record<string, unknown> = {};
    const errors = [...flagErrors];
    for (const [name, value] of Object.entries(raw)) {
      const spec = command.definition.args[name];
      if (!spec) {
        args[name] = value;
        continue;
      }
      const coerced = coerceArg(name, spec, value);
      if (coerced.ok) args[name] = coerced.value;
      else errors.push(coerced.error);
    }
    Object.assign(args, flags);
    return errors.length > 0 ? { kind: 'invalid', command, errors } : { kind: 'matched', command, args };
  }
  return undefined;
}

/** Pulls `--flag` and `--flag value` / `--flag=value` out of the words, per the command's flags. */
function splitFlags(tokens: string[], specs: Record<string, FlagSpec>): { positional: string[]; flags: Record<string, unknown>; flagErrors: string[] } {
  const positional: string[] = [];
  const flags: Record<string, unknown> = {};
  const flagErrors: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (!token.startsWith('--') || token.length < 3) {
      positional.push(token);
      continue;
    }
    const [name = '', inline] = token.slice(2).split(/=(.*)/s, 2);
    const spec = specs[name];
    if (!spec) {
      flagErrors.push(`unknown option --${name}${Object.keys(specs).length ? ` (options: ${Object.keys(specs).map((f) => `--${f}`).join(', ')})` : ''}`);
      continue;
    }
    if (spec.type === 'boolean') {
      flags[camel(name)] = true;
      continue;
    }
    const value = inline ?? tokens[++i];
    if (value === undefined || value.startsWith('--')) {
      flagErrors.push(`--${name} needs a value (${spec.description})`);
      continue;
    }
    if (spec.pattern && !new RegExp(spec.pattern).test(value)) {
      flagErrors.push(`"${value}" is not a valid --${name} (${spec.description})`);
      continue;
    }
    flags[spec.arg] = value;
  }
  return { positional, flags, flagErrors };
}

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
