import type { Logger } from 'pino';
import type { PipelineCall } from './call.js';
import type { AdmissionHandle, CallObserver, CallOutcome } from './contracts.js';

/**
 * The settle stage: hands the call's one outcome to every admission handle
 * and every observer, exactly once, whatever path ended the call. Usage the
 * upstream did not report is estimated here, once, so that metering and
 * handles (a budget reservation) see the same numbers. A handle or observer
 * that throws is logged; the others still hear.
 */
export class Settlement {
  private readonly handles: AdmissionHandle[] = [];
  private settled = false;

  constructor(
    private readonly call: PipelineCall,
    private readonly observers: readonly CallObserver[],
    private readonly log: Logger,
  ) {}

  add(handle: AdmissionHandle): void {
    this.handles.push(handle);
  }

  settle(reported: CallOutcome): void {
    if (this.settled) return;
    this.settled = true;
    const outcome = this.withUsage(reported);
    for (const observer of this.observers) {
      try {
        observer.onEnd(this.call, outcome);
      } catch (error) {
        this.log.error({ err: error, req_id: this.call.ctx.requestId }, 'call observer failed');
      }
    }
    for (const handle of this.handles) {
      try {
        const pending = handle.settle(outcome);
        if (pending !== undefined) pending.catch((error: unknown) => this.log.error({ err: error, req_id: this.call.ctx.requestId }, 'admission handle failed to settle'));
      } catch (error) {
        this.log.error({ err: error, req_id: this.call.ctx.requestId }, 'admission handle failed to settle');
      }
    }
  }

  /**
   * Counts the tokens with a real tokenizer when the upstream reported none
   * (no usage in the reply, the client left first, a hook ended it). Only
   * calls where the model produced something, or was cut off, are counted.
   */
  private withUsage(outcome: CallOutcome): CallOutcome {
    const { deployment, output } = outcome;
    if (outcome.usage !== undefined || deployment === undefined || output === undefined) return outcome;
    if ((outcome.status === 'error' || outcome.status === 'shutdown') && outcome.timeToFirstByteMs === undefined) return outcome;
    try {
      const usage = this.call.estimateUsage(output, deployment.model);
      return usage === undefined ? outcome : { ...outcome, usage, usageEstimated: true };
    } catch (error) {
      this.log.warn({ err: error, req_id: this.call.ctx.requestId }, 'could not estimate usage');
      return outcome;
    }
  }
}
