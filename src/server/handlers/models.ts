import type { ServerResponse } from 'node:http';
import type { Router } from '../../routing/router.js';
import type { RequestContext } from '../pipeline.js';
import { sendJson } from '../respond.js';

const DISCOVERY_TIMEOUT_MS = 2_000;

/**
 * GET /v1/models: every name a client may send. Wildcard routes are expanded
 * with what their upstream currently offers (best effort, bounded wait).
 */
export function createModelsHandler(router: Router, startedAtSeconds: number) {
  return async function handleModels(_req: unknown, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)]);
    const discovered = await router.discoverWildcardNames(signal);
    const names = [...new Set([...router.concreteNames(), ...discovered])];
    const data = names.map((id) => ({ id, object: 'model', created: startedAtSeconds, owned_by: 'tollgate' }));
    sendJson(res, 200, JSON.stringify({ object: 'list', data }), { 'x-request-id': ctx.requestId });
  };
}
