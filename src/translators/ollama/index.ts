import type { UpstreamCodec } from '../types.js';
import { OllamaStreamDecoder } from './decoder.js';
import { irToOllamaRequest } from './request.js';

export { OllamaStreamDecoder, ollamaErrorCode } from './decoder.js';
export type { OllamaStreamDecoderOptions } from './decoder.js';
export { irToOllamaRequest } from './request.js';
export { ThinkTagSplitter } from '../shared/think-tags.js';

/** Speaks Ollama's native `POST /api/chat` (NDJSON streaming) to upstreams. */
export const ollamaUpstreamCodec: UpstreamCodec = {
  format: 'ollama-chat',
  buildRequest: irToOllamaRequest,
  createStreamDecoder: () => new OllamaStreamDecoder(),
};
