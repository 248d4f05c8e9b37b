import type { Dispatcher } from 'undici';

/**
 * What a discovery GET needs from an upstream: where it is, the pool to use
 * and the headers to send. Declared here so upstream/ does not depend on
 * providers/ (a `Provider` satisfies it structurally).
 */
export interface JsonEndpoint {
  /** e.g. `http://127.0.0.1:11434` */
  readonly origin: string;
  readonly dispatcher: Dispatcher;
  readonly headers: Readonly<Record<string, string>>;
  /** `connectMs` bounds both the wait for headers and the body. */
  readonly timeouts: { readonly connectMs: number };
}

/** A small GET for discovery and health probes (not on the request path). */
export async function getJson(endpoint: JsonEndpoint, path: string, signal: AbortSignal): Promise<unknown> {
  const { statusCode, body } = await endpoint.dispatcher.request({
    origin: endpoint.origin,
    method: 'GET',
    path,
    headers: endpoint.headers,
    signal,
    headersTimeout: endpoint.timeouts.connectMs,
    bodyTimeout: endpoint.timeouts.connectMs,
  });
  const text = await body.text();
  if (statusCode >= 400) throw new Error(`GET ${path} answered HTTP ${statusCode}`);
  return JSON.parse(text) as unknown;
}
