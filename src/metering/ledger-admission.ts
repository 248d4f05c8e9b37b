/**
 * `store.when_full: refuse`: the admit stage refuses new calls while the
 * usage ledger has no room for their rows, so nothing served goes unbilled.
 *
 * Every admitted call reserves its row until it settles (its row is then in
 * the buffer or written), so the rows buffered plus the calls in flight never
 * exceed the buffer's bound and no admitted call's row is dropped, however
 * many calls were in flight when the store began to fail. Calls this policy
 * refuses write no row (they cost nothing and there is no room); they are
 * counted in `llm_requests_total` like every refusal. One policy object, no
 * allocation per call.
 */
import type { Logger } from 'pino';
import { LedgerUnavailableError } from '../errors/index.js';
import type { Admission, AdmissionHandle, Call, CallOutcome, RequestPolicy } from '../pipeline/contracts.js';
import type { UsageLedger } from './usage-ledger.js';

/** Whether an outcome is this policy's refusal (its call has no ledger row). */
export function refusedForLedger(outcome: CallOutcome): boolean {
  return outcome.stage === 'admit' && outcome.errorCode === LedgerUnavailableError.CODE;
}

export class LedgerAdmission implements RequestPolicy, AdmissionHandle {
  readonly name = 'usage-ledger';
  private reserved = 0;
  private refusing = false;
  private refusals = 0;
  private readonly admitted: Admission = { handle: this };

  constructor(
    private readonly ledger: UsageLedger,
    private readonly log: Logger,
  ) {}

  /** Calls admitted whose rows are not yet appended. */
  get inFlight(): number {
    return this.reserved;
  }

  admit(_call: Call): Admission {
    const buffered = this.ledger.pending();
    if (buffered + this.reserved >= this.ledger.capacity) this.refuse(buffered);
    // Logged once the buffer is half empty, not at every call that finds room at the edge.
    if (this.refusing && buffered < this.ledger.capacity / 2) this.resume(buffered);
    this.reserved++;
    return this.admitted;
  }

  /** The call settled: its row (appended by the metering observer, which runs first) holds its place now. */
  settle(): void {
    this.reserved--;
  }

  private refuse(buffered: number): never {
    this.refusals++;
    const failure = this.ledger.failure();
    if (!this.refusing) {
      this.refusing = true;
      this.log.warn(
        { buffered, in_flight: this.reserved, capacity: this.ledger.capacity, path: failure?.path, code: failure?.code },
        'usage ledger buffer full: refusing new requests until rows can be written (store.when_full: refuse)',
      );
    }
    const cause = failure === undefined ? 'rows arrive faster than the store writes them' : `the usage store fails to write (${failure.code})`;
    throw new LedgerUnavailableError(`${cause} and its buffer of ${this.ledger.capacity} unwritten rows is full`);
  }

  private resume(buffered: number): void {
    this.refusing = false;
    this.log.info({ buffered, refused: this.refusals }, 'usage ledger has room again: accepting requests');
    this.refusals = 0;
  }
}
