import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceFile } from '../core/problems.js';

/** The installed package root (where commands/ and runbooks/ live), from src/ or dist/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Reads every `*.yaml`/`*.yml` file of a directory, sorted, with paths relative to the package. */
export async function readYamlDir(dir: string): Promise<SourceFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = names.filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(files.map(async (n) => ({ path: relative(process.cwd(), join(dir, n)) || n, text: await readFile(join(dir, n), 'utf8') })));
}

/** Reads the optional config file; undefined when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
