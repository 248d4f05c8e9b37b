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

/**
 * pino's ISO timestamp builds a Date and formats it on every line; a busy
 * gateway writes several lines per millisecond, so the text is reused until
 * the clock moves on.
 */
function cachedIsoTime(): () => string {
  let lastMs = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      text = `,"time":"${new Date(now).toISOString()}"`;
    }
    return text;
  };
}

export function createLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      base: { service: 'tollgate' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: cachedIsoTime(),
      formatters: { level: (label) => ({ level: label }) },
    },
    // Buffered: lines leave in 4 KiB writes instead of one syscall each (flushed every second and on
    // shutdown). Written synchronously, as pino does by default: an asynchronous write goes through
    // libuv's thread pool and costs a thread hand-off and a wake-up each time, more than the write.
    destination ?? pino.destination({ dest: 1, sync: true, minLength: 4096 }),
  );
}
