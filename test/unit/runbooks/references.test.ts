import { describe, expect, it } from 'vitest';
import { evaluateCondition, findReferences, isTruthy, parseReference, substituteCommand, substituteStepCommand, substituteText, type ReferenceScope } from '../../../src/runbooks/references.js';

const scope: ReferenceScope = {
  inputs: { cluster: 'prod', service: 'api' },
  steps: {
    check: { status: 'done', outputs: { missing: 2, restore: 'web@sha256:ab', services: ['prod/api', 'prod/web'], healthy: false, evil: 'api --digest x' } },
    quiet: { status: 'done' },
    gone: { status: 'skipped' },
    later: { status: 'pending' },
  },
  incident: { id: 'inc-7f3a2c', class: 'image-unavailable', title: 'prod/api: image unavailable', target: { cluster: 'prod', queue: 'hooks-queue' } },
};

describe('references', () => {
  it('parses the three scopes and nothing else', () => {
    expect(parseReference('inputs.service')).toEqual({ scope: 'inputs', name: 'service' });
    expect(parseReference('steps.check.missing')).toEqual({ scope: 'steps', step: 'check', field: 'missing' });
    expect(parseReference('incident.target.queue')).toEqual({ scope: 'incident', field: 'target.queue' });
    for (const bad of ['env.HOME', 'steps.check', 'inputs.a.b', 'steps.check.missing | upper', 'incident.secret']) expect(parseReference(bad)).toHaveProperty('error');
    expect(findReferences('x ${inputs.a} ${oops')).toEqual([{ raw: '${inputs.a}', reference: { scope: 'inputs', name: 'a' } }, { raw: '${', error: 'a reference is not closed with }' }]);
  });

  it('builds a command from single safe words only', () => {
    expect(substituteCommand('redeploy ${inputs.cluster}/${inputs.service}', scope)).toEqual({ ok: true, text: 'redeploy prod/api' });
    expect(substituteCommand('restore ${steps.check.restore}', scope)).toEqual({ ok: true, text: 'restore web@sha256:ab' });
    expect(substituteCommand('rebuild ${steps.check.evil}', scope)).toMatchObject({ ok: false, why: expect.stringContaining('not a single word') });
    expect(substituteCommand('redeploy ${steps.check.services}', scope)).toMatchObject({ ok: false, why: expect.stringContaining('not a single value') });
    expect(substituteCommand('rebuild ${steps.check.rebuild}', scope)).toMatchObject({ ok: false, why: expect.stringContaining('is empty') });
    expect(substituteCommand('rebuild ${steps.quiet.rebuild}', scope)).toMatchObject({ ok: false, why: expect.stringContaining('step quiet reported no outputs') });
  });

  it('adds an optional flag only when its reference has a value, and waits while it is not known', () => {
    const withRef: ReferenceScope = { ...scope, inputs: { ...scope.inputs, ref: 'v42' } };
    expect(substituteStepCommand('rebuild api:v42', { ref: '${inputs.ref}' }, withRef)).toEqual({ ok: true, text: 'rebuild api:v42 --ref v42' });
    expect(substituteStepCommand('rebuild api:v42', { ref: '${inputs.ref}' }, scope)).toEqual({ ok: true, text: 'rebuild api:v42' });
    expect(substituteStepCommand('rebuild api:v42', { ref: '${steps.check.rebuild}' }, scope)).toEqual({ ok: true, text: 'rebuild api:v42' });
    expect(substituteStepCommand('rebuild api:v42', { ref: '${steps.gone.rebuild}' }, scope)).toEqual({ ok: true, text: 'rebuild api:v42' });
    expect(substituteStepCommand('rebuild api:v42', { ref: '${steps.later.ref}' }, scope)).toMatchObject({ ok: false, why: expect.stringContaining('step later has not finished') });
    expect(substituteStepCommand('rebuild api:v42', { ref: '${steps.check.evil}' }, scope)).toMatchObject({ ok: false, why: expect.stringContaining('not a single word') });
    expect(substituteStepCommand('rebuild ${steps.check.rebuild}', { ref: '${inputs.ref}' }, withRef)).toMatchObject({ ok: false, why: expect.stringContaining('is empty') });
  });

  it('tells true, false and "cannot tell" apart', () => {
    expect(evaluateCondition('${steps.check.missing}', scope)).toMatchObject({ known: true, value: true });
    expect(evaluateCondition('${steps.check.healthy}', scope)).toMatchObject({ known: true, value: false });
    expect(evaluateCondition('${steps.check.notReported}', scope)).toMatchObject({ known: true, value: false });
    expect(evaluateCondition('${steps.gone.anything}', scope)).toMatchObject({ known: true, value: false });
    expect(evaluateCondition('${steps.quiet.missing}', scope)).toEqual({ known: false, why: 'step quiet reported no outputs' });
    expect(evaluateCondition('${steps.later.missing}', scope)).toEqual({ known: false, why: 'step later has not finished' });
    expect(evaluateCondition('${incident.target.queue}', scope)).toMatchObject({ known: true, value: true });
    expect(evaluateCondition('${incident.target.service}', { ...scope, incident: undefined })).toEqual({ known: false, why: 'this run is not for an incident' });
    expect([0, '', null, [], {}, false, Number.NaN].map(isTruthy)).toEqual([false, false, false, false, false, false, false]);
    expect([1, 'x', ['a'], { a: 1 }, true].map(isTruthy)).toEqual([true, true, true, true, true]);
  });

  it('shows values in notes and says what is not known', () => {
    expect(substituteText('Missing ${steps.check.missing} in ${steps.check.services}; skipped: ${steps.gone.x}; quiet: ${steps.quiet.x}; ${incident.title}', scope)).toBe(
      'Missing 2 in prod/api, prod/web; skipped: (not known: step gone was skipped); quiet: (not known: step quiet reported no outputs); prod/api: image unavailable',
    );
  });
});
