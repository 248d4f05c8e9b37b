import type { IRUsage, WireFormat } from '../ir/index.js';
import { isJsonObject } from '../protocols/json.js';
import type { JsonObject } from '../protocols/json.js';
import { usageFromChat } from './openai-chat/usage.js';
import { usageFromResponses } from './openai-responses/decoder.js';

/**
 * Reads token usage out of a format's own replies, for pass-through paths
 * where the gateway relays bytes without translating them.
 */
export interface UsageReader {
  /** From a whole non-streamed response body. */
  fromBody(body: unknown): IRUsage | undefined;
  /** A cheap substring test: can this stream event carry usage? Only those are JSON-parsed. */
  mayCarryUsage(data: string): boolean;
  /** From one parsed stream event. */
  fromEvent(event: unknown): IRUsage | undefined;
  /**
   * Asks a streaming upstream to report usage when the client did not; returns
   * true when it changed the body, so the extra usage event is later removed
   * with `stripUsageEvents` (the client gets exactly what it asked for).
   */
  requestStreamUsage?(this: void, body: JsonObject): boolean;
  stripUsageEvents?(this: void, text: string): string;
  /** The text a whole non-streamed reply carries, for counting its tokens when it reports no usage. */
  textFromBody(this: void, body: unknown): { completion: string; reasoning: string };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts.map((part) => (isJsonObject(part) ? str(part['text']) : '')).join('');
}

const chatUsage: UsageReader = {
  fromBody(body) {
    return isJsonObject(body) && isJsonObject(body['usage']) ? usageFromChat(body['usage']) : undefined;
  },
  mayCarryUsage(data) {
    return data.includes('"usage":{') || data.includes('"usage": {');
  },
  fromEvent(event) {
    return this.fromBody(event);
  },
  requestStreamUsage(body) {
    const options = body['stream_options'];
    if (isJsonObject(options) && options['include_usage'] === true) return false;
    body['stream_options'] = { ...(isJsonObject(options) ? options : {}), include_usage: true };
    return true;
  },
  textFromBody(body) {
    const choice = isJsonObject(body) && Array.isArray(body['choices']) ? body['choices'][0] : undefined;
    const message = isJsonObject(choice) ? choice['message'] : undefined;
    if (!isJsonObject(message)) return { completion: '', reasoning: '' };
    const calls = Array.isArray(message['tool_calls']) ? message['tool_calls'] : [];
    const callText = calls.map((call) => (isJsonObject(call) && isJsonObject(call['function']) ? str(call['function']['name']) + str(call['function']['arguments']) : '')).join('');
    return { completion: str(message['content']) + callText, reasoning: str(message['reasoning_content']) + str(message['reasoning']) };
  },
  stripUsageEvents(text) {
    // The usage-only chunk has `"choices":[]`; content chunks never do. Only an event wholly inside this read is removed.
    let at = text.indexOf('"choices":[]');
    while (at >= 0) {
      const start = text.lastIndexOf('data:', at);
      const end = text.indexOf('\n\n', at);
      if (start < 0 || end < 0) break;
      text = text.slice(0, start) + text.slice(end + 2);
      at = text.indexOf('"choices":[]', start);
    }
    return text;
  },
};

const responsesUsage: UsageReader = {
  textFromBody(body) {
    const output = isJsonObject(body) && Array.isArray(body['output']) ? body['output'] : [];
    let completion = '';
    let reasoning = '';
    for (const item of output) {
      if (!isJsonObject(item)) continue;
      if (item['type'] === 'reasoning') reasoning += partsText(item['summary']) + partsText(item['content']);
      else completion += partsText(item['content']) + str(item['name']) + str(item['arguments']) + str(item['input']);
    }
    return { completion, reasoning };
  },
  fromBody(body) {
    return isJsonObject(body) && isJsonObject(body['usage']) ? usageFromResponses(body['usage']) : undefined;
  },
  mayCarryUsage(data) {
    return data.includes('response.completed') || data.includes('response.incomplete');
  },
  fromEvent(event) {
    return isJsonObject(event) ? this.fromBody(event['response']) : undefined;
  },
};

const readers: Partial<Record<WireFormat, UsageReader>> = {
  'openai-chat': chatUsage,
  'openai-responses': responsesUsage,
};

export function usageReaderFor(format: WireFormat): UsageReader | undefined {
  return readers[format];
}
