import type { IRChunk, WireFormat } from '../../ir/index.js';
import { upstreamCodecFor } from '../../translators/registry.js';
import type { ChunkLog } from './chunk-log.js';
import type { OutputCapture } from './relay.js';

/** How many characters of output a capture keeps: enough for an estimate, bounded whatever the output's length. */
const KEEP_CHARS = 32 << 10;

/**
 * Keeps references to the text deltas a translated response carried (no
 * copying until asked), up to KEEP_CHARS; beyond that it only counts them,
 * and the estimate made from the kept text is scaled to the whole.
 */
export class DeltaCapture implements OutputCapture {
  private readonly completion: string[] = [];
  private readonly reasoning: string[] = [];
  private kept = 0;
  private seen = 0;

  /** Output characters seen so far (kept or only counted). */
  get chars(): number {
    return this.seen;
  }

  add(chunk: IRChunk): void {
    if (chunk.type === 'text') this.keep(this.completion, chunk.delta);
    else if (chunk.type === 'reasoning') this.keep(this.reasoning, chunk.delta);
    else if (chunk.type === 'tool_call') {
      if (chunk.name !== undefined) this.keep(this.completion, chunk.name);
      this.keep(this.completion, chunk.argumentsDelta);
    }
  }

  private keep(into: string[], text: string): void {
    this.seen += text.length;
    if (this.kept >= KEEP_CHARS) return;
    into.push(text);
    this.kept += text.length;
  }

  text(): { completion: string; reasoning: string; share: number } {
    return { completion: this.completion.join(''), reasoning: this.reasoning.join(''), share: this.seen === 0 ? 1 : this.kept / this.seen };
  }
}

/**
 * A stream relayed raw: reads the Buffers the relay's ChunkLog kept (its head
 * and tail, by reference) and decodes them with the format's own decoder
 * only if the text is needed, i.e. when the upstream reported no usage or the
 * client went away. When the log dropped the middle of a long stream, the
 * estimate is scaled from the kept bytes to the whole.
 */
export class RawStreamCapture implements OutputCapture {
  constructor(
    private readonly format: WireFormat,
    private readonly log: ChunkLog,
  ) {}

  text(): { completion: string; reasoning: string; share: number } {
    const capture = new DeltaCapture();
    const codec = upstreamCodecFor(this.format);
    if (codec) {
      // The tail starts inside an event: it is framed by a decoder of its own.
      for (const run of this.log.runs()) {
        const decoder = codec.createStreamDecoder();
        for (const chunk of run) for (const ir of decoder.push(chunk)) capture.add(ir);
        for (const ir of decoder.end()) capture.add(ir);
      }
    }
    const { completion, reasoning, share } = capture.text();
    const { bytes, dropped } = this.log;
    return { completion, reasoning, share: bytes === 0 ? share : (share * (bytes - dropped)) / bytes };
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


