/**
 * Token estimates for calls whose upstream reported no usage (or whose client
 * went away before it did).
 *
 * Prompts are counted the way OpenAI's cookbook counts chat messages
 * ("How to count tokens with tiktoken"): every message costs 3 tokens of
 * framing plus its role (1 token) and content, a `name` 1 more plus the name,
 * and the reply is primed with 3 more. Tool definitions are counted as their
 * JSON text (OpenAI renders them into a compact TypeScript-like block, so JSON
 * slightly over-counts). Images cannot be measured without decoding them, so
 * they count as OpenAI's published tile formula gives for the usual cases:
 * 85 tokens at `detail: low`, 765 otherwise (a 1024×1024 image at high detail:
 * 85 + 4 tiles × 170).
 */
import type { IRContentPart, IRMessage, IRRequest, IRTool, IRUsage } from '../ir/index.js';
import { encoderFor, type EncodingName } from './encodings.js';
import { tokenizerFor } from './model-family.js';
import { TokenCounter } from './token-counter.js';

/** Framing of every message (`<|start|>{role}<|message|>…<|end|>` minus the role). */
export const TOKENS_PER_MESSAGE = 3;
/** The role name itself: `system`, `user`, `assistant` and `tool` are one token each. */
export const TOKENS_PER_ROLE = 1;
/** A message's `name` costs this on top of the name's own tokens. */
export const TOKENS_PER_NAME = 1;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3;
export const IMAGE_TOKENS_LOW_DETAIL = 85;
export const IMAGE_TOKENS_HIGH_DETAIL = 765;

/** Tokens in `text` as `model` would count them (exact for OpenAI models, approximated for others). */
export function countTextTokens(model: string, text: string): number {
  const choice = tokenizerFor(model);
  const tokens = new TokenCounter(encoderFor(choice.encoding)).count(text);
  return applyFactor(tokens, choice.factor);
}

/**
 * A counter of output tokens for a stream of deltas: each delta's tokens with
 * the model's tokenizer, the family factor applied to the running sum rather
 * than to each delta (a per-delta rounding would count a word-sized delta as
 * two tokens). The caller rounds the sum up.
 */
export function outputTokenCounter(model: string): (text: string) => number {
  const choice = tokenizerFor(model);
  const counter = new TokenCounter(encoderFor(choice.encoding));
  return (text) => counter.count(text) * choice.factor;
}

/** Prompt tokens of `request` sent to `model`. */
export function estimatePromptTokens(model: string, request: IRRequest): number {
  const choice = tokenizerFor(model);
  return countPrompt(new TokenCounter(encoderFor(choice.encoding)), choice.factor, request);
}

/** Bytes of a request body per token, for promptTokensUpperBound. */
const BYTES_PER_TOKEN_BOUND = 3;

/**
 * A quick bound on the prompt's tokens, for reservations on the request path
 * (a tokenizer pass over a Codex request costs about a millisecond, this a few
 * microseconds): one token per three bytes of the request body, which counts
 * more than any tokenizer for English and code (about four characters a
 * token), at least as much for text of three-byte characters (CJK: about one
 * token each), and more again for the JSON around the text. Images count as
 * the tokenizer's estimate counts them, not by the size of their data URLs.
 */
export function promptTokensUpperBound(request: IRRequest, bodyText: string): number {
  let bytes = Buffer.byteLength(bodyText);
  let images = 0;
  for (const message of request.messages) {
    if (message.role !== 'user' && message.role !== 'tool') continue;
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type !== 'image') continue;
      bytes -= part.url.length;
      images += part.detail === 'low' ? IMAGE_TOKENS_LOW_DETAIL : IMAGE_TOKENS_HIGH_DETAIL;
    }
  }
  return Math.ceil(Math.max(0, bytes) / BYTES_PER_TOKEN_BOUND) + images;
}

/**
 * promptTokensUpperBound, building the request's IR only when the body may
 * hold an image (the bound needs the images; every other byte is counted from
 * the text): pass-through calls never build the IR for it.
 */
