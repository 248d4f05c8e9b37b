import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LoggingConfig } from '../config/types.js';

/**
 * Paths that may hold secrets if they are ever logged by mistake. Nothing the
 * gateway logs carries them by construction (no headers, no provider
 * configs); this is the safety net, kept to exact paths because wildcard
 * redaction costs on every log call.
 */
const REDACT = ['authorization', 'headers.authorization', 'apiKey', 'api_key', 'err.headers.authorization'];

export function createLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      base: { service: 'tollgate' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Buffered: lines leave in 4 KiB writes instead of one syscall each (flushed on shutdown).
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
}
