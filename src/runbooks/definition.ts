import { z } from 'zod';
import type { IncidentClass } from '../intake/alert.js';

/**
 * The schema of one `runbooks/*.yaml` file: when it applies, its inputs, and ordered steps that
 * run a command or an action. Text may reference inputs, earlier steps' outputs and the incident
 * with `${inputs.x}`, `${steps.id.field}` and `${incident.field}` — references only, never a
 * template language: no expressions, no filters, no defaults. `load-runbooks.ts` checks every
 * cross-reference; `docs/runbooks.md` is the guide.
 */

/** The incident classes a runbook may apply to (every `IncidentClass`, checked by the compiler). */
export const INCIDENT_CLASSES = [
  'image-unavailable',
  'image-pull-failed',
  'deployment-failed',
  'task-fails-to-start',
  'queue-backlog',
  'monitoring-blind',
  'image-event',
  'other',
] as const satisfies readonly IncidentClass[];
// Fails to compile when a class is added to IncidentClass but not above.
const everyClassListed: Exclude<IncidentClass, (typeof INCIDENT_CLASSES)[number]> extends never ? true : never = true;
void everyClassListed;

/** Incident fields an input may come from (`fromIncident`) and `${incident.…}` may name. */
export const INCIDENT_FIELDS = [
  'id',
  'class',
  'title',
  'summary',
  'severity',
  'pullFailure',
  'target.account',
  'target.region',
  'target.cluster',
  'target.service',
  'target.repository',
  'target.imageDigest',
  'target.imageTag',
  'target.queue',
] as const;
export type IncidentField = (typeof INCIDENT_FIELDS)[number];

/**
 * Actions: steps that are not commands. They change nothing and exist to guide — YAML names them
 * by these registered names, never by code.
 */
export const RUNBOOK_ACTIONS = {
  /**
   * Posts `text` (references resolved) in the runbook's thread. Done as soon as it is shown, or,
   * with `ack: true`, when someone presses Done — for what a person has to find out or do by hand.
   */
  note: 'shows its text in the thread; changes nothing',
} as const;
export type RunbookActionName = keyof typeof RUNBOOK_ACTIONS;

const slug = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'ids are lowercase words joined by dashes (at most 63 characters)');
const inputName = z.string().regex(/^[a-z][a-zA-Z0-9]{0,39}$/, 'input names are camelCase words');

export const runbookInputSchema = z
  .object({
    description: z.string().min(1),
    /** Taken from the incident the runbook is started for, e.g. `target.service`. */
    fromIncident: z.enum(INCIDENT_FIELDS).optional(),
    /** A required input must be known (from the incident or typed) before the run starts. */
    required: z.boolean().default(true),
    /** A regular expression the value must match, on top of the single-word rule. */
    pattern: z.string().optional(),
    /** Shown when Lifeboat asks for the input: `hooks-queue`. */
    example: z.string().optional(),
  })
  .strict();

export const runbookStepSchema = z
  .object({
    id: slug,
    title: z.string().min(1).max(80),
    /** The command to run, e.g. `check images ${inputs.cluster}/${inputs.service}`. */
    command: z.string().min(1).optional(),
    /** Or an action (see {@link RUNBOOK_ACTIONS}). */
    action: z.enum(Object.keys(RUNBOOK_ACTIONS) as [RunbookActionName, ...RunbookActionName[]]).optional(),
    /** The text of a `note`. */
    text: z.string().min(1).optional(),
    /** A `note` waits for someone to press Done. */
    ack: z.boolean().optional(),
    /**
     * Flags of the command added only when their one reference has a value, e.g.
     * `ref: '${inputs.ref}'` adds `--ref v42` when the optional input was given and nothing when it
     * was not. (A reference in `command` itself must always have a value, or the step waits.)
     */
    flags: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'flag names are lowercase words joined by dashes, without the leading --'), z.string()).optional(),
    /**
     * A second press after Run, by the same person, before the step runs. The Run press is itself
     * the go-ahead for a step with side effects; this is for the ones where a misclick costs most.
     */
    confirm: z.boolean().optional(),
    /** Someone other than the requester, holding this role, must approve before the step runs. */
    approval: z.object({ from: z.enum(['operate', 'admin']), reason: z.string().optional() }).strict().optional(),
    /** Skip the step unless this one reference is truthy, e.g. `${steps.check.restore}`. */
    when: z.string().optional(),
    /** After the step, this one reference must be truthy (it may name the step itself), else it failed. */
    verify: z.string().optional(),
    /** What a failed step does to the run: wait for a person (`stop`), go on (`skip`), or `escalate` and wait. */
    onFailure: z.enum(['stop', 'skip', 'escalate']).default('stop'),
  })
  .strict();

export const runbookDefinitionSchema = z
  .object({
    id: slug,
    title: z.string().min(1).max(80),
    description: z.string().min(1),
    appliesTo: z.array(z.enum(INCIDENT_CLASSES)).min(1),
    inputs: z.record(inputName, runbookInputSchema).default({}),
    steps: z.array(runbookStepSchema).min(1).max(40),
  })
  .strict();

export type RunbookDefinition = z.infer<typeof runbookDefinitionSchema>;
export type RunbookStep = z.infer<typeof runbookStepSchema>;
export type RunbookInput = z.infer<typeof runbookInputSchema>;
