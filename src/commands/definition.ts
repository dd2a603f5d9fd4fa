import { z } from 'zod';

/**
 * The schema of one `commands/*.yaml` file. Commands are data: the router, `help`, the
 * permission check and the example tests all read these definitions; no command is hard-coded.
 */
const argName = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'arg names are camelCase words');

export const argSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), description: z.string(), pattern: z.string().optional() }).strict(),
  z.object({ type: z.literal('integer'), description: z.string(), min: z.number().int().optional(), max: z.number().int().optional() }).strict(),
  z.object({ type: z.literal('enum'), description: z.string(), values: z.array(z.string()).min(1) }).strict(),
  z.object({ type: z.literal('duration'), description: z.string() }).strict(),
]);

export const flagSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('boolean'), description: z.string() }).strict(),
  z.object({ type: z.literal('string'), description: z.string(), pattern: z.string().optional(), arg: argName }).strict(),
]);

export const commandDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'ids are lowercase words joined by dashes'),
    summary: z.string().min(1).max(150),
    /** Each format is literal words and placeholders: `{name}`, `{name?}` (optional, last), `{name...}` (rest). */
    formats: z.array(z.string().min(1)).min(1),
    args: z.record(argName, argSpecSchema).default({}),
    flags: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), flagSpecSchema).default({}),
    examples: z.array(z.object({ text: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) }).strict()).min(1),
    sideEffects: z.boolean(),
    /** `read` commands are open to everyone by default; `operate` and `admin` need a grant in config. */
    permission: z.enum(['read', 'operate', 'admin']),
    /** Required when `sideEffects` is true: a deliberate yes or no, never a silent default. */
    confirm: z.boolean().optional(),
    runs: z.union([z.object({ builtin: z.string() }).strict(), z.object({ job: z.string() }).strict()]),
    /**
     * The args that name what a job acts on: one run per target at a time, so a second request
     * for the same target joins the running job. Default: every arg except `json`.
     */
    lockOn: z.array(argName).optional(),
    /** Shown in `help` next to commands whose job is not available yet. */
    plannedIn: z.string().optional(),
  })
  .strict();

export type CommandDefinition = z.infer<typeof commandDefinitionSchema>;
export type ArgSpec = z.infer<typeof argSpecSchema>;
export type FlagSpec = z.infer<typeof flagSpecSchema>;
