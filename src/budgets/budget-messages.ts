/**
 * What callers read about budgets: the refusal messages (which budget, how
 * much, when it resets, what to do), the promo line Codex shows, and the
 * Codex secondary rate-limit headers that make `/status` show what is left.
 */
import type { BudgetRef, BudgetStatus, BudgetView } from './budget-store.js';

export const usd = (amount: number): string => `$${amount.toFixed(amount >= 1 ? 2 : 4)}`;

/** "the monthly budget of tenant 'team'", "the daily budget of key abc123 (tenant 'team')". */
export function describeBudget(ref: BudgetRef): string {
  const owner = ref.scope === 'tenant' ? `tenant '${ref.owner}'` : `key ${ref.owner} (tenant '${ref.tenant}')`;
  return `the ${ref.config.period === 'day' ? 'daily' : 'monthly'} budget of ${owner}`;
}

const capitalized = (text: string): string => `${text[0]!.toUpperCase()}${text.slice(1)}`;

/** "2026-12-06 00:00 UTC", with the budget's own zone and reset time when it is not UTC. */
export function resetTime(resetsAt: number, ref: BudgetRef): string {
  const { timeZone, reset } = ref.config;
  const local = timeZone === 'UTC' ? '' : ` (${timeZone} ${String(reset.hour).padStart(2, '0')}:${String(reset.minute).padStart(2, '0')})`;
  return `${new Date(resetsAt).toISOString().slice(0, 16).replace('T', ' ')} UTC${local}`;
}

export function refusalMessage(status: BudgetStatus, worstUsd: number): string {
  const held = status.settledUsd + status.reservedUsd;
  return `This request could cost up to ${usd(worstUsd)}, more than is left of ${describeBudget(status.ref)} (${usd(status.limitUsd)}; ${usd(held)} spent or held by calls in flight). It resets at ${resetTime(status.resetsAt, status.ref)}; ask your gateway administrator to raise it, or send a shorter request.`;
}

/** The line Codex shows after "You've hit your usage limit." */
export function refusalPromo(status: BudgetStatus): string {
  return `${capitalized(describeBudget(status.ref))} (${usd(status.limitUsd)}) is used up (ask your gateway administrator to raise it)`;
}

export function budgetRanOutMessage(ref: BudgetRef, limitUsd: number, resetsAt: number): string {
  return `${capitalized(describeBudget(ref))} (${usd(limitUsd)}) ran out during this response, which ends here. It resets at ${resetTime(resetsAt, ref)}; ask your gateway administrator to raise it.`;
}

/** The Codex secondary rate-limit headers for the budget closest to its limit: `/status` shows "% left (resets …)". */
export function budgetHeaders(view: BudgetView, refs: readonly BudgetRef[]): Record<string, string> {
  let tightest: BudgetRef | undefined;
  let used = -1;
  for (const ref of refs) {
    const share = 1 - view.remaining(ref) / ref.config.limitUsd;
    if (share > used) {
      used = share;
      tightest = ref;
    }
  }
  if (tightest === undefined) return {};
  const { periodStart, resetsAt } = view.status(tightest);
  return {
    'x-codex-secondary-used-percent': Math.min(100, Math.max(0, used * 100)).toFixed(1),
    'x-codex-secondary-window-minutes': String(Math.round((resetsAt - periodStart) / 60_000)),
    'x-codex-secondary-reset-at': String(Math.ceil(resetsAt / 1000)),
  };
}
