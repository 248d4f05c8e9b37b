/**
 * A request nested far deeper than any real one (a tool's parameters schema
 * 100,000 levels deep: a 0.6 MiB body) is refused at the body with a 400
 * naming the limit, on every route: nothing on the request path walks it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { MAX_JSON_DEPTH } from '../../src/protocols/json-depth.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { OpenAIUpstream } from '../simulators/openai-upstream.js';

let upstream: OpenAIUpstream;
let gateway: Gateway;

beforeAll(async () => {
  // Chat Completions replies as OpenAI documents them: a `chat.completion`, or `chat.completion.chunk` events and `[DONE]`.
  upstream = await startOpenAIUpstream(async (req, res) => {
    if ((req.body as { stream?: boolean }).stream !== true) {
      replyJson(res, 200, { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });
      return;
    }
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    await replySse(res, [chunk({ role: 'assistant', content: 'ok' }, null), chunk({}, 'stop'), 'data: [DONE]\n\n']);
  });
  // An OpenAI-compatible (Chat) upstream: Chat clients pass through, Responses clients are translated.
  gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/m'])]));
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

/** A JSON Schema whose `properties.x` nests `depth` objects, built as text (a value that deep could not be serialised). */
function deepSchemaText(depth: number): string {
  return '{"type":"object","properties":{"x":'.repeat(depth) + '{"type":"string"}' + '}}'.repeat(depth);
}

function deepToolRequest(route: 'chat' | 'responses', depth: number): string {
  const schema = deepSchemaText(depth);
  return route === 'chat'
    ? `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"deep","parameters":${schema}}}]}`
    : `{"model":"m","input":"hi","tools":[{"type":"function","name":"deep","parameters":${schema}}]}`;
}

async function post(path: string, body: string): Promise<{ status: number; json: { error?: { message: string; type: string; code: string } } }> {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, json: (await response.json()) as never };
}

describe('JSON nesting limit', () => {
  it('tools[].parameters nested 100,000 levels: 400 naming the limit on the translated route (not a stack overflow)', async () => {
    const body = deepToolRequest('responses', 50_000);
    expect(body.length).toBeGreaterThan(600_000);
    const before = upstream.requests.length;
    const { status, json } = await post('/v1/responses', body);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'json_too_deep' });
    expect(json.error?.message).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(upstream.requests.length).toBe(before);
  });

  it('and on the pass-through route', async () => {
    const { status, json } = await post('/v1/chat/completions', deepToolRequest('chat', 50_000));
    expect(status).toBe(400);
    expect(json.error?.code).toBe('json_too_deep');
  });

  it('a body exactly at the limit is served; one level more is refused', async () => {
    // The body, `tools` and the tool are 3 levels; a schema of n property levels is 2n + 1 more.
    const levels = (n: number) => 3 + 2 * n + 1;
    expect(levels(62)).toBe(MAX_JSON_DEPTH);
    expect((await post('/v1/responses', deepToolRequest('responses', 62))).status).toBe(200);
    const over = await post('/v1/responses', deepToolRequest('responses', 63));
    expect(over.status).toBe(400);
  });

  it('the real Codex request (12 levels, tool schemas included) is served, translated', async () => {
    const capture = JSON.parse(readFileSync('/work/shared/codex/exec-request.json', 'utf8')) as { body: Record<string, unknown> };
    const { status } = await post('/v1/responses', JSON.stringify({ ...capture.body, model: 'm', stream: false }));
    expect(status).toBe(200);
  });
});
