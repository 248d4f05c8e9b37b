/**
 * The internal model every translator converts to and from (N+M, not N×M).
 * A client format that matches the upstream's is passed through raw and never
 * touches these types; everything else meets here.
 */

export type WireFormat = 'openai-chat' | 'openai-responses' | 'ollama-chat';

export interface IRTextPart {
  readonly type: 'text';
  readonly text: string;
}

export interface IRImagePart {
  readonly type: 'image';
  /** `data:` URL or http(s) URL, as the client sent it. */
  readonly url: string;
  readonly detail?: 'auto' | 'low' | 'high';
}

export type IRContentPart = IRTextPart | IRImagePart;

export interface IRToolCall {
  readonly id: string;
  readonly name: string;
  /** JSON text, exactly as produced by the model (may be partial or invalid JSON). */
  readonly arguments: string;
}

export type IRMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: readonly IRContentPart[] }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly reasoning?: string;
      readonly toolCalls?: readonly IRToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly toolCallId: string;
      readonly name?: string;
      readonly content: string | readonly IRContentPart[];
    };

/**
 * What a tool was in the client's own format, when the IR name had to differ
 * (Responses `namespace` tools flattened to one name, freeform `custom` tools
 * offered as a one-string-argument function). Encoders use it to give calls
 * back in the client's terms.
 */
export interface IRToolOrigin {
  readonly kind: 'function' | 'custom';
  readonly name: string;
  readonly namespace?: string;
}

export interface IRTool {
  /** The name the upstream sees (unique, `^[a-zA-Z0-9_-]{1,64}$` when it was rewritten). */
  readonly name: string;
  readonly origin?: IRToolOrigin;
  readonly description?: string;
  /** JSON Schema of the arguments object. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly strict?: boolean;
}

export type IRToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

export type IRResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly name: string;
      readonly schema: Readonly<Record<string, unknown>>;
      readonly strict?: boolean;
    };

export interface IRRequest {
  /** The upstream model name (already resolved by routing). */
  model: string;
  messages: IRMessage[];
  stream: boolean;
  tools?: IRTool[];
  toolChoice?: IRToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  reasoningEffort?: string;
  responseFormat?: IRResponseFormat;
  /** Hosted tools the client offered that no upstream format can express (e.g. `web_search`), dropped visibly. */
  droppedTools?: string[];
  /**
   * Fields the client sent that the internal model does not name (for example
   * Ollama `options` or vLLM sampling extensions). Encoders decide which they
   * understand; nothing is forwarded blindly across formats.
   */
  extra: Record<string, unknown>;
}

export interface IRUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedPromptTokens?: number;
  reasoningTokens?: number;
}

export type IRFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * One step of a streamed response. A stream is:
 *   start, (text | reasoning | tool_call)*, usage?, finish, usage?
 * or ends with `error` at any point after `start`.
 */
export type IRChunk =
  | { readonly type: 'start'; readonly id: string; readonly model: string; readonly created: number }
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'reasoning'; readonly delta: string }
  | {
      readonly type: 'tool_call';
      /** Position of the call within this response; deltas of one call share it. */
      readonly index: number;
      /** Present on the first delta of a call. */
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    }
  | { readonly type: 'usage'; readonly usage: IRUsage }
  | { readonly type: 'finish'; readonly reason: IRFinishReason }
  | { readonly type: 'error'; readonly message: string; readonly code: string; /** The OpenAI error type when the gateway knows it (`server_error` when shutting down); `upstream_error` otherwise. */ readonly errorType?: string };
