/**
 * Chat Completions rendering of a reply plan.
 *
 * Wire facts followed (OpenAI API reference "The chat completion chunk
 * object" and vLLM `entrypoints/openai/serving_chat.py`):
 * - every chunk repeats `id`, `object: "chat.completion.chunk"`, `created`, `model`;
 *   the first carries `delta: {role: "assistant", content: ""}`;
 * - reasoning streams as `delta.reasoning_content` (vLLM, DeepSeek);
 * - a tool call opens with `{index, id, type: "function", function: {name, arguments: ""}}`
 *   and continues with `{index, function: {arguments}}` pieces;
 * - the last choice chunk has an empty delta and `finish_reason`;
 * - with `stream_options.include_usage` every chunk carries `usage: null` and one
 *   extra chunk with `choices: []` carries the usage;
 * - the stream ends with `data: [DONE]`; a failure after the start is sent as
 *   `data: {"error": {...}}` followed by `data: [DONE]` (vLLM), which the
 *   OpenAI SDKs raise as an API error.
 */
import type { ChatCompletion, ChatUsage } from '../../protocols/openai-chat.js';
import { MID_STREAM_ERROR } from './sim-errors.js';
import type { ReplyPlan } from './sim-plan.js';
import type { SseScript } from './sim-stream.js';

export interface ChatRenderContext {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly includeUsage: boolean;
}

const DONE = 'data: [DONE]\n\n';
const ERROR_FRAMES = `data: ${JSON.stringify({ error: MID_STREAM_ERROR })}\n\n${DONE}`;

function chatUsage(plan: ReplyPlan): ChatUsage {
  const { input, output, reasoning } = plan.usage;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/**
 * Chunks are assembled from a per-response head and tail around the delta
 * JSON, so a text delta costs one `JSON.stringify` of the piece and one
 * concatenation.
 */
export function renderChatStream(plan: ReplyPlan, ctx: ChatRenderContext): SseScript {
  const envelope = `data: {"id":${JSON.stringify(ctx.id)},"object":"chat.completion.chunk","created":${ctx.created},"model":${JSON.stringify(ctx.model)},"system_fingerprint":null`;
  const usageNull = ctx.includeUsage ? ',"usage":null' : '';
  const head = `${envelope},"choices":[{"index":0,"delta":`;
  const tail = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;

  const frames: string[] = [`${head}{"role":"assistant","content":""}${tail}`];
  const deltaAt: number[] = [];
  const delta = (json: string): void => {
    deltaAt.push(frames.length);
    frames.push(head + json + tail);
  };

  if (plan.reasoning) {
    for (const piece of plan.reasoning.deltas) delta(`{"reasoning_content":${JSON.stringify(piece)}}`);
  }
  for (const piece of plan.text.deltas) delta(`{"content":${JSON.stringify(piece)}}`);
  plan.toolCalls.forEach((call, index) => {
    const open = { index, id: call.callId, type: 'function', function: { name: call.name, arguments: '' } };
    frames.push(`${head}{"tool_calls":[${JSON.stringify(open)}]}${tail}`);
    for (const piece of call.argumentDeltas) {
      delta(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(piece)}}}]}`);
    }
  });
  frames.push(`${head}{},"logprobs":null,"finish_reason":"${plan.finish}"}]${usageNull}}\n\n`);
  if (ctx.includeUsage) frames.push(`${envelope},"choices":[],"usage":${JSON.stringify(chatUsage(plan))}}\n\n`);
  frames.push(DONE);

  return { frames, deltaAt, errorFrames: () => ERROR_FRAMES };
}

/** The non-streaming `chat.completion` object. */
export function renderChatCompletion(plan: ReplyPlan, ctx: ChatRenderContext): string {
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: plan.toolCalls.length > 0 && plan.text.text === '' ? null : plan.text.text,
    refusal: null,
  };
  if (plan.reasoning) message.reasoning_content = plan.reasoning.text;
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((call) => ({
      id: call.callId,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  const completion: ChatCompletion = {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finish }],
    usage: chatUsage(plan),
    system_fingerprint: null,
  };
  return JSON.stringify(completion);
}
