import type { GatewayError } from '../../errors/index.js';
import type { IRChunk } from '../../ir/index.js';
import type { OutputDelta, StreamHook } from '../contracts.js';

/**
 * Runs a call's stream hooks over its output: keeps the running count of
 * output tokens (each delta counted with the upstream model's tokenizer) and
 * reports when a hook asks to end the response. Exists only for calls a
 * policy watches; every other call pays nothing.
 */
export class OutputWatch {
  private tokens = 0;
  /** Set once a hook asked to end: nothing more is counted. */
  ended: 'length' | undefined;
  /** Set when the hook that ended the response asked for an error (streams end with it; see StreamVerdict). */
  failure: GatewayError | undefined;

  constructor(
    private readonly hooks: readonly StreamHook[],
    private readonly countText: (text: string) => number,
  ) {}

  get outputTokens(): number {
    return Math.ceil(this.tokens);
  }

  /** Sees one chunk; true when a hook asked to end the response after it. */
  see(chunk: IRChunk): boolean {
    if (this.ended !== undefined) return true;
    if (chunk.type !== 'text' && chunk.type !== 'reasoning' && chunk.type !== 'tool_call') return false;
    const delta: OutputDelta = chunk;
    const text = delta.type === 'tool_call' ? (delta.name ?? '') + delta.argumentsDelta : delta.delta;
    if (text.length > 0) this.tokens += this.countText(text);
    const outputTokens = Math.ceil(this.tokens);
    for (const hook of this.hooks) {
      const verdict = hook.onOutput(delta, outputTokens);
      if (verdict !== 'continue') {
        this.ended = 'length';
        if ('fail' in verdict) this.failure = verdict.fail;
        return true;
      }
    }
    return false;
  }
}
