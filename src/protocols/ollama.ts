/**
 * Ollama native API wire types (`POST /api/chat`, `GET /api/tags`,
 * `GET /api/version`), after docs/api.md and api/types.go in ollama/ollama.
 * The facts these types rest on, with sources, are listed in
 * test/fixtures/ollama/README.md.
 */

/** Thinking control: a boolean, or a level (gpt-oss accepts only the levels). */
export type OllamaThink = boolean | 'low' | 'medium' | 'high' | 'max';

export interface OllamaToolCall {
  /** Set by recent Ollama versions (`call_` + 8 characters); absent in older ones. */
  id?: string;
  function: {
    /** Position of the call in the response (recent versions). */
    index?: number;
    name: string;
    /** An object, not JSON text (unlike OpenAI). */
    arguments: { [key: string]: unknown };
  };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Reasoning trace of thinking models. */
  thinking?: string;
  /** Base64 image data without a `data:` prefix. */
  images?: string[] | null;
  tool_calls?: OllamaToolCall[];
  /** On `tool` messages: the name of the tool whose result this is. */
  tool_name?: string;
  /** On `tool` messages: the id of the call answered (recent versions). */
  tool_call_id?: string;
}

export interface OllamaTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters: { [key: string]: unknown };
  };
}

/** Runtime model parameters (Modelfile `PARAMETER`s); unknown keys are model specific. */
export interface OllamaOptions {
  num_ctx?: number;
  num_predict?: number;
  num_keep?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  seed?: number;
  stop?: string[];
  repeat_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  [key: string]: unknown;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  tools?: OllamaTool[];
  /** `'json'` or a JSON schema object. */
  format?: 'json' | { [key: string]: unknown };
  options?: OllamaOptions;
  /** Default true. */
  stream?: boolean;
  think?: OllamaThink;
  /** Duration string (`"5m"`) or seconds; 0 unloads the model after the reply. */
  keep_alive?: string | number;
}

/** `done_reason` values seen in practice: `stop`, `length`, and `load`/`unload` for empty chats. */
export type OllamaDoneReason = string;

/** One line of a streamed chat reply (`done: false`). */
export interface OllamaChatChunk {
  model: string;
  /** RFC 3339 timestamp with nanoseconds. */
  created_at: string;
  message: OllamaMessage;
  done: false;
}

/** The last line of a streamed reply, and the whole body of a non-streamed one. */
export interface OllamaChatFinalChunk {
  model: string;
  created_at: string;
  /** Absent in some versions' final line; content is '' when streamed. */
  message?: OllamaMessage;
  done: true;
  done_reason?: OllamaDoneReason;
  /** Durations are nanoseconds; counts are omitted when zero. */
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** An error body (with an HTTP error status) or an error line inside a stream (status already 200). */
export interface OllamaError {
  error: string;
}

export type OllamaChatStreamLine = OllamaChatChunk | OllamaChatFinalChunk | OllamaError;

export interface OllamaModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[] | null;
  parameter_size: string;
  quantization_level: string;
}

export interface OllamaTagsResponse {
  models: Array<{
    name: string;
    model: string;
    modified_at: string;
    size: number;
    digest: string;
    details: OllamaModelDetails;
  }>;
}

export interface OllamaVersionResponse {
  version: string;
}
