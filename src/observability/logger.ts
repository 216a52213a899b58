import { pino } from 'pino';
import type { Logger, LevelWithSilent } from 'pino';
import { SECRET_LOG_PATHS } from '../config/redact.js';

export type { Logger };

/**
 * Creates Lasso's logger. Provider URLs are never logged raw: call sites log redacted URLs or
 * provider ids; the redact paths below are a second line of defence for objects that carry one.
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'lasso' },
    redact: { paths: ['url', 'wsUrl', '*.url', '*.wsUrl', 'config.chains.*.providers[*].url', ...SECRET_LOG_PATHS], censor: '[redacted]' },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
