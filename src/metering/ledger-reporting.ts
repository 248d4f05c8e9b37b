/**
 * What the operator sees of the usage ledger: one log line per change of
 * state (warn when rows stop being written, info when they are written
 * again), every failed attempt and every lost row counted.
 */
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { LedgerFailure } from './usage-ledger.js';

export interface LedgerReporting {
  onError(error: unknown, pending: number): void;
  onUnwritable(failure: LedgerFailure, pending: number): void;
  onWritable(failure: LedgerFailure, pending: number): void;
  onRestored(path: string): void;
  onDrop(event: { readonly reason: 'overflow' | 'rejected' | 'closed'; readonly count: number; readonly total: number; readonly error?: unknown }): void;
}

export function ledgerReporting(log: Logger, metrics: GatewayMetrics, capacity: number, whenFull: string): LedgerReporting {
  return {
    onError(error, pending) {
      metrics.ledgerWriteErrors.inc();
      log.debug({ err: error, buffered: pending }, 'usage ledger write failed; rows are kept and retried');
    },
    onUnwritable(failure, pending) {
      log.warn(
        { path: failure.path, code: failure.code, error: failure.message, buffered: pending, capacity, when_full: whenFull },
        `usage ledger ${failure.path} cannot be written (${failure.code}): rows are kept in memory and retried with backoff; /readyz reports not ready until writes work again`,
      );
    },
    onWritable(failure, pending) {
      log.info(
        { path: failure.path, last_code: failure.code, failing_ms: Date.now() - failure.since, buffered: pending },
        `usage ledger ${failure.path} is written again`,
      );
    },
    onRestored(path) {
      log.warn({ path }, `usage ledger ${path} was deleted while open: written back from the open database and reopened (no row lost)`);
    },
    onDrop(event) {
      metrics.ledgerRowsDropped.labels(event.reason).inc(event.count);
      const why =
        event.reason === 'overflow'
          ? `the buffer of ${capacity} rows was full while the store failed (store.when_full: ${whenFull})`
          : event.reason === 'rejected'
            ? 'the store refused the rows themselves'
            : 'they were still unwritten at shutdown';
      log.error({ dropped: event.count, reason: event.reason, total: event.total, err: event.error }, `usage ledger dropped ${event.count} row(s): ${why}`);
    },
  };
}
