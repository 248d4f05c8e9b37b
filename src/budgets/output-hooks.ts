/**
 * The stream hooks of the cost guardrails, attached only to calls that need
 * watching (a configured cut-off, a clamped ceiling, a budget near its end):
 * every other call's output passes unread.
 */
import { BudgetExhaustedInStreamError } from '../errors/index.js';
import type { OutputDelta, StreamHook, StreamVerdict } from '../pipeline/contracts.js';
import type { BudgetBook, BudgetRef, Reservation } from './budget-book.js';
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
 */
export class BudgetWatchHook implements StreamHook {
  /** Output tokens the reservation pays for. */
  private covered: number;

  constructor(
    private readonly book: BudgetBook,
    private readonly refs: readonly BudgetRef[],
    private readonly reservation: Reservation,
    reservedOutputTokens: number,
    /** USD per output token. */
    private readonly outputPrice: number,
    private readonly stepTokens: number,
    private readonly metrics: GuardrailMetrics,
    private readonly tenant: string,
  ) {
    this.covered = reservedOutputTokens;
  }

  onOutput(_delta: OutputDelta, outputTokens: number): StreamVerdict {
    if (outputTokens <= this.covered) return 'continue';
    const needed = Math.max(this.stepTokens, outputTokens - this.covered);
    if (this.book.extend(this.refs, this.reservation, needed * this.outputPrice) === undefined) {
      this.covered += needed;
      return 'continue';
    }
    // Not a whole step: whatever is left, as long as it pays for the output so far.
    let room = Infinity;
    for (const ref of this.refs) room = Math.min(room, this.book.remaining(ref));
    const affordable = Math.floor(room / this.outputPrice);
    if (affordable >= outputTokens - this.covered && affordable > 0) {
      const exhausted = this.book.extend(this.refs, this.reservation, affordable * this.outputPrice);
      if (exhausted === undefined) {
        this.covered += affordable;
        return 'continue';
      }
    }
    const status = this.tightest();
    this.metrics.cutoffs.inc({ tenant: this.tenant, reason: 'budget' });
    this.metrics.refusals.inc({ tenant: this.tenant, reason: 'budget_in_stream' });
    return { fail: new BudgetExhaustedInStreamError(budgetRanOutMessage(status.ref, status.limitUsd, status.resetsAt)) };
  }

  private tightest() {
    let tightest = this.book.status(this.refs[0]!);
    for (const ref of this.refs) {
      const status = this.book.status(ref);
      if (status.remainingUsd < tightest.remainingUsd) tightest = status;
    }
    return tightest;
  }
}
