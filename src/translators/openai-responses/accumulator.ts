import { UpstreamError } from '../../errors/index.js';
import type { IRChunk, IRFinishReason, IRUsage } from '../../ir/index.js';
import type { JsonObject } from '../../protocols/json.js';
import type { ClientEncodeOptions, ResponseAccumulator } from '../types.js';
import type { ResponsesEncoderDeps } from './encoder.js';
import type { NewId } from './ids.js';
import { randomId } from './ids.js';
import { OutputTracker, outcomeOf, responseEcho, toolOrigins, usageToResponses } from './output.js';

/**
 * Collects the IR chunks of one response into the non-streamed Response
 * object, with the same output items the stream encoder would have sent.
 */
export class ResponsesResponseAccumulator implements ResponseAccumulator {
  private readonly newId: NewId;
  private readonly now: () => number;
  private readonly options: ClientEncodeOptions;
  private readonly provider: string;
  private readonly tracker: OutputTracker;
  private createdAt: number | undefined;
  private finished = false;
  private finishReason: IRFinishReason | undefined;
  private usage: IRUsage | undefined;
  private error: { message: string; code: string } | undefined;

  /** `provider` names the upstream in the UpstreamError thrown for an error chunk (for logs). */
  constructor(options: ClientEncodeOptions, provider = '', deps: ResponsesEncoderDeps = {}) {
    this.options = options;
    this.provider = provider;
    this.newId = deps.newId ?? randomId;
    this.now = deps.now ?? Date.now;
    this.tracker = new OutputTracker(this.newId, toolOrigins(options.request), undefined);
  }

  push(chunk: IRChunk): void {
    if (this.error) return;
    switch (chunk.type) {
      case 'start':
        this.createdAt ??= chunk.created;
        return;
      case 'text':
        if (!this.finished) this.tracker.text(chunk.delta);
        return;
      case 'reasoning':
        if (!this.finished) this.tracker.reasoningDelta(chunk.delta);
        return;
      case 'tool_call':
        if (!this.finished) this.tracker.toolCall(chunk);
        return;
      case 'usage':
        this.usage = chunk.usage;
        return;
      case 'finish':
        if (this.finished) return;
        this.finished = true;
        this.finishReason = chunk.reason;
        this.tracker.closeAll(outcomeOf(chunk.reason).status);
        return;
      case 'error':
        this.error = { message: chunk.message, code: chunk.code };
        return;
    }
  }

  result(): JsonObject {
    if (this.error) throw new UpstreamError(502, this.error.code, this.error.message, this.provider, undefined);
    const outcome = outcomeOf(this.finishReason);
    if (!this.finished) this.tracker.closeAll(outcome.status);
    const created = this.createdAt !== undefined && Number.isFinite(this.createdAt) ? Math.floor(this.createdAt) : Math.floor(this.now() / 1000);
    return {
      id: this.newId('resp_'),
      object: 'response',
      created_at: created,
      status: outcome.status,
      error: null,
      incomplete_details: outcome.incompleteDetails,
      model: this.options.requestedModel,
      output: this.tracker.doneItems(),
      usage: usageToResponses(this.usage),
      ...responseEcho(this.options.clientBody),
    };
  }
}
