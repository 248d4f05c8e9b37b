import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/protocols/json-depth.js';

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonDepthExceeds', () => {
  it('counts the top-level value as one level, objects and arrays alike', () => {
    expect(jsonDepthExceeds('{}', 0)).toBe(true);
    expect(jsonDepthExceeds('{}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":{}}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":{}}]}', 3)).toBe(true);
    expect(jsonDepthExceeds('"text"', 0)).toBe(false);
  });

  it('answers at the limit exactly', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('measures depth, not the number of containers', () => {
    const wide = `[${Array.from({ length: 10_000 }, () => '{"a":[1]}').join(',')}]`;
    expect(jsonDepthExceeds(wide, 3)).toBe(false);
  });

  it('skips strings whole: brackets, escaped quotes and backslashes inside them do not count', () => {
    const tricky = JSON.stringify({ a: '[[[[{{{{', b: 'quote \\" [[[', c: 'ends in a backslash \\', d: ['{'] });
    expect(jsonDepthExceeds(tricky, 2)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ k: '"[[[["', l: [[['x']]] }), 3)).toBe(true);
  });

  it('goes through 100,000 levels without recursion', () => {
    expect(jsonDepthExceeds(nested(100_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
