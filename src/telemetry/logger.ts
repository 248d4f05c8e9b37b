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

type FdSink = ReturnType<typeof pino.destination>;

/**
 * Joins log lines into writes of about 4 KiB (flushed every second and on
 * shutdown by the CLI), so a busy gateway makes one write per dozen lines,
 * not one per line. sonic-boom has a `minLength` option for this, but it
 * measures the byte length of the whole pending text on every line, which
 * flattens and copies it each time; here lines wait in an array and are
 * joined once per write. sonic-boom still does the writing (synchronously,
 * as pino does by default: an asynchronous write goes through libuv's thread
 * pool and costs a thread hand-off and a wake-up each time, more than the
 * write itself).
 */
export class LineBatcher implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly sink: Pick<FdSink, 'write'>,
    private readonly batchChars = 4096,
  ) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.batchChars) this.writeOut();
  }

  /** Called by pino's `logger.flush()`. */
  flush(callback?: (error?: Error) => void): void {
    this.writeOut();
    callback?.();
  }

  private writeOut(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.sink.write(text);
  }
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
    destination ?? new LineBatcher(pino.destination({ dest: 1, sync: true })),
  );
}
