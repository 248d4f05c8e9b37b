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

/** A model list is a few KB; a discovery reply larger than this is not read further. */
const MAX_DISCOVERY_BYTES = 8 * 1024 * 1024;

/**
 * A small GET for discovery and health probes (not on the request path).
 * Its errors are shown by `/readyz`, which anyone may call: they say what
 * went wrong without quoting the reply (JSON.parse's own message would quote
 * its first characters, which may echo a credential).
 */
export async function getJson(endpoint: JsonEndpoint, path: string, signal: AbortSignal): Promise<unknown> {
  const { statusCode, headers, body } = await endpoint.dispatcher.request({
    origin: endpoint.origin,
    method: 'GET',
    path,
    headers: endpoint.headers,
    signal,
    headersTimeout: endpoint.timeouts.connectMs,
    bodyTimeout: endpoint.timeouts.connectMs,
  });
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DISCOVERY_BYTES) {
      body.destroy();
      throw new Error(`GET ${path} answered more than ${MAX_DISCOVERY_BYTES} bytes`);
    }
    parts.push(chunk);
  }
  if (statusCode >= 400) throw new Error(`GET ${path} answered HTTP ${statusCode}`);
  try {
    return JSON.parse(Buffer.concat(parts, size).toString('utf8')) as unknown;
  } catch {
    const type = headers['content-type'];
    throw new Error(`GET ${path} answered something other than JSON (${size} bytes of ${typeof type === 'string' ? type.slice(0, 80) : 'no content type'})`);
  }
}
