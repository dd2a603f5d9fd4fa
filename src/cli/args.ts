/** The parsed command line of the `lifeboat` binary. */
export type Cli =
  | { command: 'start'; role: 'all' | 'bot' | 'worker' }
  | { command: 'run'; text: string; yes: boolean; json: boolean }
  | { command: 'check' }
  | { command: 'drill'; scenario: string }
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'invalid'; error: string };

export const USAGE = `Usage: lifeboat <command>

  start [--role all|bot|worker]   run the bot (default role all: chat surfaces, HTTP server and job workers)
  run "<command text>" [--yes]    run one command through the same router, print the result, exit
                                  (--yes presses Confirm for commands that ask for it)
  check                           validate configuration and every commands/ and runbooks/ file
  drill [scenario]                run against a simulated AWS account (no cloud account needed), starting
                                  the scenario (default ecr-lifecycle-expiry); every message is marked DRILL
  version                         print the version

With no Slack tokens set, \`start\` opens the terminal surface: type what you would type after /lifeboat.
With no REDIS_URL, Lifeboat starts its own redis-server under .lifeboat/redis.`;

export function parseCli(argv: readonly string[]): Cli {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'start': {
      let role: 'all' | 'bot' | 'worker' = 'all';
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        const value = arg?.startsWith('--role=') ? arg.slice(7) : arg === '--role' ? rest[++i] : undefined;
        if (value === undefined) return { command: 'invalid', error: `unknown option ${arg}` };
        if (value !== 'all' && value !== 'bot' && value !== 'worker') return { command: 'invalid', error: `--role must be all, bot or worker, not ${value}` };
        role = value;
      }
      return { command: 'start', role };
    }
    case 'run': {
      const yes = rest.includes('--yes');
      const json = rest.includes('--json');
      const words = rest.filter((a) => a !== '--yes');
      if (words.length === 0) return { command: 'invalid', error: 'run needs the command text, e.g. lifeboat run "status"' };
      return { command: 'run', text: words.join(' '), yes, json };
    }
    case 'drill':
      if (rest.length > 1) return { command: 'invalid', error: 'drill takes one scenario name' };
      return { command: 'drill', scenario: rest[0] ?? 'ecr-lifecycle-expiry' };
    case 'check':
      return rest.length === 0 ? { command: 'check' } : { command: 'invalid', error: `check takes no arguments` };
    case 'version':
    case '--version':
    case '-v':
      return { command: 'version' };
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    default:
      return { command: 'invalid', error: `unknown command ${command}` };
  }
}
