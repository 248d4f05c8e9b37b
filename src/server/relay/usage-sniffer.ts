import { SseParser } from '../../framing/index.js';
import type { IRUsage } from '../../ir/index.js';
import type { UsageReader } from '../../translators/usage-readers.js';

/**
 * Finds the usage in a stream that is relayed raw. Events are framed by the
 * one SSE parser, but only those whose text can carry usage (one substring
 * test) are JSON-parsed: on a pass-through path usage sits in the last event,
 * and nothing else is decoded.
 */
export class UsageSniffer {
  private readonly parser = new SseParser();
  usage: IRUsage | undefined;
  /** The upstream reported an error inside the stream (it may still end with HTTP 200). */
  sawError = false;

  constructor(private readonly reader: UsageReader) {}

  observe(bytes: Buffer | string): void {
    for (const event of this.parser.push(bytes)) {
      const data = event.data;
      if (event.event === 'error' || event.event === 'response.failed' || data.startsWith('{"error"')) this.sawError = true;
      if (!this.reader.mayCarryUsage(data)) continue;
      try {
        this.usage = this.reader.fromEvent(JSON.parse(data) as unknown) ?? this.usage;
      } catch {
        // A malformed event is the client's to see; usage will be estimated.
      }
    }
  }
}
