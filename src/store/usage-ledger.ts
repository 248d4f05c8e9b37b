/**
 * Pieces shared by the usage-ledger implementations in this folder: their
 * reporting hooks and UTC-day helpers. The ledger contract itself
 * (`UsageLedger`) belongs to metering (`metering/usage-ledger.ts`).
 */
import type { LedgerFailure } from '../metering/usage-ledger.js';

export type DropReason = 'overflow' | 'rejected' | 'closed';

export interface LedgerDropEvent {
  readonly reason: DropReason;
  /** Records lost in this event. */
  readonly count: number;
  /** Records lost since start, all reasons. */
  readonly total: number;
  /** The store's error for `rejected` records, or the last write error for `closed`. */
  readonly error?: unknown;
}

/** Reporting hooks (log and count them); they must not throw. */
export interface LedgerEvents {
  /** A write failed (every attempt); `pending` records are kept and retried with backoff. */
  readonly onError?: (error: unknown, pending: number) => void;
  /** Rows cannot be written any more (the first failure after writes worked, or a failure of another kind). */
  readonly onUnwritable?: (failure: LedgerFailure, pending: number) => void;
  /** Rows are written again after failures; `failure` is the last one. */
  readonly onWritable?: (failure: LedgerFailure, pending: number) => void;
  /** The file was deleted while open and has been written back, from the open connection, at its path. */
  readonly onRestored?: (path: string) => void;
  /** Records were lost. Overflow drops are reported in one event per write attempt, not per record. */
  readonly onDrop?: (event: LedgerDropEvent) => void;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of an epoch-milliseconds time, `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(Math.floor(epochMs / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Throws a RangeError unless `day` is a real `YYYY-MM-DD` date. */
export function assertUtcDay(day: string): void {
  if (!DAY_PATTERN.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || utcDay(Date.parse(`${day}T00:00:00Z`)) !== day) {
    throw new RangeError(`expected a UTC day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
}
