import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import { isJsonObject } from '../../../src/protocols/json.js';
import type { JsonObject } from '../../../src/protocols/json.js';
import { ResponsesResponseAccumulator, ResponsesStreamEncoder, responsesRequestToIR } from '../../../src/translators/openai-responses/index.js';

/**
 * The official `openai` SDK (v6) reading what the encoder writes, over a
 * real socket: its stream accumulator rejects events out of order or naming
 * items it has not seen, and `finalResponse()` is the snapshot the events built.
 */

const START: IRChunk = { type: 'start', id: 'up-1', model: 'upstream', created: 1_760_000_000 };

/** What the next request is answered with: IR chunks, encoded for the client's request. */
let script: readonly (IRChunk | 'heartbeat')[] = [];
let lastBody: JsonObject = {};

async function readBody(req: IncomingMessage): Promise<JsonObject> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
  if (!isJsonObject(parsed)) throw new Error('body is not an object');
  return parsed;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  lastBody = body;
  const request = responsesRequestToIR(body);
  const options = { requestedModel: request.model, includeUsage: true, request, clientBody: body };
  if (!request.stream) {
    const accumulator = new ResponsesResponseAccumulator(options);
    for (const step of script) if (step !== 'heartbeat') accumulator.push(step);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(accumulator.result()));
    return;
  }
  const encoder = new ResponsesStreamEncoder(options);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const step of script) {
    const text = step === 'heartbeat' ? (encoder.heartbeat?.() ?? '') : encoder.push(step);
    // Written in two pieces to make the client reassemble events across reads.
    const cut = Math.floor(text.length / 2);
    if (text !== '') {
      res.write(text.slice(0, cut));
      res.write(text.slice(cut));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end(encoder.end());
}

let server: Server;
let client: OpenAI;

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'test-key', maxRetries: 0 });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const TOOLS: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false },
  { type: 'custom', name: 'apply_patch', description: 'Edit files' },
];

describe('the openai SDK reading the encoder', () => {
  it('streams text, reasoning and parallel function calls, and rebuilds them in finalResponse()', async () => {
    script = [
      START,
      'heartbeat',
      { type: 'reasoning', delta: 'Two cities,' },
      { type: 'reasoning', delta: ' two calls.' },
      { type: 'text', delta: 'Checking ' },
      'heartbeat',
      { type: 'text', delta: 'the weather.' },
      { type: 'tool_call', index: 0, id: 'call_a', name: 'get_weather', argumentsDelta: '{"city":' },
      { type: 'tool_call', index: 1, id: 'call_b', name: 'get_weather', argumentsDelta: '{"city":"Tokyo"}' },
      'heartbeat',
      { type: 'tool_call', index: 0, argumentsDelta: '"Paris"}' },
      { type: 'tool_call', index: 2, id: 'call_c', name: 'apply_patch', argumentsDelta: '{"input":"*** Begin Patch\\n*** End Patch\\n"}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage: { promptTokens: 40, completionTokens: 12, totalTokens: 52, reasoningTokens: 4 } },
    ];
    const stream = client.responses.stream({ model: 'gpt-oss:20b', input: 'Weather in Paris and Tokyo?', tools: TOOLS });
    const textDeltas: string[] = [];
    const summaryDeltas: string[] = [];
    const argumentSnapshots: string[] = [];
    stream.on('response.output_text.delta', (event) => textDeltas.push(event.snapshot));
    stream.on('response.reasoning_summary_text.delta', (event) => summaryDeltas.push(event.delta));
    stream.on('response.function_call_arguments.delta', (event) => argumentSnapshots.push(event.snapshot));
    const final = await stream.finalResponse();

    expect(lastBody).toMatchObject({ model: 'gpt-oss:20b', stream: true });
    expect(textDeltas).toEqual(['Checking ', 'Checking the weather.']);
    expect(summaryDeltas).toEqual(['Two cities,', ' two calls.']);
    expect(argumentSnapshots).toEqual(['{"city":', '{"city":"Tokyo"}', '{"city":"Paris"}']);
    expect(final.status).toBe('completed');
    expect(final.model).toBe('gpt-oss:20b');
    expect(final.output_text).toBe('Checking the weather.');
    expect(final.usage).toEqual({ input_tokens: 40, input_tokens_details: { cached_tokens: 0 }, output_tokens: 12, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 52 });
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call', 'custom_tool_call']);
    const calls = final.output.filter((item) => item.type === 'function_call');
    expect(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['call_a', 'get_weather', { city: 'Paris' }],
      ['call_b', 'get_weather', { city: 'Tokyo' }],
    ]);
    const custom = final.output.find((item) => item.type === 'custom_tool_call');
    expect(custom).toMatchObject({ call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' });
    const reasoning = final.output.find((item) => item.type === 'reasoning');
    expect(reasoning?.summary).toEqual([{ type: 'summary_text', text: 'Two cities, two calls.' }]);
  });

  it('ends with an incomplete response at a token ceiling', async () => {
    script = [START, { type: 'text', delta: 'Once upon' }, { type: 'usage', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } }, { type: 'finish', reason: 'length' }];
    const final = await client.responses.stream({ model: 'm', input: 'story', max_output_tokens: 2 }).finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(final.output_text).toBe('Once upon');
  });

  it('ends with a failed response carrying the error code', async () => {
    script = [START, { type: 'text', delta: 'Par' }, { type: 'error', message: 'the upstream stream ended before the response was complete', code: 'upstream_truncated' }];
    const final = await client.responses.stream({ model: 'm', input: 'x' }).finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'upstream_truncated', message: 'the upstream stream ended before the response was complete' });
  });

  it('reads the non-streamed response built by the accumulator', async () => {
    script = [
      START,
      { type: 'text', delta: 'Calling.' },
      { type: 'tool_call', index: 0, id: 'call_z', name: 'get_weather', argumentsDelta: '{"city":"Oslo"}' },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const response = await client.responses.create({ model: 'gpt-oss:20b', input: 'x', tools: TOOLS });
    expect(response.object).toBe('response');
    expect(response.output_text).toBe('Calling.');
    expect(response.output[1]).toMatchObject({ type: 'function_call', call_id: 'call_z', name: 'get_weather', arguments: '{"city":"Oslo"}' });
  });
});
