import { describe, expect, it } from 'vitest';
import { parseDirectives } from '../../../src/providers/mock/sim-directives.js';
import { countWords, firstWords, splitDeltas, splitEvenly } from '../../../src/providers/mock/sim-text.js';

describe('simulator text helpers', () => {
  it('counts whitespace-separated words', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  one\ttwo\n\nthree  ')).toBe(3);
  });

  it('splits into word-sized deltas that add up to the text', () => {
    const text = 'Hello  from\nthe model. ';
    const deltas = splitDeltas(text);
    expect(deltas).toEqual(['Hello', '  from', '\nthe', ' model. ']);
    expect(deltas.join('')).toBe(text);
    expect(splitDeltas('')).toEqual([]);
  });

  it('keeps the first words with their original spacing', () => {
    expect(firstWords('  a b\n c d', 3)).toBe('a b\n c');
    expect(firstWords('a b', 5)).toBe('a b');
    expect(firstWords('   ', 5)).toBe('');
  });

  it('splits arguments into nearly equal pieces', () => {
    expect(splitEvenly('{}', 2)).toEqual(['{', '}']);
    expect(splitEvenly('{"a":1}', 3).join('')).toBe('{"a":1}');
  });
});

describe('directive parsing', () => {
  it('reads every directive and removes them from the text', () => {
    const parsed = parseDirectives('hi [mock:status=429][mock:retry_after=3] there [mock:hang] [mock:think] [mock:words=5] [mock:tps=7] [mock:latency=9] [mock:fail_after=1] [mock:error_after=2]');
    expect(parsed.text.split(/\s+/).filter(Boolean)).toEqual(['hi', 'there']);
    expect(parsed.directives).toEqual({
      status: 429,
      retryAfter: 3,
      hang: true,
      think: true,
      words: 5,
      tokensPerSecond: 7,
      latencyMs: 9,
      failAfter: 1,
      errorAfter: 2,
    });
  });

  it('reads a tool call with or without arguments', () => {
    expect(parseDirectives('[mock:tool=ping]').directives.tool).toEqual({ name: 'ping', arguments: '{}' });
    expect(parseDirectives('x [mock:tool=f {"a": "]"}] y')).toMatchObject({ text: 'x  y', directives: { tool: { name: 'f', arguments: '{"a":"]"}' } } });
  });

  it('returns the text untouched when there is no directive', () => {
    const text = 'plain [text] with brackets';
    expect(parseDirectives(text)).toEqual({ text, directives: { hang: false, think: false } });
  });

  it('rejects unknown and malformed directives', () => {
    for (const bad of ['[mock:nope]', '[mock:words=-1]', '[mock:words=x]', '[mock:status=302]', '[mock:tps=3', '[mock:tool=f [1]]', '[mock:tool=f {"a":1} extra]', '[mock:constructor=1]']) {
      expect(() => parseDirectives(bad), bad).toThrow();
    }
  });
});
