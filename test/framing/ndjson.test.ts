import { describe, expect, it } from 'vitest';
import { NdjsonLineTooLargeError, NdjsonParser } from '../../src/framing/ndjson.js';

const encoder = new TextEncoder();

function feed(parser: NdjsonParser, pieces: readonly (Uint8Array | string)[]): string[] {
  const lines: string[] = [];
  for (const piece of pieces) lines.push(...parser.push(piece));
  lines.push(...parser.end());
  return lines;
}

/** Every way of cutting `bytes` into two reads, plus one byte per read. */
function allSplits(bytes: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) splits.push([bytes.slice(0, cut), bytes.slice(cut)]);
  splits.push(Array.from(bytes, (byte) => Uint8Array.of(byte)));
  return splits;
}

// Multibyte characters of every UTF-8 length: 2 (é, ü), 3 (東, ≈, U+2028), 4 (emoji, a surrogate pair in JS).
const MIXED = '{"a":"héllo"}\n{"b":"東京 ≈ 👋🏽"}\r\n\n{"c":"line\u2028sep"}\r\n{"d":"ü"}';
const MIXED_LINES = ['{"a":"héllo"}', '{"b":"東京 ≈ 👋🏽"}', '{"c":"line\u2028sep"}', '{"d":"ü"}'];

describe('NdjsonParser', () => {
  it('returns complete lines and keeps the incomplete tail', () => {
    const parser = new NdjsonParser();
    expect(parser.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(parser.push(':2}\n')).toEqual(['{"b":2}']);
    expect(parser.end()).toEqual([]);
  });

  it('drops empty lines and a trailing CR, and returns an unterminated last line at end()', () => {
    const parser = new NdjsonParser();
    expect(feed(parser, ['\n\r\n{"a":1}\r\n\n{"b":2}'])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('keeps a CR that is not at the end of a line', () => {
    expect(feed(new NdjsonParser(), ['a\rb\r\n'])).toEqual(['a\rb']);
  });

  it('yields the same lines for every split position of the byte stream, and for single bytes', () => {
    const bytes = encoder.encode(MIXED);
    for (const pieces of allSplits(bytes)) {
      expect(feed(new NdjsonParser(), pieces)).toEqual(MIXED_LINES);
    }
  });

  it('yields the same lines for every three-way split (multibyte characters cut anywhere)', () => {
    const bytes = encoder.encode('{"x":"👋é東"}\n{"y":"🏽"}\n');
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        const pieces = [bytes.slice(0, a), bytes.slice(a, b), bytes.slice(b)];
        expect(feed(new NdjsonParser(), pieces)).toEqual(['{"x":"👋é東"}', '{"y":"🏽"}']);
      }
    }
  });

  it('yields the same lines for every split of a string stream', () => {
    for (let cut = 0; cut <= MIXED.length; cut++) {
      expect(feed(new NdjsonParser(), [MIXED.slice(0, cut), MIXED.slice(cut)])).toEqual(MIXED_LINES);
    }
    expect(feed(new NdjsonParser(), Array.from(MIXED))).toEqual(MIXED_LINES);
  });

  it('does not depend on the caller keeping earlier reads intact', () => {
    const parser = new NdjsonParser();
    const read = encoder.encode('{"k":"東');
    expect(parser.push(read)).toEqual([]);
    read.fill(0x21); // the network layer may reuse its buffer
    expect(parser.push(encoder.encode('京"}\n'))).toEqual(['{"k":"東京"}']);
  });

  it('removes a byte order mark only at the start of the stream', () => {
    const bytes = encoder.encode('\uFEFF{"a":1}\n\uFEFF{"b":2}\n');
    for (const pieces of allSplits(bytes)) {
      expect(feed(new NdjsonParser(), pieces)).toEqual(['{"a":1}', '\uFEFF{"b":2}']);
    }
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    expect(feed(new NdjsonParser(), [Uint8Array.of(0x61, 0xff, 0x62, 0x0a)])).toEqual(['a\uFFFDb']);
  });

  it('accepts a line of exactly maxLineBytes, counted in UTF-8 bytes', () => {
    const line = 'é'.repeat(5); // 10 bytes
    const bytes = encoder.encode(`${line}\n`);
    for (const pieces of allSplits(bytes)) {
      expect(feed(new NdjsonParser({ maxLineBytes: 10 }), pieces)).toEqual([line]);
    }
    expect(feed(new NdjsonParser({ maxLineBytes: 10 }), [line.slice(0, 2), line.slice(2), '\n'])).toEqual([line]);
  });

  it('throws NdjsonLineTooLargeError for a longer line, with the lines before it', () => {
    const parser = new NdjsonParser({ maxLineBytes: 10 });
    let error: unknown;
    try {
      parser.push(encoder.encode('{"a":1}\n{"b":"éééééé"}\n{"c":3}\n'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NdjsonLineTooLargeError);
    expect((error as NdjsonLineTooLargeError).lines).toEqual(['{"a":1}']);
    expect((error as NdjsonLineTooLargeError).maxLineBytes).toBe(10);
    // The stream cannot be trusted after that: nothing more comes out.
    expect(parser.push('{"d":4}\n')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it('throws as soon as an unterminated line outgrows the limit (memory stays bounded)', () => {
    const parser = new NdjsonParser({ maxLineBytes: 1024 });
    const read = new Uint8Array(300).fill(0x61);
    expect(parser.push(read)).toEqual([]);
    expect(parser.push(read)).toEqual([]);
    expect(parser.push(read)).toEqual([]);
    expect(() => parser.push(read)).toThrow(NdjsonLineTooLargeError);
  });

  it('counts string input in UTF-8 bytes, not UTF-16 units', () => {
    // 4 emoji = 8 UTF-16 units but 16 bytes.
    const parser = new NdjsonParser({ maxLineBytes: 12 });
    expect(() => feed(parser, ['👋👋', '👋👋', '\n'])).toThrow(NdjsonLineTooLargeError);
    expect(feed(new NdjsonParser({ maxLineBytes: 16 }), ['👋👋', '👋👋', '\n'])).toEqual(['👋👋👋👋']);
    expect(() => feed(new NdjsonParser({ maxLineBytes: 15 }), ['👋👋', '👋👋\n'])).toThrow(NdjsonLineTooLargeError);
  });

  it('defaults to a 16 MiB limit', () => {
    const parser = new NdjsonParser();
    const mib = new Uint8Array(1024 * 1024).fill(0x61);
    for (let i = 0; i < 16; i++) expect(parser.push(mib)).toEqual([]);
    expect(() => parser.push(Uint8Array.of(0x61))).toThrow(NdjsonLineTooLargeError);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new NdjsonParser({ maxLineBytes: 0 })).toThrow(RangeError);
  });
});
