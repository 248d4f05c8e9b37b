/**
 * What each budget has spent and holds reserved in its current period, in
 * this process. A call reserves its worst-case cost against every budget that
 * applies, all or none, in one synchronous step (no await between the check
 * and the record, so concurrent calls cannot all see the same room), may
 * extend its hold while its output grows (again all or none), and settles to
 * its real cost when it is over: the hold is released and the real cost added
 * to the spend of the period it settles in.
 *
 * A new period starts with nothing spent. A budget seen for the first time
 * (at start, or added at run time) is seeded from the usage ledger before its
 * first reservation (`missingSeeds` / `seed`), so neither a restart nor a
 * budget set on a key that already spent forgets what was spent this period.
 */
import type { BudgetRef } from '../pipeline/contracts.js';
import type { BudgetHold, BudgetListener, BudgetStatus, BudgetStore, BudgetView, Growth, LedgerSeeding } from './budget-store.js';
import { periodBounds, type PeriodBounds } from './period.js';

export type { BudgetListener, BudgetRef, BudgetStatus };

export interface BudgetState {
  /** The budget's latest definition (its limit may change while the period runs). */
  ref: BudgetRef;
  readonly bounds: PeriodBounds;
  /** The calendar the bounds follow: a budget whose time zone or reset time changes starts a new state (and is seeded again). */
  readonly calendar: string;
  /** USD of the calls settled in this period. */
  settled: number;
  /** USD held by calls in flight. */
  reserved: number;
}

/** A call's hold on its budgets, released exactly once. */
export class Reservation implements Extract<BudgetHold, { remote: false }> {
  readonly remote = false as const;

  constructor(
    private readonly book: BudgetBook,
    private readonly refs: readonly BudgetRef[],
    /** What the call holds now: its first reservation plus every extension. */
    public amountUsd: number,
    readonly states: readonly BudgetState[],
  ) {}

  grow(wantedTokens: number, leastTokens: number, usdPerToken: number): Growth {
    if (this.book.extend(this.refs, this, wantedTokens * usdPerToken) === undefined) return { grantedTokens: wantedTokens, tightest: undefined };
    // Not all of it: whatever is left, as long as it pays for `leastTokens`.
    let room = Infinity;
    for (const ref of this.refs) room = Math.min(room, this.book.remaining(ref));
    const affordable = Math.floor(room / usdPerToken);
    if (affordable >= leastTokens && affordable > 0 && this.book.extend(this.refs, this, affordable * usdPerToken) === undefined) {
      return { grantedTokens: affordable, tightest: undefined };
    }
    return { grantedTokens: 0, tightest: this.book.tightest(this.refs) };
  }

  settle(actualUsd: number): void {
    this.book.settle(this.refs, this, actualUsd);
  }
}

export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation; readonly view: BudgetView }
  | { readonly ok: false; readonly status: BudgetStatus; readonly view: BudgetView };

const calendars = new WeakMap<BudgetRef['config'], string>();

/** The calendar a budget follows, as a string to compare (computed once per config object: this is on every call's path). */
export function calendarOf(ref: BudgetRef): string {
  let calendar = calendars.get(ref.config);
  if (calendar === undefined) {
    const { period, timeZone, reset } = ref.config;
    calendar = `${period} ${timeZone} ${reset.hour}:${reset.minute}`;
    calendars.set(ref.config, calendar);
  }
  return calendar;
}

