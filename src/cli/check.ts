import { join } from 'node:path';
import { loadConfig, type Config, type Env } from '../config/load-config.js';
import { BUILTIN_NAMES } from '../commands/builtins/index.js';
import { loadCommandDefinitions } from '../commands/load-definitions.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { Problem } from '../core/problems.js';
import type { RunbookDefinition } from '../runbooks/definition.js';
import { loadRunbooks } from '../runbooks/load-runbooks.js';
import { readOptionalFile, readYamlDir } from './definition-files.js';

export interface CheckResult {
  problems: Problem[];
  registry: CommandRegistry;
  /** The loaded configuration, when it has no critical problem. */
  config?: Readonly<Config>;
  /** The runbooks that loaded without a critical problem, for the runbook engine. */
  runbooks: RunbookDefinition[];
  counts: { commands: number; runbooks: number };
}

/**
 * `lifeboat check`: configuration, every command and every runbook, all problems at once.
 * Also the start-up gate — `start` and `run` refuse to run with a critical problem.
 */
export async function checkEverything(env: Env, root: string, jobKinds: readonly string[]): Promise<CheckResult> {
  const configPath = env.LIFEBOAT_CONFIG || 'lifeboat.yaml';
  const loaded = loadConfig(env, await readOptionalFile(configPath));
  const problems: Problem[] = loaded.ok
    ? loaded.warnings.map((w) => ({ file: 'config', field: w.where, message: w.message, critical: false }))
    : loaded.problems.map((p) => ({ file: 'config', field: p.where, message: p.message, critical: p.critical }));
  const commands = loadCommandDefinitions(await readYamlDir(join(root, 'commands')), { builtins: BUILTIN_NAMES, jobs: jobKinds });
  problems.push(...commands.problems);
  const runbooks = loadRunbooks(await readYamlDir(join(root, 'runbooks')), commands.registry);
  problems.push(...runbooks.problems);
  return {
    problems,
    registry: commands.registry,
    config: loaded.ok ? loaded.config : undefined,
    runbooks: runbooks.runbooks,
    counts: { commands: commands.registry.commands.length, runbooks: runbooks.runbooks.length },
  };
}
