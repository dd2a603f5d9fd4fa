import { leadingWords } from './format.js';
import type { Command } from './registry.js';

/**
 * The commands nearest to what was typed, for "did you mean". Compares the typed leading words
 * with each command's leading words by edit distance, so `chek images` finds `check images` and
 * `redploy` finds `redeploy`.
 */
export function closest(tokens: string[], commands: readonly Command[], limit = 3): Command[] {
  const scored = commands.map((command) => {
    const best = Math.min(
      ...command.formats.map((f) => {
        const words = leadingWords(f);
        const typed = tokens.slice(0, words.length).join(' ').toLowerCase();
        const target = words.join(' ');
        return editDistance(typed, target) / Math.max(target.length, 1);
      }),
    );
    return { command, score: best };
  });
  return scored
    .filter((s) => s.score <= 0.5)
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map((s) => s.command);
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}
