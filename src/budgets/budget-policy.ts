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
import type { BudgetHold, BudgetStatus, BudgetStore, BudgetView, LedgerSeeding, ReserveResult } from './budget-store.js';
import { budgetHeaders, refusalMessage, refusalPromo } from './budget-messages.js';
import type { GuardrailMetrics } from './guardrail-metrics.js';
import { GuardrailCache, NO_GUARDRAILS, type EffectiveGuardrails } from './guardrails.js';
import { BudgetWatchHook, OutputCeilingHook } from './output-hooks.js';

export interface BudgetPolicyDeps {
  /** The in-process BudgetBook, or a book shared by the replicas (its steps are round trips). */
  readonly book: BudgetStore;
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

/**
 * What the admit stage decided for one call so far. The steps that ask the
 * book may wait for it (a shared book); each takes the draft and hands it on,
 * so the in-process book runs them all synchronously, with no promise made.
 */
class Draft {
  readonly headers: Record<string, string> = {};
  readonly hooks: StreamHook[] = [];
  model: string | undefined;
  route: ResolvedRoute;
  /** The ceiling the call asked for, and the one it goes out with (lowered by the cut-off, then maybe the clamp). */
  readonly clientCeiling: number | undefined;
  ceiling: number | undefined;
  handle: BudgetCharge | undefined;
  view: BudgetView | undefined;
  private promptTokens: number | undefined;

  constructor(
    readonly call: Call,
    readonly refs: readonly BudgetRef[],
    readonly guard: EffectiveGuardrails,
    private readonly promptTokensBound: BudgetPolicyDeps['promptTokensBound'],
  ) {
    this.route = call.route;
    this.clientCeiling = call.outputCeiling();
    this.ceiling = this.clientCeiling;
  }

  /** A cheap bound on the prompt's tokens, computed once. */
  prompt(): number {
    return (this.promptTokens ??= this.promptTokensBound(() => this.call.ir(), this.call.client.text));
  }
}

/** What a call reserves: its prompt, and its output up to `output` tokens (the worst case). */
interface Plan {
  readonly price: RoutePrice;
  readonly promptCost: number;
  readonly output: number;
  readonly worst: number;
  /** Output tokens the room left after the whole worst case was refused pays for. */
  affordable: number;
}

export class BudgetPolicy implements RequestPolicy {
  readonly name = 'budgets';
  private readonly guardrails = new GuardrailCache();
  private readonly routePrices = new WeakMap<ResolvedRoute, RoutePrice>();
  /** Ledger reads in flight, by budget id: concurrent first calls wait for the same one. */
  private readonly seeding = new Map<string, Promise<void>>();

  constructor(private readonly deps: BudgetPolicyDeps) {}

  get book(): BudgetStore {
    return this.deps.book;
  }

  /** A budget's limit, spend, holds and reset time now (read from the ledger first if it was never seen). */
  async status(ref: BudgetRef): Promise<BudgetStatus> {
    const seeding = this.deps.book.seeding;
    const missing = seeding?.missingSeeds([ref]);
    if (seeding !== undefined && missing !== undefined) await this.seed(seeding, missing);
    return this.deps.book.status(ref);
  }

  admit(call: Call): Admission | undefined | Promise<Admission | undefined> {
    const refs = call.principal.budgets;
    const guard = this.guardrails.for(call.principal, call.route);
    if (refs.length === 0 && guard === NO_GUARDRAILS) return undefined;
    const seeding = this.deps.book.seeding;
    if (refs.length > 0 && seeding !== undefined) {
      const missing = seeding.missingSeeds(refs);
      // Only the first call of a budget waits (for the ledger); every other call is decided synchronously.
      if (missing !== undefined) return this.seed(seeding, missing).then(() => this.decide(new Draft(call, refs, guard, this.deps.promptTokensBound)));
    }
    return this.decide(new Draft(call, refs, guard, this.deps.promptTokensBound));
  }

  private seed(book: LedgerSeeding, refs: readonly BudgetRef[]): Promise<void> {
    return Promise.all(
      refs.map((ref) => {
        let pending = this.seeding.get(ref.id);
        if (pending === undefined) {
          pending = this.deps
            .spentSince(ref, book.periodStart(ref))
            .then((spent) => book.seed(ref, spent))
            .finally(() => this.seeding.delete(ref.id));
          this.seeding.set(ref.id, pending);
        }
        return pending;
      }),
    ).then(() => undefined);
  }

