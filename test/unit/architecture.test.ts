import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every import specifier of every source file, resolved to a src-relative path for local ones. */
const imports = files(SRC).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const from = relative(SRC, file);
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => {
    const spec = m[1] ?? '';
    const target = spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
    return { from, target, local: spec.startsWith('.') };
  });
});

const FEATURES = ['intake', 'triage', 'incidents', 'escalation', 'chat', 'commands', 'runbooks', 'images', 'recovery', 'config'];
const area = (path: string): string => {
  const [top = '', second = ''] = path.split('/');
  return top === 'adapters' ? `adapters/${second}` : top;
};

describe('module boundaries (docs/ARCHITECTURE.md)', () => {
  it('keeps core free of every other src module', () => {
    expect(imports.filter((i) => i.from.startsWith('core/') && i.local && !i.target.startsWith('core/'))).toEqual([]);
  });

  it('keeps feature modules away from adapters, jobs, the composition root and SDKs', () => {
    const bad = imports.filter(
      (i) =>
        FEATURES.includes(area(i.from)) &&
        (i.local ? /^(adapters\/|jobs\/|app\.ts|main\.ts|cli\/)/.test(i.target) : /^(@slack\/|@aws-sdk\/|bullmq|ioredis)/.test(i.target)),
    );
    expect(bad).toEqual([]);
  });

  it.each([
    ['@slack/', ['adapters/slack']],
    ['@aws-sdk/', ['adapters/aws']],
    ['bullmq', ['jobs']],
    ['ioredis', ['jobs', 'adapters/redis']],
  ])('lets only %s be imported by %j', (pkg, allowed) => {
    const offenders = imports.filter((i) => !i.local && i.target.startsWith(pkg) && !allowed.includes(area(i.from)));
    expect(offenders).toEqual([]);
  });

  it('keeps adapters from importing each other', () => {
    const cross = imports.filter((i) => i.local && area(i.from).startsWith('adapters/') && area(i.target).startsWith('adapters/') && area(i.from) !== area(i.target));
    expect(cross).toEqual([]);
  });
});
