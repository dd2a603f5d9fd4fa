import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LifeboatError } from '../../core/errors.js';

const execFileAsync = promisify(execFile);

/** A `redis-server` child process on a loopback port, for laptops, demos and tests. */
export interface EmbeddedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Where the AOF and RDB files live. */
  dataDir: string;
  /** AOF on by default: a laptop bot that restarts must not lose queued jobs or timers. */
  appendOnly?: boolean;
  binary?: string;
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function redisServerVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(binary, ['--version']);
    return stdout.trim();
  } catch (cause) {
    throw new LifeboatError(
      'REDIS_NOT_INSTALLED',
      `No \`${binary}\` found. Lifeboat needs Redis: install it (Debian/Ubuntu: \`sudo apt-get install -y redis-server\`; macOS: \`brew install redis\`) or set REDIS_URL to an existing Redis.`,
      { cause },
    );
  }
}

/**
 * Starts `redis-server` bound to 127.0.0.1 on a free port and waits until it accepts commands.
 * The child dies with us: it is stopped on `stop()` and killed if this process exits.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  await redisServerVersion(binary);
  // redis-server changes into --dir before opening --logfile: both must be absolute.
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', dataDir,
    '--appendonly', options.appendOnly === false ? 'no' : 'yes',
    '--save', '',
    // BullMQ requires noeviction: an evicted job key is a lost job.
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--logfile', join(dataDir, 'redis.log'),
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new LifeboatError('REDIS_UNAVAILABLE', `redis-server exited early (code ${code}); see ${join(dataDir, 'redis.log')}.`)));
  });
  await Promise.race([waitForPort(port, 10_000), exited]);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
      });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new LifeboatError('REDIS_UNAVAILABLE', `redis-server did not answer on port ${port} within ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
