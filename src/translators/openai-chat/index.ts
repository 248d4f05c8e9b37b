import type { ClientCodec, UpstreamCodec } from '../types.js';
import { ChatResponseAccumulator } from './accumulator.js';
import { ChatStreamDecoder } from './decoder.js';
import { ChatStreamEncoder } from './encoder.js';
import { ChatPassthroughWatcher } from './passthrough-watcher.js';
import { chatRequestToIR, irToChatRequest } from './request.js';
import { chatUsage } from '../usage-readers.js';
import { chatOutputCeiling, withChatOutputCeiling } from './output-ceiling.js';

export { ChatResponseAccumulator } from './accumulator.js';
export { ChatStreamDecoder } from './decoder.js';
export { ChatStreamEncoder } from './encoder.js';
export { ChatPassthroughWatcher } from './passthrough-watcher.js';
export type { ChatWatcherDeps } from './passthrough-watcher.js';
export { chatRequestToIR, irToChatRequest } from './request.js';
export type { ChatRequestBuildOptions } from './request.js';
export { ThinkTagSplitter } from '../shared/think-tags.js';
export { usageFromChat, usageToChat } from './usage.js';

/** Clients speaking Chat Completions (`POST /v1/chat/completions`). */
export const chatClientCodec: ClientCodec = {
  format: 'openai-chat',
  parseRequest: chatRequestToIR,
  createStreamEncoder: (options) => new ChatStreamEncoder(options),
  createAccumulator: (options) => new ChatResponseAccumulator(options),
  createPassthroughWatcher: (options) => new ChatPassthroughWatcher(options),
  // Chat has no hosted tools: nothing is ever dropped.
  droppedToolLabel: () => 'other',
  usage: chatUsage,
  outputCeiling: chatOutputCeiling,
  withOutputCeiling: withChatOutputCeiling,
};

/** Upstreams speaking Chat Completions (OpenAI, vLLM, llama.cpp, LM Studio, in-house servers). */
export const chatUpstreamCodec: UpstreamCodec = {
  format: 'openai-chat',
  buildRequest: (request, defaults, options) => irToChatRequest(request, defaults, options),
  createStreamDecoder: () => new ChatStreamDecoder(),
};
