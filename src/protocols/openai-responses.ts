/**
 * OpenAI Responses API wire types (the subset the gateway reads or writes),
 * after the API reference and the `openai` SDK's generated types
 * (`resources/responses/responses.d.ts`), cross-checked with what Codex CLI
 * sends and parses (`codex-rs/protocol/src/models.rs`,
 * `codex-rs/codex-api/src/sse/responses.rs`). Clients send more item and tool
 * types than named here; readers must let unknown ones through.
 */

// ---------------------------------------------------------------- request

export interface ResponsesInputText {
  type: 'input_text';
  text: string;
}
export interface ResponsesInputImage {
  type: 'input_image';
  /** A `data:` URL or an http(s) URL. */
  image_url?: string | null;
  file_id?: string | null;
  detail?: 'auto' | 'low' | 'high' | 'original';
}
export interface ResponsesOutputText {
  type: 'output_text';
  text: string;
  annotations?: unknown[];
  logprobs?: unknown[];
}
export interface ResponsesRefusal {
  type: 'refusal';
  refusal: string;
}
export type ResponsesContentPart =
  | ResponsesInputText
  | ResponsesInputImage
  | ResponsesOutputText
  | ResponsesRefusal
  | { type: string; [key: string]: unknown };

export interface ResponsesMessageItem {
  /** Optional: an "easy input message" is just `{role, content}`. */
  type?: 'message';
  id?: string;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | ResponsesContentPart[];
  status?: string;
  phase?: string | null;
}

export interface ResponsesFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** The namespace tool the function belongs to. */
  namespace?: string;
  /** JSON text. */
  arguments: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export type ResponsesToolOutput = string | ResponsesContentPart[];

export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string | null;
  call_id: string;
  output: ResponsesToolOutput;
}

export interface ResponsesCustomToolCallItem {
  type: 'custom_tool_call';
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  /** The raw freeform input (not JSON). */
  input: string;
  status?: string;
}

export interface ResponsesCustomToolCallOutputItem {
  type: 'custom_tool_call_output';
  id?: string;
  call_id: string;
  output: ResponsesToolOutput;
}

export interface ResponsesSummaryText {
  type: 'summary_text';
  text: string;
}
export interface ResponsesReasoningText {
  type: 'reasoning_text';
  text: string;
}

export interface ResponsesReasoningItem {
  type: 'reasoning';
  id: string;
  summary: ResponsesSummaryText[];
  content?: ResponsesReasoningText[];
  /** Opaque state the client echoes back verbatim on its next request. */
  encrypted_content?: string | null;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesCustomToolCallItem
  | ResponsesCustomToolCallOutputItem
  | ResponsesReasoningItem
  | { type: string; [key: string]: unknown };

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponsesCustomToolFormat =
  | { type: 'text' }
  | { type: 'grammar'; syntax: 'lark' | 'regex'; definition: string };

/** A freeform tool: the model writes raw text (e.g. Codex's `apply_patch` with a Lark grammar). */
export interface ResponsesCustomTool {
  type: 'custom';
  name: string;
  description?: string;
  format?: ResponsesCustomToolFormat;
}

/** A group of tools; calls come back as `{name, namespace}`. */
export interface ResponsesNamespaceTool {
  type: 'namespace';
  name: string;
  description?: string;
  tools: Array<ResponsesFunctionTool | ResponsesCustomTool>;
}

/** Hosted tools (`web_search`, `file_search`, `code_interpreter`, `mcp`, `tool_search`, …). */
export interface ResponsesHostedTool {
  type: string;
  [key: string]: unknown;
}

export type ResponsesTool = ResponsesFunctionTool | ResponsesCustomTool | ResponsesNamespaceTool | ResponsesHostedTool;

export type ResponsesToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; name: string; namespace?: string }
  | { type: 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<Record<string, unknown>> }
  | { type: string; [key: string]: unknown };

export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | null; description?: string };

export interface ResponsesRequest {
  model: string;
  input?: string | ResponsesInputItem[];
  instructions?: string | null;
  stream?: boolean | null;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  text?: { format?: ResponsesTextFormat; verbosity?: string | null } | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  /** Server-side conversation state: not available on translated routes. */
  previous_response_id?: string | null;
  store?: boolean | null;
  include?: string[] | null;
  prompt_cache_key?: string | null;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- response

export interface ResponsesOutputMessage {
  type: 'message';
  id: string;
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: ResponsesOutputText[];
}

export interface ResponsesFunctionCallOutput {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export interface ResponsesCustomToolCallOutput {
  type: 'custom_tool_call';
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export type ResponsesOutputItem = ResponsesOutputMessage | ResponsesReasoningItem | ResponsesFunctionCallOutput | ResponsesCustomToolCallOutput;

/** Codex rejects a usage without the two details objects (and retries the turn). */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponsesStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponsesObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponsesStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: ResponsesOutputItem[];
  usage: ResponsesUsage | null;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- stream events

interface EventBase {
  sequence_number: number;
}
interface ItemRef {
  item_id: string;
  output_index: number;
}

export type ResponsesStreamEvent =
  | (EventBase & { type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed'; response: ResponsesObject })
  | (EventBase & { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: ResponsesOutputItem })
  | (EventBase & ItemRef & { type: 'response.content_part.added' | 'response.content_part.done'; content_index: number; part: ResponsesOutputText })
  | (EventBase & ItemRef & { type: 'response.output_text.delta'; content_index: number; delta: string; logprobs: unknown[] })
  | (EventBase & ItemRef & { type: 'response.output_text.done'; content_index: number; text: string; logprobs: unknown[] })
  | (EventBase & ItemRef & { type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'; summary_index: number; part: ResponsesSummaryText })
  | (EventBase & ItemRef & { type: 'response.reasoning_summary_text.delta'; summary_index: number; delta: string })
  | (EventBase & ItemRef & { type: 'response.reasoning_summary_text.done'; summary_index: number; text: string })
  | (EventBase & ItemRef & { type: 'response.function_call_arguments.delta'; delta: string })
  | (EventBase & ItemRef & { type: 'response.function_call_arguments.done'; name: string; arguments: string })
  | (EventBase & ItemRef & { type: 'response.custom_tool_call_input.delta'; delta: string })
  | (EventBase & ItemRef & { type: 'response.custom_tool_call_input.done'; input: string });

/** The event types that end a response stream; exactly one is sent, last. */
export const RESPONSES_TERMINAL_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
