/**
 * Pieces shared by the usage-ledger implementations in this folder: their
 * reporting hooks and UTC-day helpers. The ledger contract itself
 * (`UsageLedger`) belongs to metering (`metering/usage-ledger.ts`).
 */

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
  /** A background write failed; `pending` records are kept and retried with backoff. */
  readonly onError?: (error: unknown, pending: number) => void;
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
