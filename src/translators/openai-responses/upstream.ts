import type { UpstreamCodec } from '../types.js';
import { ResponsesStreamDecoder } from './decoder.js';
import { irToResponsesRequest } from './upstream-request.js';

export { ResponsesStreamDecoder, usageFromResponses } from './decoder.js';
export type { ResponsesStreamDecoderOptions } from './decoder.js';
export { MIN_MAX_OUTPUT_TOKENS, irToResponsesRequest } from './upstream-request.js';

/**
 * Upstreams speaking the Responses API (`POST /v1/responses`), for models that
 * speak nothing else (OpenAI's codex-mini-latest, for one), reached by
 * clients of another format through the IR.
 */
export const responsesUpstreamCodec: UpstreamCodec = {
  format: 'openai-responses',
  buildRequest: irToResponsesRequest,
  createStreamDecoder: () => new ResponsesStreamDecoder(),
};
