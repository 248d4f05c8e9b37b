import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

let gateway: Gateway;
let client: OpenAI;

beforeAll(async () => {
  const onlyResponses = model('codex-mini', ['sim/codex-mini-latest']);
  gateway = await startTestGateway(
    config(
      [provider({ name: 'sim', kind: 'mock', scripts: { '*': { reasoning: 'Planning.', reply: 'Answered over the Responses API.' } } })],
      [{ ...onlyResponses, route: onlyResponses.route.map((d) => ({ ...d, api: 'responses' as const })) }],
    ),
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'k', maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
});

describe('Chat Completions clients on a model that speaks only the Responses API', () => {
  it('non-streamed: translated to /responses and back', async () => {
    expect(gateway.router.resolve('codex-mini').deployments[0]?.formats).toEqual(['openai-responses']);
    const result = await client.chat.completions.create({ model: 'codex-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.choices[0]?.message.content).toBe('Answered over the Responses API.');
    expect(result.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streamed, with reasoning and usage', async () => {
    const stream = await client.chat.completions.create({ model: 'codex-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    let reasoning = '';
    let usage = 0;
    for await (const part of stream) {
      const delta: { content?: string | null; reasoning_content?: string } | undefined = part.choices[0]?.delta;
      text += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      usage = part.usage?.total_tokens ?? usage;
    }
    expect(text).toBe('Answered over the Responses API.');
    expect(reasoning).toBe('Planning.');
    expect(usage).toBeGreaterThan(0);
  });
});