export class BudgetBook implements BudgetStore, BudgetView, LedgerSeeding {
  /** The policy reads each budget's spend from the ledger once, before its first synchronous decision. */
  readonly seeding: LedgerSeeding = this;
  private readonly states = new Map<string, BudgetState>();
  /** The budgets whose spend was read from the ledger, by id, with the calendar it was read for. */
  private readonly seeded = new Map<string, string>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly listener?: BudgetListener,
  ) {}

  /** The budget's state in the period containing `at`: a new period starts empty. */
  state(ref: BudgetRef, at = this.now()): BudgetState {
    const current = this.states.get(ref.id);
    if (current !== undefined && current.ref !== ref) current.ref = ref;
    if (current !== undefined && at >= current.bounds.start && at < current.bounds.end && current.calendar === calendarOf(ref)) return current;
    const fresh: BudgetState = {
      ref, bounds: periodBounds(ref.config.period, ref.config.timeZone, at, ref.config.reset), calendar: calendarOf(ref), settled: 0, reserved: 0 };
    // Calls reserved in the old period still release their hold on it (their states are the old objects).
    this.states.set(ref.id, fresh);
    return fresh;
  }

  /** The budgets among `refs` whose spend this period was never read from the ledger (usually none). */
  missingSeeds(refs: readonly BudgetRef[]): BudgetRef[] | undefined {
    let missing: BudgetRef[] | undefined;
    for (const ref of refs) {
      const seededFor = this.seeded.get(ref.id);
      if (seededFor === undefined || seededFor !== calendarOf(ref)) (missing ??= []).push(ref);
    }
    return missing;
  }

  periodStart(ref: BudgetRef): number {
    return this.state(ref).bounds.start;
  }

  /** Adds the spend already recorded in the current period (from the ledger) to what this process booked. */
  seed(ref: BudgetRef, settledUsd: number): void {
    const calendar = calendarOf(ref);
    if (this.seeded.get(ref.id) === calendar) return;
    const state = this.state(ref);
    // A budget reseeded after a change of calendar had a state of the old calendar: the new one starts from the ledger.
    state.settled = settledUsd;
    this.seeded.set(ref.id, calendar);
  }

  status(ref: BudgetRef, at = this.now()): BudgetStatus {
    const state = this.state(ref, at);
    return {
      ref,
      limitUsd: ref.config.limitUsd,
      settledUsd: state.settled,
      reservedUsd: state.reserved,
      remainingUsd: Math.max(0, ref.config.limitUsd - state.settled - state.reserved),
      periodStart: state.bounds.start,
      resetsAt: state.bounds.end,
    };
  }

  /** The status of every budget the book has seen (calls reserved against it, or it was asked about). */
  statuses(at = this.now()): BudgetStatus[] {
    return [...this.states.values()].map((state) => this.status(state.ref, at));
  }

  /** This book is its own view: its numbers are always the current ones. */
  view(): BudgetView {
    return this;
  }

  /** The budget with the least room among `refs`. */
  tightest(refs: readonly BudgetRef[]): BudgetStatus {
    let tightest = this.status(refs[0]!);
    for (const ref of refs) {
      const status = this.status(ref);
      if (status.remainingUsd < tightest.remainingUsd) tightest = status;
    }
    return tightest;
  }

  /** USD left of the budget now: its limit less what is settled and held. */
  remaining(ref: BudgetRef, at = this.now()): number {
    const state = this.state(ref, at);
    return ref.config.limitUsd - state.settled - state.reserved;
  }

  /** Reserves `amountUsd` against every budget, or none when one of them cannot hold it (that one is returned). */
  reserve(refs: readonly BudgetRef[], amountUsd: number): ReserveResult {
    const at = this.now();
    const states: BudgetState[] = [];
    for (const ref of refs) {
      const state = this.state(ref, at);
      if (state.settled + state.reserved + amountUsd > ref.config.limitUsd) {
        const status = this.status(ref, at);
        this.listener?.refused(status);
        return { ok: false, status, view: this };
      }
      states.push(state);
    }
    for (const state of states) state.reserved += amountUsd;
    return { ok: true, reservation: new Reservation(this, refs, amountUsd, states), view: this };
  }

  /** A hold of nothing on every budget, to grow later (a call held elsewhere that grows on this book). */
  hold(refs: readonly BudgetRef[]): Reservation {
    const at = this.now();
    return new Reservation(this, refs, 0, refs.map((ref) => this.state(ref, at)));
  }

  /**
   * Grows a call's hold by `extraUsd` on every budget it holds, or on none
   * when one cannot (that one's status is returned). The budgets are those of
   * the period the call was reserved in.
   */
  extend(refs: readonly BudgetRef[], reservation: Reservation, extraUsd: number): BudgetStatus | undefined {
    for (let i = 0; i < reservation.states.length; i++) {
      const state = reservation.states[i]!;
      const ref = refs[i]!;
      if (state.settled + state.reserved + extraUsd > ref.config.limitUsd) {
        const status = this.status(ref);
        this.listener?.refused(status);
        return status;
      }
    }
    for (const state of reservation.states) state.reserved += extraUsd;
    reservation.amountUsd += extraUsd;
    return undefined;
  }

  /** Releases the reservation and books `actualUsd` in the budgets' current periods. */
  settle(refs: readonly BudgetRef[], reservation: Reservation, actualUsd: number): void {
    const at = this.now();
    for (const state of reservation.states) state.reserved = Math.max(0, state.reserved - reservation.amountUsd);
    for (const ref of refs) this.state(ref, at).settled += actualUsd;
    if (this.listener !== undefined) for (const ref of refs) this.listener.settled(this.status(ref, at));
  }
}
