import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/telemetry/logger.js';

/** A gateway logger whose JSON lines are kept in `lines`, for tests that read what was logged. */
export function capturedLog(level: 'debug' | 'info' = 'info'): { readonly log: Logger; readonly lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ level }, sink), lines };
}
