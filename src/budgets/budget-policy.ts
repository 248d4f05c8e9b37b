/**
 * The budget guardrail of the admit stage: a call reserves its worst-case
 * cost against every budget of its principal (all must hold it) or is refused
 * before any upstream call (429, which Codex shows once); when it is over, the
 * reservation is released and its real cost booked (what the upstream
 * billed: a failed call usually nothing, an abandoned stream the estimated
 * usage so far — the same cost as its ledger row).
 *
 * Worst case = a bound on the prompt's tokens × the route's highest input
 * price + the output ceiling × its highest output price; the ceiling is the
 * request's own (or a policy's), or `defaultOutputReserve` tokens when it
 * names none. A call whose route is free (local models) reserves nothing.
 */
import type { BudgetConfig } from '../config/types.js';
import { BudgetExceededError } from '../errors/index.js';
import type { IRRequest } from '../ir/index.js';
import { cost, type Price, type PriceBook } from '../metering/pricing.js';
import type { Admission, Call, CallOutcome, Principal, RequestPolicy } from '../pipeline/contracts.js';
import type { BudgetBook, BudgetRef, BudgetStatus, Reservation } from './budget-book.js';

export interface BudgetPolicyDeps {
  readonly book: BudgetBook;
  readonly prices: PriceBook;
  /** The budgets that apply to a caller (its tenant's, its key's); empty for none. */
  readonly budgetsFor: (principal: Principal) => readonly BudgetRef[];
  /** A bound on the prompt's tokens (promptTokensUpperBound: cheap; the real count is settled later). */
  readonly promptTokens: (request: IRRequest, bodyText: string) => number;
  /** Output tokens reserved for a request that names no ceiling. */
  readonly defaultOutputReserve: number;
}

const usd = (amount: number): string => `$${amount.toFixed(amount >= 1 ? 2 : 4)}`;

function describeBudget(ref: BudgetRef): string {
  const owner = ref.scope === 'tenant' ? `tenant '${ref.owner}'` : `key ${ref.owner}`;
  return `the ${ref.config.period === 'day' ? 'daily' : 'monthly'} budget of ${owner}`;
}

function resetTime(status: BudgetStatus, config: BudgetConfig): string {
  const at = new Date(status.resetsAt);
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC${config.timeZone === 'UTC' ? '' : ` (${config.timeZone} ${String(config.reset.hour).padStart(2, '0')}:${String(config.reset.minute).padStart(2, '0')})`}`;
}

/** The highest prices among the route's deployments: the call may be served by any of them. */
function worstPrice(call: Call, prices: PriceBook): { readonly input: number; readonly output: number } {
  let input = 0;
  let output = 0;
  for (const deployment of call.route.deployments) {
    const price = prices.priceFor(deployment.provider, deployment.model);
    if (price === undefined) continue;
    input = Math.max(input, price.input);
    output = Math.max(output, price.output);
  }
  return { input, output };
}

/** The Codex secondary rate-limit headers for the budget closest to its limit: `/status` shows "% left (resets …)". */
function budgetHeaders(book: BudgetBook, refs: readonly BudgetRef[]): Record<string, string> {
  let tightest: BudgetStatus | undefined;
  let used = -1;
  for (const ref of refs) {
    const status = book.status(ref);
    const share = (status.settledUsd + status.reservedUsd) / status.limitUsd;
    if (share > used) {
      used = share;
      tightest = status;
    }
  }
  if (tightest === undefined) return {};
  const minutes = Math.round((tightest.resetsAt - book.state(tightest.ref).bounds.start) / 60_000);
  return {
    'x-codex-secondary-used-percent': Math.min(100, used * 100).toFixed(1),
    'x-codex-secondary-window-minutes': String(minutes),
    'x-codex-secondary-reset-at': String(Math.ceil(tightest.resetsAt / 1000)),
  };
}

export class BudgetPolicy implements RequestPolicy {
  readonly name = 'budgets';

  constructor(
    private readonly deps: BudgetPolicyDeps,
    /** Every budget the policy knows, for status reports. */
    private readonly all: readonly BudgetRef[] = [],
  ) {}

  /** The book the policy reserves and settles in (for status reports of any budget). */
  get book(): BudgetBook {
    return this.deps.book;
  }

  /** Each budget's limit, spend, reservations and reset time now. */
  statuses(): BudgetStatus[] {
    return this.all.map((ref) => this.deps.book.status(ref));
  }

  admit(call: Call): Admission | undefined {
    const refs = this.deps.budgetsFor(call.principal);
    if (refs.length === 0) return undefined;
    const price = worstPrice(call, this.deps.prices);
    if (price.input === 0 && price.output === 0) return { headers: budgetHeaders(this.deps.book, refs) };
    const request = call.ir();
    const promptTokens = this.deps.promptTokens(request, call.client.text);
    const ceiling = call.maxOutputTokens ?? request.maxTokens ?? this.deps.defaultOutputReserve;
    const worst = (promptTokens * price.input + ceiling * price.output) / 1e6;
    const result = this.deps.book.reserve(refs, worst);
    if (!result.ok) throw this.refusal(call, result.status, worst);
    return { handle: new BudgetCharge(this.deps, refs, result.reservation), headers: budgetHeaders(this.deps.book, refs) };
  }

  private refusal(call: Call, status: BudgetStatus, worst: number): BudgetExceededError {
    const what = describeBudget(status.ref);
    const held = status.settledUsd + status.reservedUsd;
    const resets = resetTime(status, status.ref.config);
    const message = `This request could cost up to ${usd(worst)}, more than is left of ${what} (${usd(status.limitUsd)}; ${usd(held)} spent or held by calls in flight). It resets at ${resets}; ask your gateway administrator to raise it, or send a shorter request.`;
    const promo = `${what[0]!.toUpperCase()}${what.slice(1)} (${usd(status.limitUsd)}) is used up (ask your gateway administrator to raise it)`;
    return new BudgetExceededError(message, promo, status.resetsAt, call.clientFormat === 'openai-responses');
  }
}

class BudgetCharge {
  constructor(
    private readonly deps: BudgetPolicyDeps,
    private readonly refs: readonly BudgetRef[],
    private readonly reservation: Reservation,
  ) {}

  settle(outcome: CallOutcome): void {
    const deployment = outcome.deployment;
    const price: Price | undefined = deployment === undefined ? undefined : this.deps.prices.priceFor(deployment.provider, deployment.model);
    const actual = price === undefined || outcome.usage === undefined ? 0 : cost(price, outcome.usage);
    this.deps.book.settle(this.refs, this.reservation, actual);
  }
}
