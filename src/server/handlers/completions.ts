import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError } from '../../errors/index.js';
import type { WireFormat } from '../../ir/index.js';
import type { Router } from '../../routing/router.js';
import { readJsonObject } from '../body.js';
import { execute } from '../execute.js';
import type { ExecuteDeps } from '../execute.js';
import type { PreparedCall, RequestContext, RequestPolicy } from '../pipeline.js';

export interface CompletionsDeps extends ExecuteDeps {
  readonly router: Router;
  readonly bodyLimitBytes: number;
  readonly policies: readonly RequestPolicy[];
}

/**
 * POST /v1/chat/completions and POST /v1/responses: read, validate, route,
 * apply policies, forward. Everything format-specific lives in the codecs.
 */
export function createCompletionsHandler(clientFormat: WireFormat, deps: CompletionsDeps) {
  return async function handleCompletions(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const client = await readJsonObject(req, deps.bodyLimitBytes);
    const body = client.body;
    const model = body['model'];
    if (typeof model !== 'string' || model.length === 0) {
      throw new InvalidRequestError("The request needs a 'model' string naming one of the gateway's models (see GET /v1/models).", {
        param: 'model',
        code: 'missing_model',
      });
    }
    const stream = body['stream'];
    if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
      throw new InvalidRequestError("'stream' must be a boolean.", { param: 'stream' });
    }
    const call: PreparedCall = {
      ctx,
      clientFormat,
      requestedModel: model,
      body,
      client,
      stream: stream === true,
      route: deps.router.resolve(model),
    };
    ctx.model = model;
    ctx.route = call.route.name;
    for (const policy of deps.policies) await policy.beforeForward(call);
    if (ctx.clientGone) return;
    await execute(res, call, deps);
  };
}
