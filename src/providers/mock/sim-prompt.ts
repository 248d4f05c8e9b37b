/**
 * What the simulated model reads from a request: how big the prompt is, what
 * the user said last, and whether the conversation ends with a tool result.
 * Works on the raw JSON of both wire formats; unknown item and part types are
 * skipped, never rejected (clients such as Codex send many of them).
 */
import { isJsonObject } from '../../protocols/json.js';
import { countWords } from './sim-text.js';

export interface PromptFacts {
  /** Whitespace-separated words of every message, tool call and tool result (the simulated prompt size). */
  readonly words: number;
  /** Text of the last user message, '' when there is none. */
  readonly lastUserText: string;
  /** The tool output when the conversation ends with a tool result. */
  readonly toolResult: string | undefined;
  /** Tool calls the assistant already made in this conversation (keeps new call ids unique). */
  readonly priorToolCalls: number;
}

/** Text of a content field: a string, or an array of parts carrying `text` (text, input_text, output_text). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isJsonObject(part) && typeof part.text === 'string') {
      text = text === '' ? part.text : `${text}\n${part.text}`;
    }
  }
  return text;
}

/** Facts of a Chat Completions `messages` array (already checked to be an array). */
export function chatPromptFacts(messages: readonly unknown[]): PromptFacts {
  let words = 0;
  let lastUserText = '';
  let priorToolCalls = 0;
  let lastIsTool = false;
  let lastText = '';
  for (const message of messages) {
    if (!isJsonObject(message)) continue;
    const text = contentText(message.content);
    words += countWords(text);
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        priorToolCalls++;
        if (isJsonObject(call) && isJsonObject(call.function) && typeof call.function.arguments === 'string') {
          words += countWords(call.function.arguments);
        }
      }
    }
    if (message.role === 'user') lastUserText = text;
    lastIsTool = message.role === 'tool' || message.role === 'function';
    lastText = text;
  }
  return { words, lastUserText, toolResult: lastIsTool ? lastText : undefined, priorToolCalls };
}

/** Facts of a Responses `input` (a string or an array of items) plus `instructions`. */
export function responsesPromptFacts(input: unknown, instructions: unknown): PromptFacts {
  let words = typeof instructions === 'string' ? countWords(instructions) : 0;
  if (typeof input === 'string') {
    return { words: words + countWords(input), lastUserText: input, toolResult: undefined, priorToolCalls: 0 };
  }
  let lastUserText = '';
  let priorToolCalls = 0;
  let toolResult: string | undefined;
  const items = Array.isArray(input) ? input : [];
  for (const item of items) {
    toolResult = undefined;
    if (!isJsonObject(item)) continue;
    // Easy input messages have a role and no type.
    const type = typeof item.type === 'string' ? item.type : 'message';
    switch (type) {
      case 'message': {
        const text = contentText(item.content);
        words += countWords(text);
        if (item.role === 'user') lastUserText = text;
        break;
      }
      case 'function_call':
        priorToolCalls++;
        if (typeof item.arguments === 'string') words += countWords(item.arguments);
        break;
      case 'custom_tool_call':
        priorToolCalls++;
        if (typeof item.input === 'string') words += countWords(item.input);
        break;
      case 'function_call_output':
      case 'custom_tool_call_output':
        toolResult = contentText(item.output);
        words += countWords(toolResult);
        break;
      default:
        break;
    }
  }
  return { words, lastUserText, toolResult, priorToolCalls };
}
