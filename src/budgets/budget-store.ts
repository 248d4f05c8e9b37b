/**
 * Where the budgets' spend and holds are kept, as the budget policy sees it.
 * Two implementations: the in-process BudgetBook (one gateway: every step is
 * synchronous, nothing awaited on a call's path) and a book shared through a
 * store by several replicas (every step is a round trip, so it answers with
 * a promise). Each method returns a value or a promise of one; the policy
 * awaits only promises, so the in-process path stays synchronous.
 */
import type { Logger } from 'pino';
import type { BudgetRef } from '../pipeline/contracts.js';

export type { BudgetRef };

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

/** Told of every change of a budget's spend: alerts at thresholds, the used-ratio gauge. */
export interface BudgetListener {
  /** After a call settled against the budget (`status` is the budget's state after it). */
  settled(status: BudgetStatus): void;
  /** After a call was refused because this budget could not hold it. */
  refused(status: BudgetStatus): void;
}

/** The numbers of some budgets at one moment, read synchronously (downgrade shares, clamp room, headers). */
export interface BudgetView {
  /** USD left of the budget: its limit less what is settled and held. */
  remaining(ref: BudgetRef): number;
  status(ref: BudgetRef): BudgetStatus;
}

/** What growing a hold gave: output tokens now paid for (0: none), and the tightest budget when not all was granted. */
export interface Growth {
  readonly grantedTokens: number;
  readonly tightest: BudgetStatus | undefined;
}

interface HoldCommon {
  /** USD held now: the first reservation plus every growth. */
  readonly amountUsd: number;
  /** Releases the hold and books `actualUsd` in the budgets' current periods. */
  settle(actualUsd: number): void | Promise<void>;
}

/**
 * A call's hold on its budgets, settled exactly once. `grow` grows it on
 * every budget, or on none: by `wantedTokens` of output when they fit; else
 * by as many whole tokens as the tightest budget has room for, when that is
 * at least `leastTokens` and more than 0; else not at all.
 *
 * A remote hold (in a shared store) grows by a round trip: a watched stream
 * then asks for its next step ahead of its output instead of when the output
 * reaches the end of what it holds.
 */
export type BudgetHold =
  | (HoldCommon & { readonly remote: false; grow(wantedTokens: number, leastTokens: number, usdPerToken: number): Growth })
  | (HoldCommon & { readonly remote: true; grow(wantedTokens: number, leastTokens: number, usdPerToken: number): Promise<Growth> });

export type ReserveResult =
  | { readonly ok: true; readonly reservation: BudgetHold; readonly view: BudgetView }
  | { readonly ok: false; readonly status: BudgetStatus; readonly view: BudgetView };

/**
 * A store whose spend must be read from the ledger by its user before it can
 * decide (the in-process book: the policy reads it once per budget, and every
 * later call is decided synchronously). A shared store seeds itself.
 */
export interface LedgerSeeding {
  /** The budgets among `refs` whose spend this period was never read from the ledger (usually none). */
  missingSeeds(refs: readonly BudgetRef[]): BudgetRef[] | undefined;
  /** Epoch ms when the budget's current period began: the ledger is read from there. */
  periodStart(ref: BudgetRef): number;
  seed(ref: BudgetRef, settledUsd: number): void;
}

export interface BudgetStore {
  /** Present when the policy must seed the store from the ledger (see LedgerSeeding). */
  readonly seeding?: LedgerSeeding;
  /** The budgets' numbers now (the downgrade decides on them before anything is reserved). */
  view(refs: readonly BudgetRef[]): BudgetView | Promise<BudgetView>;
  /** Reserves `amountUsd` against every budget, or none when one of them cannot hold it (that one is returned). */
  reserve(refs: readonly BudgetRef[], amountUsd: number): ReserveResult | Promise<ReserveResult>;
  status(ref: BudgetRef): BudgetStatus | Promise<BudgetStatus>;
  /** Every budget this gateway has used or been asked about, with the numbers it last knew (a shared book: as of its last round trip). */
  statuses(): BudgetStatus[];
}

/** What the gateway hands to the factory of a shared book (it owns the ledger, the alerts and the log). */
export interface SharedBudgetDeps {
  /** USD a budget's owner spent since `sinceMs`, from the ledger the replicas share. */
  readonly spentSince: (ref: BudgetRef, sinceMs: number) => Promise<number>;
  readonly listener: BudgetListener | undefined;
  readonly log: Logger;
}

/** Builds the book the replicas share (Redis); closed by the gateway after its calls have settled. */
export type SharedBudgetBookFactory = (deps: SharedBudgetDeps) => BudgetStore & { close(): Promise<void> };
