import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import type { Logger } from '../../core/logger.js';

/**
 * Bolt and its Web API client log through `@slack/logger`'s interface; this forwards them to
 * Lifeboat's logger so Slack's messages (signature failures, retries) land in the same structured
 * log. Levels are left to our logger: Bolt's `setLevel` is remembered but filters nothing.
 */
export function boltLogger(logger: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  const forward = (write: (obj: object | string, msg?: string) => void) => {
    return (...parts: unknown[]) => {
      const errors = parts.filter((p): p is Error => p instanceof Error);
      const text = redactCredentials(
        parts
          .filter((p) => !(p instanceof Error))
          .map((p) => (typeof p === 'string' ? p : safeJson(p)))
          .join(' '),
      );
      if (errors[0]) write({ err: errors[0] }, text);
      else write(text);
    };
  };
  return {
    debug: forward((o, m) => logger.debug(o, m)),
    info: forward((o, m) => logger.info(o, m)),
    warn: forward((o, m) => logger.warn(o, m)),
    error: forward((o, m) => logger.error(o, m)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * Bolt's debug lines quote Web API answers: `apps.connections.open` returns the Socket Mode URL,
 * whose `ticket` lets anyone open the app's socket. Tokens, if a library ever quotes one, too.
 */
export function redactCredentials(text: string): string {
  return text.replace(/([?&]ticket=)[^&"'\s]+/g, '$1[redacted]').replace(/\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+/g, '[redacted token]');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
