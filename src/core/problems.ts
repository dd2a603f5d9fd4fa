/** A problem found while validating config or a definition file: where, what, and how bad. */
export interface Problem {
  /** File (or environment variable) the problem is in. */
  file: string;
  /** Field path inside it, e.g. `examples[2].args.count`. */
  field: string;
  message: string;
  /** Critical problems stop startup; warnings are logged. */
  critical: boolean;
}

export function formatProblem(p: Problem): string {
  return `${p.critical ? 'error' : 'warning'}: ${p.file}${p.field ? ` › ${p.field}` : ''}: ${p.message}`;
}

/** A text file handed to a pure parser; I/O stays at the edges. */
export interface SourceFile {
  path: string;
  text: string;
}
