import type { JobOutputs } from '../core/jobs.js';
import { INCIDENT_FIELDS, type IncidentField } from './definition.js';
import type { IncidentSnapshot, StepStatus } from './model.js';

/**
 * References: `${inputs.name}`, `${steps.step-id.field}` and `${incident.field}`. Each one is
 * replaced by a value, nothing else — no expressions, no filters, no defaults.
 */
export type Reference =
  | { scope: 'inputs'; name: string }
  | { scope: 'steps'; step: string; field: string }
  | { scope: 'incident'; field: IncidentField };

const REFERENCE = /\$\{([^}]*)\}/g;
const WHOLE = /^\s*\$\{([^}]*)\}\s*$/;
const INPUT_NAME = /^[a-z][a-zA-Z0-9]*$/;
const STEP_ID = /^[a-z][a-z0-9-]*$/;
const FIELD = /^[a-zA-Z][a-zA-Z0-9]*$/;

/**
 * What a value substituted into a command may look like: one word that cannot become an option
 * or split into several words, so an output or a typed input can never change which command
 * runs or add a flag to it.
 */
export const COMMAND_VALUE = /^[A-Za-z0-9_][A-Za-z0-9._:/@+=-]{0,299}$/;

export type ParsedReference = { raw: string; reference: Reference } | { raw: string; error: string };

/** Parses the inside of `${…}`. */
export function parseReference(body: string): Reference | { error: string } {
  const [scope, ...rest] = body.trim().split('.');
  switch (scope) {
    case 'inputs':
      return rest.length === 1 && INPUT_NAME.test(rest[0] ?? '') ? { scope, name: rest[0] ?? '' } : { error: 'an input reference is ${inputs.<name>}' };
    case 'steps':
      return rest.length === 2 && STEP_ID.test(rest[0] ?? '') && FIELD.test(rest[1] ?? '')
        ? { scope, step: rest[0] ?? '', field: rest[1] ?? '' }
        : { error: 'a step reference is ${steps.<step-id>.<output>}' };
    case 'incident': {
      const field = rest.join('.');
      return (INCIDENT_FIELDS as readonly string[]).includes(field)
        ? { scope, field: field as IncidentField }
        : { error: `an incident reference is \${incident.<field>} with one of: ${INCIDENT_FIELDS.join(', ')}` };
    }
    default:
      return { error: 'a reference starts with inputs., steps. or incident.' };
  }
}

/** Every reference in a text, plus an error for an unclosed `${`. */
export function findReferences(text: string): ParsedReference[] {
  const found: ParsedReference[] = [...text.matchAll(REFERENCE)].map((m) => {
    const raw = m[0];
    const parsed = parseReference(m[1] ?? '');
    return 'error' in parsed ? { raw, error: parsed.error } : { raw, reference: parsed };
  });
  if (text.replace(REFERENCE, '').includes('${')) found.push({ raw: '${', error: 'a reference is not closed with }' });
  return found;
}

/** `when` and `verify` are exactly one reference. */
export function parseWholeReference(text: string): Reference | { error: string } {
  const m = WHOLE.exec(text);
  if (!m) return { error: 'must be exactly one reference, such as ${steps.check.healthy}' };
  return parseReference(m[1] ?? '');
}

/** What a run knows when it resolves a reference. */
export interface ReferenceScope {
  inputs: Readonly<Record<string, string>>;
  steps: Readonly<Record<string, { status: StepStatus; outputs?: JobOutputs } | undefined>>;
  incident?: IncidentSnapshot;
}

/** A value, or why it cannot be known (yet). `null` is a known "nothing". */
export type Resolution = { known: true; value: unknown } | { known: false; why: string };

export function resolveReference(reference: Reference, scope: ReferenceScope): Resolution {
  switch (reference.scope) {
    case 'inputs':
      // Declared but optional and not given: a known empty value.
      return { known: true, value: scope.inputs[reference.name] ?? '' };
    case 'steps': {
      const step = scope.steps[reference.step];
      if (!step) return { known: false, why: `step ${reference.step} is not part of this run` };
      // A skipped step did nothing: every question about it reads as "no".
      if (step.status === 'skipped') return { known: true, value: null };
      if (step.status !== 'done') return { known: false, why: `step ${reference.step} has not finished` };
      if (!step.outputs) return { known: false, why: `step ${reference.step} reported no outputs` };
      return { known: true, value: Object.hasOwn(step.outputs, reference.field) ? (step.outputs[reference.field] ?? null) : null };
    }
    case 'incident': {
      if (!scope.incident) return { known: false, why: 'this run is not for an incident' };
      const [head = '', tail] = reference.field.split('.');
      const value: unknown = tail === undefined ? (scope.incident as unknown as Record<string, unknown>)[head] : scope.incident.target[tail];
      return { known: true, value: value ?? null };
    }
  }
}

