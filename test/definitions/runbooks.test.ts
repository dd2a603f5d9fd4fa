import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, readYamlDir } from '../../src/cli/definition-files.js';
import { BUILTIN_NAMES } from '../../src/commands/builtins/index.js';
import { loadCommandDefinitions } from '../../src/commands/load-definitions.js';
import { loadRunbooks } from '../../src/runbooks/load-runbooks.js';
import { STEP_OUTPUTS } from '../../src/runbooks/outputs.js';
import { findReferences, parseWholeReference } from '../../src/runbooks/references.js';

const commandFiles = await readYamlDir(join(packageRoot, 'commands'));
const { registry } = loadCommandDefinitions(commandFiles, { builtins: BUILTIN_NAMES, jobs: [] });
const files = await readYamlDir(join(packageRoot, 'runbooks'));
const { runbooks, problems } = loadRunbooks(files, registry);

/** A realistic value for every reference the shipped runbooks use, to parse their commands for real. */
const SAMPLES: Record<string, string> = {
  'inputs.cluster': 'prod',
  'inputs.service': 'hooks-worker',
  'inputs.queue': 'hooks-queue',
  'steps.check.restore': 'team/hooks-worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'steps.check.rebuild': 'team/hooks-worker:main',
  'inputs.ref': 'v42',
};

describe('shipped runbooks', () => {
  it('load without a problem, one per file', () => {
    expect(problems).toEqual([]);
    expect(runbooks.map((r) => r.id).sort()).toEqual(['image-unavailable', 'monitoring-blind', 'queue-backlog', 'task-fails-to-start']);
    expect(runbooks).toHaveLength(files.length);
  });

  it('cover the incident classes Lifeboat opens incidents for', () => {
    const covered = new Set(runbooks.flatMap((r) => r.appliesTo));
    for (const cls of ['image-unavailable', 'image-pull-failed', 'queue-backlog', 'task-fails-to-start', 'monitoring-blind']) expect(covered).toContain(cls);
  });

  for (const runbook of runbooks) {
    describe(runbook.id, () => {
      for (const step of runbook.steps) {
        if (step.command === undefined) continue;
        it(`step ${step.id}: "${step.command}" is a command that parses with real values`, () => {
          const flags = Object.entries(step.flags ?? {}).map(([name, ref]) => ` --${name} ${ref.trim()}`).join('');
          const text = `${step.command!}${flags}`.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
            const value = SAMPLES[ref];
            if (value === undefined) throw new Error(`add a sample value for \${${ref}}`);
            return value;
          });
          const result = registry.match(text);
          expect(result, text).toMatchObject({ kind: 'matched' });
          const id = result.kind === 'matched' ? result.command.definition.id : '';
          expect(id.startsWith('runbook')).toBe(false);
        });
      }

      it('references only declared inputs, earlier steps and outputs their commands report', () => {
        const earlier = new Map<string, string | undefined>();
        for (const step of runbook.steps) {
          const commandId = step.command ? registry.match(step.command.replace(/\$\{[^}]*\}/g, 'x')).kind : undefined;
          const texts = [step.command, step.text, step.when, step.verify, ...Object.values(step.flags ?? {})].filter((t): t is string => t !== undefined);
          for (const text of texts) {
            for (const found of findReferences(text)) {
              expect('reference' in found, found.raw).toBe(true);
              if (!('reference' in found)) continue;
              const ref = found.reference;
              if (ref.scope === 'inputs') expect(Object.keys(runbook.inputs)).toContain(ref.name);
              if (ref.scope === 'steps') {
                const self = text === step.verify && ref.step === step.id;
                expect(self || earlier.has(ref.step), `${found.raw} in step ${step.id}`).toBe(true);
              }
            }
          }
          for (const condition of [step.when, step.verify]) if (condition !== undefined) expect(parseWholeReference(condition)).not.toHaveProperty('error');
          earlier.set(step.id, commandId);
        }
      });

      it('never lets a step with side effects run without a person', () => {
        for (const step of runbook.steps) {
          if (step.command === undefined) continue;
          const result = registry.match(step.command.replace(/\$\{([^}]*)\}/g, (_, ref: string) => SAMPLES[ref] ?? 'x'));
          if (result.kind !== 'matched' || !result.command.definition.sideEffects) continue;
          // Side-effect commands are operate (or admin) and the engine waits for Run: here we only
          // make sure no shipped runbook tries a --dry-run trick or a read permission on one.
          expect(result.command.definition.permission).not.toBe('read');
          expect(result.args.dryRun).toBeUndefined();
        }
      });
    });
  }
});

describe('the output contract', () => {
  it('names only commands that exist, and every output has a description', () => {
    for (const [commandId, outputs] of Object.entries(STEP_OUTPUTS)) {
      expect(registry.get(commandId), commandId).toBeDefined();
      for (const [name, description] of Object.entries(outputs)) {
        expect(name).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        expect(description.length).toBeGreaterThan(10);
      }
    }
  });
});

