/**
 * Budget alerts: told of every settle and refusal by the budget book, it
 * raises one notification per budget, period and threshold (each `soft`
 * share of the limit, and the limit itself). A refusal raises the limit's
 * alert (`budget_exhausted`) even when the settled spend is below the limit:
 * the refusal proves the budget cannot hold more; the lower thresholds of
 * that period are then not raised any more.
 *
 * Called on every settle, so the common case costs one map lookup and one
 * comparison and allocates nothing: per budget, the index of the next
 * threshold in the current period; a new period (a different `periodStart`)
 * re-arms them all. The thresholds already raised are kept in this process
 * only: after a restart they are raised again when the spend read back from
 * the ledger is past them, and the outbox drops them (their ids are stored).
 */
import type { Logger } from 'pino';
import type { BudgetListener, BudgetRef, BudgetStatus } from '../budgets/budget-book.js';
import { budgetAlert } from './budget-messages.js';
import type { Notifier } from './contracts.js';

interface Armed {
  readonly ref: BudgetRef;
  /** The soft shares, then 1 (the limit), ascending, without repeats. */
  readonly shares: readonly number[];
  periodStart: number;
  /** The index in `shares` of the next threshold to raise in this period; `shares.length` when all are raised. */
  next: number;
}

function sharesOf(ref: BudgetRef): number[] {
  return [...new Set([...ref.config.soft.filter((share) => share > 0 && share < 1), 1])].sort((a, b) => a - b);
}

export class BudgetAlerts implements BudgetListener {
  private readonly armed = new Map<string, Armed>();

  constructor(
    private readonly notifier: Notifier,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  settled(status: BudgetStatus): void {
    const armed = this.armedFor(status);
    const shares = armed.shares;
    if (armed.next >= shares.length || status.settledUsd < shares[armed.next]! * status.limitUsd) return;
    while (armed.next < shares.length && status.settledUsd >= shares[armed.next]! * status.limitUsd) {
      this.raise(status, shares[armed.next]!, false);
      armed.next++;
    }
  }

  refused(status: BudgetStatus): void {
    const armed = this.armedFor(status);
    if (armed.next >= armed.shares.length) return;
    armed.next = armed.shares.length;
    this.raise(status, 1, true);
  }

  private armedFor(status: BudgetStatus): Armed {
    let armed = this.armed.get(status.ref.id);
    if (armed === undefined || armed.ref !== status.ref) {
      // A new budget, or its configuration changed (another ref object): thresholds computed once here.
      armed = { ref: status.ref, shares: sharesOf(status.ref), periodStart: status.periodStart, next: 0 };
      this.armed.set(status.ref.id, armed);
    } else if (armed.periodStart !== status.periodStart) {
      armed.periodStart = status.periodStart;
      armed.next = 0;
    }
    return armed;
  }

  private raise(status: BudgetStatus, share: number, refused: boolean): void {
    const notification = budgetAlert(status, { share, refused }, this.now());
    // Debug: after a restart the thresholds already passed are raised again (and dropped by the outbox).
    this.log.debug({ notification: notification.id, kind: notification.kind, tenant: notification.tenant, budget: status.ref.id, threshold: share }, 'budget alert raised');
    this.notifier.notify(notification).catch((error: unknown) => {
      this.log.error({ err: error, notification: notification.id }, 'a budget alert could not be stored for delivery');
    });
  }
}
