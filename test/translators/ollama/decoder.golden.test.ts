import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import { FIXTURES, decodeSplit, randomCuts, readFixture, seededRandom } from './golden.js';

const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.ndjson'))
  .sort();
// UPDATE_GOLDEN=1 rewrites the expected files from the decoder: review the diff before keeping it.
const update = process.env.UPDATE_GOLDEN === '1';

function expectedFor(name: string, actual: IRChunk[]): IRChunk[] {
  const path = `${FIXTURES}${name.replace(/\.ndjson$/, '.ir.json')}`;
  if (update) writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  return JSON.parse(readFileSync(path, 'utf8')) as IRChunk[];
}

describe('Ollama stream decoder golden fixtures', () => {
  it('has the fixtures the decoder is specified by', () => {
    expect(fixtures).toEqual([
      'length.ndjson',
      'mid-stream-error.ndjson',
      'text.ndjson',
      'think-tags.ndjson',
      'thinking-gpt-oss.ndjson',
      'tool-call-legacy.ndjson',
      'tool-calls-parallel.ndjson',
      'truncated.ndjson',
    ]);
  });

  describe.each(fixtures)('%s', (name) => {
    const bytes = readFixture(name);
    const whole = decodeSplit(bytes, []);
    const expected = expectedFor(name, whole);

    it('decodes to the expected IR in one read', () => {
      expect(whole).toEqual(expected);
    });

    it('decodes identically when split at 50 random byte offsets', () => {
      const random = seededRandom(name.length * 7919 + bytes.length);
      for (let run = 0; run < 50; run++) {
        const cuts = randomCuts(random, bytes.length, 24);
        expect(decodeSplit(bytes, cuts), `cuts ${cuts.join(',')}`).toEqual(expected);
      }
    });

    it('decodes identically when fed one byte at a time', () => {
      const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
      expect(decodeSplit(bytes, cuts)).toEqual(expected);
    });

    it('never emits empty deltas and keeps the stream grammar', () => {
      for (const chunk of expected) {
        if (chunk.type === 'text' || chunk.type === 'reasoning') expect(chunk.delta).not.toBe('');
      }
      const types = expected.map((chunk) => chunk.type);
      const last = types[types.length - 1];
      expect(types[0]).toBe('start');
      expect(types.filter((type) => type === 'start')).toHaveLength(1);
      if (last === 'error') expect(types.filter((type) => type === 'finish')).toHaveLength(0);
      else expect(types.slice(-2)).toEqual(['usage', 'finish']);
    });
  });
});
