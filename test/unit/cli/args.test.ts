import { describe, expect, it } from 'vitest';
import { parseCli } from '../../../src/cli/args.js';

describe('lifeboat command line', () => {
  it.each([
    [[], { command: 'start', role: 'all' }],
    [['start', '--role', 'worker'], { command: 'start', role: 'worker' }],
    [['start', '--role=bot'], { command: 'start', role: 'bot' }],
    [['run', 'check images prod'], { command: 'run', text: 'check images prod', yes: false, json: false }],
    [['run', 'redeploy prod/api', '--yes'], { command: 'run', text: 'redeploy prod/api', yes: true, json: false }],
    [['run', 'check', 'images', '--json'], { command: 'run', text: 'check images --json', yes: false, json: true }],
    [['check'], { command: 'check' }],
    [['--version'], { command: 'version' }],
  ])('parses %j', (argv, expected) => {
    expect(parseCli(argv)).toEqual(expected);
  });

  it.each([
    [['start', '--role', 'boss'], '--role must be all, bot or worker'],
    [['run'], 'run needs the command text'],
    [['deploy'], 'unknown command deploy'],
  ])('rejects %j', (argv, error) => {
    expect(parseCli(argv)).toEqual({ command: 'invalid', error: expect.stringContaining(error) });
  });
});
