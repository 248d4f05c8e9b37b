import { UpstreamError } from '../../errors/index.js';
import type { IRChunk, IRFinishReason, IRUsage } from '../../ir/index.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import type { ClientEncodeOptions, ResponseAccumulator } from '../types.js';
import { newId } from './ids.js';
import { usageToChat } from './usage.js';

interface ToolCallState {
  id: string | undefined;
  name: string | undefined;
  arguments: string;
}

/**
 * Collects the IR chunks of one response into a non-streamed
 * `chat.completion` body, as OpenAI returns it.
 */
export class ChatResponseAccumulator implements ResponseAccumulator {
  private readonly requestedModel: string;
  private readonly provider: string;
  private id: string | undefined;
  private model: string | undefined;
  private created: number | undefined;
  private text = '';
  private reasoning = '';
  private readonly toolCalls = new Map<number, ToolCallState>();
  private finishReason: IRFinishReason | undefined;
  private usage: IRUsage | undefined;
  private error: { message: string; code: string } | undefined;

  /** `provider` names the upstream in the UpstreamError thrown for an error chunk (for logs). */
  constructor(options: ClientEncodeOptions, provider = '') {
    this.requestedModel = options.requestedModel;
    this.provider = provider;
  }

  push(chunk: IRChunk): void {
    if (this.error) return;
    switch (chunk.type) {
      case 'start':
        this.id = chunk.id;
        this.model = chunk.model;
        this.created = chunk.created;
        return;
      case 'text':
        this.text += chunk.delta;
        return;
      case 'reasoning':
        this.reasoning += chunk.delta;
        return;
      case 'tool_call': {
        const call = this.toolCalls.get(chunk.index);
        if (call) {
          call.arguments += chunk.argumentsDelta;
          call.id ??= chunk.id;
          call.name ??= chunk.name;
        } else {
          this.toolCalls.set(chunk.index, { id: chunk.id, name: chunk.name, arguments: chunk.argumentsDelta });
        }
        return;
      }
      case 'usage':
        this.usage = chunk.usage;
        return;
      case 'finish':
        this.finishReason = chunk.reason;
        return;
      case 'error':
        this.error = { message: chunk.message, code: chunk.code };
        return;
    }
  }

  result(): JsonObject {
    if (this.error) throw new UpstreamError(502, this.error.code, this.error.message, this.provider, undefined);
    const message: JsonObject = {
      role: 'assistant',
      // OpenAI answers a turn that only calls tools with content null.
      content: this.text === '' && this.toolCalls.size > 0 ? null : this.text,
    };
    if (this.reasoning !== '') message['reasoning_content'] = this.reasoning;
    if (this.toolCalls.size > 0) {
      const indexes = [...this.toolCalls.keys()].sort((a, b) => a - b);
      const calls: JsonValue[] = [];
      for (const index of indexes) {
        const call = this.toolCalls.get(index);
        if (!call) continue;
        calls.push({ id: call.id ?? newId('call_'), type: 'function', function: { name: call.name ?? '', arguments: call.arguments } });
      }
      message['tool_calls'] = calls;
    }
    const body: JsonObject = {
      id: this.id ? this.id : newId('chatcmpl-'),
      object: 'chat.completion',
      created: this.created ?? Math.floor(Date.now() / 1000),
      model: this.model ? this.model : this.requestedModel,
      choices: [{ index: 0, message, logprobs: null, finish_reason: this.finishReason ?? null }],
    };
    if (this.usage) body['usage'] = usageToChat(this.usage);
    return body;
  }
}
