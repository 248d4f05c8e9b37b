import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../../pipeline/contracts.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { sendJson } from '../../pipeline/respond.js';

const DISCOVERY_TIMEOUT_MS = 2_000;

/**
 * GET /v1/models: every name the caller may send. Wildcard routes are
 * expanded with what their upstream currently offers (best effort, bounded wait).
 */
export function createModelsHandler(pipeline: Pipeline, startedAtSeconds: number) {
  return async function handleModels(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const principal = await pipeline.authenticate(req.headers);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)]);
    const names = await pipeline.modelNames(principal, signal);
    const data = names.map((id) => ({ id, object: 'model', created: startedAtSeconds, owned_by: 'tollgate' }));
    sendJson(res, 200, JSON.stringify({ object: 'list', data }), { 'x-request-id': ctx.requestId });
  };
}