/** Truthiness for `when` and `verify`: nothing, false, 0, '' and empty lists or objects are false. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0) return false;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Resolves a `when`/`verify` text to truthy, falsy, or unknown. */
export function evaluateCondition(text: string, scope: ReferenceScope): { known: true; value: boolean; shown: string } | { known: false; why: string } {
  const reference = parseWholeReference(text);
  if ('error' in reference) return { known: false, why: reference.error };
  const resolved = resolveReference(reference, scope);
  if (!resolved.known) return resolved;
  return { known: true, value: isTruthy(resolved.value), shown: display(resolved.value) };
}

/**
 * The command text with every reference replaced, or why it cannot be built yet: a value that
 * is unknown, empty, a list, or not a single safe word ({@link COMMAND_VALUE}).
 */
export function substituteCommand(text: string, scope: ReferenceScope): { ok: true; text: string } | { ok: false; why: string } {
  let failure: string | undefined;
  const result = text.replace(REFERENCE, (raw, body: string) => {
    if (failure) return raw;
    const reference = parseReference(body);
    if ('error' in reference) {
      failure = `${raw}: ${reference.error}`;
      return raw;
    }
    const resolved = resolveReference(reference, scope);
    if (!resolved.known) {
      failure = `${raw} is not known: ${resolved.why}`;
      return raw;
    }
    const value = resolved.value;
    const word = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    if (word === undefined || word === '') {
      failure = `${raw} is ${value === null || value === '' ? 'empty' : 'not a single value'}`;
      return raw;
    }
    if (!COMMAND_VALUE.test(word)) {
      failure = `${raw} is "${clip(word, 60)}", which is not a single word a command can take`;
      return raw;
    }
    return word;
  });
  return failure ? { ok: false, why: failure } : { ok: true, text: result };
}

/**
 * A step's command with its optional flags (`flags: { ref: '${inputs.ref}' }`): each flag is one
 * reference, added as `--name value` when it has a value, left out when its value is known to be
 * nothing (an optional input that was not given, an output the step did not report, a skipped
 * step), and the command waits while it is not known. The value follows the command rule: one
 * single word. The runbook names the flag; a value can never add another one.
 */
export function substituteStepCommand(
  command: string,
  flags: Readonly<Record<string, string>> | undefined,
  scope: ReferenceScope,
): { ok: true; text: string } | { ok: false; why: string } {
  const base = substituteCommand(command, scope);
  if (!base.ok) return base;
  let text = base.text;
  for (const [name, raw] of Object.entries(flags ?? {})) {
    const value = flagValue(raw, scope);
    if (value.kind === 'unusable') return { ok: false, why: `--${name} ${value.why}` };
    if (value.kind === 'word') text += ` --${name} ${value.word}`;
  }
  return { ok: true, text };
}

/** A flag's value: a word, `none` (leave the flag out), or why it cannot be used (yet). */
export function flagValue(raw: string, scope: ReferenceScope): { kind: 'word'; word: string } | { kind: 'none' } | { kind: 'unusable'; why: string } {
  const reference = parseWholeReference(raw);
  if ('error' in reference) return { kind: 'unusable', why: reference.error };
  const resolved = resolveReference(reference, scope);
  if (!resolved.known) return { kind: 'unusable', why: `${raw.trim()} is not known: ${resolved.why}` };
  if (resolved.value === null || resolved.value === undefined || resolved.value === '' || resolved.value === false) return { kind: 'none' };
  const built = substituteCommand(raw.trim(), scope);
  return built.ok ? { kind: 'word', word: built.text } : { kind: 'unusable', why: built.why };
}

/** The text of a note with every reference shown; what is not known yet is said so. */
export function substituteText(text: string, scope: ReferenceScope): string {
  return text.replace(REFERENCE, (raw, body: string) => {
    const reference = parseReference(body);
    if ('error' in reference) return raw;
    // A skipped step reads as "no" to conditions, but a note must not pass that off as a finding.
    if (reference.scope === 'steps' && scope.steps[reference.step]?.status === 'skipped') return `(not known: step ${reference.step} was skipped)`;
    const resolved = resolveReference(reference, scope);
    if (!resolved.known) return `(not known: ${resolved.why})`;
    return display(resolved.value);
  });
}

/** A value as a person reads it in a note or a checklist line. */
export function display(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (typeof value === 'string') return clip(value, 600);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : clip(value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', '), 600);
  return clip(JSON.stringify(value), 600);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
