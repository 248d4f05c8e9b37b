/**
 * Responses API rendering of a reply plan.
 *
 * Wire facts followed (OpenAI API reference "Streaming events" of Responses,
 * and the `ResponseStreamEvent` union of the official `openai` SDK, whose
 * stream accumulator rejects events out of order):
 * - every event is `event: <type>` + `data: {"type", "sequence_number", ...}`,
 *   `sequence_number` counting from 0; there is no `[DONE]`;
 * - `response.created` and `response.in_progress` carry the response object
 *   (status `in_progress`, empty output), the terminal event the final one;
 * - each output item: `response.output_item.added` ... `response.output_item.done`,
 *   with `output_index`; messages and reasoning open a content part
 *   (`response.content_part.added` / `.done`, `content_index`) around their
 *   `response.output_text.delta` / `response.reasoning_text.delta` events and
 *   the matching `.done` event carrying the full text;
 * - function calls stream `response.function_call_arguments.delta` and `.done`
 *   (with `name` and the full `arguments` string), `call_id` on the item;
 * - usage: `input_tokens`, `input_tokens_details.cached_tokens`, `output_tokens`,
 *   `output_tokens_details.reasoning_tokens`, `total_tokens` (Codex rejects an
 *   empty details object);
 * - a token ceiling ends with `response.incomplete` (`incomplete_details.reason:
 *   "max_output_tokens"`), a failure after the start with `response.failed`
 *   (status `failed`, `error: {code, message}`).
 */
import type { JsonObject } from '../../protocols/json.js';
import { MID_STREAM_ERROR } from './sim-errors.js';
import type { ReplyPlan } from './sim-plan.js';
import type { SseScript } from './sim-stream.js';

export interface ResponsesRenderContext {
  /** Distinguishes the ids of one response from another's (`resp_mock_<n>`, `msg_mock_<n>_<k>`). */
  readonly serial: number;
  readonly createdAt: number;
  readonly model: string;
  /** Request fields the response object echoes, from `responsesEcho`. */
  readonly echo: string;
  /** The request asked for `include: ["reasoning.encrypted_content"]`. */
  readonly encryptedReasoning: boolean;
}

/**
 * The request fields every response object repeats (tools can be tens of
 * kilobytes for Codex), serialized once per request as `,"field":...}` so the
 * three response objects of a stream only concatenate it.
 */
export function responsesEcho(body: JsonObject): string {
  const echo = {
    background: false,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: body.reasoning ?? { effort: null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
  };
  return `,${JSON.stringify(echo).slice(1)}`;
}

type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

function responseJson(ctx: ResponsesRenderContext, status: Status, output: string, usage: string, error = 'null'): string {
  const incomplete = status === 'incomplete' ? '{"reason":"max_output_tokens"}' : 'null';
  return `{"id":"resp_mock_${ctx.serial}","object":"response","created_at":${ctx.createdAt},"status":"${status}","error":${error},"incomplete_details":${incomplete},"model":${JSON.stringify(ctx.model)},"output":${output},"usage":${usage}${ctx.echo}`;
}

function usageJson(plan: ReplyPlan): string {
  const { input, output, reasoning } = plan.usage;
  return `{"input_tokens":${input},"input_tokens_details":{"cached_tokens":0},"output_tokens":${output},"output_tokens_details":{"reasoning_tokens":${reasoning}},"total_tokens":${input + output}}`;
}

/** The finished output items, in order, each with the fields its stream events need. */
type OutputItem =
  | { kind: 'reasoning'; id: string; text: string; deltas: readonly string[]; done: JsonObject }
  | { kind: 'message'; id: string; text: string; deltas: readonly string[]; done: JsonObject }
  | { kind: 'function_call'; id: string; name: string; args: string; deltas: readonly string[]; done: JsonObject };

function outputItems(plan: ReplyPlan, ctx: ResponsesRenderContext): OutputItem[] {
  const items: OutputItem[] = [];
  const id = (prefix: string): string => `${prefix}_mock_${ctx.serial}_${items.length}`;
  if (plan.reasoning) {
    const text = plan.reasoning.text;
    const itemId = id('rs');
    const done: JsonObject = { id: itemId, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] };
    // Opaque to clients, echoed back on the next turn; here simply the text, encoded.
    if (ctx.encryptedReasoning) done.encrypted_content = `mock:${Buffer.from(text).toString('base64')}`;
    items.push({ kind: 'reasoning', id: itemId, text, deltas: plan.reasoning.deltas, done });
  }
  if (plan.toolCalls.length === 0) {
    const text = plan.text.text;
    const itemId = id('msg');
    const part = { type: 'output_text', annotations: [], logprobs: [], text };
    const status = plan.finish === 'length' ? 'incomplete' : 'completed';
    const done: JsonObject = { id: itemId, type: 'message', status, content: [part], role: 'assistant' };
    items.push({ kind: 'message', id: itemId, text, deltas: plan.text.deltas, done });
  }
  for (const call of plan.toolCalls) {
    const itemId = id('fc');
    const done: JsonObject = { id: itemId, type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.callId, name: call.name };
    items.push({ kind: 'function_call', id: itemId, name: call.name, args: call.arguments, deltas: call.argumentDeltas, done });
  }
  return items;
}

