/**
 * Process concerns only: argv, environment, config file, embedded Redis, signals, exit codes.
 * Everything else is assembled by `buildApp` in app.ts.
 */
import { join } from 'node:path';
import { buildApp, SHIPPED_JOB_KINDS, type LifeboatApp, type World } from './app.js';
import { runRepl } from './adapters/console/console-repl.js';
import { DrillRuntime, findScenario, renderDrillStart, SCENARIOS } from './adapters/drill/index.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './adapters/redis/embedded-redis.js';
import { parseCli, USAGE } from './cli/args.js';
import { checkEverything } from './cli/check.js';
import { packageRoot } from './cli/definition-files.js';
import { createLogger } from './cli/logger.js';
import { runOnce } from './cli/run-once.js';
import { VERSION } from './cli/version.js';
import { ManualClock, systemClock } from './core/clock.js';
import { userFacingMessage } from './core/errors.js';
import { formatProblem } from './core/problems.js';

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  switch (cli.command) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'version':
      console.log(VERSION);
      return 0;
    case 'invalid':
      console.error(`lifeboat: ${cli.error}\n\n${USAGE}`);
      return 2;
    case 'check': {
      const result = await checkEverything(process.env, packageRoot, SHIPPED_JOB_KINDS);
      for (const p of result.problems) console.log(formatProblem(p));
      const critical = result.problems.filter((p) => p.critical).length;
      console.log(`${result.counts.commands} commands, ${result.counts.runbooks} runbooks: ${critical} errors, ${result.problems.length - critical} warnings`);
      return critical > 0 ? 1 : 0;
    }
    case 'drill':
      if (!findScenario(cli.scenario)) {
        console.error(`lifeboat: no drill scenario "${cli.scenario}". Scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`);
        return 2;
      }
      break;
    case 'start':
    case 'run':
      break;
  }

  // Each drill starts from a clean slate: its own key prefix, so a second run does not show the
  // first run's incidents or resume its runbooks (the embedded Redis keeps its data between runs).
  if (cli.command === 'drill' && !process.env.LIFEBOAT_REDIS_PREFIX) process.env.LIFEBOAT_REDIS_PREFIX = `lifeboat-drill-${Date.now().toString(36)}`;
  const checked = await checkEverything(process.env, packageRoot, SHIPPED_JOB_KINDS);
  const critical = checked.problems.filter((p) => p.critical);
  if (critical.length > 0 || !checked.config) {
    for (const p of critical) console.error(formatProblem(p));
    console.error('lifeboat: fix the problems above (`lifeboat check` lists them all) and start again.');
    return 1;
  }
  const config = checked.config;
  const role = cli.command === 'start' ? cli.role : 'all';
  const terminal = cli.command !== 'start' || (config.slack.mode === 'off' && cli.role !== 'worker');
  const logFile = terminal ? join(config.redis.dataDir, 'lifeboat.log') : undefined;
  const logger = createLogger({ level: config.log.level, file: logFile });
  for (const p of checked.problems) logger.warn(formatProblem(p));

  let embedded: EmbeddedRedis | undefined;
  let redisUrl = config.redis.url;
  let redisWhere = redisUrl ? redactUrl(redisUrl) : '';
  if (!redisUrl) {
    embedded = await startEmbeddedRedis({ dataDir: join(config.redis.dataDir, 'redis') });
    redisUrl = embedded.url;
    redisWhere = `embedded redis-server on 127.0.0.1:${embedded.port}, data in ${join(config.redis.dataDir, 'redis')}`;
  }

  // A drill runs on simulated time: the app's clock is the drill's, so incidents, confirmations
  // and job progress line up with what the simulated account does.
  const drill = cli.command === 'drill' ? new DrillRuntime({ clock: new ManualClock(Date.now()), logger }) : undefined;
  const world: World = drill ? { kind: 'drill', runtime: drill } : { kind: 'aws' };
  const app: LifeboatApp = buildApp({
    config,
    redisUrl,
    redisWhere,
    role,
    logger,
    clock: drill?.clock ?? systemClock,
    version: VERSION,
    registry: checked.registry,
    runbooks: checked.runbooks,
    world,
    terminal: terminal ? process.stdout : undefined,
    serveHttp: cli.command !== 'run',
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    await app.stop().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    await embedded?.stop();
  })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }

  try {
    if (cli.command === 'run') {
      await app.start();
      return await runOnce(app, cli.text, { yes: cli.yes, json: cli.json });
    }
    const started = performance.now();
    await app.start();
    const where = app.httpAddress ? `HTTP on ${app.httpAddress.address}:${app.httpAddress.port} (/healthz /readyz /metrics)` : 'no HTTP';
    logger.info({ ms: Math.round(performance.now() - started), role, slack: config.slack.mode }, 'Lifeboat ready');
    if (drill && cli.command === 'drill' && app.consoleSurface) {
      const { drill: running, detection } = await drill.start(cli.scenario);
      await app.consoleSurface.post({ surface: 'console', channel: 'terminal' }, renderDrillStart(running, detection));
    }
    if (terminal && app.consoleSurface) {
      await runRepl({
        input: process.stdin,
        output: process.stdout,
        router: app.router,
        surface: app.consoleSurface,
        requester: { userId: 'console', userName: process.env.USER ?? 'you' },
        logger,
        banner: [
          drill
            ? `Lifeboat ${VERSION} — DRILL: a simulated AWS account (${cli.command === 'drill' ? cli.scenario : ''}); nothing real is touched.`
            : `Lifeboat ${VERSION} — terminal surface (no Slack tokens set; see docs/slack.md to connect Slack).`,
          `Redis: ${redisWhere}. ${where}. Log: ${logFile}.`,
          'Type what you would type after /lifeboat: try `help` or `status`. `exit` quits.',
        ].join('\n'),
      });
      return 0;
    }
    await new Promise<never>(() => {});
    return 0;
  } catch (err) {
    logger.error({ err }, 'Lifeboat stopped on an error');
    console.error(`lifeboat: ${errorSentence(err)}`);
    return 1;
  } finally {
    await stop();
  }
}

function errorSentence(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return 'the HTTP port is already in use: stop the other process or set LIFEBOAT_PORT.';
  return userFacingMessage(err);
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`lifeboat: ${userFacingMessage(err)}`);
    if (!(err instanceof Error && 'code' in err)) console.error(err);
    process.exit(1);
  },
);
