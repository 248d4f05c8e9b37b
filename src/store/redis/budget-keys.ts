/**
 * Where a budget's period lives in Redis, and the numbers a script answered,
 * read as a BudgetView.
 */
import { calendarOf } from '../../budgets/budget-book.js';
import type { BudgetRef, BudgetStatus, BudgetView } from '../../budgets/budget-store.js';
import { periodBounds, type PeriodBounds } from '../../budgets/period.js';

/** A day past the period's end, the keys of a period expire (its numbers are in the ledger for ever). */
const KEEP_AFTER_PERIOD_MS = 24 * 60 * 60 * 1000;

/** One budget in one period: its two keys and when they expire. */
export interface Place {
  readonly bounds: PeriodBounds;
  readonly calendar: string;
  /** The hash: settled, reserved, seeded, one field per hold. */
  readonly key: string;
  /** The sorted set of holds by expiry. */
  readonly holds: string;
  /** Epoch ms at which both keys expire. */
  readonly expireAt: number;
}

/**
 * The current Place of each budget, computed again only when its period or
 * calendar changes (the period's bounds take Luxon a few microseconds).
 */
export class Places {
  private readonly current = new Map<string, Place>();

  constructor(private readonly prefix: string) {}

  of(ref: BudgetRef, at: number): Place {
    const known = this.current.get(ref.id);
    if (known !== undefined && at >= known.bounds.start && at < known.bounds.end && known.calendar === calendarOf(ref)) return known;
    const bounds = periodBounds(ref.config.period, ref.config.timeZone, at, ref.config.reset);
    // The tenant as hash tag: all budgets of one call (its key's and its tenant's) share a cluster slot.
    const key = `${this.prefix}budget:{${ref.tenant}}:${ref.id}:${bounds.start}`;
    const place: Place = { bounds, calendar: calendarOf(ref), key, holds: `${key}:holds`, expireAt: bounds.end + KEEP_AFTER_PERIOD_MS };
    this.current.set(ref.id, place);
    return place;
  }
}

/** The KEYS of a script over some places: budget then holds, per place. */
export function keysOf(places: readonly Place[]): string[] {
  const keys = new Array<string>(places.length * 2);
  for (let i = 0; i < places.length; i++) {
    keys[2 * i] = places[i]!.key;
    keys[2 * i + 1] = places[i]!.holds;
  }
  return keys;
}

export function statusOf(ref: BudgetRef, place: Place, settledUsd: number, reservedUsd: number): BudgetStatus {
  const limitUsd = ref.config.limitUsd;
  return { ref, limitUsd, settledUsd, reservedUsd, remainingUsd: Math.max(0, limitUsd - settledUsd - reservedUsd), periodStart: place.bounds.start, resetsAt: place.bounds.end };
}

/** The numbers of a script's reply (settled, reserved per budget, from `offset`) over the budgets it was run on. */
export class Snapshot implements BudgetView {
  constructor(
    private readonly refs: readonly BudgetRef[],
    private readonly places: readonly Place[],
    private readonly numbers: readonly number[],
  ) {}

  static read(refs: readonly BudgetRef[], places: readonly Place[], reply: readonly unknown[], offset: number): Snapshot {
    const numbers = new Array<number>(refs.length * 2);
    for (let i = 0; i < numbers.length; i++) numbers[i] = Number(reply[offset + i]);
    return new Snapshot(refs, places, numbers);
  }

  remaining(ref: BudgetRef): number {
    const i = this.indexOf(ref);
    return ref.config.limitUsd - this.numbers[2 * i]! - this.numbers[2 * i + 1]!;
  }

  status(ref: BudgetRef): BudgetStatus {
    const i = this.indexOf(ref);
    return statusOf(ref, this.places[i]!, this.numbers[2 * i]!, this.numbers[2 * i + 1]!);
  }

  /** The status of the i-th budget. */
  at(i: number): BudgetStatus {
    return statusOf(this.refs[i]!, this.places[i]!, this.numbers[2 * i]!, this.numbers[2 * i + 1]!);
  }

  get size(): number {
    return this.refs.length;
  }

  private indexOf(ref: BudgetRef): number {
    for (let i = 0; i < this.refs.length; i++) if (this.refs[i] === ref || this.refs[i]!.id === ref.id) return i;
    throw new RangeError(`budget ${ref.id} is not in this view`);
  }
}
