import { SseParser } from '../../framing/index.js';
import type { IRUsage } from '../../ir/index.js';
import { readUpstreamErrorBody } from '../../upstream/classify.js';
import type { UsageReader } from '../../translators/usage-readers.js';

export interface StreamErrorEvent {
  readonly message: string;
  readonly code: string;
}

/**
 * Watches a stream that is relayed raw. Events are framed by the one SSE
 * parser, but only those whose text can carry usage or an error (substring
 * tests) are JSON-parsed: on a pass-through path usage sits in the last
 * event, and nothing else is decoded.
 */
export class UsageSniffer {
  private readonly parser = new SseParser();
  usage: IRUsage | undefined;
  /** Events seen so far. */
  events = 0;
  /** The first error the upstream reported inside the stream (it may still end with HTTP 200). */
  error: StreamErrorEvent | undefined;
  /** Whether that error was the stream's very first event (nothing useful was sent before it). */
  errorFirst = false;

  constructor(private readonly reader: UsageReader) {}

  observe(bytes: Buffer | string): void {
    for (const event of this.parser.push(bytes)) {
      this.events++;
      const data = event.data;
      if (this.error === undefined && (event.event === 'error' || event.event === 'response.failed' || data.startsWith('{"error"') || data.startsWith('{"type":"error"'))) {
        this.error = errorOf(data);
        this.errorFirst = this.events === 1;
      }
      if (!this.reader.mayCarryUsage(data)) continue;
      try {
        this.usage = this.reader.fromEvent(JSON.parse(data) as unknown) ?? this.usage;
      } catch {
        // A malformed event is the client's to see; usage will be estimated.
      }
    }
  }
}

function errorOf(data: string): StreamErrorEvent {
  const details = readUpstreamErrorBody(data);
  if (details.message !== undefined) return { message: details.message, code: details.code ?? 'upstream_error' };
  try {
    const parsed = JSON.parse(data) as { response?: { error?: { message?: unknown; code?: unknown } } };
    const error = parsed.response?.error;
    if (error && typeof error.message === 'string') return { message: error.message, code: typeof error.code === 'string' ? error.code : 'upstream_error' };
  } catch {
    // Fall through to a generic description.
  }
  return { message: 'the upstream reported an error in its stream', code: 'upstream_error' };
}
