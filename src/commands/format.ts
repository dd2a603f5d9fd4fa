/** One piece of a compiled format: a literal word or a placeholder. */
export type FormatToken =
  | { kind: 'literal'; word: string }
  | { kind: 'arg'; name: string; optional: boolean; rest: boolean };

export interface CompiledFormat {
  source: string;
  tokens: FormatToken[];
}

/** Compiles `scale {service} to {count}`; throws a sentence naming the problem. */
export function compileFormat(source: string): CompiledFormat {
  const tokens: FormatToken[] = source
    .trim()
    .split(/\s+/)
    .map((word) => {
      const m = /^\{([a-zA-Z][a-zA-Z0-9]*)(\?|\.\.\.)?\}$/.exec(word);
      if (m) return { kind: 'arg', name: m[1] ?? '', optional: m[2] === '?', rest: m[2] === '...' };
      if (/[{}]/.test(word)) throw new Error(`format "${source}": "${word}" is neither a word nor a {placeholder}`);
      return { kind: 'literal', word: word.toLowerCase() };
    });
  tokens.forEach((t, i) => {
    if (t.kind === 'arg' && (t.optional || t.rest) && i !== tokens.length - 1) {
      throw new Error(`format "${source}": optional and rest placeholders may only come last`);
    }
  });
  if (tokens[0]?.kind !== 'literal') throw new Error(`format "${source}": must start with a word`);
  return { source, tokens };
}

/** `scale {service} to {count}` → `scale <service> to <count>`, as shown in help. */
export function usageOf(format: CompiledFormat): string {
  return format.tokens
    .map((t) => (t.kind === 'literal' ? t.word : t.rest ? `<${t.name}…>` : t.optional ? `[${t.name}]` : `<${t.name}>`))
    .join(' ');
}

/** The leading literal words: what a person types to name the command. */
export function leadingWords(format: CompiledFormat): string[] {
  const words: string[] = [];
  for (const t of format.tokens) {
    if (t.kind !== 'literal') break;
    words.push(t.word);
  }
  return words;
}

/** Matches positional words against a format; returns raw arg strings or undefined. */
export function matchPositional(format: CompiledFormat, words: string[]): Record<string, string> | undefined {
  const raw: Record<string, string> = {};
  let i = 0;
  for (const t of format.tokens) {
    if (t.kind === 'literal') {
      if (words[i]?.toLowerCase() !== t.word) return undefined;
      i++;
      continue;
    }
    if (t.rest) {
      if (i >= words.length) return undefined;
      raw[t.name] = words.slice(i).join(' ');
      i = words.length;
      continue;
    }
    const word = words[i];
    if (word === undefined) {
      if (t.optional) continue;
      return undefined;
    }
    raw[t.name] = word;
    i++;
  }
  return i === words.length ? raw : undefined;
}
