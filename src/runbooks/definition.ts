import { z } from 'zod';

/**
 * The schema of one `runbooks/*.yaml` file: when it applies, its inputs, and ordered steps that
 * name commands. Arguments may reference inputs and earlier steps' outputs with `${inputs.x}` and
 * `${steps.id.field}` — references only, never a template language.
 */
const stepId = z.string().regex(/^[a-z][a-z0-9-]*$/, 'step ids are lowercase words joined by dashes');

export const runbookStepSchema = z
  .object({
    id: stepId,
    title: z.string().min(1),
    /** The command text to run, e.g. `check images ${inputs.service}`. */
    command: z.string().min(1),
    confirm: z.boolean().optional(),
    approval: z.object({ from: z.enum(['operate', 'admin']), reason: z.string().optional() }).strict().optional(),
    /** Skip unless this reference is truthy, e.g. `${steps.check.missing}`. */
    when: z.string().optional(),
    verify: z.string().optional(),
    onFailure: z.enum(['stop', 'skip', 'escalate']).default('stop'),
  })
  .strict();

export const runbookDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    title: z.string().min(1),
    description: z.string().min(1),
    appliesTo: z.array(z.string()).min(1),
    inputs: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/), z.object({ description: z.string(), fromIncident: z.string().optional(), required: z.boolean().default(true) }).strict()).default({}),
    steps: z.array(runbookStepSchema).min(1),
  })
  .strict();

export type RunbookDefinition = z.infer<typeof runbookDefinitionSchema>;
