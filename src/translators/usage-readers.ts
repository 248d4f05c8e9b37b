import type { IRUsage, WireFormat } from '../ir/index.js';
import type { UsageReader } from './types.js';
import { isJsonObject } from '../protocols/json.js';
import { endOfJsonObject, skipJsonSpace } from '../protocols/json-scan.js';
import { usageFromChat } from './openai-chat/usage.js';
import { usageFromResponses } from './openai-responses/decoder.js';

const UNDESCRIBED = { message: 'the upstream reported an error in its stream', code: 'upstream_error' } as const;

/** `{message, code}` of an error object, when it has a message. */
function described(error: unknown): { message: string; code: string } | undefined {
  if (!isJsonObject(error) || typeof error['message'] !== 'string') return undefined;
  return { message: error['message'], code: typeof error['code'] === 'string' ? error['code'] : 'upstream_error' };
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts.map((part) => (isJsonObject(part) ? str(part['text']) : '')).join('');
}

const USAGE_ONLY = Buffer.from('"choices":[]');
const DATA_FIELD = Buffer.from('data:');
const EVENT_END = Buffer.from('\n\n');
/**
 * The usage-only chunk is the stream's last event before `[DONE]`, so in the
 * read that holds it whole it sits within the read's last few hundred bytes:
 * only this much of each read is searched, whatever the read's size.
 */
const USAGE_EVENT_WINDOW = 4096;

/** Chat Completions replies and streams. */
export const chatUsage: UsageReader = {
  fromBody(body) {
    return isJsonObject(body) && isJsonObject(body['usage']) ? usageFromChat(body['usage']) : undefined;
  },
  usageMarks: [Buffer.from('"usage":{'), Buffer.from('"usage": {')],
  errorMarks: [Buffer.from('{"error"')],
  /**
   * A choice's `finish_reason` ends a whole answer (a quote inside a JSON
   * string is always escaped, so these bytes are a key with a string value,
   * never text). `[DONE]` follows it, but older vLLM builds and some
   * OpenAI-style endpoints leave `[DONE]` out: a finish_reason and a clean end
   * are a complete answer; neither is a truncated one.
   */
  terminalMarks: [Buffer.from('"finish_reason":"'), Buffer.from('"finish_reason": "')],
  closingData: '[DONE]',
  fromEvent(event) {
    return this.fromBody(event);
  },
  clientWantsUsage(body) {
    const options = body['stream_options'];
    return isJsonObject(options) && options['include_usage'] === true;
  },
  isErrorEvent(_event, data) {
    // OpenAI and vLLM report a mid-stream failure as a data event holding only `error`.
    return data.startsWith('{"error"');
  },
  errorFromEvent(data) {
    const event = parsed(data);
    if (!isJsonObject(event)) return UNDESCRIBED;
    const error = event['error'];
    // Some servers put a bare string in `error`.
    if (typeof error === 'string') return { message: error, code: 'upstream_error' };
    return described(error) ?? described(event) ?? UNDESCRIBED;
  },
  streamUsageRequest(body) {
    const options = body['stream_options'];
    if (isJsonObject(options) && options['include_usage'] === true) return undefined;
    return { field: 'stream_options', value: { ...(isJsonObject(options) ? options : {}), include_usage: true } };
  },
  textFromBody(body) {
    const choice = isJsonObject(body) && Array.isArray(body['choices']) ? body['choices'][0] : undefined;
    const message = isJsonObject(choice) ? choice['message'] : undefined;
    if (!isJsonObject(message)) return { completion: '', reasoning: '' };
    const calls = Array.isArray(message['tool_calls']) ? message['tool_calls'] : [];
    const callText = calls.map((call) => (isJsonObject(call) && isJsonObject(call['function']) ? str(call['function']['name']) + str(call['function']['arguments']) : '')).join('');
    return { completion: str(message['content']) + callText, reasoning: str(message['reasoning_content']) + str(message['reasoning']) };
  },
  stripUsageEvents(chunk) {
    // The usage-only chunk has `"choices":[]`; content chunks never do. Only an event wholly inside this read is removed.
    const at = chunk.indexOf(USAGE_ONLY, Math.max(0, chunk.length - USAGE_EVENT_WINDOW));
    if (at < 0) return undefined;
    const start = chunk.lastIndexOf(DATA_FIELD, at);
    const end = chunk.indexOf(EVENT_END, at);
    if (start < 0 || end < 0) return undefined;
    return [chunk.subarray(0, start), chunk.subarray(end + EVENT_END.length)];
  },
};

/** Responses API replies and streams. */
export const responsesUsage: UsageReader = {
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
  usageMarks: [Buffer.from('"response.completed"'), Buffer.from('"response.incomplete"')],
  isErrorEvent(event, data) {
    return event === 'error' || event === 'response.failed' || data.startsWith('{"type":"error"') || data.startsWith('{"type":"response.failed"');
  },
  errorFromEvent(data) {
    // `response.failed` carries the error in its response; a top-level `error` event carries message and code itself.
    const event = parsed(data);
    if (!isJsonObject(event)) return UNDESCRIBED;
    const response = event['response'];
    return (isJsonObject(response) ? described(response['error']) : undefined) ?? described(event['error']) ?? described(event) ?? UNDESCRIBED;
  },
  errorMarks: [Buffer.from('"response.failed"'), Buffer.from('"type":"error"')],
  terminalMarks: [Buffer.from('"response.completed"'), Buffer.from('"response.incomplete"'), Buffer.from('"response.failed"')],
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

const USAGE_KEY = Buffer.from('"usage"');
/** OpenAI-style replies end with their usage object: this much of the end is searched for it. */
const USAGE_TAIL_BYTES = 8192;

/**
 * The `"usage": {...}` object near the end of a JSON reply, parsed on its
 * own (a few hundred bytes) instead of the whole reply; undefined when it is
 * not there. Inside JSON strings a quote is always escaped, so the bytes
 * `"usage"` followed by a colon can only be a key.
 */
function usageObjectNearEnd(body: Buffer): unknown {
  const window = body.length > USAGE_TAIL_BYTES ? body.subarray(body.length - USAGE_TAIL_BYTES) : body;
  const key = window.lastIndexOf(USAGE_KEY);
  if (key < 0) return undefined;
  const text = window.toString('utf8', key + USAGE_KEY.length);
  const colon = skipJsonSpace(text, 0);
  if (text.charCodeAt(colon) !== 0x3a) return undefined; // ':'
  const open = skipJsonSpace(text, colon + 1);
  if (text.charCodeAt(open) !== 0x7b) return undefined; // '{'
  const end = endOfJsonObject(text, open);
  if (end < 0) return undefined;
  try {
    return JSON.parse(text.slice(open, end)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Usage from the usage object near the end of a reply or of one stream event
 * (OpenAI's Chat and Responses objects put it last, or nearly); undefined when
 * it is not found there, and the caller parses the whole JSON.
 */
export function usageNearEnd(reader: UsageReader, bytes: Buffer): IRUsage | undefined {
  const near = usageObjectNearEnd(bytes);
  return near === undefined ? undefined : reader.fromBody({ usage: near });
}

/**
 * Usage from a whole non-streamed reply: read from the usage object at its
 * end when it is there, else from the parsed reply (a reply that is not JSON
 * has none).
 */
export function usageFromReply(reader: UsageReader, body: Buffer): IRUsage | undefined {
  const usage = usageNearEnd(reader, body);
  if (usage !== undefined) return usage;
  try {
    return reader.fromBody(JSON.parse(body.toString('utf8')) as unknown);
  } catch {
    return undefined;
  }
}
