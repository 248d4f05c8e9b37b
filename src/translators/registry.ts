import type { WireFormat } from '../ir/index.js';
import { chatClientCodec, chatUpstreamCodec } from './openai-chat/index.js';
import { ollamaUpstreamCodec } from './ollama/index.js';
import { responsesClientCodec } from './openai-responses/index.js';
import { responsesUpstreamCodec } from './openai-responses/upstream.js';
import type { ClientCodec, UpstreamCodec } from './types.js';

/** Formats clients may speak, and the codec for each. */
const clientCodecs: Partial<Record<WireFormat, ClientCodec>> = {
  'openai-chat': chatClientCodec,
  'openai-responses': responsesClientCodec,
};

/** Formats the gateway can translate into when an upstream does not speak the client's. */
const upstreamCodecs: Partial<Record<WireFormat, UpstreamCodec>> = {
  'openai-chat': chatUpstreamCodec,
  'ollama-chat': ollamaUpstreamCodec,
  'openai-responses': responsesUpstreamCodec,
};

export function clientCodecFor(format: WireFormat): ClientCodec | undefined {
  return clientCodecs[format];
}

export function upstreamCodecFor(format: WireFormat): UpstreamCodec | undefined {
  return upstreamCodecs[format];
}
