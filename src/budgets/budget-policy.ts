/**
 * The budgets and the four cost guardrails, as one policy of the admit stage
 * (see docs/budgets.md):
 *
 * - prompt ceiling: a prompt over `max_prompt_tokens` is refused (400);
 * - downgrade: the first rule whose model matches and whose budget's
 *   remaining share is under its threshold routes the call to its substitute;
 * - cut-off: `max_output_tokens` is sent as the request's ceiling and
 *   enforced on the live output (a stream hook), even when the upstream
 *   ignores it;
 * - block / clamp / reserve: the call reserves its worst-case cost against
 *   every budget of its caller (all must hold it). With an output ceiling the
 *   worst case is prompt + ceiling; without one, prompt + the most the route
 *   can produce (its context window). When that does not fit: the clamp
 *   lowers the ceiling to what the budget pays for (if at least its floor);
 *   else a streamed call reserves a step of output and a hook grows the hold
 *   as the output grows, ending the stream with `insufficient_quota` when no
 *   budget can hold more; else the call is refused (429, before any upstream
 *   call).
 *
 * When the call is over its hold is released and its real cost booked (what
 * the upstream billed: a failed call usually nothing, an abandoned stream the
 * estimated usage so far — the same cost as its ledger row).
 */
import type { Logger } from 'pino';
import type { DowngradeRule } from '../config/types.js';
import { BudgetExceededError, GatewayError, PromptOverLimitError, UnpricedModelError } from '../errors/index.js';
import type { IRRequest } from '../ir/index.js';
import { cost, type PriceBook } from '../metering/pricing.js';
import type { Admission, BudgetRef, Call, CallOutcome, Principal, RequestEdit, RequestPolicy, StreamHook } from '../pipeline/contracts.js';
import { matchesModelPattern } from '../pipeline/principal.js';
import type { ResolvedRoute } from '../routing/router.js';
import type { BudgetBook, BudgetStatus, Reservation } from './budget-book.js';
import { budgetHeaders, refusalMessage, refusalPromo } from './budget-messages.js';
import type { GuardrailMetrics } from './guardrail-metrics.js';
import { GuardrailCache, NO_GUARDRAILS, type EffectiveGuardrails } from './guardrails.js';
import { BudgetWatchHook, OutputCeilingHook } from './output-hooks.js';

export interface BudgetPolicyDeps {
  readonly book: BudgetBook;
  readonly prices: PriceBook;
  /** What a call to an unpriced model does for a caller with a budget. */
  readonly unpriced: 'refuse' | 'free';
  readonly metrics: GuardrailMetrics;
  readonly log: Logger;
  /** A cheap bound on the prompt's tokens (the real count is settled later). */
  readonly promptTokensBound: (request: () => IRRequest, bodyText: string) => number;
  /** The prompt's tokens counted with the model's tokenizer (for the prompt ceiling, when the bound is over it). */
  readonly countPromptTokens: (model: string, request: IRRequest) => number;
  /** Routes a downgrade's substitute among the models the caller may use; throws when it may not. */
  readonly reroute: (principal: Principal, model: string) => ResolvedRoute;
  /** USD a budget's owner spent since `sinceMs`, from the ledger (seeds a budget the first time it is seen). */
  readonly spentSince: (ref: BudgetRef, sinceMs: number) => Promise<number>;
  /** Output tokens a watched stream reserves at a time. */
  readonly watchStepTokens: number;
  /** The most a route without a known context window is taken to produce in one response. */
  readonly assumedMaxOutputTokens: number;
}

/** The highest prices among the route's deployments (USD per token): the call may be served by any of them. */
interface RoutePrice {
  readonly input: number;
  readonly output: number;
  /** A deployment without a price, if any. */
  readonly unpriced: { readonly provider: string; readonly model: string } | undefined;
}

/** The smallest first hold of a watched stream, when the budget has that much left. */
const MIN_WATCHED_STEP = 256;

