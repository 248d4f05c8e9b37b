import type { Provider } from '../providers/types.js';

/** A small GET for discovery and health probes (not on the request path). */
export async function getJson(provider: Provider, path: string, signal: AbortSignal): Promise<unknown> {
  const { statusCode, body } = await provider.dispatcher.request({
    origin: provider.origin,
    method: 'GET',
    path,
    headers: provider.headers,
    signal,
    headersTimeout: provider.timeouts.connectMs,
    bodyTimeout: provider.timeouts.connectMs,
  });
  const text = await body.text();
  if (statusCode >= 400) throw new Error(`GET ${path} answered HTTP ${statusCode}`);
  return JSON.parse(text) as unknown;
}