  private decide(draft: Draft): Admission | Promise<Admission> {
    const { deps } = this;
    const { call, guard, refs } = draft;
    if (guard.maxPromptTokens !== undefined && draft.prompt() > guard.maxPromptTokens) {
      // The bound counts high: the tokenizer decides (a millisecond, only for prompts near the ceiling).
      const counted = deps.countPromptTokens(call.route.deployments[0]!.model, call.ir());
      if (counted > guard.maxPromptTokens) {
        deps.metrics.refusals.inc({ tenant: call.principal.tenant, reason: 'prompt_over_limit' });
        throw new PromptOverLimitError(counted, guard.maxPromptTokens);
      }
    }
    if (guard.downgrade.length > 0 && refs.length > 0 && this.downgradeMayApply(call, guard.downgrade)) {
      // The shares come from the book before anything is reserved (a shared book: one more round trip, only here).
      const view = deps.book.view(refs);
      return view instanceof Promise ? view.then((v) => this.afterDowngrade(draft, v)) : this.afterDowngrade(draft, view);
    }
    return this.limit(draft);
  }

  private afterDowngrade(draft: Draft, view: BudgetView): Admission | Promise<Admission> {
    const { call } = draft;
    const substitute = this.downgrade(call, draft.refs, draft.guard.downgrade, view);
    if (substitute !== undefined) {
      draft.model = substitute.rule.to;
      draft.route = substitute.route;
      draft.headers['x-tollgate-downgraded-from'] = call.requestedModel;
      this.deps.metrics.downgrades.inc({ tenant: call.principal.tenant, from: call.requestedModel, to: substitute.rule.to });
      call.ctx.log.info({ from: call.requestedModel, to: substitute.rule.to }, 'downgraded the call: the budget is nearly used up');
    }
    return this.limit(draft);
  }

  /** The cut-off, then the reservation. */
  private limit(draft: Draft): Admission | Promise<Admission> {
    const { deps } = this;
    const { guard, refs } = draft;
    const tenant = draft.call.principal.tenant;
    if (guard.maxOutputTokens !== undefined) {
      if (draft.ceiling === undefined || guard.maxOutputTokens < draft.ceiling) draft.ceiling = guard.maxOutputTokens;
      draft.hooks.push(new OutputCeilingHook(guard.maxOutputTokens, () => deps.metrics.cutoffs.inc({ tenant, reason: 'max_output_tokens' })));
    }
    if (refs.length === 0) return this.finish(draft);
    const price = this.priceOf(draft.route);
    if (price.unpriced !== undefined && deps.unpriced === 'refuse') {
      deps.metrics.refusals.inc({ tenant, reason: 'unpriced_model' });
      throw new UnpricedModelError(draft.route.name, price.unpriced.provider, price.unpriced.model);
    }
    if (price.input === 0 && price.output === 0) {
      const view = deps.book.view(refs);
      return view instanceof Promise ? view.then((v) => this.finish(draft, v)) : this.finish(draft, view);
    }
    const promptTokens = draft.prompt();
    const promptCost = promptTokens * price.input;
    // Without a ceiling the most the route can produce: its context window less the prompt.
    const output = draft.ceiling ?? Math.max(1, (this.contextWindow(draft.route) ?? deps.assumedMaxOutputTokens + promptTokens) - promptTokens);
    const plan: Plan = { price, promptCost, output, worst: promptCost + output * price.output, affordable: 0 };
    const whole = deps.book.reserve(refs, plan.worst);
    return whole instanceof Promise ? whole.then((r) => this.afterWhole(draft, plan, r)) : this.afterWhole(draft, plan, whole);
  }

  /** The whole worst case was reserved, or not: then the clamp, a watched stream, or a refusal. */
  private afterWhole(draft: Draft, plan: Plan, whole: ReserveResult): Admission | Promise<Admission> {
    if (whole.ok) {
      draft.handle = new BudgetCharge(this.deps.prices, whole.reservation);
      return this.finish(draft, whole.view);
    }
    const { price, promptCost } = plan;
    plan.affordable = price.output > 0 ? Math.floor((this.room(draft.refs, whole.view) - promptCost) / price.output) : 0;
    const floor = draft.guard.clampFloor;
    if (floor !== undefined && plan.affordable >= floor && plan.affordable < plan.output) {
      const clamped = this.deps.book.reserve(draft.refs, promptCost + plan.affordable * price.output);
      return clamped instanceof Promise ? clamped.then((r) => this.afterClamp(draft, plan, r)) : this.afterClamp(draft, plan, clamped);
    }
    return this.watch(draft, plan, whole.view);
  }

  private afterClamp(draft: Draft, plan: Plan, clamped: ReserveResult): Admission | Promise<Admission> {
    if (!clamped.ok) return this.watch(draft, plan, clamped.view);
    const { deps } = this;
    const tenant = draft.call.principal.tenant;
    draft.handle = new BudgetCharge(deps.prices, clamped.reservation);
    draft.ceiling = plan.affordable;
    draft.headers['x-tollgate-clamped-max-tokens'] = String(plan.affordable);
    deps.metrics.clamps.inc({ tenant, model: draft.route.name });
    draft.hooks.push(new OutputCeilingHook(plan.affordable, () => deps.metrics.cutoffs.inc({ tenant, reason: 'budget' })));
    return this.finish(draft, clamped.view);
  }