const FREE_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class BudgetPolicy implements RequestPolicy {
  readonly name = 'budgets';
  private readonly guardrails = new GuardrailCache();
  private readonly routePrices = new WeakMap<ResolvedRoute, RoutePrice>();
  /** Ledger reads in flight, by budget id: concurrent first calls wait for the same one. */
  private readonly seeding = new Map<string, Promise<void>>();

  constructor(private readonly deps: BudgetPolicyDeps) {}

  get book(): BudgetBook {
    return this.deps.book;
  }

  /** A budget's limit, spend, holds and reset time now (read from the ledger first if it was never seen). */
  async status(ref: BudgetRef): Promise<BudgetStatus> {
    const missing = this.deps.book.missingSeeds([ref]);
    if (missing !== undefined) await this.seed(missing);
    return this.deps.book.status(ref);
  }

  admit(call: Call): Admission | undefined | Promise<Admission | undefined> {
    const refs = call.principal.budgets;
    const guard = this.guardrails.for(call.principal, call.route);
    if (refs.length === 0 && guard === NO_GUARDRAILS) return undefined;
    if (refs.length > 0) {
      const missing = this.deps.book.missingSeeds(refs);
      // Only the first call of a budget waits (for the ledger); every other call is decided synchronously.
      if (missing !== undefined) return this.seed(missing).then(() => this.decide(call, refs, guard));
    }
    return this.decide(call, refs, guard);
  }

  private seed(refs: readonly BudgetRef[]): Promise<void> {
    const { book } = this.deps;
    return Promise.all(
      refs.map((ref) => {
        let pending = this.seeding.get(ref.id);
        if (pending === undefined) {
          pending = this.deps
            .spentSince(ref, book.state(ref).bounds.start)
            .then((spent) => book.seed(ref, spent))
            .finally(() => this.seeding.delete(ref.id));
          this.seeding.set(ref.id, pending);
        }
        return pending;
      }),
    ).then(() => undefined);
  }

  private decide(call: Call, refs: readonly BudgetRef[], guard: EffectiveGuardrails): Admission | undefined {
    const { deps } = this;
    const tenant = call.principal.tenant;
    let promptTokens: number | undefined;
    const prompt = (): number => (promptTokens ??= deps.promptTokensBound(() => call.ir(), call.client.text));

    if (guard.maxPromptTokens !== undefined && prompt() > guard.maxPromptTokens) {
      // The bound counts high: the tokenizer decides (a millisecond, only for prompts near the ceiling).
      const counted = deps.countPromptTokens(call.route.deployments[0]!.model, call.ir());
      if (counted > guard.maxPromptTokens) {
        deps.metrics.refusals.inc({ tenant, reason: 'prompt_over_limit' });
        throw new PromptOverLimitError(counted, guard.maxPromptTokens);
      }
    }

    const headers: Record<string, string> = {};
    const hooks: StreamHook[] = [];
    let model: string | undefined;
    let route = call.route;
    if (guard.downgrade.length > 0 && refs.length > 0) {
      const substitute = this.downgrade(call, refs, guard.downgrade);
      if (substitute !== undefined) {
        model = substitute.rule.to;
        route = substitute.route;
        headers['x-tollgate-downgraded-from'] = call.requestedModel;
        deps.metrics.downgrades.inc({ tenant, from: call.requestedModel, to: substitute.rule.to });
        call.ctx.log.info({ from: call.requestedModel, to: substitute.rule.to }, 'downgraded the call: the budget is nearly used up');
      }
    }

    // The ceiling the call goes out with: the client's, lowered by the cut-off.
    const clientCeiling = call.outputCeiling();
    let ceiling = clientCeiling;
    if (guard.maxOutputTokens !== undefined) {
      if (ceiling === undefined || guard.maxOutputTokens < ceiling) ceiling = guard.maxOutputTokens;
      hooks.push(new OutputCeilingHook(guard.maxOutputTokens, () => deps.metrics.cutoffs.inc({ tenant, reason: 'max_output_tokens' })));
    }

    let handle: BudgetCharge | undefined;
    if (refs.length > 0) {
      const price = this.priceOf(route);
      if (price.unpriced !== undefined && deps.unpriced === 'refuse') {
        deps.metrics.refusals.inc({ tenant, reason: 'unpriced_model' });
        throw new UnpricedModelError(route.name, price.unpriced.provider, price.unpriced.model);
      }
      if (price.input > 0 || price.output > 0) {
        const decision = this.reserve(call, refs, guard, route, price, prompt(), ceiling);
        handle = decision.charge;
        if (decision.ceiling !== undefined && decision.ceiling !== ceiling) {
          ceiling = decision.ceiling;
          headers['x-tollgate-clamped-max-tokens'] = String(ceiling);
          deps.metrics.clamps.inc({ tenant, model: route.name });
          hooks.push(new OutputCeilingHook(ceiling, () => deps.metrics.cutoffs.inc({ tenant, reason: 'budget' })));
        }
        if (decision.hook !== undefined) hooks.push(decision.hook);
      }
      Object.assign(headers, budgetHeaders(deps.book, refs));
    }

    const edit: RequestEdit | undefined =
      model !== undefined || (ceiling !== undefined && ceiling !== clientCeiling)
        ? { ...(model === undefined ? {} : { model }), ...(ceiling !== undefined && ceiling !== clientCeiling ? { maxOutputTokens: ceiling } : {}) }
        : undefined;
    return {
      ...(edit === undefined ? {} : { edit }),
      ...(handle === undefined ? {} : { handle }),
      ...(hooks.length === 0 ? {} : { hook: hooks.length === 1 ? hooks[0]! : new HookChain(hooks) }),
      headers: Object.keys(headers).length === 0 ? FREE_HEADERS : headers,
    };
  }

  /** The first downgrade rule that applies, with the substitute's route; undefined for none. */
  private downgrade(call: Call, refs: readonly BudgetRef[], rules: readonly DowngradeRule[]): { rule: DowngradeRule; route: ResolvedRoute } | undefined {
    for (const rule of rules) {
      if (!matchesModelPattern(rule.from, call.requestedModel) && !matchesModelPattern(rule.from, call.route.name)) continue;
      let share = Infinity;
      for (const ref of refs) {
        if (rule.budget !== undefined && ref.config.period !== rule.budget) continue;
        share = Math.min(share, this.deps.book.remaining(ref) / ref.config.limitUsd);
      }
      if (!(share < rule.whenRemainingBelow)) continue;
      try {
        return { rule, route: this.deps.reroute(call.principal, rule.to) };
      } catch (error) {
        // A rule naming a model the caller may not use (or that does not exist) is an operator's mistake: the call is served as asked.
        call.ctx.log.warn({ from: rule.from, to: rule.to, reason: error instanceof GatewayError ? error.code : String(error) }, `downgrade rule skipped: '${rule.to}' cannot serve this caller`);
      }
    }
    return undefined;
  }

  private reserve(
    call: Call,
    refs: readonly BudgetRef[],
    guard: EffectiveGuardrails,
    route: ResolvedRoute,
    price: RoutePrice,
    promptTokens: number,
    ceiling: number | undefined,
  ): { charge: BudgetCharge; ceiling?: number; hook?: StreamHook } {
    const { book, metrics } = this.deps;
    const promptCost = promptTokens * price.input;
    // Without a ceiling the most the route can produce: its context window less the prompt.
    const output = ceiling ?? Math.max(1, (this.contextWindow(route) ?? this.deps.assumedMaxOutputTokens + promptTokens) - promptTokens);
    const worst = promptCost + output * price.output;
    const whole = book.reserve(refs, worst);
    if (whole.ok) return { charge: new BudgetCharge(this.deps, refs, whole.reservation) };

    const affordable = price.output > 0 ? Math.floor((this.room(refs) - promptCost) / price.output) : 0;
    const floor = guard.clampFloor;
    if (floor !== undefined && affordable >= floor && affordable < output) {
      const clamped = book.reserve(refs, promptCost + affordable * price.output);
      if (clamped.ok) return { charge: new BudgetCharge(this.deps, refs, clamped.reservation), ceiling: affordable };
    }
    if (ceiling === undefined && call.stream && price.output > 0) {
      // No ceiling to hold: reserve a step of output and grow the hold as the stream goes.
      // A step, but never more than an eighth of what is left (at least a useful 256 tokens): near the limit,
      // concurrent calls share the room instead of the first few holding all of it.
      const step = this.deps.watchStepTokens;
      const first = affordable <= 0 ? 0 : Math.min(step, affordable, Math.max(MIN_WATCHED_STEP, Math.floor(affordable / 8)));
      if (first > 0) {
        const watched = book.reserve(refs, promptCost + first * price.output);
        if (watched.ok) {
          const charge = new BudgetCharge(this.deps, refs, watched.reservation);
          return { charge, hook: new BudgetWatchHook(book, refs, watched.reservation, first, price.output, step, metrics, call.principal.tenant) };
        }
      }
    }
    metrics.refusals.inc({ tenant: call.principal.tenant, reason: 'budget' });
    const status = this.tightest(refs, worst);
    throw new BudgetExceededError(refusalMessage(status, worst), refusalPromo(status), status.resetsAt, call.clientFormat === 'openai-responses', guard.chatRefusalStatus);
  }

  /** USD the tightest of the budgets has left. */
  private room(refs: readonly BudgetRef[]): number {
    let room = Infinity;
    for (const ref of refs) room = Math.min(room, this.deps.book.remaining(ref));
    return room;
  }

  /** The budget that refuses `amount` (the one with the least room). */
  private tightest(refs: readonly BudgetRef[], amount: number): BudgetStatus {
    let tightest = this.deps.book.status(refs[0]!);
    for (const ref of refs) {
      const status = this.deps.book.status(ref);
      if (status.remainingUsd < amount && status.remainingUsd < tightest.remainingUsd) tightest = status;
    }
    return tightest;
  }

  private contextWindow(route: ResolvedRoute): number | undefined {
    let window: number | undefined;
    for (const deployment of route.deployments) {
      const own = deployment.contextWindow ?? route.contextWindow;
      if (own === undefined) return undefined;
      window = Math.max(window ?? 0, own);
    }
    return window;
  }

  private priceOf(route: ResolvedRoute): RoutePrice {
    const known = this.routePrices.get(route);
    if (known !== undefined) return known;
    let input = 0;
    let output = 0;
    let unpriced: RoutePrice['unpriced'];
    for (const deployment of route.deployments) {
      const price = this.deps.prices.priceFor(deployment.provider, deployment.model);
      if (price === undefined) {
        unpriced ??= { provider: deployment.provider.name, model: deployment.model };
        continue;
      }
      input = Math.max(input, price.input / 1e6);
      output = Math.max(output, price.output / 1e6);
    }
    const result: RoutePrice = { input, output, unpriced };
    this.routePrices.set(route, result);
    return result;
  }
}

/** Several hooks as one: the first that ends the output decides. */
class HookChain implements StreamHook {
  constructor(private readonly hooks: readonly StreamHook[]) {}

  onOutput(...args: Parameters<StreamHook['onOutput']>): ReturnType<StreamHook['onOutput']> {
    for (const hook of this.hooks) {
      const verdict = hook.onOutput(...args);
      if (verdict !== 'continue') return verdict;
    }
    return 'continue';
  }
}

/** A call's hold on its budgets: released, and its real cost booked, when the call is over. */
class BudgetCharge {
  constructor(
    private readonly deps: BudgetPolicyDeps,
    private readonly refs: readonly BudgetRef[],
    private readonly reservation: Reservation,
  ) {}

  settle(outcome: CallOutcome): void {
    const deployment = outcome.deployment;
    const price = deployment === undefined ? undefined : this.deps.prices.priceFor(deployment.provider, deployment.model);
    const actual = price === undefined || outcome.usage === undefined ? 0 : cost(price, outcome.usage);
    this.deps.book.settle(this.refs, this.reservation, actual);
  }
}
