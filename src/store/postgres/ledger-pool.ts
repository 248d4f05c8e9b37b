/**
 * How the PostgreSQL usage ledger borrows connections: one client from the
 * pool per write or read, given back when done, and a time limit on the
 * whole (waiting for a client, connecting, the query). A server that stops
 * answering (a network partition drops packets rather than refusing them)
 * would otherwise hold the ledger's one write in flight, or a report, for as
 * long as the kernel keeps the socket: the limit turns that into a failure
 * like any other, and the connection is destroyed. A statement the server is
 * still running then may yet commit (a server notices a closed connection
 * only when it answers): the outcome of a write that timed out is unknown,
 * which the ledger's row ids make harmless when it is sent again.
 */
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';

/** The server did not answer within the time limit. */
export class LedgerTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`PostgreSQL did not answer within ${timeoutMs} ms`);
    this.name = 'LedgerTimeoutError';
  }
}

/**
 * Runs `use` on a client of `pool` and gives the client back: as is after
 * success or a statement's own error, destroyed after anything else (the
 * connection may be broken or mid-statement). Rejects with a
 * LedgerTimeoutError after `timeoutMs`, whatever `use` is doing.
 */
export function withClient<T>(pool: Pool, timeoutMs: number, use: (client: PoolClient) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let held: PoolClient | undefined;
    const giveBack = (client: PoolClient, error?: unknown): void => {
      if (held !== client) return;
      held = undefined;
      client.removeListener('error', ignore);
      client.release(error === undefined || isStatementError(error) ? undefined : true);
    };
    const timer = setTimeout(() => {
      settled = true;
      // Ending the connection makes its pending query fail; `giveBack` then finds nothing to do.
      if (held !== undefined) giveBack(held, new LedgerTimeoutError(timeoutMs));
      reject(new LedgerTimeoutError(timeoutMs));
    }, timeoutMs);
    timer.unref();
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    pool.connect().then(
      (client) => {
        if (settled) {
          client.release(true);
          return;
        }
        held = client;
        // The pool listens to idle clients only; a borrowed one whose connection drops emits 'error' too.
        client.on('error', ignore);
        use(client).then(
          (value) => {
            giveBack(client);
            finish(() => resolve(value));
          },
          (error: unknown) => {
            giveBack(client, error);
            finish(() => reject(error instanceof Error ? error : new Error(String(error))));
          },
        );
      },
      (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/** The query running on the client fails with the same error, and that failure is handled. */
function ignore(): void {}

/** An error the server sent about one statement; its connection is still good. */
function isStatementError(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.severity === 'ERROR';
}

/**
 * Errors caused by the rows' values, not by the store's state: data
 * exceptions (class 22: a number out of range), integrity constraint
 * violations (class 23: a CHECK), and a value too large for an index
 * (54000). Sent again, they would fail again.
 */
export function isRowError(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError) || error.code === undefined) return false;
  return error.code.startsWith('22') || error.code.startsWith('23') || error.code === '54000';
}

/** The SQLSTATE or system code of a failure (`ECONNREFUSED`, `57P01`, `ETIMEDOUT`, …). */
export function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code !== '') return error.code;
  // Connecting to a name with several addresses fails with each of them.
  if (error instanceof AggregateError) {
    const first: unknown = error.errors[0];
    if (first !== undefined) return errorCode(first);
  }
  // pg's message when the server or the network closed the connection under a query.
  if (error instanceof Error && /^Connection terminated/.test(error.message)) return 'CONNECTION_TERMINATED';
  return error instanceof Error ? error.name : 'unknown';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message !== '') return error.message;
  if (error instanceof AggregateError) return error.errors.map((e) => errorMessage(e)).join('; ');
  return String(error);
}
