/** Raw HTTP helpers for the simulator tests: requests over loopback and SSE reading with the gateway's own parser. */
import { SseParser, type SseEvent } from '../../../src/framing/sse.js';

export async function post(base: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

export interface ReadResult {
  readonly events: SseEvent[];
  /** The error that ended the body early (a destroyed socket), if any. */
  readonly failure: unknown;
  /** Byte reads the body arrived in. */
  readonly reads: number;
}

export async function readEvents(response: Response): Promise<ReadResult> {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let reads = 0;
  const body = response.body;
  if (!body) return { events, failure: undefined, reads };
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      reads++;
      events.push(...parser.push(value));
    }
  } catch (failure) {
    return { events, failure, reads };
  }
  return { events, failure: undefined, reads };
}

/** `data` of each event parsed as JSON, `[DONE]` kept as the string. */
export function payloads(events: readonly SseEvent[]): unknown[] {
  return events.map((event) => (event.data === '[DONE]' ? '[DONE]' : (JSON.parse(event.data) as unknown)));
}

export function userChat(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'mock', messages: [{ role: 'user', content: text }], ...extra };
}

/** Polls until `check` holds or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
