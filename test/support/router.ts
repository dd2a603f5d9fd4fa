import { join } from 'node:path';
import { CommandRouter, type RouterDeps } from '../../src/chat/router.js';
import type { AccessPolicy } from '../../src/chat/access.js';
import { readYamlDir, packageRoot } from '../../src/cli/definition-files.js';
import { BUILTIN_NAMES, createBuiltins } from '../../src/commands/builtins/index.js';
import type { StatusReport } from '../../src/commands/builtins/status.js';
import { loadCommandDefinitions } from '../../src/commands/load-definitions.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { MemoryAuditLog, MemoryConfirmations, RecordingDispatcher } from './fakes.js';

export const openPolicy: AccessPolicy = {
  readOnlyForEveryone: true,
  operate: { users: ['UOPERATOR'], userGroups: ['SONCALL'], channels: [] },
  admin: { users: ['UADMIN'], userGroups: [], channels: [] },
  commands: {},
  consoleRole: 'admin',
};

export async function loadShippedRegistry(jobKinds: readonly string[] = []): Promise<CommandRegistry> {
  const files = await readYamlDir(join(packageRoot, 'commands'));
  const { registry, problems } = loadCommandDefinitions(files, { builtins: BUILTIN_NAMES, jobs: jobKinds });
  const critical = problems.filter((p) => p.critical);
  if (critical.length) throw new Error(`shipped commands are broken: ${JSON.stringify(critical)}`);
  return registry;
}

export const fakeStatus: StatusReport = {
  version: '0.0.0-test',
  redis: { ok: true, latencyMs: 1, where: 'redis://127.0.0.1:1', maxmemoryPolicy: 'noeviction' },
  jobs: { active: 0, waiting: 0 },
  surfaces: [{ name: 'console', connected: true }],
  role: 'all',
  uptimeSeconds: 5,
};

/** A router over the shipped command definitions with in-memory fakes for everything stateful. */
export async function buildTestRouter(options: { jobKinds?: string[]; policy?: AccessPolicy; ttlMs?: number } = {}) {
  const jobKinds = new Set(options.jobKinds ?? ['check-images', 'redeploy', 'rebuild', 'scale']);
  const registry = await loadShippedRegistry([...jobKinds]);
  const audit = new MemoryAuditLog();
  const confirmations = new MemoryConfirmations();
  const jobs = new RecordingDispatcher();
  const clock = new ManualClock();
  const deps: RouterDeps = {
    registry,
    builtins: createBuiltins({ registry, jobKinds, status: { status: () => Promise.resolve(fakeStatus) }, audit, jobs }),
    jobs,
    jobKinds,
    audit,
    confirmations,
    access: options.policy ?? openPolicy,
    clock,
    confirmTtlMs: options.ttlMs ?? 5 * 60_000,
    logger: silentLogger,
  };
  return { router: new CommandRouter(deps), audit, confirmations, jobs, clock, registry };
}
