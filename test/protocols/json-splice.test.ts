import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spliceJsonObject } from '../../src/protocols/json-splice.js';

const codexRequest = (JSON.parse(readFileSync(new URL('../fixtures/responses/codex/exec-request.json', import.meta.url), 'utf8')) as { body: unknown }).body;

function splice(text: string, value: string, append: Array<readonly [string, unknown]> = []): unknown {
  const out = spliceJsonObject(text, 'model', value, append as Array<readonly [string, never]>);
  return out === undefined ? undefined : JSON.parse(out);
}

describe('spliceJsonObject: editing a request body on its text', () => {
  it('replaces the top-level model and appends fields, leaving everything else as sent', () => {
    const text = ' {"messages":[{"role":"user","content":"model \\"x\\" {[ \\\\"}],"model" : "alias","stream":true}\n';
    expect(splice(text, 'upstream/model"1', [['temperature', 0.2], ['stream_options', { include_usage: true }]])).toEqual({
      messages: [{ role: 'user', content: 'model "x" {[ \\' }],
      model: 'upstream/model"1',
      stream: true,
      temperature: 0.2,
      stream_options: { include_usage: true },
    });
  });

  it('keeps the exact bytes of a real Codex request apart from the model', () => {
    const text = JSON.stringify(codexRequest, null, 1);
    const out = spliceJsonObject(text, 'model', 'gpt-5', [])!;
    expect(JSON.parse(out)).toEqual({ ...(codexRequest as object), model: 'gpt-5' });
    expect(out).toBe(text.replace('"model": "gpt-oss:20b"', '"model": "gpt-5"'));
  });

  it('ignores nested "model" keys and string values that spell the key', () => {
    const text = '{"tools":[{"model":"nested"}],"metadata":{"model":"inner"},"note":"model","model":"outer"}';
    expect(splice(text, 'new')).toEqual({ tools: [{ model: 'nested' }], metadata: { model: 'inner' }, note: 'model', model: 'new' });
  });

  it('refuses bodies it cannot edit safely: duplicated key, no key, non-string value, not one object', () => {
    expect(splice('{"model":"a","model":"b"}', 'x')).toBeUndefined();
    expect(splice('{"messages":[]}', 'x')).toBeUndefined();
    expect(splice('{"model":42}', 'x')).toBeUndefined();
    expect(splice('[{"model":"a"}]', 'x')).toBeUndefined();
    expect(splice('{"model":"a"} {"model":"b"}', 'x')).toBeUndefined();
    expect(splice('{"model":"a', 'x')).toBeUndefined();
    expect(splice('{"model":"a"', 'x')).toBeUndefined();
  });
});
