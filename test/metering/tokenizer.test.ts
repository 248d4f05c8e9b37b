import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import type { IRMessage, IRRequest } from '../../src/ir/index.js';
import { encoderFor } from '../../src/metering/encodings.js';
import { normalizeModelName, tokenizerFor } from '../../src/metering/model-family.js';
import { EXACT_CHAR_BUDGET, TokenCounter } from '../../src/metering/token-counter.js';
import {
  IMAGE_TOKENS_HIGH_DETAIL,
  IMAGE_TOKENS_LOW_DETAIL,
  countTextTokens,
  estimatePromptTokens,
  estimateUsage,
} from '../../src/metering/tokenizer.js';

const ordinary = { disallowedSpecial: new Set<string>() };

function request(messages: IRMessage[], extra: Partial<IRRequest> = {}): IRRequest {
  return { model: 'm', messages, stream: false, extra: {}, ...extra };
}

/** OpenAI cookbook, "How to count tokens with tiktoken": 3 per message, each value's tokens, 1 per name, 3 for the reply. */
function cookbookCount(encode: (text: string) => number[], messages: readonly Record<string, string>[]): number {
  let tokens = 3;
  for (const message of messages) {
    tokens += 3;
    for (const [key, value] of Object.entries(message)) {
      tokens += encode(value).length;
      if (key === 'name') tokens += 1;
    }
  }
  return tokens;
}

describe('countTextTokens', () => {
  it('matches known o200k_base and cl100k_base counts', () => {
    expect(countTextTokens('gpt-4o', 'hello world')).toBe(2);
    expect(countTextTokens('gpt-4o', 'Hello, world!')).toBe(4);
    // The cookbook's own example: "tiktoken is great!" is 6 tokens in cl100k_base.
    expect(countTextTokens('gpt-3.5-turbo', 'tiktoken is great!')).toBe(6);
    expect(countTextTokens('gpt-4.1-mini', '')).toBe(0);
    // The encodings differ on non-Latin text: o200k_base is the newer, larger vocabulary.
    expect(countTextTokens('gpt-4', 'こんにちは世界')).toBe(encodeCl100k('こんにちは世界').length);
    expect(countTextTokens('gpt-5', 'こんにちは世界')).toBe(encodeO200k('こんにちは世界').length);
    expect(countTextTokens('gpt-4', 'こんにちは世界')).toBeGreaterThan(countTextTokens('gpt-5', 'こんにちは世界'));
  });

  it('agrees with the library on ordinary text for every OpenAI family', () => {
    const text = 'function add(a: number, b: number): number {\n  return a + b; // sum\n}\n'.repeat(20);
    const o200k = encodeO200k(text).length;
    for (const model of ['gpt-4o-mini', 'gpt-4.1', 'gpt-5-codex', 'o3', 'o4-mini', 'gpt-oss:20b', 'openai/gpt-oss-120b', 'codex-mini-latest', 'ft:gpt-4o-mini:acme::x1']) {
      expect(countTextTokens(model, text), model).toBe(o200k);
    }
    expect(countTextTokens('gpt-4-0613', text)).toBe(encodeCl100k(text).length);
    expect(countTextTokens('gpt-3.5-turbo', text)).toBe(encodeCl100k(text).length);
  });

  it('counts special-token text as ordinary text instead of throwing', () => {
    const text = 'the document ends with <|endoftext|> and <|im_start|>';
    expect(countTextTokens('gpt-4o', text)).toBe(encodeO200k(text, ordinary).length);
  });

  it('scales other families by a documented factor of the o200k_base count', () => {
    const text = 'Explain the difference between a process and a thread in two sentences. '.repeat(10);
    const base = encodeO200k(text).length;
    expect(countTextTokens('llama3.1:8b', text)).toBe(Math.ceil(base * 1.05));
    expect(countTextTokens('meta-llama/Llama-3.3-70B-Instruct', text)).toBe(Math.ceil(base * 1.05));
    expect(countTextTokens('codellama:13b', text)).toBe(Math.ceil(base * 1.15));
    expect(countTextTokens('qwen2.5-coder:32b', text)).toBe(Math.ceil(base * 1.05));
    expect(countTextTokens('deepseek-r1:14b', text)).toBe(Math.ceil(base * 1.05));
    expect(countTextTokens('mistral-small3.1', text)).toBe(Math.ceil(base * 1.1));
    expect(countTextTokens('gemma3:27b', text)).toBe(base);
    expect(countTextTokens('some-inhouse-model', text)).toBe(Math.ceil(base * 1.1));
  });
});

describe('tokenizerFor', () => {
  it('picks the encoding by model family', () => {
    expect(tokenizerFor('gpt-4o-2024-08-06').encoding).toBe('o200k_base');
    expect(tokenizerFor('gpt-4-turbo').encoding).toBe('cl100k_base');
    expect(tokenizerFor('o1').family).toBe('openai-o200k');
    expect(tokenizerFor('o3-mini').family).toBe('openai-o200k');
    expect(tokenizerFor('omni-model').family).toBe('unknown');
    expect(tokenizerFor('hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF').family).toBe('qwen');
    expect(normalizeModelName(' FT:GPT-4o-mini:org::id ')).toBe('gpt-4o-mini:org::id');
  });
});

