/**
 * Client traffic for the operations tests: plain HTTP requests to a Tollgate
 * gateway, so every request is exactly one gateway call (no SDK retries).
 */

export interface Exchange {
  readonly status: number;
  readonly body: string;
}

async function post(url: string, body: Record<string, unknown>): Promise<Exchange> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ops-test' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.text() };
}

export function chat(gateway: string, model: string, text: string, stream = false): Promise<Exchange> {
  return post(`${gateway}/v1/chat/completions`, { model, stream, messages: [{ role: 'user', content: text }] });
}

export function responses(gateway: string, model: string, text: string, stream = false, extra: Record<string, unknown> = {}): Promise<Exchange> {
  return post(`${gateway}/v1/responses`, { model, stream, input: text, ...extra });
}

/**
 * A streaming chat request the client abandons after the first bytes: the
 * gateway records it as cancelled and estimates its usage.
 */
export async function abandonedStream(gateway: string, model: string): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(`${gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ops-test' },
    // 200 words at 20 deltas a second: the stream would run for ten seconds.
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'tell me a story [mock:words=200] [mock:tps=20]' }] }),
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  if (!reader) throw new Error(`no stream body (status ${response.status})`);
  await reader.read();
  controller.abort();
  await reader.cancel().catch(() => undefined);
}

/** Throws unless the exchange had the expected status, with the body for context. */
export function expectStatus(exchange: Exchange, expected: number, what: string): void {
  if (exchange.status !== expected) throw new Error(`${what}: expected HTTP ${expected}, got ${exchange.status}: ${exchange.body.slice(0, 500)}`);
}
