import type { GatewayError } from './gateway-error.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string; [field: string]: string | number | null };
}

/** The OpenAI error object. Only whitelisted fields: never `cause`. */
export function errorBody(err: GatewayError): OpenAIErrorBody {
  const error = { message: err.message, type: err.type, param: err.param, code: err.code };
  return { error: err.fields === undefined ? error : { ...err.fields, ...error } };
}

export function errorJson(err: GatewayError): string {
  return JSON.stringify(errorBody(err));
}

/**
 * The terminal error of a Chat Completions stream: an `error` data event
 * (what OpenAI and vLLM send mid-stream) followed by `[DONE]` so clients stop.
 */
export function chatStreamErrorFrames(err: GatewayError): string {
  return `data: ${errorJson(err)}\n\ndata: [DONE]\n\n`;
}
