/**
 * Ids for the ledger's rows (`row_id`, unique): 64 random bits drawn once per
 * ledger, then a counter, in the UUID text form PostgreSQL's `uuid` type
 * reads. Unique across gateways sharing a table (two ledgers draw the same
 * 64 bits with a chance of 1 in 2^64) at the cost of formatting a number per
 * row: `crypto.randomUUID()` per row costs two to four times as much
 * (measured on Node 20), and `append` is on the request path.
 */
import { randomBytes } from 'node:crypto';

export class RowIds {
  private readonly prefix: string;
  private next = 0;

  constructor() {
    const hex = randomBytes(8).toString('hex');
    this.prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-`;
  }

  take(): string {
    const counter = (this.next++).toString(16).padStart(16, '0');
    return `${this.prefix}${counter.slice(0, 4)}-${counter.slice(4)}`;
  }
}