export function promptTokensBoundOf(request: () => IRRequest, bodyText: string): number {
  if (bodyText.includes('image')) return promptTokensUpperBound(request(), bodyText);
  return Math.ceil(Buffer.byteLength(bodyText) / BYTES_PER_TOKEN_BOUND);
}

/** What counting a prompt needs of a counter. */
interface TextCounter {
  count(text: string): number;
}

function countPrompt(counter: TextCounter, factor: number, request: IRRequest): number {
  let text = REPLY_PRIMING_TOKENS;
  let images = 0;
  for (const message of request.messages) {
    text += TOKENS_PER_MESSAGE + TOKENS_PER_ROLE;
    const counted = countMessage(counter, message);
    text += counted.text;
    images += counted.images;
  }
  if (request.tools !== undefined) {
    for (const tool of request.tools) text += counter.count(toolJson(tool));
  }
  const format = request.responseFormat;
  if (format?.type === 'json_schema') text += counter.count(format.name) + counter.count(JSON.stringify(format.schema));
  // Image tokens are the model's own vision encoding, not text: no family factor.
  return applyFactor(text, factor) + images;
}

/**
 * Usage of a whole call. `completionText` is everything the model produced
 * for the client (text, and tool-call names and arguments), `reasoningText`
 * its reasoning; as in OpenAI's usage, completion tokens include reasoning
 * tokens. Cached prompt tokens cannot be known and are left out.
 */
export function estimateUsage(model: string, request: IRRequest, completionText: string, reasoningText: string): IRUsage {
  const choice = tokenizerFor(model);
  const promptTokens = estimatePromptTokens(model, request);
  // A separate budget: the completion is a different kind of text than the prompt.
  const counter = new TokenCounter(encoderFor(choice.encoding));
  const answer = applyFactor(counter.count(completionText), choice.factor);
  const reasoning = applyFactor(counter.count(reasoningText), choice.factor);
  const completionTokens = answer + reasoning;
  const usage: IRUsage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
  if (reasoningText !== '') usage.reasoningTokens = reasoning;
  return usage;
}

function applyFactor(tokens: number, factor: number): number {
  return factor === 1 ? tokens : Math.ceil(tokens * factor);
}

interface MessageCount {
  text: number;
  images: number;
}

function countMessage(counter: TextCounter, message: IRMessage): MessageCount {
  switch (message.role) {
    case 'system':
      return { text: counter.count(message.content), images: 0 };
    case 'user':
      return countParts(counter, message.content);
    case 'assistant': {
      // Reasoning is counted when present: the IR carries it only when it goes back upstream.
      let text = counter.count(message.content) + (message.reasoning === undefined ? 0 : counter.count(message.reasoning));
      if (message.toolCalls !== undefined) {
        for (const call of message.toolCalls) text += counter.count(call.name) + counter.count(call.arguments);
      }
      return { text, images: 0 };
    }
    case 'tool': {
      const name = message.name === undefined ? 0 : TOKENS_PER_NAME + counter.count(message.name);
      if (typeof message.content === 'string') return { text: name + counter.count(message.content), images: 0 };
      const parts = countParts(counter, message.content);
      return { text: name + parts.text, images: parts.images };
    }
  }
}

function countParts(counter: TextCounter, parts: readonly IRContentPart[]): MessageCount {
  let text = 0;
  let images = 0;
  for (const part of parts) {
    if (part.type === 'text') text += counter.count(part.text);
    else images += part.detail === 'low' ? IMAGE_TOKENS_LOW_DETAIL : IMAGE_TOKENS_HIGH_DETAIL;
  }
  return { text, images };
}

function toolJson(tool: IRTool): string {
  return JSON.stringify({ name: tool.name, description: tool.description, parameters: tool.parameters });
}

/**
 * Loads, now, the encodings that counting tokens for these upstream models
 * will need. Loading one parses its rank table on the event loop (o200k_base:
 * 100–300 ms); done at start-up, before the listener opens, it never stalls
 * the streams of a running gateway at its first estimate. Returns the
 * encodings loaded.
 */
export function preloadEncodings(models: Iterable<string>): EncodingName[] {
  const names = new Set<EncodingName>();
  for (const model of models) names.add(tokenizerFor(model).encoding);
  for (const name of names) encoderFor(name);
  return [...names];
}
