// Precomputed upstream replies for the benchmark's upstream simulator.
//
// The shapes follow the recorded-style fixtures under test/fixtures (chat/openai-text.sse,
// responses-upstream/text.sse, ollama/text.ndjson), which document their sources: OpenAI's
// Chat Completions chunks with a final usage chunk and `[DONE]`, the Responses API's typed
// events with `event:` lines and `sequence_number`, Ollama's NDJSON with `done_reason` and
// `prompt_eval_count` / `eval_count`. Sizes are realistic (ids, fingerprints, obfuscation
// padding), because a proxy's cost grows with the bytes it moves.
//
// Every builder returns the reply as an array of Buffers, one per event, so the simulator can
// write a whole stream at once (one write, usually one read on the other side) or pace it.

const WORDS = ['The', ' gateway', ' forwards', ' every', ' token', ' as', ' soon', ' as', ' it', ' arrives', ',', ' and', ' nothing', ' waits', ' longer', ' than', ' it', ' must', '.', '\n'];
const CREATED = 1750864011;
const MODEL = 'bench-model';
const PROMPT_TOKENS = 27;

function word(i) {
  return WORDS[i % WORDS.length];
}

/** The whole answer of `n` events: what a client must assemble from the deltas. */
export function fullText(n) {
  let text = '';
  for (let i = 0; i < n; i++) text += word(i);
  return text;
}

/** Obfuscation padding as OpenAI adds it: a few characters that vary per event. */
function padding(i) {
  return 'xK2Qw9aZpLm'.slice(0, 1 + (i % 6));
}

const buf = (text) => Buffer.from(text, 'utf8');

// ---------------------------------------------------------------- Chat Completions

const CHAT_ID = 'chatcmpl-BnQ7fXkz2c4vJrLx9TqWm1aYpE3sD';

function chatChunk(delta, finish, usage, i) {
  return {
    id: CHAT_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    service_tier: 'default',
    system_fingerprint: 'fp_6f2eabb9a5',
    choices: usage === undefined ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
    usage: usage ?? null,
    obfuscation: padding(i),
  };
}

function chatUsage(n) {
  return {
    prompt_tokens: PROMPT_TOKENS,
    completion_tokens: n,
    total_tokens: PROMPT_TOKENS + n,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** `n` content deltas, framed by the role chunk, the finish chunk, the usage chunk and `[DONE]`. */
export function chatSse(n) {
  const events = [chatChunk({ role: 'assistant', content: '', refusal: null }, null, undefined, 0)];
  for (let i = 0; i < n; i++) events.push(chatChunk({ content: word(i) }, null, undefined, i + 1));
  events.push(chatChunk({}, 'stop', undefined, n + 1));
  events.push(chatChunk(undefined, null, chatUsage(n), n + 2));
  return [...events.map((e) => buf(`data: ${JSON.stringify(e)}\n\n`)), buf('data: [DONE]\n\n')];
}

export function chatJson(n) {
  return [
    buf(
      JSON.stringify({
        id: CHAT_ID,
        object: 'chat.completion',
        created: CREATED,
        model: MODEL,
        choices: [{ index: 0, message: { role: 'assistant', content: fullText(n), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
        usage: chatUsage(n),
        service_tier: 'default',
        system_fingerprint: 'fp_6f2eabb9a5',
      }),
    ),
  ];
}

// ---------------------------------------------------------------- Responses API

const RESP_ID = 'resp_68a1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6a7b';
const MSG_ID = 'msg_68a1c2d4a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9';

function responseObject(status, output, usage) {
  return {
    id: RESP_ID,
    object: 'response',
    created_at: CREATED,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: MODEL,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'auto',
    store: false,
    temperature: 1.0,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1.0,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

function responsesUsage(n) {
  return { input_tokens: PROMPT_TOKENS, input_tokens_details: { cached_tokens: 0 }, output_tokens: n, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: PROMPT_TOKENS + n };
}

function completedMessage(text) {
  return { id: MSG_ID, type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text }], role: 'assistant' };
}

/** The typed event stream of one text answer with `n` `output_text.delta` events. */
export function responsesSse(n) {
  const text = fullText(n);
  const part = (t) => ({ type: 'output_text', annotations: [], logprobs: [], text: t });
  const events = [
    { type: 'response.created', response: responseObject('in_progress', [], null) },
    { type: 'response.in_progress', response: responseObject('in_progress', [], null) },
    { type: 'response.output_item.added', output_index: 0, item: { id: MSG_ID, type: 'message', status: 'in_progress', content: [], role: 'assistant' } },
    { type: 'response.content_part.added', item_id: MSG_ID, output_index: 0, content_index: 0, part: part('') },
  ];
  for (let i = 0; i < n; i++) {
    events.push({ type: 'response.output_text.delta', item_id: MSG_ID, output_index: 0, content_index: 0, delta: word(i), logprobs: [], obfuscation: padding(i) });
  }
  events.push(
    { type: 'response.output_text.done', item_id: MSG_ID, output_index: 0, content_index: 0, text, logprobs: [] },
    { type: 'response.content_part.done', item_id: MSG_ID, output_index: 0, content_index: 0, part: part(text) },
    { type: 'response.output_item.done', output_index: 0, item: completedMessage(text) },
    { type: 'response.completed', response: responseObject('completed', [completedMessage(text)], responsesUsage(n)) },
  );
  return events.map((e, i) => {
    const { type, ...rest } = e;
    return buf(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: i, ...rest })}\n\n`);
  });
}

export function responsesJson(n) {
  return [buf(JSON.stringify(responseObject('completed', [completedMessage(fullText(n))], responsesUsage(n))))];
}

// ---------------------------------------------------------------- Ollama native API

function ollamaTime(i) {
  return new Date(Date.UTC(2025, 6, 7, 20, 22, 19) + i * 11).toISOString();
}

function ollamaDone(n, content) {
  return {
    model: MODEL,
    created_at: ollamaTime(n),
    message: { role: 'assistant', content },
    done: true,
    done_reason: 'stop',
    total_duration: 4883583458,
    load_duration: 1334875,
    prompt_eval_count: PROMPT_TOKENS,
    prompt_eval_duration: 342546000,
    eval_count: n,
    eval_duration: 4535599000,
  };
}

/** `n` NDJSON content chunks and the final `done` chunk with the token counts. */
export function ollamaNdjson(n) {
  const lines = [];
  for (let i = 0; i < n; i++) lines.push({ model: MODEL, created_at: ollamaTime(i), message: { role: 'assistant', content: word(i) }, done: false });
  lines.push(ollamaDone(n, ''));
  return lines.map((l) => buf(`${JSON.stringify(l)}\n`));
}

export function ollamaJson(n) {
  return [buf(JSON.stringify(ollamaDone(n, fullText(n))))];
}
