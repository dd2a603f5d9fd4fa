import type { z } from 'zod';
import { IntakeError } from '../errors.js';

const MAX_ISSUES = 5;

/**
 * Validates with a zod schema and turns failures into one 400 whose reason lists the offending
 * fields by path (`detail.state.value: expected one of ...`), so a sender can fix its payload from
 * the answer alone.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string, at?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new IntakeError('INVALID_PAYLOAD', `${what}: ${describeIssues(parsed.error.issues, at)}`, { cause: parsed.error });
}

/**
 * `path: message; path: message` for the first few issues. `at` prefixes every path with where the
 * validated value sits in the payload (`detail`), so paths read from the payload root.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], at?: string): string {
  const shown = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = [...(at ? [at] : []), ...issue.path.map(String)].join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return shown.join('; ') + more;
}
