// What the benchmark sends, to whom, and how a reply is checked.
//
// Every scenario has two faces: the request a client sends to Tollgate (model names of the
// generated configuration, which route it to a provider), and the request the same client
// would send to the upstream itself or through the floor (the upstream's own model name and
// the endpoint whose reply has the same shape and size as what Tollgate returns). For a
// translated scenario, the floor passes through a reply that is already in the client's
// format: the comparison prices the translation.

import { fullText } from './payloads.mjs';

const SYSTEM = 'You are a concise assistant inside a coding agent.';
const PROMPT = 'Explain in one paragraph what an API gateway does for a team that runs coding agents.';

function chatBody(model, stream) {
  return {
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: PROMPT },
    ],
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    max_tokens: 1024,
  };
}

function responsesBody(model) {
  return {
    model,
    instructions: SYSTEM,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: PROMPT }] }],
    stream: true,
    store: false,
  };
}

/** `e<N>` or `e<N>-p<MS>`: the upstream's reply size and pacing (see upstream.mjs). */
function spec(events, paceMs) {
  return paceMs > 0 ? `e${events}-p${paceMs}` : `e${events}`;
}

/** The JSON payloads of an SSE body (a check, not a parser: the bench's replies are well formed). */
function sseData(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
      .join('\n');
    if (data.length > 0) out.push(data);
  }
  return out;
}

function checkChatJson(events) {
  return (text) => {
    const body = JSON.parse(text);
    const content = body?.choices?.[0]?.message?.content;
    if (content !== fullText(events)) return `choices[0].message.content is not the ${events}-word answer`;
    if (body.usage?.completion_tokens !== events) return `usage.completion_tokens ${body.usage?.completion_tokens}, expected ${events}`;
    return undefined;
  };
}

function checkChatSse(events) {
  return (text) => {
    const data = sseData(text);
    if (data.at(-1) !== '[DONE]') return 'does not end with data: [DONE]';
    let content = '';
    let usage;
    for (const payload of data.slice(0, -1)) {
      const chunk = JSON.parse(payload);
      const delta = chunk.choices?.[0]?.delta?.content;
      if (typeof delta === 'string') content += delta;
      if (chunk.usage) usage = chunk.usage;
    }
    if (content !== fullText(events)) return `the deltas do not add up to the ${events}-word answer`;
    if (usage?.completion_tokens !== events) return `usage.completion_tokens ${usage?.completion_tokens}, expected ${events}`;
    return undefined;
  };
}

function checkResponsesSse(events) {
  return (text) => {
    let content = '';
    let completed;
    for (const payload of sseData(text)) {
      const event = JSON.parse(payload);
      if (event.type === 'response.output_text.delta') content += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    if (content !== fullText(events)) return `the output_text deltas do not add up to the ${events}-word answer`;
    if (completed === undefined) return 'no response.completed event';
    if (completed.usage?.output_tokens !== events) return `usage.output_tokens ${completed.usage?.output_tokens}, expected ${events}`;
    return undefined;
  };
}

/**
 * Scenario fields: `id`, `title`, `group` (the budget line it counts for), `stream`, the
 * Tollgate request (`path`, `body`, `provider` expected in x-tollgate-provider), the direct
 * request (`directPath`, `directBody`), `check(text)` (undefined when the reply is right), and
 * `durationFactor` (long paced streams need longer runs to complete enough of them).
 */
function chatScenario(id, title, events, paceMs, stream, extra = {}) {
  const upstreamModel = spec(events, paceMs);
  return {
    id,
    title,
    group: stream ? 'chat-stream' : 'chat-json',
    stream,
    events,
    paceMs,
    path: '/v1/chat/completions',
    body: chatBody(`chat-${upstreamModel}`, stream),
    provider: 'chat',
    directPath: '/v1/chat/completions',
    directBody: chatBody(upstreamModel, stream),
    check: stream ? checkChatSse(events) : checkChatJson(events),
    durationFactor: paceMs > 0 && events >= 200 ? 1.5 : 1,
    ...extra,
  };
}

function responsesScenario(id, title, events, paceMs, via) {
  const upstreamModel = spec(events, paceMs);
  return {
    id,
    title,
    group: via === 'chat' ? 'responses-translated' : 'responses-passthrough',
    stream: true,
    events,
    paceMs,
    path: '/v1/responses',
    body: responsesBody(`${via}-${upstreamModel}`),
    provider: via,
    directPath: '/v1/responses',
    directBody: responsesBody(upstreamModel),
    check: checkResponsesSse(events),
    durationFactor: 1,
  };
}

export const SCENARIOS = [
  chatScenario('chat-json', 'Chat, non-streamed', 50, 0, false),
  chatScenario('chat-sse-50', 'Chat stream pass-through, 50 events', 50, 0, true),
  chatScenario('chat-sse-500', 'Chat stream pass-through, 500 events', 500, 0, true),
  chatScenario('chat-sse-50-paced', 'Chat stream pass-through, 50 events, 1 ms apart', 50, 1, true),
  chatScenario('chat-sse-500-paced', 'Chat stream pass-through, 500 events, 1 ms apart', 500, 1, true),
  responsesScenario('responses-from-chat', 'Responses from a Chat upstream (translation), 50 events', 50, 0, 'chat'),
  responsesScenario('responses-from-chat-paced', 'Responses from a Chat upstream (translation), 50 events, 1 ms apart', 50, 1, 'chat'),
  responsesScenario('responses-pass', 'Responses pass-through, 50 events', 50, 0, 'resp'),
  chatScenario('chat-from-ollama', 'Chat stream from Ollama NDJSON (translation), 50 events', 50, 0, true, {
    group: 'ollama-translated',
    body: chatBody('ollama-e50', true),
    provider: 'ollama',
  }),
];

/** The model names the generated Tollgate configuration must serve, per provider. */
export function modelsByProvider(scenarios, extra = []) {
  const byProvider = new Map();
  for (const { provider, body } of [...scenarios, ...extra]) {
    const upstreamModel = body.model.slice(body.model.indexOf('-') + 1);
    if (!byProvider.has(provider)) byProvider.set(provider, new Set());
    byProvider.get(provider).add(upstreamModel);
  }
  return byProvider;
}

export { chatBody, responsesBody, spec };