describe('runbook validation', () => {
  const load = (text: string) => loadRunbooks([{ path: 'runbooks/x.yaml', text }], registry).problems.map((p) => `${p.critical ? 'E' : 'W'} ${p.field}: ${p.message}`);

  it('reports every problem of a broken runbook at once, by field', () => {
    const found = load(`
id: x
title: X
description: d
appliesTo: [image-unavailable]
inputs:
  service: { description: s, pattern: '([' }
steps:
  - { id: one, title: One, command: 'check images \${inputs.servce}' }
  - { id: two, title: Two, command: 'launch rockets' }
  - { id: three, title: Three, command: 'redeploy \${steps.four.steady}' }
  - { id: four, title: Four, command: 'redeploy \${inputs.service}', verify: '\${steps.four.stedy}' }
  - { id: five, title: Five, command: 'check images', when: 'yes \${steps.one.missing}' }
  - { id: six, title: Six, action: note }
  - { id: seven, title: Seven, action: note, text: '\${steps.six.x} and \${steps.one.nope} and \${incident.color}', confirm: true }
  - { id: one, title: Again, command: 'status', action: note, text: hello }
  - { id: eight, title: Eight, command: 'runbook start x' }
  - { id: nine, title: Nine, command: 'check images', confirm: true }
  - { id: ten, title: Ten, command: 'check images \${steps.lifeboat.x' }
`);
    expect(found).toEqual([
      'E inputs.service.pattern: is not a valid regular expression: Invalid regular expression: /([/: Unterminated character class',
      'E steps[0].command: ${inputs.servce} names no declared input (inputs: service)',
      'E steps[1].command: "launch rockets" is not a Lifeboat command',
      'E steps[2].command: ${steps.four.steady} names no earlier step',
      'E steps[3].verify: ${steps.four.stedy}: "redeploy" reports no "stedy" (it reports: steady, deployment, digests)',
      'E steps[4].when: must be exactly one reference, such as ${steps.check.healthy}',
      'E steps[5].text: a note needs its text',
      'E steps[6].confirm: confirm applies to command steps; an action changes nothing',
      'E steps[6].text: ${steps.six.x}: step six is not a command, so it reports no outputs',
      'E steps[6].text: ${steps.one.nope}: "check-images" reports no "nope" (it reports: healthy, missing, atRisk, unknown, services, image, digest, reason, cause, restore, rebuild, redeploy, lifecycleRule, next)',
      expect.stringMatching(/^E steps\[6\]\.text: \$\{incident\.color\}: an incident reference is/),
      'E steps[7].id: step id "one" is used twice',
      'E steps[7]: a step has a command or an action, not both',
      "E steps[7].text: text belongs to a note; a command step shows its command's own result",
      'E steps[8].command: a runbook step cannot run "runbook-start": runbooks do not start or drive runbooks',
      'W steps[9].confirm: "check-images" changes nothing, so it runs by itself; confirm has no effect',
      'E steps[10].command: ${: a reference is not closed with }',
    ]);
  });

  it('checks optional flags: one reference each, a value flag the command has and does not already give, on command steps only', () => {
    const found = load(`
id: f
title: F
description: d
appliesTo: [image-unavailable]
inputs:
  ref: { description: r, required: false }
steps:
  - { id: check, title: Check, command: 'check images prod/api' }
  - { id: one, title: One, command: 'rebuild \${steps.check.rebuild}', flags: { ref: '\${inputs.ref}' } }
  - { id: two, title: Two, command: 'rebuild api:v1', flags: { ref: 'v\${inputs.ref}', colour: '\${inputs.ref}', dry-run: '\${inputs.ref}' } }
  - { id: three, title: Three, command: 'rebuild api:v1 --ref main', flags: { ref: '\${inputs.nope}' } }
  - { id: four, title: Four, action: note, text: hi, flags: { ref: '\${inputs.ref}' } }
`);
    expect(found).toEqual([
      'E steps[2].flags.ref: must be exactly one reference, such as ${steps.check.healthy}',
      'E steps[2].flags.colour: "rebuild" has no flag --colour (its flags: --ref, --dry-run)',
      'E steps[2].flags.dry-run: --dry-run takes no value; write it in the command if the step always needs it',
      'E steps[3].flags.ref: ${inputs.nope} names no declared input (inputs: ref)',
      'E steps[3].flags.ref: --ref is already in the command',
      'E steps[4].flags: flags applies to command steps; an action changes nothing',
    ]);
  });

  it('refuses an unknown incident class, an unknown incident field and a step with neither command nor action', () => {
    const found = load(`
id: y
title: Y
description: d
appliesTo: [everything]
inputs: { service: { description: s, fromIncident: target.colour } }
steps:
  - { id: one, title: One }
`);
    expect(found.map((f) => f.split(':')[0])).toEqual(['E appliesTo.0', 'E inputs.service.fromIncident']);
    expect(load('id: z\ntitle: Z\ndescription: d\nappliesTo: [other]\nsteps:\n  - { id: one, title: One }\n')).toEqual(['E steps[0]: a step needs a command or an action']);
  });
});
