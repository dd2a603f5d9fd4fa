import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../core/logger.js';

/**
 * The one pino root. Secrets are redacted by path wherever they could appear (config, headers,
 * request bodies), so a debug log can be pasted into an issue safely.
 */
export function createLogger(options: { level: string; file?: string }): Logger {
  const redact = {
    paths: [
      '*.botToken', '*.appToken', '*.signingSecret', '*.token', '*.password', '*.secret', '*.authorization',
      'headers.authorization', 'headers["x-slack-signature"]', 'headers.cookie', 'config.slack',
      'req.headers.authorization',
    ],
    censor: '[redacted]',
  };
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    return pino({ level: options.level, redact }, pino.destination({ dest: options.file, sync: false, mkdir: true }));
  }
  return pino({ level: options.level, redact }, pino.destination(2));
}
