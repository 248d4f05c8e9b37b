/**
 * What each budget has spent and holds reserved in its current period, in
 * this process. A call reserves its worst-case cost against every budget that
 * applies, all or none, in one synchronous step (no await between the check
 * and the record, so concurrent calls cannot all see the same room), and
 * settles to its real cost when it is over: the reservation is released and
 * the real cost added to the spend of the period it settles in.
 *
 * A new period starts with nothing spent. At start-up the spend of the
 * current periods is read from the usage ledger (`seed`), so a restart does
 * not forget what was spent.
 */
import type { BudgetRef } from '../pipeline/contracts.js';
import { periodBounds, type PeriodBounds } from './period.js';

export type { BudgetRef };

/** Told of every change of a budget's spend: alerts at thresholds, the used-ratio gauge. */
export interface BudgetListener {
  /** After a call settled against the budget (`status` is the budget's state after it). */
  settled(status: BudgetStatus): void;
  /** After a call was refused because this budget could not hold it. */
  refused(status: BudgetStatus): void;
}

export interface BudgetState {
  readonly bounds: PeriodBounds;
  /** USD of the calls settled in this period. */
  settled: number;
  /** USD held by calls in flight. */
  reserved: number;
}

export interface BudgetStatus {
  readonly ref: BudgetRef;
  readonly limitUsd: number;
  readonly settledUsd: number;
  readonly reservedUsd: number;
  readonly remainingUsd: number;
  /** Epoch ms when the current period began. */
  readonly periodStart: number;
  /** Epoch ms when the period ends (and the budget is whole again). */
  readonly resetsAt: number;
}

/** A call's hold on its budgets, released exactly once. */
export interface Reservation {
  readonly amountUsd: number;
  readonly states: readonly BudgetState[];
}

export type ReserveResult = { readonly ok: true; readonly reservation: Reservation } | { readonly ok: false; readonly status: BudgetStatus };

export class BudgetBook {
  private readonly states = new Map<string, BudgetState>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly listener?: BudgetListener,
  ) {}

  /** The budget's state in the period containing `at`: a new period starts empty. */
  state(ref: BudgetRef, at = this.now()): BudgetState {
    const current = this.states.get(ref.id);
    if (current !== undefined && at >= current.bounds.start && at < current.bounds.end) return current;
    const fresh: BudgetState = { bounds: periodBounds(ref.config.period, ref.config.timeZone, at, ref.config.reset), settled: 0, reserved: 0 };
    // Calls reserved in the old period still release their hold on it (their states are the old objects).
    this.states.set(ref.id, fresh);
    return fresh;
  }

  /** Sets the spend already recorded for the current period (from the ledger, at start-up). */
  seed(ref: BudgetRef, settledUsd: number): void {
    this.state(ref).settled = settledUsd;
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

  /** Reserves `amountUsd` against every budget, or none when one of them cannot hold it (that one is returned). */
  reserve(refs: readonly BudgetRef[], amountUsd: number): ReserveResult {
    const at = this.now();
    const states: BudgetState[] = [];
    for (const ref of refs) {
      const state = this.state(ref, at);
      if (state.settled + state.reserved + amountUsd > ref.config.limitUsd) {
        const status = this.status(ref, at);
        this.listener?.refused(status);
        return { ok: false, status };
      }
      states.push(state);
    }
    for (const state of states) state.reserved += amountUsd;
    return { ok: true, reservation: { amountUsd, states } };
  }

  /** Releases the reservation and books `actualUsd` in the budgets' current periods. */
  settle(refs: readonly BudgetRef[], reservation: Reservation, actualUsd: number): void {
    const at = this.now();
    for (const state of reservation.states) state.reserved = Math.max(0, state.reserved - reservation.amountUsd);
    for (const ref of refs) this.state(ref, at).settled += actualUsd;
    if (this.listener !== undefined) for (const ref of refs) this.listener.settled(this.status(ref, at));
  }
}
