/**
 * The stream hooks of the cost guardrails, attached only to calls that need
 * watching (a configured cut-off, a clamped ceiling, a budget near its end):
 * every other call's output passes unread.
 */
import { BudgetExhaustedInStreamError, BudgetStoreUnavailableError, GatewayError, InternalError } from '../errors/index.js';
import type { OutputDelta, StreamHook, StreamVerdict } from '../pipeline/contracts.js';
import type { BudgetHold, BudgetStatus } from './budget-store.js';
import type { GuardrailMetrics } from './guardrail-metrics.js';
import { budgetRanOutMessage } from './budget-messages.js';

const END_AT_CEILING: StreamVerdict = Object.freeze({ end: 'length' });

/**
 * The cut-off: ends the output once it reached `ceiling` tokens, as the
 * model's own ceiling would (`finish_reason: "length"`, `response.incomplete`
 * with `max_output_tokens`), even when the upstream ignores the ceiling it
 * was sent. The upstream is aborted.
 */
export class OutputCeilingHook implements StreamHook {
  constructor(
    private readonly ceiling: number,
    private readonly onCutoff: () => void,
  ) {}

  onOutput(_delta: OutputDelta, outputTokens: number): StreamVerdict {
    if (outputTokens < this.ceiling) return 'continue';
    this.onCutoff();
    return END_AT_CEILING;
  }
}

/**
 * Keeps a streamed call's hold on its budgets ahead of its output: when the
 * output passes the tokens reserved, the hold grows by another step (all
 * budgets or none; the last step may be what is left); when no budget can
 * hold another token, the stream ends with `insufficient_quota`. With this
 * hook, spend stays within the limit whatever the calls in flight produce
 * (up to the token counting's own error).
 *
 * A hold in a shared store grows by a round trip, and a verdict is due
 * synchronously: the hook asks for the next step once the output has used
 * half of the last one, with one request in flight at a time. While it is
 * in flight, the output may pass what is held by at most one step (an
 * answer that would arrive that late means the store is not answering: the
 * stream ends then). A refusal ends the stream as soon as the output passes
 * what is held, as with the in-process book.
 */
export class BudgetWatchHook implements StreamHook {
  /** Output tokens the reservation pays for. */
  private covered: number;
  /** Tokens granted by the last growth (a shared hold asks again when half of them are used). */
  private lastGrant: number;
  private pending: Promise<void> | undefined;
  /** Why the stream must end once its output passes what is held: a refusal, or a store that failed. */
  private failure: GatewayError | undefined;

  constructor(
    private readonly hold: BudgetHold,
    reservedOutputTokens: number,
    /** USD per output token. */
    private readonly outputPrice: number,
    private readonly stepTokens: number,
    private readonly metrics: GuardrailMetrics,
    private readonly tenant: string,
  ) {
    this.covered = reservedOutputTokens;
    this.lastGrant = reservedOutputTokens;
  }

  onOutput(_delta: OutputDelta, outputTokens: number): StreamVerdict {
    const hold = this.hold;
    if (hold.remote) return this.ahead(hold, outputTokens);
    if (outputTokens <= this.covered) return 'continue';
    const growth = hold.grow(Math.max(this.stepTokens, outputTokens - this.covered), outputTokens - this.covered, this.outputPrice);
    if (growth.grantedTokens > 0) {
      this.covered += growth.grantedTokens;
      return 'continue';
    }
    return this.ranOut(growth.tightest!);
  }

  /** A shared hold: ask for the next step before it is needed; end only on a refusal (or a store that does not answer). */
  private ahead(hold: Extract<BudgetHold, { remote: true }>, outputTokens: number): StreamVerdict {
    if (this.failure === undefined && this.pending === undefined && outputTokens > this.covered - this.lastGrant / 2) {
      const least = Math.max(0, outputTokens - this.covered);
      this.pending = hold.grow(Math.max(this.stepTokens, least), least, this.outputPrice).then(
        (growth) => {
          this.pending = undefined;
          if (growth.grantedTokens > 0) {
            this.covered += growth.grantedTokens;
            this.lastGrant = growth.grantedTokens;
          } else {
            this.failure = this.exhausted(growth.tightest!);
          }
        },
        (error: unknown) => {
          this.pending = undefined;
          this.failure = error instanceof GatewayError ? error : new InternalError(error);
        },
      );
    }
    if (outputTokens <= this.covered) return 'continue';
    if (this.failure === undefined && this.pending !== undefined && outputTokens <= this.covered + this.stepTokens) return 'continue';
    if (this.failure === undefined) {
      // Passed a step beyond what is held with the answer still out: the store is not answering.
      this.failure = new BudgetStoreUnavailableError();
    }
    if (this.failure instanceof BudgetExhaustedInStreamError) {
      this.metrics.cutoffs.inc({ tenant: this.tenant, reason: 'budget' });
      this.metrics.refusals.inc({ tenant: this.tenant, reason: 'budget_in_stream' });
    }
    return { fail: this.failure };
  }

  private exhausted(status: BudgetStatus): BudgetExhaustedInStreamError {
    return new BudgetExhaustedInStreamError(budgetRanOutMessage(status.ref, status.limitUsd, status.resetsAt));
  }

  private ranOut(status: BudgetStatus): StreamVerdict {
    this.metrics.cutoffs.inc({ tenant: this.tenant, reason: 'budget' });
    this.metrics.refusals.inc({ tenant: this.tenant, reason: 'budget_in_stream' });
    return { fail: this.exhausted(status) };
  }
}
