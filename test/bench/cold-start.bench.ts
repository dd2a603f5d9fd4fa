import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bench, describe } from 'vitest';
import { freePort } from '../../src/adapters/redis/embedded-redis.js';

// What a newcomer waits for after `npm start`: process start, config and definition checks,
// the embedded redis-server, Redis health, worker and HTTP server, until the REPL prompt.
const BIN = resolve(import.meta.dirname, '../../bin/lifeboat.mjs');
const cwd = mkdtempSync(join(tmpdir(), 'lifeboat-coldstart-'));

async function startToPrompt(): Promise<void> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LIFEBOAT_PORT: String(port) };
  const child = spawn(process.execPath, [BIN, 'start'], { cwd, env });
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('lifeboat> ')) ready();
    });
    child.once('exit', (code) => fail(new Error(`lifeboat exited with ${code} before its prompt`)));
  });
  child.stdin.end('exit\n');
  await new Promise((r) => child.once('exit', r));
}

describe('cold start (terminal surface + embedded Redis)', () => {
  bench('npm start → lifeboat> prompt', startToPrompt, { iterations: 5, warmupIterations: 1, time: 0 });
});
