import type { IRChunk, WireFormat } from '../../ir/index.js';
import { upstreamCodecFor } from '../../translators/registry.js';
import type { ChunkLog } from './chunk-log.js';
import type { OutputCapture } from './relay.js';

/** Keeps references to the text deltas a translated response carried (no copying until asked). */
export class DeltaCapture implements OutputCapture {
  private readonly completion: string[] = [];
  private readonly reasoning: string[] = [];

  add(chunk: IRChunk): void {
    if (chunk.type === 'text') this.completion.push(chunk.delta);
    else if (chunk.type === 'reasoning') this.reasoning.push(chunk.delta);
    else if (chunk.type === 'tool_call') {
      if (chunk.name !== undefined) this.completion.push(chunk.name);
      this.completion.push(chunk.argumentsDelta);
    }
  }

  text(): { completion: string; reasoning: string } {
    return { completion: this.completion.join(''), reasoning: this.reasoning.join('') };
  }
}

/**
 * A stream relayed raw: reads the Buffers it relayed (kept by reference in
 * the relay's ChunkLog) and decodes them with the format's own decoder only if the text is needed,
 * i.e. when the upstream reported no usage or the client went away.
 */
export class RawStreamCapture implements OutputCapture {
  constructor(
    private readonly format: WireFormat,
    private readonly log: ChunkLog,
  ) {}

  text(): { completion: string; reasoning: string } {
    const capture = new DeltaCapture();
    const decoder = upstreamCodecFor(this.format)?.createStreamDecoder();
    if (!decoder) return capture.text();
    for (const chunk of this.log.chunks) for (const ir of decoder.push(chunk)) capture.add(ir);
    for (const ir of decoder.end()) capture.add(ir);
    return capture.text();
  }
}

/** A whole non-streamed body: its text is read only if needed. */
export class BodyCapture implements OutputCapture {
  constructor(private readonly body: () => Buffer, private readonly extract: (body: unknown) => { completion: string; reasoning: string }) {}

  text(): { completion: string; reasoning: string } {
    try {
      return this.extract(JSON.parse(this.body().toString('utf8')) as unknown);
    } catch {
      return { completion: '', reasoning: '' };
    }
  }
}


