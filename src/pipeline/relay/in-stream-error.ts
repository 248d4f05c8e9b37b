import type { GatewayError } from '../../errors/index.js';
import { UpstreamError } from '../../errors/index.js';
import { looksLikeContextLengthError } from '../../upstream/classify.js';

/**
 * An error the upstream reported inside its stream. A context overflow is the
 * client's to fix (400); anything else is the upstream's (502), described
 * with the upstream's words since they are about this request.
 */
export function inStreamError(provider: string, event: { readonly message: string; readonly code: string }): GatewayError {
  if (event.code === 'context_length_exceeded' || looksLikeContextLengthError(event.message)) {
    return new UpstreamError(
      400,
      'context_length_exceeded',
      `The request does not fit in the model's context window (provider '${provider}': ${event.message}). Shorten the conversation or use a model with a larger context window.`,
      provider,
      undefined,
      { type: 'invalid_request_error' },
    );
  }
  return new UpstreamError(502, event.code, `Provider '${provider}' reported an error: ${event.message}`, provider, undefined);
}
