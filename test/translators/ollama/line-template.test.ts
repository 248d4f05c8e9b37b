import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { countTemplateReads } from '../../helpers/template-reads.js';
import type { IRChunk } from '../../../src/ir/index.js';
import { FIXTURES, decodeSplit, randomCuts, readFixture, seededRandom } from './golden.js';

function decode(bytes: Uint8Array, cuts: readonly number[], templates: boolean): IRChunk[] {
  return decodeSplit(bytes, cuts, { templates });
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function text(random: () => number): string {
  return pick(random, ['Hi', '', ' there', 'a "quoted" word', 'back\\slash\\', '}{', 'line\nbreak', 'é😀中', '"content":"x"', '<think>', '</think>', '\u0001']);
}

/** One NDJSON line of a synthetic Ollama stream: mostly text or thinking, sometimes anything else Ollama sends. */
function line(random: () => number, i: number): string {
  const created_at = `2025-08-15T22:55:08.${String(i).padStart(9, '0')}Z`;
  const kind = random();
  let message: Record<string, unknown>;
  if (kind < 0.45) message = { role: 'assistant', content: text(random) };
  else if (kind < 0.7) message = { role: 'assistant', content: '', thinking: text(random) };
  else if (kind < 0.75) message = { role: 'assistant', content: text(random), thinking: text(random) };
  else if (kind < 0.8) message = { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: { a: text(random) } } }] };
  else if (kind < 0.85) message = { role: 'assistant', content: text(random), images: null };
  else if (kind < 0.9) return JSON.stringify({ model: 'other', created_at, message: { role: 'assistant', content: text(random) }, done: false });
  else if (kind < 0.95) return JSON.stringify({ error: 'model crashed' });
  else return JSON.stringify({ model: 'm', created_at, message: { role: 'assistant', content: '' }, done: true, done_reason: pick(random, ['stop', 'length']), prompt_eval_count: 5, eval_count: i });
  return JSON.stringify({ model: 'm', created_at, message, done: false });
}

afterEach(() => vi.restoreAllMocks());

describe('Ollama line templates: the same IR as parsing every line whole', () => {
  it('on every golden fixture, under 50 seeded random splits', () => {
    const reads = countTemplateReads();
    const random = seededRandom(11);
    for (const name of readdirSync(FIXTURES).filter((file) => file.endsWith('.ndjson'))) {
      const bytes = readFixture(name);
      const expected = decode(bytes, [], false);
      expect(decode(bytes, [], true)).toEqual(expected);
      for (let i = 0; i < 50; i++) expect(decode(bytes, randomCuts(random, bytes.length, 12), true)).toEqual(expected);
    }
    // The fast path was taken, not merely harmless.
    expect(reads()).toBeGreaterThan(100);
  });

  it('on 2,000 synthetic streams mixing text and thinking with every other kind of line', () => {
    const reads = countTemplateReads();
    const random = seededRandom(5);
    for (let n = 0; n < 2_000; n++) {
      const lines: string[] = [];
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) lines.push(line(random, i));
      const bytes = new TextEncoder().encode(lines.join('\n') + (random() < 0.9 ? '\n' : ''));
      expect(decode(bytes, [], true)).toEqual(decode(bytes, [], false));
    }
    // The fast path was taken, not merely harmless.
    expect(reads()).toBeGreaterThan(100);
  });
});
