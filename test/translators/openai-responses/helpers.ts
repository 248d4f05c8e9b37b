import { readFileSync } from 'node:fs';
import { SseParser } from '../../../src/framing/index.js';
import type { IRChunk, IRRequest } from '../../../src/ir/index.js';
import type { JsonObject } from '../../../src/protocols/json.js';
import type { StreamDecoder } from '../../../src/translators/types.js';
import { OllamaStreamDecoder } from '../../../src/translators/ollama/index.js';
import { ChatStreamDecoder } from '../../../src/translators/openai-chat/index.js';
import type { ResponsesEncoderDeps } from '../../../src/translators/openai-responses/index.js';
import { ResponsesStreamEncoder, responsesRequestToIR } from '../../../src/translators/openai-responses/index.js';

export const FIXTURES = new URL('../../fixtures/', import.meta.url);
export const RESPONSES_FIXTURES = new URL('responses/', FIXTURES);

export type ResponsesEvent = Record<string, unknown> & { type: string };

export interface GoldenCase {
  /** Also the name of the expected file, `test/fixtures/responses/<name>.events.json`. */
  readonly name: string;
  readonly upstream: 'chat' | 'ollama';
  /** The upstream stream, relative to test/fixtures/. */
  readonly file: string;
  /** A Responses request (test/fixtures/responses/requests/) whose tools the response calls. */
  readonly request?: string;
  readonly what: string;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'chat-openai-text', upstream: 'chat', file: 'chat/openai-text.sse', what: 'text' },
  { name: 'chat-vllm-parallel-tools', upstream: 'chat', file: 'chat/vllm-parallel-tools.sse', what: 'reasoning, then parallel tool calls' },
  { name: 'chat-vllm-reasoning', upstream: 'chat', file: 'chat/vllm-reasoning.sse', what: 'reasoning, then text, cached tokens' },
  { name: 'chat-llamacpp-think-tags', upstream: 'chat', file: 'chat/llamacpp-think-tags.sse', what: '<think> tags split into reasoning and text' },
  { name: 'chat-vllm-midstream-error', upstream: 'chat', file: 'chat/vllm-midstream-error.sse', what: 'an error after some text: response.failed' },
  { name: 'chat-truncated', upstream: 'chat', file: 'chat/truncated.sse', what: 'a stream cut off: response.failed upstream_truncated' },
  { name: 'chat-apply-patch', upstream: 'chat', file: 'responses/upstream/chat-apply-patch.sse', request: 'apply-patch.json', what: 'the freeform apply_patch tool: a custom_tool_call' },
  { name: 'ollama-text', upstream: 'ollama', file: 'ollama/text.ndjson', what: 'text, usage before finish' },
  { name: 'ollama-length', upstream: 'ollama', file: 'ollama/length.ndjson', what: 'a token ceiling: response.incomplete' },
  { name: 'ollama-mid-stream-error', upstream: 'ollama', file: 'ollama/mid-stream-error.ndjson', what: 'an error line after some text' },
  { name: 'ollama-think-tags', upstream: 'ollama', file: 'ollama/think-tags.ndjson', what: '<think> tags' },
  { name: 'ollama-thinking-gpt-oss', upstream: 'ollama', file: 'ollama/thinking-gpt-oss.ndjson', what: 'gpt-oss thinking, then text' },
  { name: 'ollama-tool-call-legacy', upstream: 'ollama', file: 'ollama/tool-call-legacy.ndjson', what: 'a tool call without an id' },
  { name: 'ollama-tool-calls-parallel', upstream: 'ollama', file: 'ollama/tool-calls-parallel.ndjson', what: 'three calls in two lines' },
  { name: 'ollama-truncated', upstream: 'ollama', file: 'ollama/truncated.ndjson', what: 'a stream cut off' },
  { name: 'ollama-namespaced', upstream: 'ollama', file: 'responses/upstream/ollama-namespaced.ndjson', request: 'namespaced.json', what: 'a call of a namespace tool and a plain function' },
];

export function readBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(relative, FIXTURES)));
}

export function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(url, 'utf8')) as unknown;
}

export function requestBody(name: string): JsonObject {
  return readJson(new URL(`requests/${name}`, RESPONSES_FIXTURES)) as JsonObject;
}

function decoderFor(upstream: GoldenCase['upstream']): StreamDecoder {
  if (upstream === 'chat') return new ChatStreamDecoder();
  let calls = 0;
  return new OllamaStreamDecoder({
    newId: (kind) => (kind === 'response' ? 'chatcmpl-test' : `call_gen_${calls++}`),
    now: () => 1_700_000_000_000,
  });
}

export function decodeReads(upstream: GoldenCase['upstream'], reads: readonly Uint8Array[]): IRChunk[] {
  const decoder = decoderFor(upstream);
  const out: IRChunk[] = [];
  for (const read of reads) out.push(...decoder.push(read));
  out.push(...decoder.end());
  return out;
}

/** Ids `resp_1`, `msg_2`, … in the order they are made, and a fixed clock: replays compare exactly. */
export function testDeps(): ResponsesEncoderDeps {
  let n = 0;
  return { newId: (prefix) => `${prefix}${++n}`, now: () => 1_700_000_000_000 };
}

export interface EncodeSetup {
  readonly request?: IRRequest;
  readonly clientBody?: JsonObject;
  readonly requestedModel?: string;
}

export function encodeToText(chunks: readonly IRChunk[], setup: EncodeSetup = {}): string {
  const encoder = new ResponsesStreamEncoder(
    {
      requestedModel: setup.requestedModel ?? 'client-model',
      includeUsage: true,
      ...(setup.request ? { request: setup.request } : {}),
      ...(setup.clientBody ? { clientBody: setup.clientBody } : {}),
    },
    testDeps(),
  );
  let text = '';
  for (const chunk of chunks) text += encoder.push(chunk);
  return text + encoder.end();
}

/** The events of an SSE body; each `event:` field is checked against the data's type. */
export function parseEvents(text: string): ResponsesEvent[] {
  const parser = new SseParser();
  const events = [...parser.push(text), ...parser.end()];
  return events.map((e) => {
    const data = JSON.parse(e.data) as ResponsesEvent;
    if (e.event !== data.type) throw new Error(`event field ${String(e.event)} differs from type ${data.type}`);
    return data;
  });
}

export function setupFor(c: GoldenCase): EncodeSetup {
  return c.request === undefined ? {} : { request: responsesRequestToIR(requestBody(c.request)) };
}

export { mulberry32, randomSplit } from '../../helpers/splits.js';
