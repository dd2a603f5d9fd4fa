import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { Problem, SourceFile } from './problems.js';

/**
 * Parses one YAML definition file against its schema. Every problem (bad YAML, each schema
 * issue with its field path) goes into `problems`; undefined when the file is unusable.
 * Shared by the command and runbook loaders so both report problems the same way.
 */
export function parseDefinitionFile<S extends z.ZodType>(file: SourceFile, schema: S, problems: Problem[]): z.output<S> | undefined {
  let value: unknown;
  try {
    value = parseYaml(file.text);
  } catch (err) {
    problems.push({ file: file.path, field: '', message: `is not valid YAML: ${(err as Error).message}`, critical: true });
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ file: file.path, field: issue.path.join('.'), message: issue.message, critical: true });
    return undefined;
  }
  return parsed.data;
}
