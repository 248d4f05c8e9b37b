import type { WireFormat } from '../ir/index.js';
import { isJsonObject } from '../protocols/json.js';
import type { JsonObject, JsonValue } from '../protocols/json.js';

/** Characters of text in a content value: a string, or parts with `text` (Chat and Responses alike). */
function contentChars(content: JsonValue | undefined): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    if (isJsonObject(part) && typeof part['text'] === 'string') chars += part['text'].length;
  }
  return chars;
}

function chatPromptChars(body: JsonObject): number {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const message of messages) if (isJsonObject(message)) chars += contentChars(message['content']);
  return chars;
}

function responsesPromptChars(body: JsonObject): number {
  const instructions = body['instructions'];
  let chars = typeof instructions === 'string' ? instructions.length : 0;
  const input = body['input'];
  if (typeof input === 'string') return chars + input.length;
  if (!Array.isArray(input)) return chars;
  for (const item of input) {
    if (!isJsonObject(item)) continue;
    chars += contentChars(item['content']) + contentChars(item['output']);
    if (typeof item['arguments'] === 'string') chars += item['arguments'].length;
  }
  return chars;
}

const counters: Partial<Record<WireFormat, (body: JsonObject) => number>> = {
  'openai-chat': chatPromptChars,
  'openai-responses': responsesPromptChars,
};

/** Characters of prompt text a client sent, for the `llm_prompt_chars` histogram. */
export function promptChars(format: WireFormat, body: JsonObject): number {
  return counters[format]?.(body) ?? 0;
}
