/**
 * OpenAI-shaped error bodies of the simulated model:
 * `{"error":{"message","type","param","code"}}`, with the `type` and `code`
 * the OpenAI API uses for each status (error-codes guide and observed
 * responses: 401 `invalid_api_key`, 404 `model_not_found`, 429 type
 * `requests` / code `rate_limit_exceeded`, 5xx type `server_error`).
 */
export interface OpenAIErrorObject {
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
}

interface StatusShape {
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
}

const SHAPES: ReadonlyMap<number, StatusShape> = new Map([
  [400, { type: 'invalid_request_error', code: null, message: 'Invalid request.' }],
  [401, { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' }],
  [403, { type: 'invalid_request_error', code: null, message: 'You have insufficient permissions for this operation.' }],
  [404, { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' }],
  [429, { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' }],
  [500, { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' }],
  [502, { type: 'server_error', code: null, message: 'Bad gateway.' }],
  [503, { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' }],
]);

/** The error an injected `[mock:status=N]` produces. */
export function injectedError(status: number): OpenAIErrorObject {
  const shape = SHAPES.get(status) ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `HTTP ${status}.`,
  };
  return {
    message: `${shape.message} (simulated by Tollgate's mock model: [mock:status=${status}])`,
    type: shape.type,
    param: null,
    code: shape.code,
  };
}

/** A 400 `invalid_request_error`. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAIErrorObject {
  return { message, type: 'invalid_request_error', param, code };
}

/** The error of a stream that failed after it started (`[mock:error_after]`). */
export const MID_STREAM_ERROR: OpenAIErrorObject = {
  message: "The server had an error while processing your request. (simulated by Tollgate's mock model: [mock:error_after])",
  type: 'server_error',
  param: null,
  code: 'server_error',
};

export function modelNotFound(model: string): OpenAIErrorObject {
  return {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  };
}
