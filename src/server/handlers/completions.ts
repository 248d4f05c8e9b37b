import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WireFormat } from '../../ir/index.js';
import type { RequestContext } from '../../pipeline/contracts.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { readJsonObject } from '../body.js';

/**
 * POST /v1/chat/completions and POST /v1/responses: authenticate from the
 * headers before reading a byte of the body, read it, hand it to the
 * pipeline. Everything else happens there.
 */
export function createCompletionsHandler(clientFormat: WireFormat, pipeline: Pipeline, bodyLimitBytes: number) {
  return async function handleCompletions(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const authenticated = pipeline.authenticate(req.headers);
    // The open gateway's authenticator answers at once: no await, no extra turn of the event loop.
    const principal = authenticated instanceof Promise ? await authenticated : authenticated;
    const client = await readJsonObject(req, bodyLimitBytes);
    await pipeline.run(res, { ctx, principal, clientFormat, client });
  };
}
