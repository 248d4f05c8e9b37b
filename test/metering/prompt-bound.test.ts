import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IRRequest } from '../../src/ir/index.js';
import type { JsonObject } from '../../src/protocols/json.js';
import { estimatePromptTokens, promptTokensUpperBound } from '../../src/metering/tokenizer.js';
import { responsesClientCodec } from '../../src/translators/openai-responses/index.js';

function chatRequest(text: string): { request: IRRequest; body: string } {
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: text }] };
  const request: IRRequest = { model: 'gpt-4o', stream: false, extra: {}, messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
  return { request, body: JSON.stringify(body) };
}

describe('the prompt bound of reservations', () => {
  it('counts at least as many tokens as the tokenizer, for English, code, CJK and a real Codex request', () => {
    const samples = [
      'The quick brown fox jumps over the lazy dog. '.repeat(50),
      'function add(a: number, b: number): number {\n  return a + b;\n}\n'.repeat(40),
      '日本語のテキストはトークンが多い。中文文本也是如此。'.repeat(40),
      '🙂🚀✨ emoji heavy text 🎉🎉🎉 '.repeat(40),
    ];
    for (const text of samples) {
      const { request, body } = chatRequest(text);
      expect(promptTokensUpperBound(request, body), text.slice(0, 20)).toBeGreaterThanOrEqual(estimatePromptTokens('gpt-4o', request));
    }
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/responses/codex/exec-request.json', import.meta.url), 'utf8')) as { body: JsonObject };
    const codex = responsesClientCodec.parseRequest(fixture.body);
    expect(promptTokensUpperBound(codex, JSON.stringify(fixture.body))).toBeGreaterThanOrEqual(estimatePromptTokens('gpt-5', codex));
  });

  it('counts an image as the tokenizer estimate does, not by the size of its data URL', () => {
    const url = `data:image/png;base64,${'A'.repeat(3_000_000)}`;
    const request: IRRequest = { model: 'gpt-4o', stream: false, extra: {}, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', url }] }] };
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url } }] }] });
    const bound = promptTokensUpperBound(request, body);
    expect(bound).toBeGreaterThanOrEqual(estimatePromptTokens('gpt-4o', request));
    expect(bound).toBeLessThan(1_000);
  });
});