  /** No ceiling to hold: a stream reserves a step of output and a hook grows the hold as the stream goes; else the refusal. */
  private watch(draft: Draft, plan: Plan, view: BudgetView): Admission | Promise<Admission> {
    const { price, affordable } = plan;
    if (draft.ceiling === undefined && draft.call.stream && price.output > 0) {
      // A step, but never more than an eighth of what is left (at least a useful 256 tokens): near the limit,
      // concurrent calls share the room instead of the first few holding all of it.
      const step = this.deps.watchStepTokens;
      const first = affordable <= 0 ? 0 : Math.min(step, affordable, Math.max(MIN_WATCHED_STEP, Math.floor(affordable / 8)));
      if (first > 0) {
        const watched = this.deps.book.reserve(draft.refs, plan.promptCost + first * price.output);
        return watched instanceof Promise ? watched.then((r) => this.afterWatch(draft, plan, first, r)) : this.afterWatch(draft, plan, first, watched);
      }
    }
    return this.refuse(draft, plan, view);
  }

  private afterWatch(draft: Draft, plan: Plan, first: number, watched: ReserveResult): Admission {
    if (!watched.ok) return this.refuse(draft, plan, watched.view);
    const { deps } = this;
    draft.handle = new BudgetCharge(deps.prices, watched.reservation);
    draft.hooks.push(new BudgetWatchHook(watched.reservation, first, plan.price.output, deps.watchStepTokens, deps.metrics, draft.call.principal.tenant));
    return this.finish(draft, watched.view);
  }

  private refuse(draft: Draft, plan: Plan, view: BudgetView): never {
    const { call } = draft;
    this.deps.metrics.refusals.inc({ tenant: call.principal.tenant, reason: 'budget' });
    const status = this.tightest(draft.refs, plan.worst, view);
    throw new BudgetExceededError(refusalMessage(status, plan.worst), refusalPromo(status), status.resetsAt, call.clientFormat === 'openai-responses', draft.guard.chatRefusalStatus);
  }

  private finish(draft: Draft, view?: BudgetView): Admission {
    const { hooks, headers, model, ceiling, clientCeiling } = draft;
    if (view !== undefined) Object.assign(headers, budgetHeaders(view, draft.refs));
    const edit: RequestEdit | undefined =
      model !== undefined || (ceiling !== undefined && ceiling !== clientCeiling)
        ? { ...(model === undefined ? {} : { model }), ...(ceiling !== undefined && ceiling !== clientCeiling ? { maxOutputTokens: ceiling } : {}) }
        : undefined;
    return {
      ...(edit === undefined ? {} : { edit }),
      ...(draft.handle === undefined ? {} : { handle: draft.handle }),
      ...(hooks.length === 0 ? {} : { hook: hooks.length === 1 ? hooks[0]! : new HookChain(hooks) }),
      headers: Object.keys(headers).length === 0 ? FREE_HEADERS : headers,
    };
  }

  /** Whether some downgrade rule names the model asked for (only then are the shares read). */
  private downgradeMayApply(call: Call, rules: readonly DowngradeRule[]): boolean {
    for (const rule of rules) if (matchesModelPattern(rule.from, call.requestedModel) || matchesModelPattern(rule.from, call.route.name)) return true;
    return false;
  }

  /** The first downgrade rule that applies, with the substitute's route; undefined for none. */
  private downgrade(call: Call, refs: readonly BudgetRef[], rules: readonly DowngradeRule[], view: BudgetView): { rule: DowngradeRule; route: ResolvedRoute } | undefined {
    for (const rule of rules) {
      if (!matchesModelPattern(rule.from, call.requestedModel) && !matchesModelPattern(rule.from, call.route.name)) continue;
      let share = Infinity;
      for (const ref of refs) {
        if (rule.budget !== undefined && ref.config.period !== rule.budget) continue;
        share = Math.min(share, view.remaining(ref) / ref.config.limitUsd);
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

  /** USD the tightest of the budgets has left. */
  private room(refs: readonly BudgetRef[], view: BudgetView): number {
    let room = Infinity;
    for (const ref of refs) room = Math.min(room, view.remaining(ref));
    return room;
  }

  /** The budget that refuses `amount` (the one with the least room). */
  private tightest(refs: readonly BudgetRef[], amount: number, view: BudgetView): BudgetStatus {
    let tightest = view.status(refs[0]!);
    for (const ref of refs) {
      const status = view.status(ref);
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
    private readonly prices: PriceBook,
    private readonly hold: BudgetHold,
  ) {}

  settle(outcome: CallOutcome): void | Promise<void> {
    const deployment = outcome.deployment;
    const price = deployment === undefined ? undefined : this.prices.priceFor(deployment.provider, deployment.model);
    const actual = price === undefined || outcome.usage === undefined ? 0 : cost(price, outcome.usage);
    return this.hold.settle(actual);
  }
}
