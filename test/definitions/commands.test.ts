import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, readYamlDir } from '../../src/cli/definition-files.js';
import { BUILTIN_NAMES } from '../../src/commands/builtins/index.js';
import { loadCommandDefinitions } from '../../src/commands/load-definitions.js';

const files = await readYamlDir(join(packageRoot, 'commands'));
const { registry, problems } = loadCommandDefinitions(files, { builtins: BUILTIN_NAMES, jobs: [] });

describe('shipped command definitions', () => {
  it('load without a critical problem', () => {
    expect(problems.filter((p) => p.critical)).toEqual([]);
    expect(registry.commands.length).toBe(files.length);
  });

  it('register the four recovery commands with their final usage and permissions', () => {
    const summary = Object.fromEntries(['check-images', 'rebuild', 'redeploy', 'scale'].map((id) => {
      const c = registry.get(id);
      return [id, { usage: c?.usage, permission: c?.definition.permission, confirm: c?.definition.confirm, sideEffects: c?.definition.sideEffects }];
    }));
    expect(summary).toEqual({
      'check-images': { usage: ['check images [target]'], permission: 'read', confirm: undefined, sideEffects: false },
      rebuild: { usage: ['rebuild <target>'], permission: 'operate', confirm: true, sideEffects: true },
      redeploy: { usage: ['redeploy <service>'], permission: 'operate', confirm: true, sideEffects: true },
      scale: { usage: ['scale <service> for <queue>', 'scale <service> to <count>', 'scale <service> back'], permission: 'operate', confirm: true, sideEffects: true },
    });
  });

  for (const command of registry.commands) {
    for (const example of command.definition.examples) {
      it(`"${example.text}" parses to exactly its args and matches no other command`, () => {
        const results = registry.matchAll(example.text);
        expect(results).toHaveLength(1);
        const [only] = results;
        expect(only).toMatchObject({ kind: 'matched', command: { definition: { id: command.definition.id } } });
        expect(only?.kind === 'matched' ? only.args : undefined).toStrictEqual(example.args);
      });
    }
  }
});

describe('definition validation', () => {
  it('reports every problem of a broken file at once, with file and field', () => {
    const broken = {
      path: 'commands/broken.yaml',
      text: [
        'id: Broken_Id',
        'summary: ok',
        'formats: ["deploy {svc}"]',
        'examples: []',
        'sideEffects: yes-please',
        'permission: everyone',
        'runs: { builtin: help }',
      ].join('\n'),
    };
    const result = loadCommandDefinitions([broken], { builtins: BUILTIN_NAMES, jobs: [] });
    const fields = result.problems.map((p) => `${p.file} › ${p.field}`);
    expect(fields).toEqual(expect.arrayContaining(['commands/broken.yaml › id', 'commands/broken.yaml › examples', 'commands/broken.yaml › sideEffects', 'commands/broken.yaml › permission']));
    expect(result.problems.every((p) => p.critical)).toBe(true);
  });

  it('catches an example that parses to other args, an ambiguous example, a placeholder without a spec and an unknown builtin', () => {
    const a = {
      path: 'commands/a.yaml',
      text: `id: a
summary: A
formats: ["go {where}"]
args: { where: { type: string, description: place } }
examples:
  - text: go home
    args: { where: work }
sideEffects: false
permission: read
runs: { builtin: help }
`,
    };
    const b = {
      path: 'commands/b.yaml',
      text: `id: b
summary: B
formats: ["go {place}", "fly {to}"]
args: { place: { type: string, description: place } }
examples:
  - text: go home
    args: { place: home }
sideEffects: false
permission: read
runs: { builtin: nope }
`,
    };
    const { problems: found } = loadCommandDefinitions([a, b], { builtins: BUILTIN_NAMES, jobs: [] });
    const messages = found.map((p) => `${p.file} › ${p.field}: ${p.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringContaining('commands/b.yaml › formats[1]: placeholder {to} has no entry under args'),
      expect.stringContaining('commands/b.yaml › runs.builtin: no builtin named "nope"'),
    ]));
    // b is rejected for its critical problems, so only a's own example check remains.
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('commands/a.yaml › examples[0].args: "go home" parses to {"where":"home"}')]));
  });

  it('refuses a side-effect command open to everyone', () => {
    const file = { path: 'commands/x.yaml', text: 'id: x\nsummary: X\nformats: [x]\nexamples: [{text: x}]\nsideEffects: true\npermission: read\nconfirm: true\nruns: { job: x }\n' };
    const { problems: found } = loadCommandDefinitions([file], { builtins: BUILTIN_NAMES, jobs: ['x'] });
    expect(found).toEqual([expect.objectContaining({ field: 'permission', critical: true })]);
  });
});
