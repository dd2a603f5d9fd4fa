import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkEverything } from '../../src/cli/check.js';
import { testPrefix, testRedisUrl } from '../support/redis.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/lifeboat.mjs');

async function lifeboat(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: testRedisUrl(), LIFEBOAT_REDIS_PREFIX: testPrefix('cli').replace(/:/g, '-'), LIFEBOAT_DATA_DIR: join(tmpdir(), 'lifeboat-cli-test'), ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('lifeboat binary', () => {
  it('runs one command through the router and prints it as text', async () => {
    const result = await lifeboat(['run', 'status']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('== Lifeboat 0.1.0 ==');
    expect(result.stdout).toContain('Redis: ok');
    expect(result.code).toBe(0);
  });

  it('exits non-zero for an unknown command and names the nearest one', async () => {
    const result = await lifeboat(['run', 'stats']);
    expect(result.stdout).toContain('• status');
    expect(result.code).toBe(2);
  });

  it('exits 2 on a warning reply, such as cancelling a job that does not exist', async () => {
    const result = await lifeboat(['run', 'cancel', 'nothing.here'], { LIFEBOAT_CONFIG: '/nonexistent.yaml' });
    expect(result.stdout).toContain('There is no job nothing.here.');
    expect(result.code).toBe(2);
  });

  it('lists every configuration problem at once and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lb-check-'));
    const config = join(dir, 'lifeboat.yaml');
    await writeFile(config, 'access:\n  operate:\n    users: [not-a-slack-id]\n  admins: []\n');
    const result = await lifeboat(['check'], { LIFEBOAT_CONFIG: config, SLACK_APP_TOKEN: 'xoxb-wrong-kind', LIFEBOAT_PORT: 'http' });
    expect(result.code).toBe(1);
    for (const where of ['SLACK_APP_TOKEN', 'LIFEBOAT_PORT', `${config}: access.operate.users.0`, `${config}: access`]) expect(result.stdout).toContain(where);
  });

  it('passes check on the shipped definitions with no config', async () => {
    const result = await lifeboat(['check']);
    expect(result.stdout).toMatch(/\d+ commands, \d+ runbooks: 0 errors/);
    expect(result.code).toBe(0);
  });
});

describe('lifeboat check on broken definition files', () => {
  it('names file and field for every problem in commands/ and runbooks/', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lb-defs-'));
    await run('mkdir', ['-p', join(root, 'commands'), join(root, 'runbooks')]);
    await writeFile(join(root, 'commands', 'status.yaml'), 'id: status\nsummary: s\nformats: [status]\nexamples: [{text: status}]\nsideEffects: false\npermission: read\nruns: { builtin: status }\n');
    await writeFile(join(root, 'commands', 'bad.yaml'), 'id: bad\nsummary: s\nformats: ["do {thing}"]\nexamples: [{text: "do it", args: {thing: that}}]\nsideEffects: true\npermission: read\nruns: { job: bad }\n');
    await writeFile(join(root, 'runbooks', 'rb.yaml'), 'id: rb\ntitle: R\ndescription: d\nappliesTo: [other]\nsteps:\n  - { id: one, title: One, command: "status" }\n  - { id: two, title: Two, command: "launch ${steps.three.x}" }\n');
    await writeFile(join(root, 'runbooks', 'broken.yaml'), 'id: [\n');
    const { problems } = await checkEverything({}, root, []);
    const lines = problems.map((p) => `${p.critical ? 'E' : 'W'} ${p.file.replace(/.*lb-defs-[^/]+\//, '')} › ${p.field}`);
    expect(lines).toEqual(expect.arrayContaining([
      'E commands/bad.yaml › formats[0]',
      'E commands/bad.yaml › permission',
      'E commands/bad.yaml › confirm',
      'W commands/bad.yaml › runs.job',
      'E runbooks/rb.yaml › steps[1].command',
      'E runbooks/broken.yaml › ',
    ]));
  });
});