function terminalStatus(plan: ReplyPlan): Status {
  return plan.finish === 'length' ? 'incomplete' : 'completed';
}

export function renderResponsesStream(plan: ReplyPlan, ctx: ResponsesRenderContext): SseScript {
  const frames: string[] = [];
  const deltaAt: number[] = [];
  const event = (type: string, fields: string): void => {
    frames.push(`event: ${type}\ndata: {"type":"${type}","sequence_number":${frames.length}${fields}}\n\n`);
  };
  const initial = responseJson(ctx, 'in_progress', '[]', 'null');
  event('response.created', `,"response":${initial}`);
  event('response.in_progress', `,"response":${initial}`);

  const items = outputItems(plan, ctx);
  items.forEach((item, index) => {
    const at = `,"item_id":"${item.id}","output_index":${index}`;
    switch (item.kind) {
      case 'reasoning':
      case 'message': {
        const reasoning = item.kind === 'reasoning';
        const added = reasoning
          ? { id: item.id, type: 'reasoning', summary: [] }
          : { id: item.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' };
        const emptyPart = reasoning ? '{"type":"reasoning_text","text":""}' : '{"type":"output_text","annotations":[],"logprobs":[],"text":""}';
        const deltaType = reasoning ? 'response.reasoning_text.delta' : 'response.output_text.delta';
        const deltaExtra = reasoning ? '' : ',"logprobs":[]';
        const text = JSON.stringify(item.text);
        event('response.output_item.added', `,"output_index":${index},"item":${JSON.stringify(added)}`);
        event('response.content_part.added', `${at},"content_index":0,"part":${emptyPart}`);
        for (const piece of item.deltas) {
          deltaAt.push(frames.length);
          event(deltaType, `${at},"content_index":0,"delta":${JSON.stringify(piece)}${deltaExtra}`);
        }
        if (reasoning) event('response.reasoning_text.done', `${at},"content_index":0,"text":${text}`);
        else event('response.output_text.done', `${at},"content_index":0,"text":${text},"logprobs":[]`);
        const content = item.done.content;
        const part = Array.isArray(content) ? content[0] : undefined;
        event('response.content_part.done', `${at},"content_index":0,"part":${JSON.stringify(part)}`);
        break;
      }
      case 'function_call': {
        const added = { ...item.done, status: 'in_progress', arguments: '' };
        event('response.output_item.added', `,"output_index":${index},"item":${JSON.stringify(added)}`);
        for (const piece of item.deltas) {
          deltaAt.push(frames.length);
          event('response.function_call_arguments.delta', `${at},"delta":${JSON.stringify(piece)}`);
        }
        event('response.function_call_arguments.done', `${at},"name":${JSON.stringify(item.name)},"arguments":${JSON.stringify(item.args)}`);
        break;
      }
    }
    event('response.output_item.done', `,"output_index":${index},"item":${JSON.stringify(item.done)}`);
  });

  const status = terminalStatus(plan);
  const final = responseJson(ctx, status, JSON.stringify(items.map((item) => item.done)), usageJson(plan));
  event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', `,"response":${final}`);

  const failedError = JSON.stringify({ code: MID_STREAM_ERROR.code, message: MID_STREAM_ERROR.message });
  return {
    frames,
    deltaAt,
    errorFrames: (written) =>
      `event: response.failed\ndata: {"type":"response.failed","sequence_number":${written},"response":${responseJson(ctx, 'failed', '[]', 'null', failedError)}}\n\n`,
  };
}

/** The non-streaming response object. */
export function renderResponse(plan: ReplyPlan, ctx: ResponsesRenderContext): string {
  const items = outputItems(plan, ctx);
  return responseJson(ctx, terminalStatus(plan), JSON.stringify(items.map((item) => item.done)), usageJson(plan));
}
