import type { CommandRegistry } from '../commands/registry.js';
import { parseDefinitionFile } from '../core/definition-file.js';
import type { Problem, SourceFile } from '../core/problems.js';
import { runbookDefinitionSchema, type RunbookDefinition, type RunbookStep } from './definition.js';
import { STEP_OUTPUTS } from './outputs.js';
import { findReferences, parseWholeReference, type Reference } from './references.js';

/** The value each reference stands for while a step's command is parsed at load time. */
const SAMPLE_VALUE = 'ref-value';

export interface RunbookLoadOptions {
  /** Outputs by command id; default the shipped contract (`outputs.ts`). */
  outputs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * Parses every runbook and checks its cross-references, reporting all problems at once: each step
 * is a command or an action (not both); each command parses against the command registry (with
 * references standing in for values) and is not itself a runbook command; every `${inputs.x}` is
 * a declared input, every `${steps.y.f}` an earlier step whose command reports output `f`
 * (`verify` may name its own step), every `${incident.f}` a known incident field; `when`,
 * `verify` and each of `flags` are single references; each flag is a value flag of the step's
 * command that the command text does not already give; input patterns compile.
 */
export function loadRunbooks(files: readonly SourceFile[], registry: CommandRegistry, options: RunbookLoadOptions = {}): { runbooks: RunbookDefinition[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const runbooks: RunbookDefinition[] = [];
  const outputs = options.outputs ?? STEP_OUTPUTS;
  for (const file of files) {
    const runbook = parseDefinitionFile(file, runbookDefinitionSchema, problems);
    if (!runbook) continue;
    const before = problems.length;
    new RunbookChecker(file.path, runbook, registry, outputs, problems).check();
    if (runbooks.some((r) => r.id === runbook.id)) problems.push({ file: file.path, field: 'id', message: `runbook "${runbook.id}" is defined twice`, critical: true });
    if (!problems.slice(before).some((p) => p.critical)) runbooks.push(runbook);
  }
  return { runbooks, problems };
}

class RunbookChecker {
  /** Step id → the command id its command resolves to (undefined for actions). */
  private readonly commandOf = new Map<string, string | undefined>();

  constructor(
    private readonly file: string,
    private readonly runbook: RunbookDefinition,
    private readonly registry: CommandRegistry,
    private readonly outputs: Readonly<Record<string, Readonly<Record<string, string>>>>,
    private readonly problems: Problem[],
  ) {}

  check(): void {
    for (const [name, input] of Object.entries(this.runbook.inputs)) {
      if (input.pattern === undefined) continue;
      try {
        new RegExp(input.pattern);
      } catch (err) {
        this.problem(`inputs.${name}.pattern`, `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    this.runbook.steps.forEach((step, i) => {
      const field = `steps[${i}]`;
      if (this.commandOf.has(step.id)) this.problem(`${field}.id`, `step id "${step.id}" is used twice`);
      this.checkShape(step, field);
      // Earlier steps only: this one is not in the map yet.
      for (const [key, text] of [['command', step.command], ['text', step.text]] as const) {
        if (text === undefined) continue;
        for (const found of findReferences(text)) {
          if ('error' in found) this.problem(`${field}.${key}`, `${found.raw}: ${found.error}`);
          else this.checkReference(`${field}.${key}`, found.raw, found.reference, undefined);
        }
      }
      for (const [name, text] of Object.entries(step.flags ?? {})) this.checkCondition(`${field}.flags.${name}`, text, undefined);
      if (step.when !== undefined) this.checkCondition(`${field}.when`, step.when, undefined);
      const commandId = step.command !== undefined ? this.checkCommand(step, field) : undefined;
      this.commandOf.set(step.id, commandId);
      if (step.verify !== undefined) this.checkCondition(`${field}.verify`, step.verify, step.id);
    });
  }

  private checkShape(step: RunbookStep, field: string): void {
    if (step.command === undefined && step.action === undefined) this.problem(field, 'a step needs a command or an action');
    if (step.command !== undefined && step.action !== undefined) this.problem(field, 'a step has a command or an action, not both');
    if (step.action === 'note' && step.text === undefined) this.problem(`${field}.text`, 'a note needs its text');
    if (step.command !== undefined) {
      if (step.text !== undefined) this.problem(`${field}.text`, 'text belongs to a note; a command step shows its command\'s own result');
      if (step.ack !== undefined) this.problem(`${field}.ack`, 'ack belongs to a note; a command step is done when its job is');
    }
    if (step.action !== undefined) {
      for (const key of ['confirm', 'verify', 'approval', 'flags'] as const) {
        if (step[key] !== undefined) this.problem(`${field}.${key}`, `${key} applies to command steps; an action changes nothing`);
      }
    }
  }

  /** The command id of the step, after checking it is a command a runbook may run. */
  private checkCommand(step: RunbookStep, field: string): string | undefined {
    const text = step.command ?? '';
    const match = this.registry.match(text.replace(/\$\{[^}]*\}/g, SAMPLE_VALUE));
    if (match.kind === 'unknown' || match.kind === 'empty') {
      this.problem(`${field}.command`, `"${text}" is not a Lifeboat command`);
      return undefined;
    }
    const definition = match.command.definition;
    for (const name of Object.keys(step.flags ?? {})) {
      const flag = Object.hasOwn(definition.flags, name) ? definition.flags[name] : undefined;
      if (!flag) this.problem(`${field}.flags.${name}`, `"${definition.id}" has no flag --${name}${Object.keys(definition.flags).length ? ` (its flags: ${Object.keys(definition.flags).map((f) => `--${f}`).join(', ')})` : ''}`);
      else if (flag.type !== 'string') this.problem(`${field}.flags.${name}`, `--${name} takes no value; write it in the command if the step always needs it`);
      else if (new RegExp(`(^|\\s)--${name}(\\s|=|$)`).test(text)) this.problem(`${field}.flags.${name}`, `--${name} is already in the command`);
    }
    // With the sample value the command parsed (it may not: a sample need not fit an arg's pattern), it must still parse with the flags.
    if (match.kind === 'matched' && step.flags && Object.keys(step.flags).length > 0 && !problemsAbout(this.problems, this.file, `${field}.flags`)) {
      const withFlags = `${text} ${Object.keys(step.flags).map((name) => `--${name} ${SAMPLE_VALUE}`).join(' ')}`;
      const full = this.registry.match(withFlags.replace(/\$\{[^}]*\}/g, SAMPLE_VALUE));
      if (full.kind !== 'matched') this.problem(`${field}.flags`, `"${withFlags}" does not parse: ${full.kind === 'invalid' ? full.errors.join('; ') : full.kind}`);
    }
    if (definition.id.startsWith('runbook')) this.problem(`${field}.command`, `a runbook step cannot run "${definition.id}": runbooks do not start or drive runbooks`);
    if (step.confirm === true && !definition.sideEffects) {
      this.problems.push({ file: this.file, field: `${field}.confirm`, message: `"${definition.id}" changes nothing, so it runs by itself; confirm has no effect`, critical: false });
    }
    return definition.id;
  }

  private checkCondition(field: string, text: string, self: string | undefined): void {
    const reference = parseWholeReference(text);
    if ('error' in reference) this.problem(field, reference.error);
    else this.checkReference(field, text.trim(), reference, self);
  }

  private checkReference(field: string, raw: string, reference: Reference, self: string | undefined): void {
    switch (reference.scope) {
      case 'inputs':
        if (!Object.hasOwn(this.runbook.inputs, reference.name)) {
          const declared = Object.keys(this.runbook.inputs);
          this.problem(field, `${raw} names no declared input${declared.length ? ` (inputs: ${declared.join(', ')})` : ''}`);
        }
        return;
      case 'incident':
        return;
      case 'steps': {
        if (reference.step !== self && !this.commandOf.has(reference.step)) {
          this.problem(field, `${raw} names no earlier step`);
          return;
        }
        const commandId = reference.step === self ? this.commandIdOfSelf(self) : this.commandOf.get(reference.step);
        if (commandId === undefined) {
          this.problem(field, `${raw}: step ${reference.step} is not a command, so it reports no outputs`);
          return;
        }
        const known = Object.hasOwn(this.outputs, commandId) ? this.outputs[commandId] : undefined;
        if (!known) this.problem(field, `${raw}: "${commandId}" reports no outputs`);
        else if (!Object.hasOwn(known, reference.field)) this.problem(field, `${raw}: "${commandId}" reports no "${reference.field}" (it reports: ${Object.keys(known).join(', ')})`);
        return;
      }
    }
  }

  private commandIdOfSelf(self: string | undefined): string | undefined {
    return self === undefined ? undefined : this.commandOf.get(self);
  }

  private problem(field: string, message: string): void {
    this.problems.push({ file: this.file, field, message, critical: true });
  }
}

function problemsAbout(problems: readonly Problem[], file: string, fieldPrefix: string): boolean {
  return problems.some((p) => p.file === file && p.field.startsWith(fieldPrefix));
}