describe('bounded work', () => {
  it('cuts runs without spaces so they cannot take quadratic time', () => {
    // Counted as one piece, 100k letters without a space take ~10 s; cut, a few ms.
    const started = performance.now();
    const tokens = countTextTokens('gpt-4o', 'a'.repeat(60_000));
    expect(performance.now() - started).toBeLessThan(1_000);
    // 8 letters per token for a run of 'a' in o200k_base: the cuts do not change the count.
    expect(tokens).toBe(encodeO200k('a'.repeat(128)).length * (60_000 / 128));
  });

  it('counts up to the budget exactly and extrapolates the rest from samples', () => {
    const encoder = encoderFor('o200k_base');
    const line = 'The gateway records usage for every call; estimates fill in when the upstream reports none.\n';
    const long = line.repeat(Math.ceil((EXACT_CHAR_BUDGET * 3) / line.length));
    const exact = encodeO200k(long).length;
    const estimate = new TokenCounter(encoder).count(long);
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.02);
    // A second text after the budget is spent uses the ratio measured so far.
    const counter = new TokenCounter(encoder);
    counter.count(long);
    const again = counter.count(long);
    expect(Math.abs(again - exact) / exact).toBeLessThan(0.02);
  });

  it('counts a 10k-token prompt in a few milliseconds once warm', () => {
    const paragraph =
      'Tollgate forwards each request to the first healthy deployment of its route, retries idempotent failures with jittered backoff, and books the cost of every call in a ledger. ';
    const text = paragraph.repeat(Math.ceil(40_000 / paragraph.length));
    countTextTokens('gpt-4.1', text); // load the encoding and warm the merge cache
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      countTextTokens('gpt-4.1', text);
      runs.push(performance.now() - started);
    }
    expect(encodeO200k(text).length).toBeGreaterThan(7_000);
    // Typically 2–6 ms; the bound leaves room for slow CI machines.
    expect(Math.min(...runs)).toBeLessThan(50);
  });
});

describe('estimatePromptTokens', () => {
  it('counts chat messages as the OpenAI cookbook does', () => {
    const messages = [
      { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
      { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
    ];
    const ir: IRMessage[] = [
      { role: 'system', content: messages[0]?.content ?? '' },
      { role: 'user', content: [{ type: 'text', text: messages[1]?.content ?? '' }] },
    ];
    expect(estimatePromptTokens('gpt-4o', request(ir))).toBe(cookbookCount(encodeO200k, messages));
    expect(estimatePromptTokens('gpt-4-0613', request(ir))).toBe(cookbookCount(encodeCl100k, messages));
  });

  it('uses the constants that reproduce the cookbook published counts (124 for gpt-4o, 129 for gpt-4)', () => {
    const example: Record<string, string>[] = [
      { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
      { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
      { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
      { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
      { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
      { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
    ];
    expect(cookbookCount(encodeO200k, example)).toBe(124);
    expect(cookbookCount(encodeCl100k, example)).toBe(129);
  });

  it('counts tool calls, tool results with names, reasoning, tools and images', () => {
    const tools = [{ name: 'shell', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }];
    const ir: IRMessage[] = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture and directory?' },
          { type: 'image', url: 'https://example.com/a.png', detail: 'low' },
          { type: 'image', url: 'data:image/png;base64,AAAA' },
        ],
      },
      { role: 'assistant', content: '', reasoning: 'I should list the files.', toolCalls: [{ id: 'c1', name: 'shell', arguments: '{"cmd":"ls"}' }] },
      { role: 'tool', toolCallId: 'c1', name: 'shell', content: 'README.md\nsrc\n' },
    ];
    const n = (text: string) => encodeO200k(text).length;
    const expected =
      3 +
      (4 + n('Be brief.')) +
      (4 + n('What is in this picture and directory?')) +
      (4 + n('I should list the files.') + n('shell') + n('{"cmd":"ls"}')) +
      (4 + 1 + n('shell') + n('README.md\nsrc\n')) +
      n(JSON.stringify(tools[0])) +
      IMAGE_TOKENS_LOW_DETAIL +
      IMAGE_TOKENS_HIGH_DETAIL;
    expect(estimatePromptTokens('gpt-5-mini', request(ir, { tools }))).toBe(expected);
  });

  it('counts a structured-output schema', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const ir: IRMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }];
    const plain = estimatePromptTokens('gpt-4o', request(ir));
    const structured = estimatePromptTokens('gpt-4o', request(ir, { responseFormat: { type: 'json_schema', name: 'reply', schema } }));
    expect(structured - plain).toBe(encodeO200k('reply').length + encodeO200k(JSON.stringify(schema)).length);
  });
});

describe('estimateUsage', () => {
  it('adds reasoning to completion tokens and reports it separately', () => {
    const ir = request([{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }]);
    const usage = estimateUsage('o4-mini', ir, 'Hello there!', 'The user wants a greeting.');
    const answer = encodeO200k('Hello there!').length;
    const reasoning = encodeO200k('The user wants a greeting.').length;
    expect(usage).toEqual({
      promptTokens: estimatePromptTokens('o4-mini', ir),
      completionTokens: answer + reasoning,
      totalTokens: estimatePromptTokens('o4-mini', ir) + answer + reasoning,
      reasoningTokens: reasoning,
    });
    expect(estimateUsage('gpt-4o', ir, 'Hi', '')).not.toHaveProperty('reasoningTokens');
  });
});
